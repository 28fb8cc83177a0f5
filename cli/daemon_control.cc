#include "cli/daemon_control.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/table.h"
#include "cli/value_format.h"
#include "services/common/address.h"
#include "services/common/private_files.h"

namespace dlkit::cli {
namespace {

constexpr char kDaemonName[] = "dlkitd";
constexpr int kLogTailLines = 20;
constexpr absl::Duration kPollInterval = absl::Milliseconds(200);
constexpr absl::Duration kStopTimeout = absl::Seconds(10);

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

std::string LogPath(const DaemonOptions& options) {
  return absl::StrCat(options.home, "/daemon.log");
}

std::optional<std::string> Env(const DaemonOptions& options, const std::string& name) {
  if (!options.env) return std::nullopt;
  return options.env(name);
}

bool NoDaemon(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

void PrintLogTail(const DaemonOptions& options, std::ostream& err) {
  std::string tail = TailFile(LogPath(options), kLogTailLines);
  if (tail.empty()) return;
  err << "dlctl: last lines of " << LogPath(options) << ":\n" << tail;
  if (tail.back() != '\n') err << "\n";
}

// Whether process `pid` (our child) has exited; fills `how`.
bool ChildExited(int pid, std::string* how) {
  if (pid <= 0) return false;
  int wstatus = 0;
  if (waitpid(pid, &wstatus, WNOHANG) != pid) return false;
  if (WIFEXITED(wstatus)) {
    *how = absl::StrCat("exited with code ", WEXITSTATUS(wstatus));
  } else if (WIFSIGNALED(wstatus)) {
    *how = absl::StrCat("was killed by signal ", WTERMSIG(wstatus));
  } else {
    *how = "ended";
  }
  return true;
}

void PrintDaemonStatus(const v1::GetDaemonStatusResponse& status, const CommandContext& ctx,
                       std::ostream& out) {
  if (ctx.output == OutputFormat::kJson) {
    nlohmann::json j = {{"address", status.address().empty() ? ctx.address : status.address()},
                        {"pid", status.pid()},
                        {"version", status.version()},
                        {"home", status.home()},
                        {"experiments_running", status.experiments_running()},
                        {"dashboard", status.dashboard_url().empty()
                                          ? nlohmann::json()
                                          : nlohmann::json(status.dashboard_url())}};
    out << j.dump(2) << "\n";
    return;
  }
  std::vector<std::pair<std::string, std::string>> items = {
      {"address", status.address().empty() ? ctx.address : status.address()},
      {"pid", absl::StrCat(status.pid())},
      {"version", status.version()},
      {"home", status.home()},
      {"running experiments", absl::StrCat(status.experiments_running())},
  };
  // A one-time login link (see docs/security.md): open it to log the browser in.
  if (!status.dashboard_url().empty()) items.push_back({"dashboard", status.dashboard_url()});
  out << RenderKeyValues(items);
}

}  // namespace

bool IsLocalAddress(absl::string_view address) {
  if (IsUnixAddress(address)) return true;
  const std::string host = AddressHost(address);
  return host.empty() || host == "0.0.0.0" || IsLoopbackHost(host);
}

std::string TailFile(const std::string& path, int lines) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return "";
  std::deque<std::string> last;
  std::string line;
  while (std::getline(file, line)) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  if (last.empty()) return "";
  return absl::StrCat(absl::StrJoin(last, "\n"), "\n");
}

absl::StatusOr<std::string> FindDaemonBinary(const DaemonOptions& options) {
  std::vector<std::string> looked;
  if (std::optional<std::string> bin = Env(options, "DLKIT_DAEMON_BIN"); bin && !bin->empty()) {
    if (IsExecutableFile(*bin)) return *bin;
    return absl::NotFoundError(
        absl::StrCat("DLKIT_DAEMON_BIN=", *bin, " is not an executable file"));
  }
  if (!options.self_exe.empty()) {
    std::string dir = std::filesystem::path(options.self_exe).parent_path().string();
    std::vector<std::string> candidates = {
        absl::StrCat(dir, "/", kDaemonName),
        absl::StrCat(options.self_exe, ".runfiles/dlkit/services/daemon/", kDaemonName),
    };
    for (const std::string& candidate : candidates) {
      if (IsExecutableFile(candidate)) return candidate;
      looked.push_back(candidate);
    }
  }
  std::optional<std::string> path = Env(options, "PATH");
  if (path) {
    for (absl::string_view dir : absl::StrSplit(*path, ':', absl::SkipEmpty())) {
      std::string candidate = absl::StrCat(dir, "/", kDaemonName);
      if (IsExecutableFile(candidate)) return candidate;
    }
    looked.push_back("$PATH");
  }
  return absl::NotFoundError(absl::StrCat("cannot find ", kDaemonName, " (looked at ",
                                          absl::StrJoin(looked, ", "),
                                          "); set DLKIT_DAEMON_BIN to its path"));
}

absl::StatusOr<v1::GetDaemonStatusResponse> ProbeDaemon(LauncherStub* launcher,
                                                        absl::Duration timeout,
                                                        absl::string_view address,
                                                        bool wait_for_ready) {
  v1::GetDaemonStatusResponse response;
  auto context = NewContext(timeout);
  context->set_wait_for_ready(wait_for_ready);
  grpc::Status status =
      launcher->GetDaemonStatus(context.get(), v1::GetDaemonStatusRequest(), &response);
  if (status.ok()) return response;
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("no daemon answers at ", address));
  }
  return RpcError(status, absl::StrCat("cannot ask the daemon at ", address, " for its status"),
                  address);
}

absl::StatusOr<int> SpawnDaemon(const std::string& binary, const DaemonOptions& options) {
  // Private from the start: the daemon's log is written before the daemon could tighten it.
  absl::StatusOr<std::string> home = MakePrivateDirectory(options.home);
  if (!home.ok()) return home.status();
  std::string log_path = LogPath(options);
  // Everything the child needs is prepared here: after fork() in a threaded process only
  // async-signal-safe calls are allowed.
  std::vector<std::string> args = {binary, absl::StrCat("--home=", options.home),
                                   absl::StrCat("--address=", options.address)};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot open ", log_path, ": ", std::strerror(errno)));
  }
  if (!home->empty()) {
    // Said where the user looks now, and kept in the daemon's log.
    const std::string warning = absl::StrCat("dlctl: warning: ", *home, "\n");
    std::cerr << warning;
    if (write(log_fd, warning.data(), warning.size()) < 0) {
      // The log is for reading later; the warning was printed already.
    }
  }
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    close(log_fd);
    return absl::InternalError(absl::StrCat("cannot open /dev/null: ", std::strerror(errno)));
  }
  std::string banner =
      absl::StrCat("---- ", absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()),
                   " dlctl starts ", absl::StrJoin(args, " "), "\n");
  (void)!write(log_fd, banner.data(), banner.size());
  std::string exec_failed = absl::StrCat("dlctl: cannot execute ", binary, "\n");
  long max_fd = sysconf(_SC_OPEN_MAX);
  if (max_fd < 0 || max_fd > 65536) max_fd = 65536;

  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(log_fd);
    close(null_fd);
    return absl::InternalError(absl::StrCat("cannot fork: ", std::strerror(e)));
  }
  if (pid == 0) {
    setsid();  // its own session: the terminal's Ctrl-C and hangup do not reach it
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    for (long fd = 3; fd < max_fd; ++fd) close(static_cast<int>(fd));
    execv(argv[0], argv.data());
    (void)!write(STDERR_FILENO, exec_failed.data(), exec_failed.size());
    _exit(127);
  }
  close(log_fd);
  close(null_fd);
  return static_cast<int>(pid);
}

absl::StatusOr<v1::GetDaemonStatusResponse> WaitForDaemon(LauncherStub* launcher, int pid,
                                                          const DaemonOptions& options,
                                                          std::ostream& err) {
  absl::Time deadline = absl::Now() + options.start_timeout;
  bool asked_with_token = false;
  while (true) {
    absl::Duration probe = std::min(absl::Seconds(1), options.probe_timeout);
    // wait_for_ready: the channel connects as soon as the port opens, instead of failing
    // the probe while its last attempt backs off.
    absl::StatusOr<v1::GetDaemonStatusResponse> status =
        ProbeDaemon(launcher, probe, options.address, /*wait_for_ready=*/true);
    if (status.ok()) return status;
    // The first probe may have left before the new daemon wrote its token (a waiting call
    // sends what it had when it started); the token file exists once the daemon answers.
    if (status.status().code() == absl::StatusCode::kUnauthenticated && !asked_with_token) {
      asked_with_token = true;
      continue;
    }
    if (!NoDaemon(status.status())) return status.status();
    std::string how;
    if (ChildExited(pid, &how)) {
      PrintLogTail(options, err);
      return absl::UnavailableError(absl::StrCat(kDaemonName, " (pid ", pid, ") ", how,
                                                 " before answering at ", options.address, "; see ",
                                                 LogPath(options)));
    }
    if (absl::Now() >= deadline) {
      PrintLogTail(options, err);
      return absl::DeadlineExceededError(
          absl::StrCat(kDaemonName, " did not answer at ", options.address, " within ",
                       FormatShortDuration(options.start_timeout), "; see ", LogPath(options)));
    }
    absl::SleepFor(kPollInterval);
  }
}

absl::StatusOr<v1::GetDaemonStatusResponse> EnsureDaemon(LauncherStub* launcher,
                                                         const DaemonOptions& options,
                                                         std::ostream& err) {
  absl::StatusOr<v1::GetDaemonStatusResponse> status =
      ProbeDaemon(launcher, options.probe_timeout, options.address);
  if (status.ok() || !NoDaemon(status.status())) return status;
  if (!IsLocalAddress(options.address)) {
    return absl::UnavailableError(
        absl::StrCat("no daemon answers at ", options.address,
                     " (not a local address, so dlctl does not start one; start dlkitd there)"));
  }
  absl::StatusOr<std::string> binary = FindDaemonBinary(options);
  if (!binary.ok()) return binary.status();
  absl::StatusOr<int> pid = SpawnDaemon(*binary, options);
  if (!pid.ok()) return pid.status();
  err << "dlctl: started " << kDaemonName << " (pid " << *pid << ", log " << LogPath(options)
      << ")\n";
  return WaitForDaemon(launcher, *pid, options, err);
}

absl::Status RunDaemon(LauncherStub* launcher, DaemonAction action, const DaemonOptions& options,
                       const CommandContext& ctx, std::ostream& out) {
  switch (action) {
    case DaemonAction::kStatus: {
      absl::StatusOr<v1::GetDaemonStatusResponse> status =
          ProbeDaemon(launcher, options.probe_timeout, options.address);
      if (!status.ok()) return status.status();
      PrintDaemonStatus(*status, ctx, out);
      return absl::OkStatus();
    }
    case DaemonAction::kStart: {
      absl::StatusOr<v1::GetDaemonStatusResponse> status =
          ProbeDaemon(launcher, options.probe_timeout, options.address);
      if (status.ok()) {
        if (ctx.output == OutputFormat::kJson) {
          PrintDaemonStatus(*status, ctx, out);
        } else {
          out << kDaemonName << " already runs at " << options.address << " (pid " << status->pid()
              << ")\n";
        }
        return absl::OkStatus();
      }
      status = EnsureDaemon(launcher, options, *ctx.err);
      if (!status.ok()) return status.status();
      if (ctx.output == OutputFormat::kJson) {
        PrintDaemonStatus(*status, ctx, out);
      } else {
        out << kDaemonName << " " << status->version() << " runs at " << options.address << " (pid "
            << status->pid() << ", log " << LogPath(options) << ")\n";
      }
      return absl::OkStatus();
    }
    case DaemonAction::kStop: {
      absl::StatusOr<v1::GetDaemonStatusResponse> status =
          ProbeDaemon(launcher, options.probe_timeout, options.address);
      if (!status.ok()) {
        if (!NoDaemon(status.status())) return status.status();
        out << "no daemon answers at " << options.address << "; nothing to stop\n";
        return absl::OkStatus();
      }
      v1::ShutdownDaemonRequest request;
      request.set_kill_trials(options.kill_trials);
      v1::ShutdownDaemonResponse response;
      auto context = NewContext(ctx.rpc_timeout);
      grpc::Status shutdown = launcher->ShutdownDaemon(context.get(), request, &response);
      if (!shutdown.ok()) return RpcError(shutdown, "cannot stop the daemon", options.address);
      // Wait until it is gone, so `daemon stop && daemon start` works.
      absl::Time deadline = absl::Now() + kStopTimeout;
      while (true) {
        absl::StatusOr<v1::GetDaemonStatusResponse> probe =
            ProbeDaemon(launcher, absl::Seconds(1), options.address);
        if (!probe.ok() && NoDaemon(probe.status())) break;
        if (absl::Now() >= deadline) {
          return absl::DeadlineExceededError(
              absl::StrCat(kDaemonName, " at ", options.address, " still answers ",
                           FormatShortDuration(kStopTimeout), " after it was asked to stop"));
        }
        absl::SleepFor(kPollInterval);
      }
      out << kDaemonName << " (pid " << status->pid() << ") stopped\n";
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError("unknown daemon action");
}

}  // namespace dlkit::cli
