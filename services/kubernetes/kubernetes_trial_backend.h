#ifndef DLKIT_SERVICES_KUBERNETES_KUBERNETES_TRIAL_BACKEND_H_
#define DLKIT_SERVICES_KUBERNETES_KUBERNETES_TRIAL_BACKEND_H_

// Runs each trial on a Kubernetes cluster as the kind the spec names: a batch/v1 Job, or a
// kubeflow.org/v1 PyTorchJob (Master + Workers) / TFJob (Chief + Workers). The master's
// container runs `dlkit-reporter ... -- <trialCommand>`, which calls the Manager back on
// TrialSession like a local trial; the other replicas run the command alone, with
// DLKIT_REPORT=0 so their SDK calls are no-ops.
//
// One thread follows the experiment's trial objects and one its trials' pods (list, then
// watch from the list's resourceVersion; resumed after a broken stream, re-listed after 410
// Gone). They tell the Manager (GoneCallback) when a trial's object ends or dies in a way
// its Reporter cannot report: Job/PyTorchJob/TFJob conditions, image pull errors,
// OOMKilled, evictions, pods unschedulable for too long. A housekeeping thread deletes
// objects (kills, retention) so that no HTTP call runs under the Manager's lock for long.

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "k8s/client/cancellation.h"
#include "k8s/client/kube_client.h"
#include "nlohmann/json.hpp"
#include "services/kubernetes/labels.h"
#include "services/manager/trial_backend.h"

namespace dlkit {

class KubernetesTrialBackend final : public TrialBackend {
 public:
  struct Options {
    std::string ns;               // where trials run (the experiment's namespace)
    std::string experiment_id;    // selects this experiment's objects
    std::string manager_address;  // host:port trials reach the Manager at (its Service)
    // An ownerReference (apiVersion, kind, name, uid) to the experiment's root object, so
    // that deleting the experiment deletes its trials. Null: none.
    nlohmann::json owner;
    std::string reporter_command = "dlkit-reporter";  // in the trial image's PATH
    std::string python_path = "/opt/dlkit/python";    // the dlkit package in the image
    std::string trial_log = "/tmp/dlkit-trial.log";   // inside the trial's container
    std::string output_dir = "/tmp/dlkit-output";
    // Clones trainingService.gitRepository (has git and a shell; the entrypoint is replaced).
    std::string git_image = "alpine/git:latest";
    int grace_seconds = 10;
    // A pod still unschedulable after this long fails its trial (and is deleted).
    absl::Duration unschedulable_timeout = absl::Minutes(5);
    // How long finished trials' objects stay: zero deletes at once, infinite keeps them.
    // By default succeeded ones go (their results are in the store) and failed ones stay
    // for `kubectl logs`.
    absl::Duration keep_succeeded = absl::ZeroDuration();
    absl::Duration keep_failed = absl::InfiniteDuration();
    absl::Duration retry_delay = absl::Milliseconds(500);  // after a failed list or watch
    // A Failed condition waits this long for its pod's more precise reason (OOMKilled,
    // evicted...), which arrives on another watch.
    absl::Duration failure_grace = absl::Seconds(2);
  };

  static absl::StatusOr<std::unique_ptr<KubernetesTrialBackend>> New(
      std::shared_ptr<k8s::KubeClient> client, Options options);
  // Stops following the trials; their objects stay (TerminateAll deletes them).
  ~KubernetesTrialBackend() override;

  absl::Status Launch(const TrialLaunch& launch, GoneCallback on_gone) override;
  void Terminate(const std::string& trial_id) override;
  void TerminateAll() override;
  // A restarted Experiment pod's Manager finds its trials' objects by their trial label.
  bool TrialsOutliveManager() const override { return true; }
  absl::Status Adopt(const TrialLaunch& launch, GoneCallback on_gone) override;
  // Sends the deletes already due (finished trials past their retention), then stops
  // following; everything else stays for the next Manager.
  void Release() override;

  // The object Launch creates for `launch`, named `name` (exposed for tests).
  static nlohmann::json TrialObject(const TrialLaunch& launch, const Options& options,
                                    const std::string& name);
  static const k8s::ResourceType& TypeOf(v1::JobKind kind);
  // The trial's Secret object (its session secret under kSecretKey), named after the trial.
  static std::string SecretName(const TrialLaunch& launch);
  static constexpr char kSecretKey[] = "session-secret";

  // Trials whose objects this backend still follows (for tests).
  int tracked_trials();

 private:
  struct Tracked {
    std::string trial_id;
    std::string name;    // the object's
    std::string secret;  // the trial's Secret object, deleted with it
    const k8s::ResourceType* type = nullptr;
    GoneCallback on_gone;
    std::string memory;  // the memory limit, for the OOM advice
    bool seen = false;   // a list or event showed the object
    bool gone = false;   // on_gone was called
    bool delete_requested = false;
    bool deleted = false;  // the DELETE was sent
    absl::Time unschedulable_since = absl::InfiniteFuture();
    std::string unschedulable_message;
    absl::Time delete_at = absl::InfiniteFuture();
    std::string pending_why;  // a Failed condition, reported at pending_at unless a pod's
    absl::Time pending_at = absl::InfiniteFuture();  // reason comes first
  };
  struct Notice {  // a GoneCallback to run once mu_ is released
    GoneCallback callback;
    std::string trial_id;
    std::string why;
  };

  KubernetesTrialBackend(std::shared_ptr<k8s::KubeClient> client, Options options);
  void StartWatching(v1::JobKind kind) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StopThreads() ABSL_LOCKS_EXCLUDED(mu_);
  void FollowLoop(const k8s::ResourceType* type, bool pods);
  void HousekeepingLoop();
  // Handle one object seen in a list or an ADDED/MODIFIED event.
  void OnTrialObject(const nlohmann::json& object, std::vector<Notice>* notices)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnTrialObjectDeleted(const nlohmann::json& object, std::vector<Notice>* notices)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnPod(const nlohmann::json& pod, std::vector<Notice>* notices)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reports the trial gone (once); `remove` asks for its object to be deleted now, else
  // it is deleted after the retention for `succeeded`.
  void Finish(Tracked& tracked, const std::string& why, bool succeeded, bool remove,
              std::vector<Notice>* notices) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FailLater(Tracked& tracked, const std::string& why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Tracked* FindByObject(const nlohmann::json& object) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void Notify(std::vector<Notice>& notices);
  static std::string BaseName(const TrialLaunch& launch);  // the trial object's usual name
  // Adds the trial's object and its Secret to `doomed`.
  static void Doom(const Tracked& tracked,
                   std::vector<std::pair<const k8s::ResourceType*, std::string>>* doomed);
  // Creates (or renews) the trial's Secret object before its Job refers to it.
  absl::Status CreateSecret(const TrialLaunch& launch);
  // DELETEs each object (a missing one counts as deleted); returns the names it could not.
  std::vector<std::string> DeleteObjects(
      const std::vector<std::pair<const k8s::ResourceType*, std::string>>& doomed);

  const std::shared_ptr<k8s::KubeClient> client_;
  const Options options_;
  const std::string selector_;
  k8s::Cancellation cancel_;

  absl::Mutex mu_;
  std::map<std::string, Tracked> trials_ ABSL_GUARDED_BY(mu_);  // by trial id
  std::vector<Notice> deferred_ ABSL_GUARDED_BY(mu_);           // for the housekeeper to deliver
  bool watching_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);  // joined by StopThreads
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_KUBERNETES_KUBERNETES_TRIAL_BACKEND_H_
