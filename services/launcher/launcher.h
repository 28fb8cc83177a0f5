#ifndef DLKIT_SERVICES_LAUNCHER_LAUNCHER_H_
#define DLKIT_SERVICES_LAUNCHER_LAUNCHER_H_

// The Launcher: accepts experiments, keeps the registry of them under $DLKIT_HOME, and owns
// one ExperimentManager per experiment (local mode: all in this process). It is also the
// directory the Manager service uses to route calls.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dlkit/v1/launcher.pb.h"
#include "dlkit/v1/tuner.grpc.pb.h"
#include "services/launcher/cluster_experiments.h"
#include "services/launcher/experiment_registry.h"
#include "services/manager/manager_directory.h"

namespace dlkit {

// Someone following the list of experiments (WatchExperiments).
class ExperimentListWatcher {
 public:
  virtual ~ExperimentListWatcher() = default;
  // A local experiment's manager: each one there is when the watch starts, then each new one.
  // Called with the Launcher's lock held: do not call the Launcher back.
  virtual void OnManager(const std::shared_ptr<ExperimentManager>& manager) = 0;
  // A cluster experiment as it changed (its Manager is in the cluster: polled while someone
  // watches). Under the Launcher's lock too.
  virtual void OnClusterExperiment(const v1::Experiment& experiment) = 0;
  virtual void OnDeleted(const std::string& experiment_id) = 0;
};

class Launcher final : public ManagerDirectory {
 public:
  struct Options {
    std::string home;     // $DLKIT_HOME
    std::string address;  // where this daemon's services answer (set by Start)
    // Where local trials' Reporters call (default: `address`); a private Unix socket when
    // `address` is TLS, which the Reporters do not speak.
    std::string trial_address;
    std::string reporter_binary;  // dlkit-reporter, for local trials
    std::string python_path;      // the dlkit/nni packages, for local trials
    int grace_seconds = 10;
    // How long a local trial runs on while the daemon is away (zero: the Reporter's default).
    absl::Duration trial_reconnect_window = absl::ZeroDuration();
    // Cluster mode: experiments with trainingService.platform kubernetes are created
    // there (null: this daemon has no cluster and refuses them).
    std::shared_ptr<ClusterExperiments> cluster;
    // How often, while the list is watched, cluster experiments are asked how they are.
    absl::Duration cluster_poll_interval = absl::Seconds(2);
  };

  // Opens the registry under options.home (creating the folder).
  static absl::StatusOr<std::unique_ptr<Launcher>> Open(Options options);
  // Connects the Tuner and opens every registered experiment. Experiments that were running
  // when the previous daemon went away go on, with the trials that survived it. (Two steps, because
  // in the daemon the Tuner's channel exists only once the server that hosts this Launcher has
  // started.) `address` is where this Launcher's server answers (known once it has bound its port);
  // local trials' Reporters call the Managers there.
  void Start(std::shared_ptr<v1::TunerService::StubInterface> tuner, const std::string& address);
  ~Launcher() override;

  absl::StatusOr<v1::SubmitExperimentResponse> Submit(const v1::SubmitExperimentRequest& request);
  absl::StatusOr<v1::ValidateExperimentResponse> Validate(
      const v1::ValidateExperimentRequest& request);
  std::vector<v1::Experiment> List();
  absl::StatusOr<v1::Experiment> Get(const std::string& id);
  absl::StatusOr<v1::Experiment> Stop(const std::string& id);
  absl::StatusOr<v1::Experiment> Resume(const std::string& id);
  absl::Status Delete(const std::string& id);
  int RunningCount();
  // Calls watcher->OnManager for every local experiment now and for each one submitted,
  // OnClusterExperiment for each change of a cluster one, and OnDeleted for each one
  // deleted, until UnwatchList (after which it is never called).
  void WatchList(ExperimentListWatcher* watcher);
  void UnwatchList(ExperimentListWatcher* watcher);
  // Ends every manager; running trials go on for the next daemon unless `kill_trials`
  // (then they end KILLED and their experiments STOPPED).
  void Shutdown(bool kill_trials = false);
  // Makes the coming Shutdown kill the running trials (`dlctl daemon stop --kill-trials`).
  void KillTrialsAtShutdown() {
    absl::MutexLock lock(&mu_);
    kill_trials_at_shutdown_ = true;
  }

  absl::StatusOr<std::shared_ptr<ExperimentManager>> FindManager(
      const std::string& experiment_id) override;
  // A cluster experiment's own Manager: the daemon's ManagerService passes its calls on.
  std::shared_ptr<v1::ManagerService::StubInterface> RemoteManager(
      const std::string& experiment_id) override;

  std::string home() const { return options_.home; }
  // Before Start: see Options::trial_address.
  void set_trial_address(std::string address) {
    absl::MutexLock lock(&mu_);
    options_.trial_address = std::move(address);
  }
  std::string address() {
    absl::MutexLock lock(&mu_);
    return options_.address;
  }

 private:
  Launcher(Options options, std::unique_ptr<ExperimentRegistry> registry);
  ExperimentManager::Options ManagerOptions(const std::string& directory)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<std::string>> CheckSpec(const v1::ExperimentSpec& spec);
  std::string NewExperimentId() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::SubmitExperimentResponse> SubmitToCluster(
      const v1::SubmitExperimentRequest& request, const v1::ExperimentSpec& spec,
      std::vector<std::string> warnings);
  // The namespace of a cluster experiment registered as `entry`, or "" for a local one.
  static std::string ClusterNamespace(const RegistryEntry& entry);
  // A cluster experiment's registry entry: NotFound when `id` is none.
  absl::StatusOr<RegistryEntry> ClusterEntry(const std::string& id);
  // The cluster experiments, as their Managers (or ConfigMaps) tell, but those in `skip`.
  std::vector<v1::Experiment> ClusterExperiments(const std::set<std::string>& skip)
      ABSL_LOCKS_EXCLUDED(mu_);
  // While the list is watched: tells the watchers each cluster experiment that changed.
  void PollClusterLoop();

  absl::Mutex mu_;
  Options options_;  // address is set once, in Start, before any manager exists
  std::shared_ptr<v1::TunerService::StubInterface> tuner_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<ExperimentRegistry> registry_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<ExperimentManager>> managers_ ABSL_GUARDED_BY(mu_);
  std::set<ExperimentListWatcher*> list_watchers_ ABSL_GUARDED_BY(mu_);
  // PollClusterLoop's: what each cluster experiment last looked like (serialised).
  std::map<std::string, std::string> cluster_seen_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;  // Start has opened the experiments
  bool kill_trials_at_shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::thread cluster_poller_;
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_LAUNCHER_LAUNCHER_H_
