#ifndef DLKIT_SERVICES_MANAGER_LOCAL_TRIAL_BACKEND_H_
#define DLKIT_SERVICES_MANAGER_LOCAL_TRIAL_BACKEND_H_

// Runs each trial on this machine as `dlkit-reporter ... -- <trialCommand>`.
//
// A Reporter outlives the daemon that started it: it keeps its trial running and comes back
// to the next daemon. So that the next daemon can follow it, each trial's folder holds
// `.dlkit-reporter.pid` with the Reporter's pid and its start time (which tells it from a
// later process that got the same pid).

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/manager/trial_backend.h"

namespace dlkit {

class LocalTrialBackend final : public TrialBackend {
 public:
  struct Options {
    std::string reporter_binary;  // path to dlkit-reporter
    std::string manager_address;  // where the Reporter finds ManagerService
    std::string python_path;      // so trials can `import dlkit` / `import nni`
    int grace_seconds = 10;
    // How long a trial runs on without its daemon (zero: the Reporter's default).
    absl::Duration reconnect_window = absl::ZeroDuration();
  };

  explicit LocalTrialBackend(Options options);
  ~LocalTrialBackend() override;

  absl::Status Launch(const TrialLaunch& launch, GoneCallback on_gone) override;
  void Terminate(const std::string& trial_id) override;
  void TerminateAll() override;
  bool TrialsOutliveManager() const override { return true; }
  absl::Status Adopt(const TrialLaunch& launch, GoneCallback on_gone) override;
  void Release() override;

 private:
  // Shared with the threads that follow the Reporters, which may outlive this object
  // after Release (a Reporter that is a child is still waited for, so it is reaped).
  struct Followed {
    absl::Mutex mu;
    std::map<std::string, pid_t> running ABSL_GUARDED_BY(mu);  // trial id -> reporter pid
    int followers ABSL_GUARDED_BY(mu) = 0;                     // threads waiting for a Reporter
    int callbacks_running ABSL_GUARDED_BY(mu) = 0;
    bool released ABSL_GUARDED_BY(mu) = false;  // no more callbacks
  };
  // Called by a follower once its Reporter is gone.
  static void ReporterGone(const std::shared_ptr<Followed>& followed, const std::string& trial_id,
                           const GoneCallback& on_gone, const std::string& why);

  const Options options_;
  std::shared_ptr<Followed> followed_;
};

// The pid file's name in a trial's folder, and the start time of process `pid` in clock
// ticks since boot (/proc/PID/stat), or -1 when there is no such live process.
inline constexpr char kReporterPidFile[] = ".dlkit-reporter.pid";
long long ProcessStartTime(pid_t pid);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_MANAGER_LOCAL_TRIAL_BACKEND_H_
