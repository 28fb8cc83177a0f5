#ifndef DLKIT_SERVICES_MANAGER_MANAGER_DIRECTORY_H_
#define DLKIT_SERVICES_MANAGER_MANAGER_DIRECTORY_H_

// How ManagerServiceImpl finds the ExperimentManager a call is for: the daemon hosts many,
// a cluster Experiment pod hosts one.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/manager/experiment_manager.h"

namespace dlkit {

class ManagerDirectory {
 public:
  virtual ~ManagerDirectory() = default;
  // NOT_FOUND naming the id when no such experiment is managed here.
  virtual absl::StatusOr<std::shared_ptr<ExperimentManager>> FindManager(
      const std::string& experiment_id) = 0;
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_MANAGER_MANAGER_DIRECTORY_H_
