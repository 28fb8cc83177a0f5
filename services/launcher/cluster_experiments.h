#ifndef DLKIT_SERVICES_LAUNCHER_CLUSTER_EXPERIMENTS_H_
#define DLKIT_SERVICES_LAUNCHER_CLUSTER_EXPERIMENTS_H_

// What the Launcher needs of a cluster to run experiments there (their Managers run in the
// cluster, not in this daemon). services/kubernetes/kubernetes_experiments.h implements it;
// the daemon's main wires it in, so the Launcher knows no cluster API.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dlkit/v1/manager.grpc.pb.h"
#include "dlkit/v1/types.pb.h"

namespace dlkit {

class ClusterExperiments {
 public:
  virtual ~ClusterExperiments() = default;

  // Creates the experiment's objects; the experiment as it starts.
  virtual absl::StatusOr<v1::Experiment> Submit(const std::string& id,
                                                const v1::ExperimentSpec& spec) = 0;
  // From its Manager, or (while that does not answer) from what the cluster stores.
  virtual absl::StatusOr<v1::Experiment> Get(const std::string& ns, const std::string& id) = 0;
  // Deletes the experiment and everything it owns. OK when already gone.
  virtual absl::Status Delete(const std::string& ns, const std::string& id) = 0;
  // Asked of its Manager: UNAVAILABLE, naming its address, while that does not answer.
  virtual absl::StatusOr<v1::Experiment> Stop(const std::string& ns, const std::string& id) = 0;
  virtual absl::StatusOr<v1::Experiment> Resume(const std::string& ns, const std::string& id) = 0;
  // Where experiments without trainingService.namespace go.
  virtual std::string default_namespace() const = 0;
  // The experiment's own Manager, for the calls the daemon passes on.
  virtual std::shared_ptr<v1::ManagerService::StubInterface> ManagerStub(const std::string& ns,
                                                                         const std::string& id) = 0;
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_LAUNCHER_CLUSTER_EXPERIMENTS_H_
