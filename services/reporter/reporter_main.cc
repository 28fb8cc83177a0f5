// dlkit-reporter: wraps one trial process.
//
//   dlkit-reporter --manager=HOST:PORT --trial=ID --secret=S --log=FILE [...] -- COMMAND
//
// Holds the trial's session with its Manager, runs COMMAND in its own process group with the
// trial's environment, serves the trainer SDK on a local socket, forwards metrics (also
// those printed as "[dlkit] ..." lines), and reports the exit status. On a stop command it
// sends SIGTERM, then SIGKILL after the grace period.

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "base/logging.h"
#include "services/common/server_runner.h"
#include "services/reporter/manager_session.h"
#include "services/reporter/reporter_service.h"
#include "services/reporter/trial_process.h"

ABSL_FLAG(std::string, manager, "127.0.0.1:9870", "the Manager's address");
ABSL_FLAG(std::string, experiment, "", "experiment id");
ABSL_FLAG(std::string, trial, "", "trial id");
ABSL_FLAG(int64_t, sequence, 0, "the trial's index in its experiment");
ABSL_FLAG(std::string, log, "trial.log", "file that receives the trial's stdout and stderr");
ABSL_FLAG(std::string, workdir, "", "the trial code directory");
ABSL_FLAG(std::string, output_dir, "", "the trial's own output folder");
ABSL_FLAG(std::string, python_path, "", "prepended to PYTHONPATH so `import dlkit` works");
ABSL_FLAG(std::string, objective_metric, "", "metric name picked from dict reports");
ABSL_FLAG(int32_t, grace_seconds, 10, "SIGTERM to SIGKILL delay on a stop");
ABSL_FLAG(bool, exit_like_trial, false,
          "once the trial's end is reported, exit with the trial's own code (128 + signal if it "
          "was killed) instead of 0, so that a pod and its Job show how the trial ended");
ABSL_FLAG(absl::Duration, reconnect_window, absl::Minutes(30),
          "how long the trial runs on (and its results are kept) while its Manager is "
          "unreachable; then the trial is killed");
ABSL_FLAG(bool, stream_log, false,
          "copy the trial's log to the Manager as it grows (for a Manager that cannot read "
          "--log, as a cluster trial's)");

namespace dlkit {
namespace {

constexpr int kLogTailLines = 20;

// When the Reporter itself is told to go, the trial goes with it (no orphans).
std::atomic<pid_t> g_trial_group{0};

void OnTerminate(int signal_number) {
  pid_t group = g_trial_group.load();
  if (group > 0) kill(-group, SIGKILL);
  _exit(128 + signal_number);
}

constexpr size_t kLogTailBytes = 4096;

// The trial's secret travels in the environment, not on the command line (ps shows that).
std::string SecretFromEnvironment() {
  const char* secret = getenv("DLKIT_TRIAL_SECRET");
  return secret == nullptr ? "" : secret;
}

std::vector<std::string> TrialEnvironment(const std::string& socket_target,
                                          const std::string& secret) {
  std::string python_path = absl::GetFlag(FLAGS_python_path);
  const char* existing = getenv("PYTHONPATH");
  if (existing != nullptr && *existing != '\0') {
    python_path = python_path.empty() ? existing : absl::StrCat(python_path, ":", existing);
  }
  const std::string trial = absl::GetFlag(FLAGS_trial);
  const std::string experiment = absl::GetFlag(FLAGS_experiment);
  const std::string sequence = absl::StrCat(absl::GetFlag(FLAGS_sequence));
  const std::string output_dir = absl::GetFlag(FLAGS_output_dir);
  std::vector<std::string> env = {
      "DLKIT_REPORTER_ADDRESS=" + socket_target,
      "DLKIT_TRIAL_SECRET=" + secret,
      "DLKIT_TRIAL_ID=" + trial,
      "DLKIT_EXPERIMENT_ID=" + experiment,
      "DLKIT_TRIAL_SEQUENCE=" + sequence,
      "DLKIT_OUTPUT_DIR=" + output_dir,
      // NNI's names, so code that reads them keeps working.
      "NNI_PLATFORM=local",
      "NNI_EXP_ID=" + experiment,
      "NNI_TRIAL_JOB_ID=" + trial,
      "NNI_TRIAL_SEQ_ID=" + sequence,
      "NNI_OUTPUT_DIR=" + output_dir,
      "PYTHONUNBUFFERED=1",
  };
  if (!python_path.empty()) env.push_back("PYTHONPATH=" + python_path);
  if (!absl::GetFlag(FLAGS_objective_metric).empty()) {
    env.push_back("DLKIT_OBJECTIVE_METRIC=" + absl::GetFlag(FLAGS_objective_metric));
  }
  return env;
}

int Run(const std::string& command) {
  const std::string secret = SecretFromEnvironment();
  // Unix socket paths are limited to ~108 bytes, so the socket lives in a short /tmp folder.
  char socket_dir_template[] = "/tmp/dlkit-r.XXXXXX";
  if (mkdtemp(socket_dir_template) == nullptr) {
    dlkit::Log() << "cannot create a socket folder in /tmp";
    return 1;
  }
  const std::string socket_dir = socket_dir_template;
  const std::string socket_target = absl::StrCat("unix:", socket_dir, "/reporter.sock");

  // Stop handling: set by the session's reader thread, acted on by the watchdog below.
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stop_requested = false, process_done = false;
  bool stopped_on_request = false;
  v1::StopCommand stop_command;
  ReporterServiceImpl* service_ptr = nullptr;

  ManagerSession::Options session_options;
  session_options.manager_address = absl::GetFlag(FLAGS_manager);
  session_options.experiment_id = absl::GetFlag(FLAGS_experiment);
  session_options.trial_id = absl::GetFlag(FLAGS_trial);
  session_options.secret = secret;
  session_options.reconnect_window = absl::GetFlag(FLAGS_reconnect_window);
  if (!absl::GetFlag(FLAGS_output_dir).empty()) {
    session_options.spill_path = absl::GetFlag(FLAGS_output_dir) + "/.dlkit-unacked-reports";
  }
  if (absl::GetFlag(FLAGS_stream_log)) session_options.stream_log = absl::GetFlag(FLAGS_log);
  // The session opens in the background while the trial starts: the trial's parameters are
  // already in its environment (DLKIT_TRIAL_PARAMETERS, from the Manager).
  std::unique_ptr<ManagerSession> session =
      ManagerSession::Start(session_options, [&](const v1::StopCommand& stop) {
        std::lock_guard<std::mutex> lock(stop_mu);
        if (service_ptr != nullptr) service_ptr->MarkShouldStop();
        stop_requested = true;
        stop_command = stop;
        stop_cv.notify_all();
      });

  ReporterServiceImpl service({absl::GetFlag(FLAGS_trial), absl::GetFlag(FLAGS_experiment), secret,
                               absl::GetFlag(FLAGS_sequence)},
                              session.get());
  {
    std::lock_guard<std::mutex> lock(stop_mu);
    service_ptr = &service;
    if (stop_requested) service.MarkShouldStop();
  }
  auto server = StartServer(socket_target, {&service});
  if (!server.ok()) {
    dlkit::Log() << server.status().message();
    session.reset();
    std::filesystem::remove_all(socket_dir);
    return 1;
  }

  TrialProcess::Options process_options;
  process_options.command = command;
  process_options.working_directory = absl::GetFlag(FLAGS_workdir);
  process_options.extra_env = TrialEnvironment(socket_target, secret);
  process_options.log_path = absl::GetFlag(FLAGS_log);
  process_options.on_stdout_line = [&service](const std::string& line) {
    StdoutMetric metric;
    if (!ParseStdoutMetric(line, &metric)) return;
    v1::MetricKind kind = metric.kind == "final_result" ? v1::FINAL
                          : metric.kind == "loss"       ? v1::LOSS
                                                        : v1::INTERMEDIATE;
    (void)service.Forward(kind, metric.value, "default");
  };
  auto process = TrialProcess::Start(process_options);
  TrialExitInfo exit_info;
  std::string start_error;
  if (!process.ok()) {
    start_error = std::string(process.status().message());
    exit_info.exit_code = 127;
  } else {
    g_trial_group = (*process)->pid();
    session->SendStarted();
    // Watchdog: a stop command ends the process (EARLY_STOPPED gives the trial the grace
    // period to stop by itself first); a lost Manager ends it too.
    std::thread watchdog([&] {
      std::unique_lock<std::mutex> lock(stop_mu);
      const auto grace = std::chrono::seconds(absl::GetFlag(FLAGS_grace_seconds));
      while (!process_done) {
        stop_cv.wait_for(lock, std::chrono::seconds(1));
        if (process_done) return;
        if (session->lost()) {
          (*process)->SignalGroup(SIGKILL);
          return;
        }
        if (!stop_requested) continue;
        stopped_on_request = true;
        if (stop_command.reason() == v1::EARLY_STOPPED &&
            stop_cv.wait_for(lock, grace, [&] { return process_done; })) {
          return;
        }
        (*process)->SignalGroup(SIGTERM);
        if (stop_cv.wait_for(lock, grace, [&] { return process_done; })) return;
        (*process)->SignalGroup(SIGKILL);
        return;
      }
    });
    exit_info = (*process)->Wait();
    {
      std::lock_guard<std::mutex> lock(stop_mu);
      process_done = true;
      stop_cv.notify_all();
    }
    watchdog.join();
  }

  v1::TrialExit exit;
  exit.set_exit_code(exit_info.exit_code);
  exit.set_signal(exit_info.signal);
  exit.set_stopped_on_request(stopped_on_request);
  exit.set_log_tail(start_error.empty()
                        ? ReadLogTail(absl::GetFlag(FLAGS_log), kLogTailLines, kLogTailBytes)
                        : start_error);
  // A Manager that is away when the trial ends gets the whole window to come back for it.
  absl::Status finished = session->Finish(exit, session_options.reconnect_window);
  server->server->Shutdown();
  session.reset();  // joins the session's thread while `service` still exists
  std::filesystem::remove_all(socket_dir);
  std::error_code ignored;
  if (!session_options.spill_path.empty())
    std::filesystem::remove(session_options.spill_path, ignored);
  if (!finished.ok()) {
    dlkit::Log() << finished.message();
    return 1;
  }
  if (absl::GetFlag(FLAGS_exit_like_trial)) {
    return exit_info.signal != 0 ? 128 + exit_info.signal : exit_info.exit_code;
  }
  return 0;
}

}  // namespace
}  // namespace dlkit

int main(int argc, char** argv) {
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  dlkit::SetProgramName("dlkit-reporter");
  // absl stops at "--"; what follows is the trial command.
  std::vector<std::string> words(positional.begin() + 1, positional.end());
  if (words.empty()) {
    std::cerr << "usage: dlkit-reporter --manager=ADDR --trial=ID --log=FILE -- COMMAND\n";
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, dlkit::OnTerminate);
  signal(SIGINT, dlkit::OnTerminate);
  signal(SIGHUP, dlkit::OnTerminate);
  return dlkit::Run(absl::StrJoin(words, " "));
}
