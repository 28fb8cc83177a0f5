#ifndef DLKIT_SERVICES_MANAGER_TRIAL_BACKEND_H_
#define DLKIT_SERVICES_MANAGER_TRIAL_BACKEND_H_

// Where trials run. The local backend starts a dlkit-reporter child per trial; the
// Kubernetes backend (kubernetes_trial_backend.h) creates Jobs / PyTorchJobs / TFJobs whose
// master container is dlkit-reporter. Either way the trial's Reporter calls back on
// ManagerService.TrialSession.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "dlkit/v1/types.pb.h"

namespace dlkit {

struct TrialLaunch {
  std::string experiment_id;
  std::string trial_id;
  int64_t index = 0;
  std::string secret;
  std::string log_path;
  std::string output_dir;
  std::string parameters_json;  // the parameters as the SDK returns them (NNI's shape)
  v1::ExperimentSpec spec;
};

// Where a trial's Reporter reports to and keeps its files, as seen from where it runs.
struct ReporterPlaces {
  std::string manager_address;
  std::string log_path;
  std::string output_dir;
  std::string python_path;
  int grace_seconds = 10;
  bool exit_like_trial = false;  // exit with the trial's code (a pod shows how it ended)
  bool stream_log = false;       // copy the log to the Manager (it cannot read log_path)
  // How long the trial runs on while its Manager is unreachable (zero: the Reporter's own).
  absl::Duration reconnect_window = absl::ZeroDuration();
};

// dlkit-reporter's arguments for `launch` (without the program), ending with the trial
// command after "--".
inline std::vector<std::string> ReporterArgs(const TrialLaunch& launch,
                                             const ReporterPlaces& places) {
  std::vector<std::string> args = {
      "--manager=" + places.manager_address,
      "--experiment=" + launch.experiment_id,
      "--trial=" + launch.trial_id,
      absl::StrCat("--sequence=", launch.index),
      "--log=" + places.log_path,
      "--workdir=" + launch.spec.trial_code_directory(),
      "--output_dir=" + places.output_dir,
      "--python_path=" + places.python_path,
      "--objective_metric=" + launch.spec.objective().metric(),
      absl::StrCat("--grace_seconds=", places.grace_seconds),
  };
  if (places.exit_like_trial) args.push_back("--exit_like_trial");
  if (places.stream_log) args.push_back("--stream_log");
  if (places.reconnect_window > absl::ZeroDuration()) {
    args.push_back("--reconnect_window=" + absl::FormatDuration(places.reconnect_window));
  }
  args.push_back("--");
  args.push_back(launch.spec.trial_command());
  return args;
}

class TrialBackend {
 public:
  // Told when a launched trial's unit of work (reporter process, Job) is gone, with a
  // description such as "reporter exited with code 1".
  using GoneCallback = std::function<void(const std::string& trial_id, const std::string& why)>;

  virtual ~TrialBackend() = default;
  virtual absl::Status Launch(const TrialLaunch& launch, GoneCallback on_gone) = 0;
  // Ends a trial without its Reporter's help (its session is gone or never came).
  virtual void Terminate(const std::string& trial_id) = 0;
  // Ends every trial and waits for them (the daemon is going away).
  virtual void TerminateAll() = 0;

  // Whether trials run on when the Manager's process ends (a cluster's objects do, a local
  // child does not). If so, a Manager that goes away leaves them running (Release) and the
  // next one, on the same store, takes them over (Adopt) instead of counting them lost.
  virtual bool TrialsOutliveManager() const { return false; }
  // Follows a trial that an earlier Manager launched as `launch`, as Launch would have.
  // NOT_FOUND when its unit of work is gone. The callback may run at once on another thread.
  virtual absl::Status Adopt(const TrialLaunch& launch, GoneCallback on_gone) {
    return absl::UnimplementedError("this backend cannot take over running trials");
  }
  // Stops following trials and leaves them running (for TrialsOutliveManager backends).
  virtual void Release() {}
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_MANAGER_TRIAL_BACKEND_H_
