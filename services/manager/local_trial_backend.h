#ifndef DLKIT_SERVICES_MANAGER_LOCAL_TRIAL_BACKEND_H_
#define DLKIT_SERVICES_MANAGER_LOCAL_TRIAL_BACKEND_H_

// Runs each trial on this machine as `dlkit-reporter ... -- <trialCommand>`.

#include <sys/types.h>

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/manager/trial_backend.h"

namespace dlkit {

class LocalTrialBackend final : public TrialBackend {
 public:
  struct Options {
    std::string reporter_binary;  // path to dlkit-reporter
    std::string manager_address;  // where the Reporter finds ManagerService
    std::string python_path;      // so trials can `import dlkit` / `import nni`
    int grace_seconds = 10;
  };

  explicit LocalTrialBackend(Options options) : options_(std::move(options)) {}
  ~LocalTrialBackend() override { TerminateAll(); }

  absl::Status Launch(const TrialLaunch& launch, GoneCallback on_gone) override;
  void Terminate(const std::string& trial_id) override;
  void TerminateAll() override;

 private:
  const Options options_;
  absl::Mutex mu_;
  std::map<std::string, pid_t> running_ ABSL_GUARDED_BY(mu_);  // trial id -> reporter pid
  int active_waiters_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_MANAGER_LOCAL_TRIAL_BACKEND_H_
