#ifndef DLKIT_SERVICES_REPORTER_TRIAL_PROCESS_H_
#define DLKIT_SERVICES_REPORTER_TRIAL_PROCESS_H_

// The user's trial command as a child process in its own process group, its output
// appended to a log file and handed line by line to a callback.

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace dlkit {

struct TrialExitInfo {
  int exit_code = 0;  // meaningful when signal == 0
  int signal = 0;     // the signal that ended the process, if any
};

class TrialProcess {
 public:
  struct Options {
    std::string command;  // run with /bin/sh -c
    std::string working_directory;
    std::vector<std::string> extra_env;  // "KEY=VALUE", added to (and overriding) ours
    std::string log_path;                // stdout and stderr, appended
    std::function<void(const std::string& line)> on_stdout_line;  // may be empty
  };

  static absl::StatusOr<std::unique_ptr<TrialProcess>> Start(Options options);
  ~TrialProcess();

  pid_t pid() const { return pid_; }
  // Sends `signal_number` to the whole process group (the shell and what it started).
  void SignalGroup(int signal_number) const;
  // Blocks until the process has exited and its output is fully written to the log.
  TrialExitInfo Wait();

 private:
  TrialProcess(Options options, pid_t pid, int output_fd);
  void PumpOutput();

  Options options_;
  pid_t pid_;
  int output_fd_;
  std::thread pump_;
};

// The last `max_lines` lines (at most `max_bytes`) of a file; "" when unreadable.
std::string ReadLogTail(const std::string& path, int max_lines, size_t max_bytes);

// A line such as "[dlkit] intermediate_result: 0.93" (what the SDK prints outside an
// experiment) turned into a kind and value, for trials that print instead of using the SDK.
struct StdoutMetric {
  std::string kind;  // "intermediate_result", "loss" or "final_result"
  double value = 0;
};
bool ParseStdoutMetric(const std::string& line, StdoutMetric* metric);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_REPORTER_TRIAL_PROCESS_H_
