#ifndef DLKIT_CLI_TESTING_FAKE_DLKIT_SERVER_H_
#define DLKIT_CLI_TESTING_FAKE_DLKIT_SERVER_H_

// A LauncherService and ManagerService with canned data on a real port, for dlctl's tests.
// It records what it was asked, can fail a number of submissions, and plays a scripted
// WatchExperiment stream. ListTrials filters and pages like the real one but does not sort
// (so the tests see the CLI's own ordering); without include_series it drops the series.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dlkit/v1/launcher.grpc.pb.h"
#include "dlkit/v1/manager.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace dlkit::cli::testing {

class FakeDlkitServer {
 public:
  // Binds `address` ("127.0.0.1:0" picks a free port).
  static absl::StatusOr<std::unique_ptr<FakeDlkitServer>> Start(
      const std::string& address = "127.0.0.1:0");
  ~FakeDlkitServer();

  std::string address() const { return address_; }
  void Shutdown();

  // ---- canned data ----
  void AddExperiment(const v1::Experiment& experiment);
  void SetTrials(const std::string& experiment_id, const std::vector<v1::Trial>& trials);
  void SetLog(const std::string& trial_id, const std::string& text);
  // Played by WatchExperiment, `gap` between messages; then the stream ends OK.
  void SetWatchScript(const std::vector<v1::WatchExperimentResponse>& script, absl::Duration gap);
  // The next `count` SubmitExperiment calls fail with `code`.
  void FailSubmits(int count, grpc::StatusCode code);
  // Called (on a server thread) when ShutdownDaemon arrives.
  void OnShutdown(std::function<void()> callback);

  // ---- what was asked ----
  std::vector<v1::SubmitExperimentRequest> submits() const;
  std::vector<v1::ListTrialsRequest> list_trials_requests() const;
  std::vector<v1::UpdateExperimentRequest> updates() const;
  std::vector<std::string> killed() const;
  std::vector<v1::ReadTrialLogRequest> log_requests() const;
  int watch_calls() const;
  int shutdown_calls() const;
  v1::Experiment experiment(const std::string& id) const;

 private:
  class Launcher;
  class Manager;

  FakeDlkitServer() = default;

  mutable absl::Mutex mu_;
  std::map<std::string, v1::Experiment> experiments_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<v1::Trial>> trials_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> logs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> submitted_ ABSL_GUARDED_BY(mu_);  // request id -> exp
  std::vector<v1::WatchExperimentResponse> watch_script_ ABSL_GUARDED_BY(mu_);
  absl::Duration watch_gap_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  int fail_submits_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::StatusCode fail_code_ ABSL_GUARDED_BY(mu_) = grpc::StatusCode::UNAVAILABLE;
  std::function<void()> on_shutdown_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::SubmitExperimentRequest> submits_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::ListTrialsRequest> list_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::UpdateExperimentRequest> updates_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> killed_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::ReadTrialLogRequest> log_requests_ ABSL_GUARDED_BY(mu_);
  int watch_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int shutdown_calls_ ABSL_GUARDED_BY(mu_) = 0;

  std::unique_ptr<Launcher> launcher_;
  std::unique_ptr<Manager> manager_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace dlkit::cli::testing

#endif  // DLKIT_CLI_TESTING_FAKE_DLKIT_SERVER_H_
