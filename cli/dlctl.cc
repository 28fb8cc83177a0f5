#include "cli/dlctl.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/daemon_control.h"
#include "dlkit/v1/launcher.grpc.pb.h"
#include "dlkit/v1/manager.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "services/auth/client_token.h"

namespace dlkit::cli {
namespace {

// A channel that retries connecting quickly: dlctl polls a daemon that is starting, and
// gRPC's default backoff (up to 2 minutes) would leave it waiting long after it is up.
// Every call sends the daemon's token: $DLKIT_TOKEN, else the one in DLKIT_HOME.
// With a CA file the channel is TLS, checking the daemon's certificate against it.
absl::StatusOr<std::shared_ptr<grpc::Channel>> NewChannel(const GlobalOptions& globals,
                                                          const CliEnvironment& environment) {
  const std::string& address = globals.address;
  const std::string& home = globals.home;
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!globals.tls_ca.empty()) {
    std::ifstream in(globals.tls_ca);
    std::stringstream pem;
    pem << in.rdbuf();
    if (!in || pem.str().empty()) {
      return UsageStatus(absl::StrCat("--tls-ca: cannot read the PEM file ", globals.tls_ca));
    }
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pem.str();
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetMaxReceiveMessageSize(256 << 20);  // trials with their series can be large
  auto env = environment.env;
  return auth::CreateChannelWithToken(address, credentials, args, [home, env] {
    std::optional<std::string> from_env = env ? env("DLKIT_TOKEN") : std::nullopt;
    return auth::FindToken(home, from_env.value_or(""));
  });
}

int Fail(const absl::Status& status, const CommandSpec* command, std::ostream& err) {
  err << "dlctl: " << status.message() << " (" << absl::StatusCodeToString(status.code()) << ")\n";
  if (ShowsUsage(status) && command != nullptr) err << "\n" << CommandUsage(*command);
  return ExitCodeFor(status);
}

// Turns a failed option conversion into a usage error.
template <typename T>
absl::Status AsUsage(const absl::StatusOr<T>& options) {
  return options.ok() ? absl::OkStatus() : UsageStatus(options.status().message());
}

absl::Status Dispatch(const ParsedArgs& args, const GlobalOptions& globals,
                      const CliEnvironment& environment, std::ostream& out, std::ostream& err) {
  const std::string& name = args.command->name;
  CommandContext ctx;
  ctx.err = &err;
  ctx.output = globals.output;
  ctx.tty = environment.stdout_is_tty;
  ctx.terminal_width = environment.terminal_width;
  ctx.address = globals.address;

  if (name == "init") {
    absl::StatusOr<InitOptions> options = InitOptionsFrom(args);
    if (!options.ok()) return AsUsage(options);
    return RunInit(*options, ctx, out);
  }

  absl::StatusOr<std::shared_ptr<grpc::Channel>> made = NewChannel(globals, environment);
  if (!made.ok()) return made.status();
  std::shared_ptr<grpc::Channel> channel = *made;
  std::unique_ptr<LauncherStub> launcher = v1::LauncherService::NewStub(channel);
  std::unique_ptr<ManagerStub> daemon_manager = v1::ManagerService::NewStub(channel);
  // ManagerService calls go to the daemon too: it serves local experiments and passes a
  // cluster experiment's on to its Manager, whose address only resolves inside the cluster.
  DaemonOptions daemon;
  daemon.address = globals.address;
  daemon.home = globals.home;
  daemon.self_exe = environment.self_exe;
  daemon.env = environment.env;

  const std::vector<std::string>& pos = args.positional;
  if (name == "submit") {
    absl::StatusOr<SubmitOptions> options = SubmitOptionsFrom(args);
    if (!options.ok()) return AsUsage(options);
    return RunSubmit(launcher.get(), daemon_manager.get(), *options, ctx, out,
                     [&]() { return EnsureDaemon(launcher.get(), daemon, err).status(); });
  }
  if (name == "list") return RunList(launcher.get(), ctx, out);
  if (name == "status") return RunStatus(launcher.get(), pos[0], ctx, out);
  if (name == "stop") return RunStop(launcher.get(), pos[0], ctx, out);
  if (name == "resume") return RunResume(launcher.get(), pos[0], ctx, out);
  if (name == "kill-trial") {
    return RunKillTrial(launcher.get(), daemon_manager.get(), pos[0], pos[1], ctx, out);
  }
  if (name == "trials") {
    absl::StatusOr<TrialsOptions> options = TrialsOptionsFrom(args);
    if (!options.ok()) return AsUsage(options);
    return RunTrials(launcher.get(), daemon_manager.get(), *options, ctx, out);
  }
  if (name == "logs") {
    absl::StatusOr<LogsOptions> options = LogsOptionsFrom(args);
    if (!options.ok()) return AsUsage(options);
    return RunLogs(launcher.get(), daemon_manager.get(), *options, ctx, out);
  }
  if (name == "update") {
    absl::StatusOr<UpdateOptions> options = UpdateOptionsFrom(args);
    if (!options.ok()) return AsUsage(options);
    return RunUpdate(launcher.get(), daemon_manager.get(), *options, ctx, out);
  }
  if (name == "export") {
    absl::StatusOr<ExportOptions> options = ExportOptionsFrom(args);
    if (!options.ok()) return AsUsage(options);
    return RunExport(launcher.get(), daemon_manager.get(), *options, ctx, out);
  }
  if (name == "token") {
    absl::StatusOr<TokenOptions> options = TokenOptionsFrom(args);
    if (!options.ok()) return AsUsage(options);
    return RunToken(launcher.get(), *options, ctx, out);
  }
  if (name == "daemon") {
    absl::StatusOr<DaemonAction> action = DaemonActionFrom(args);
    if (!action.ok()) return AsUsage(action);
    daemon.kill_trials = args.Bool("kill-trials");
    return RunDaemon(launcher.get(), *action, daemon, ctx, out);
  }
  return UsageStatus(absl::StrCat("command ", name, " is not implemented"));
}

}  // namespace

int RunDlctl(const std::vector<std::string>& argv, const CliEnvironment& environment,
             std::ostream& out, std::ostream& err) {
  std::variant<ParsedArgs, UsageError> parsed = ParseArgs(argv);
  if (const UsageError* usage = std::get_if<UsageError>(&parsed)) {
    err << "dlctl: " << usage->message << " ("
        << absl::StatusCodeToString(absl::StatusCode::kInvalidArgument) << ")\n\n"
        << usage->usage;
    return 2;
  }
  const ParsedArgs& args = std::get<ParsedArgs>(parsed);
  if (args.help || args.command == nullptr || args.command->name == "help") {
    const CommandSpec* topic = args.command;
    if (topic != nullptr && topic->name == "help") {
      topic = args.positional.empty() ? nullptr : FindCommand(args.positional[0]);
      if (!args.positional.empty() && topic == nullptr) {
        err << "dlctl: unknown command \"" << args.positional[0] << "\"; did you mean \""
            << ClosestCommand(args.positional[0]) << "\"? (INVALID_ARGUMENT)\n\n"
            << GeneralUsage();
        return 2;
      }
    }
    out << (topic != nullptr ? CommandUsage(*topic) : GeneralUsage());
    return 0;
  }
  absl::StatusOr<GlobalOptions> globals = ResolveGlobalOptions(args, environment.env);
  if (!globals.ok()) return Fail(UsageStatus(globals.status().message()), args.command, err);
  absl::Status status = Dispatch(args, *globals, environment, out, err);
  out.flush();
  if (!status.ok()) return Fail(status, args.command, err);
  return 0;
}

}  // namespace dlkit::cli
