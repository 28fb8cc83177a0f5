#ifndef DLKIT_CLI_COMMANDS_H_
#define DLKIT_CLI_COMMANDS_H_

// dlctl's commands, one function each. They talk to the daemon through StubInterface
// pointers (tests hand them stubs of a fake server), print data to `out` and notes to
// `ctx.err`, and return a status that dlctl turns into "dlctl: <message> (<CODE>)".

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/options.h"
#include "dlkit/v1/launcher.grpc.pb.h"
#include "dlkit/v1/manager.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace dlkit::cli {

using LauncherStub = v1::LauncherService::StubInterface;
using ManagerStub = v1::ManagerService::StubInterface;

// Everything a command needs besides its stubs and options.
struct CommandContext {
  std::ostream* err = nullptr;  // warnings and notes (stderr)
  OutputFormat output = OutputFormat::kTable;
  bool tty = false;        // stdout is a terminal (live redraw in --watch)
  int terminal_width = 0;  // columns when tty (0: unknown)
  std::string address;     // the daemon's, for messages
  absl::Duration rpc_timeout = absl::Seconds(30);
  // Streams (logs --follow, --watch) reconnect after this long, so every call has a
  // deadline and a long watch still never ends on its own.
  absl::Duration stream_timeout = absl::Hours(1);
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

// ---- exit codes ---------------------------------------------------------------------------

// Bad arguments: dlctl prints the message and the command's usage, exits 2.
absl::Status UsageStatus(absl::string_view message);
// Bad input that is not an argument (an invalid config file): exit 2, no usage.
absl::Status BadInputStatus(absl::string_view message,
                            absl::StatusCode code = absl::StatusCode::kInvalidArgument);
bool ShowsUsage(const absl::Status& status);
// Exit code for a command's result: 0 ok, 2 usage/bad input, else 1.
int ExitCodeFor(const absl::Status& status);
// A grpc::Status as an absl::Status whose message starts with `what`.
absl::Status RpcError(const grpc::Status& status, absl::string_view what,
                      absl::string_view address);
// A context whose deadline is `timeout` from now.
std::unique_ptr<grpc::ClientContext> NewContext(absl::Duration timeout);

// One unary call with the command's deadline; a failure is RpcError(`what`).
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> CallOrError(
    Stub* stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
    const Request& request, const CommandContext& ctx, absl::string_view what) {
  Response response;
  auto context = NewContext(ctx.rpc_timeout);
  grpc::Status status = (stub->*method)(context.get(), request, &response);
  if (!status.ok()) return RpcError(status, what, ctx.address);
  return response;
}

// ---- commands -----------------------------------------------------------------------------

// init: writes the starter config; ALREADY_EXISTS unless options.force.
absl::Status RunInit(const InitOptions& options, const CommandContext& ctx, std::ostream& out);

// submit: loads and checks the config, then calls `ensure_daemon` (if set; dlctl starts
// the daemon there, see daemon_control.h) and submits.
absl::Status RunSubmit(LauncherStub* launcher, ManagerStub* manager, const SubmitOptions& options,
                       const CommandContext& ctx, std::ostream& out,
                       const std::function<absl::Status()>& ensure_daemon = nullptr);

// Follows an experiment until it ends (submit --watch). FAILED_PRECONDITION when it
// ended FAILED (exit 1), OK when DONE or STOPPED.
absl::Status RunWatch(LauncherStub* launcher, ManagerStub* manager,
                      const std::string& experiment_id, const CommandContext& ctx,
                      std::ostream& out);

absl::Status RunList(LauncherStub* launcher, const CommandContext& ctx, std::ostream& out);
absl::Status RunStatus(LauncherStub* launcher, const std::string& experiment_id,
                       const CommandContext& ctx, std::ostream& out);
absl::Status RunStop(LauncherStub* launcher, const std::string& experiment_id,
                     const CommandContext& ctx, std::ostream& out);
absl::Status RunResume(LauncherStub* launcher, const std::string& experiment_id,
                       const CommandContext& ctx, std::ostream& out);
absl::Status RunUpdate(LauncherStub* launcher, ManagerStub* manager, const UpdateOptions& options,
                       const CommandContext& ctx, std::ostream& out);

absl::Status RunTrials(LauncherStub* launcher, ManagerStub* manager, const TrialsOptions& options,
                       const CommandContext& ctx, std::ostream& out);
absl::Status RunLogs(LauncherStub* launcher, ManagerStub* manager, const LogsOptions& options,
                     const CommandContext& ctx, std::ostream& out);
absl::Status RunKillTrial(LauncherStub* launcher, ManagerStub* manager,
                          const std::string& experiment_id, const std::string& trial,
                          const CommandContext& ctx, std::ostream& out);
absl::Status RunExport(LauncherStub* launcher, ManagerStub* manager, const ExportOptions& options,
                       const CommandContext& ctx, std::ostream& out);

// token create NAME --role R | list | revoke NAME.
absl::Status RunToken(LauncherStub* launcher, const TokenOptions& options,
                      const CommandContext& ctx, std::ostream& out);

// ---- shared by the commands ---------------------------------------------------------------

absl::StatusOr<v1::Experiment> GetExperiment(LauncherStub* launcher,
                                             const std::string& experiment_id,
                                             const CommandContext& ctx);

// All trials of an experiment, following pages until `limit` (0 = all) is reached.
absl::StatusOr<std::vector<v1::Trial>> ListAllTrials(ManagerStub* manager,
                                                     v1::ListTrialsRequest request, int limit,
                                                     const CommandContext& ctx);

// TRIAL as given by the user: a trial id, or an index within the experiment.
absl::StatusOr<v1::Trial> ResolveTrial(ManagerStub* manager, const v1::Experiment& experiment,
                                       const std::string& trial, const CommandContext& ctx);

}  // namespace dlkit::cli

#endif  // DLKIT_CLI_COMMANDS_H_
