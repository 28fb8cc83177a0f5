#ifndef DLKIT_SERVICES_KUBERNETES_KUBERNETES_EXPERIMENTS_H_
#define DLKIT_SERVICES_KUBERNETES_KUBERNETES_EXPERIMENTS_H_

// The Launcher's side of cluster mode: an experiment with `trainingService.platform:
// kubernetes` becomes, in the spec's namespace,
//   ConfigMap  dlkit-<id>        the spec (spec.json) — the experiment's root object
//   PVC        dlkit-<id>-store  the Manager's SQLite (storage "pvc"; absent for "emptyDir")
//   Pod        dlkit-<id>        containers `manager` (dlkit-manager --platform=kubernetes)
//                                and `tuner` (dlkit-tuner)
//   Service    dlkit-<id>        the Manager's port, for the trials' Reporters
// Everything but the ConfigMap carries an ownerReference to it, and the Manager gives its
// trials one too: deleting the ConfigMap deletes the experiment. The Manager answers the
// experiment's queries itself, at the Service's address (Experiment.manager_address).

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dlkit/v1/manager.grpc.pb.h"
#include "dlkit/v1/types.pb.h"
#include "k8s/client/kube_client.h"
#include "nlohmann/json.hpp"
#include "services/launcher/cluster_experiments.h"

namespace dlkit {

class KubernetesExperiments final : public ClusterExperiments {
 public:
  struct Options {
    std::string image = "dlkit:latest";     // has dlkit-manager and dlkit-tuner
    std::string service_account = "dlkit";  // the Experiment pod's (bound to the Role)
    int manager_port = 9871;
    int tuner_port = 9872;
    // How long Get waits for an experiment's Manager before answering from the ConfigMap.
    absl::Duration manager_timeout = absl::Seconds(5);
    // The Manager at an address (default: an insecure channel, kept for the process).
    std::function<std::shared_ptr<v1::ManagerService::StubInterface>(const std::string&)>
        manager_stub;
  };

  KubernetesExperiments(std::shared_ptr<k8s::KubeClient> client, Options options);

  // Creates the experiment's objects; the experiment as it starts.
  absl::StatusOr<v1::Experiment> Submit(const std::string& id,
                                        const v1::ExperimentSpec& spec) override;
  // From its Manager, or (while that does not answer) from the ConfigMap.
  absl::StatusOr<v1::Experiment> Get(const std::string& ns, const std::string& id) override;
  // Deletes the ConfigMap; the rest follows. OK when already gone.
  absl::Status Delete(const std::string& ns, const std::string& id) override;
  // Asked of its Manager: UNAVAILABLE, naming its address, while that does not answer.
  absl::StatusOr<v1::Experiment> Stop(const std::string& ns, const std::string& id) override;
  absl::StatusOr<v1::Experiment> Resume(const std::string& ns, const std::string& id) override;

  static std::string RootName(const std::string& id) { return "dlkit-" + id; }
  // Where experiments without trainingService.namespace go: the client's (in a pod, the
  // pod's own namespace).
  std::string default_namespace() const override { return client_->config().default_namespace; }
  std::string ManagerAddress(const std::string& ns, const std::string& id) const;
  // The experiment's own Manager (its Service), for calls the daemon passes on.
  std::shared_ptr<v1::ManagerService::StubInterface> ManagerStub(const std::string& ns,
                                                                 const std::string& id) override {
    return Stub(ManagerAddress(ns, id));
  }

 private:
  nlohmann::json ExperimentPod(const std::string& id, const v1::ExperimentSpec& spec,
                               const nlohmann::json& owner) const;
  std::shared_ptr<v1::ManagerService::StubInterface> Stub(const std::string& address);
  // A Manager method that takes an experiment id and answers with the experiment.
  template <typename Request, typename Response>
  using ManagerCall = grpc::Status (v1::ManagerService::StubInterface::*)(grpc::ClientContext*,
                                                                          const Request&,
                                                                          Response*);
  // Calls it on the experiment's Manager, with the Manager deadline.
  template <typename Request, typename Response>
  grpc::Status CallManager(const std::string& ns, const std::string& id,
                           ManagerCall<Request, Response> call, Response* response);
  // The same, NOT_FOUND when its ConfigMap is gone, UNAVAILABLE when the Manager is silent.
  template <typename Request, typename Response>
  absl::StatusOr<v1::Experiment> AskManager(const std::string& ns, const std::string& id,
                                            const std::string& what,
                                            ManagerCall<Request, Response> call);

  const std::shared_ptr<k8s::KubeClient> client_;
  const Options options_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<v1::ManagerService::StubInterface>> stubs_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_KUBERNETES_KUBERNETES_EXPERIMENTS_H_
