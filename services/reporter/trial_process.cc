#include "services/reporter/trial_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/private_files.h"
#include "services/common/spawn.h"

extern char** environ;

namespace dlkit {
namespace {

// Our environment with `extra` ("KEY=VALUE") added or replacing entries.
std::vector<std::string> MergedEnvironment(const std::vector<std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const std::string& entry : extra) {
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  std::vector<std::string> out;
  for (const auto& [key, value] : env) out.push_back(key + "=" + value);
  return out;
}

// A simple command runs as `exec COMMAND`: the shell becomes the trial instead of waiting
// for it (one process less per trial, and signals reach the trial directly).
std::string ShellCommand(const std::string& command) {
  if (command.find_first_of(";&|\n()`") != std::string::npos) return command;
  return "exec " + command;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TrialProcess>> TrialProcess::Start(Options options) {
  int log_fd = open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot open trial log ", options.log_path, ": ", std::strerror(errno)));
  }
  close(log_fd);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  SpawnOptions spawn;
  spawn.argv = {"/bin/sh", "-c", ShellCommand(options.command)};
  spawn.env = MergedEnvironment(options.extra_env);
  spawn.output_fd = pipe_fds[1];
  spawn.working_directory = options.working_directory;
  spawn.new_process_group = true;  // so a stop reaches the shell and all it started
  // The trial writes its own files with the user's umask, not the daemon's private one
  // (posix_spawn has no umask attribute: the child inherits ours at this instant).
  const mode_t reporter_umask = umask(TrialUmask());
  absl::StatusOr<pid_t> spawned = Spawn(spawn);
  umask(reporter_umask);
  close(pipe_fds[1]);
  if (!spawned.ok()) {
    close(pipe_fds[0]);
    return spawned.status();
  }
  const pid_t pid = *spawned;
  return std::unique_ptr<TrialProcess>(new TrialProcess(std::move(options), pid, pipe_fds[0]));
}

TrialProcess::TrialProcess(Options options, pid_t pid, int output_fd)
    : options_(std::move(options)), pid_(pid), output_fd_(output_fd) {
  pump_ = std::thread([this] { PumpOutput(); });
}

TrialProcess::~TrialProcess() {
  if (pump_.joinable()) {
    SignalGroup(SIGKILL);
    Wait();
  }
}

void TrialProcess::SignalGroup(int signal_number) const { kill(-pid_, signal_number); }

void TrialProcess::PumpOutput() {
  FILE* log = fopen(options_.log_path.c_str(), "ae");
  std::string partial;
  char buffer[8192];
  while (true) {
    ssize_t n = read(output_fd_, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (log != nullptr) {
      fwrite(buffer, 1, static_cast<size_t>(n), log);
      fflush(log);  // so `dlctl logs --follow` sees output as it comes
    }
    if (!options_.on_stdout_line) continue;
    partial.append(buffer, static_cast<size_t>(n));
    size_t start = 0, newline;
    while ((newline = partial.find('\n', start)) != std::string::npos) {
      options_.on_stdout_line(partial.substr(start, newline - start));
      start = newline + 1;
    }
    partial.erase(0, start);
  }
  if (!partial.empty() && options_.on_stdout_line) options_.on_stdout_line(partial);
  if (log != nullptr) fclose(log);
  close(output_fd_);
}

TrialExitInfo TrialProcess::Wait() {
  TrialExitInfo info;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    info.signal = WTERMSIG(status);
    info.exit_code = 128 + info.signal;
  } else {
    info.exit_code = WEXITSTATUS(status);
  }
  // Children the shell left behind keep the pipe open; they go with the group.
  SignalGroup(SIGKILL);
  if (pump_.joinable()) pump_.join();
  return info;
}

std::string ReadLogTail(const std::string& path, int max_lines, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  std::streamoff size = in.tellg();
  std::streamoff start = size > static_cast<std::streamoff>(max_bytes)
                             ? size - static_cast<std::streamoff>(max_bytes)
                             : 0;
  in.seekg(start);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  size_t pos = text.size();
  for (int lines = 0; lines < max_lines && pos != std::string::npos && pos > 0; ++lines) {
    pos = text.rfind('\n', pos - 1);
  }
  if (pos != std::string::npos && pos < text.size() && text[pos] == '\n') ++pos;
  if (pos == std::string::npos) pos = 0;
  return text.substr(pos);
}

bool ParseStdoutMetric(const std::string& line, StdoutMetric* metric) {
  absl::string_view rest = absl::StripTrailingAsciiWhitespace(line);
  if (!absl::ConsumePrefix(&rest, "[dlkit] ")) return false;
  for (const char* kind : {"intermediate_result", "loss", "final_result"}) {
    absl::string_view value = rest;
    if (absl::ConsumePrefix(&value, kind) && absl::ConsumePrefix(&value, ":")) {
      metric->kind = kind;
      return absl::SimpleAtod(absl::StripAsciiWhitespace(value), &metric->value);
    }
  }
  return false;
}

}  // namespace dlkit
