#ifndef DLKIT_SERVICES_MANAGER_MANAGER_DIRECTORY_H_
#define DLKIT_SERVICES_MANAGER_MANAGER_DIRECTORY_H_

// How ManagerServiceImpl finds the ExperimentManager a call is for: the daemon hosts many,
// a cluster Experiment pod hosts one.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dlkit/v1/manager.grpc.pb.h"
#include "services/manager/experiment_manager.h"

namespace dlkit {

class ManagerDirectory {
 public:
  virtual ~ManagerDirectory() = default;
  // NOT_FOUND naming the id when no such experiment is managed here.
  virtual absl::StatusOr<std::shared_ptr<ExperimentManager>> FindManager(
      const std::string& experiment_id) = 0;
  // The ManagerService of an experiment managed elsewhere (a cluster experiment's own pod),
  // to forward calls to; null when there is none.
  virtual std::shared_ptr<v1::ManagerService::StubInterface> RemoteManager(
      const std::string& /*experiment_id*/) {
    return nullptr;
  }
};

// One experiment's Manager (an Experiment pod's), which a restart may replace (Set).
class SingleManagerDirectory final : public ManagerDirectory {
 public:
  explicit SingleManagerDirectory(std::shared_ptr<ExperimentManager> manager = nullptr)
      : manager_(std::move(manager)) {}
  void Set(std::shared_ptr<ExperimentManager> manager) {
    absl::MutexLock lock(&mu_);
    manager_ = std::move(manager);
  }
  absl::StatusOr<std::shared_ptr<ExperimentManager>> FindManager(const std::string& id) override {
    absl::MutexLock lock(&mu_);
    if (manager_ == nullptr) return absl::NotFoundError("no experiment " + id + " here");
    if (id != manager_->id()) {
      return absl::NotFoundError("this Manager serves experiment " + manager_->id() + ", not " +
                                 id);
    }
    return manager_;
  }

 private:
  absl::Mutex mu_;
  std::shared_ptr<ExperimentManager> manager_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_MANAGER_MANAGER_DIRECTORY_H_
