#ifndef DLKIT_CLI_DAEMON_CONTROL_H_
#define DLKIT_CLI_DAEMON_CONTROL_H_

// Finding, starting and stopping the local daemon (dlkitd), and `dlctl daemon`.

#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "dlkit/v1/launcher.pb.h"

namespace dlkit::cli {

struct DaemonOptions {
  std::string address;   // where it listens (--address=)
  std::string home;      // its state folder (--home=); daemon.log goes there
  std::string self_exe;  // this dlctl binary, to find dlkitd beside it
  std::function<std::optional<std::string>(const std::string&)> env;
  absl::Duration start_timeout = absl::Seconds(20);
  absl::Duration probe_timeout = absl::Seconds(2);
  bool kill_trials = false;  // stop: end the running trials too
};

// $DLKIT_DAEMON_BIN, else `dlkitd` beside self_exe, else
// `<self_exe>.runfiles/dlkit/services/daemon/dlkitd`, else on $PATH. NOT_FOUND names every
// place looked at.
absl::StatusOr<std::string> FindDaemonBinary(const DaemonOptions& options);

// GetDaemonStatus with a short deadline. UNAVAILABLE / DEADLINE_EXCEEDED "no daemon
// answers at ADDRESS" when nothing answers. With wait_for_ready the call waits (within
// its deadline) for a connection instead of failing at once.
absl::StatusOr<v1::GetDaemonStatusResponse> ProbeDaemon(LauncherStub* launcher,
                                                        absl::Duration timeout,
                                                        absl::string_view address,
                                                        bool wait_for_ready = false);

// Starts `binary --home=HOME --address=ADDRESS` detached (own session, stdin /dev/null,
// stdout and stderr appended to HOME/daemon.log); returns its pid.
absl::StatusOr<int> SpawnDaemon(const std::string& binary, const DaemonOptions& options);

// Polls GetDaemonStatus until it answers, options.start_timeout passes or process `pid`
// (our child) exits. On failure prints the log's last lines to `err`.
absl::StatusOr<v1::GetDaemonStatusResponse> WaitForDaemon(LauncherStub* launcher, int pid,
                                                          const DaemonOptions& options,
                                                          std::ostream& err);

// The daemon at options.address, started first if none answers (only for a local
// address). Notes what it did on `err`.
absl::StatusOr<v1::GetDaemonStatusResponse> EnsureDaemon(LauncherStub* launcher,
                                                         const DaemonOptions& options,
                                                         std::ostream& err);

// 127.0.0.1 / localhost / [::1] / 0.0.0.0 (any port).
bool IsLocalAddress(absl::string_view address);

// The last `lines` lines of a file ("" if unreadable).
std::string TailFile(const std::string& path, int lines);

// `dlctl daemon start|stop|status`.
absl::Status RunDaemon(LauncherStub* launcher, DaemonAction action, const DaemonOptions& options,
                       const CommandContext& ctx, std::ostream& out);

}  // namespace dlkit::cli

#endif  // DLKIT_CLI_DAEMON_CONTROL_H_
