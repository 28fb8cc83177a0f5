#ifndef DLKIT_SERVICES_MANAGER_TRIAL_BACKEND_H_
#define DLKIT_SERVICES_MANAGER_TRIAL_BACKEND_H_

// Where trials run. The local backend starts a dlkit-reporter child per trial; the
// Kubernetes backend (kubernetes_trial_backend.h) creates Jobs / PyTorchJobs / TFJobs whose
// master container is dlkit-reporter. Either way the trial's Reporter calls back on
// ManagerService.TrialSession.

#include <functional>
#include <string>

#include "absl/status/status.h"
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
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_MANAGER_TRIAL_BACKEND_H_
