#include "cli/args.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/value_format.h"
#include "services/auth/access.h"

namespace dlkit::cli {
namespace {

constexpr char kDefaultAddress[] = "127.0.0.1:9870";

// Accepted by every command, anywhere on the line.
const std::vector<FlagSpec>& GlobalFlags() {
  static const auto* flags = new std::vector<FlagSpec>{
      {"address", "HOST:PORT", "the daemon (default $DLKIT_ADDRESS, else 127.0.0.1:9870)"},
      {"home", "DIR", "dlkit's state folder (default $DLKIT_HOME, else ~/.dlkit)"},
      {"tls-ca", "PEM",
       "the daemon speaks TLS: trust these CA certificates (default $DLKIT_TLS_CA)"},
      {"output", "table|json", "how to print data (default table)"},
  };
  return *flags;
}

const FlagSpec* FindFlag(const CommandSpec* command, absl::string_view name) {
  for (const FlagSpec& f : GlobalFlags()) {
    if (f.name == name) return &f;
  }
  if (command == nullptr) return nullptr;
  for (const FlagSpec& f : command->flags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string ClosestFlag(const CommandSpec* command, absl::string_view name) {
  std::vector<const FlagSpec*> all;
  for (const FlagSpec& f : GlobalFlags()) all.push_back(&f);
  if (command != nullptr) {
    for (const FlagSpec& f : command->flags) all.push_back(&f);
  }
  std::string best;
  size_t best_distance = std::string::npos;
  for (const FlagSpec* f : all) {
    size_t d = EditDistance(name, f->name);
    if (d < best_distance) {
      best_distance = d;
      best = f->name;
    }
  }
  // Only suggest what is plausibly a typo.
  if (best_distance > std::max<size_t>(2, name.size() / 3)) return "";
  return best;
}

std::string UsageFor(const CommandSpec* command) {
  return command != nullptr ? CommandUsage(*command) : GeneralUsage();
}

std::string FlagsHelp(const std::vector<FlagSpec>& flags) {
  size_t width = 0;
  std::vector<std::string> names;
  for (const FlagSpec& f : flags) {
    names.push_back(f.value_name.empty() ? absl::StrCat("--", f.name)
                                         : absl::StrCat("--", f.name, " ", f.value_name));
    width = std::max(width, names.back().size());
  }
  std::string out;
  for (size_t i = 0; i < flags.size(); ++i) {
    absl::StrAppend(&out, "  ", names[i], std::string(width - names[i].size() + 2, ' '),
                    flags[i].help, "\n");
  }
  return out;
}

absl::Status BadValue(absl::string_view flag, absl::string_view value, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid --", flag, " \"", value, "\": expected ", expected));
}

absl::StatusOr<int> PositiveInt(const ParsedArgs& args, const std::string& flag) {
  std::string value = args.Value(flag);
  int n = 0;
  if (!absl::SimpleAtoi(value, &n) || n <= 0) {
    return BadValue(flag, value, "a positive whole number");
  }
  return n;
}

}  // namespace

const std::vector<CommandSpec>& Commands() {
  static const auto* commands = new std::vector<CommandSpec>{
      {"init",
       {"nni-init"},
       "[FILE]",
       "write a starter dlkit-tune.json (or FILE)",
       0,
       1,
       {{"force", "", "overwrite an existing file"}}},
      {"submit",
       {"nni-submit"},
       "[FILE]",
       "validate and submit FILE (default dlkit-tune.json); starts the daemon if needed",
       0,
       1,
       {{"watch", "", "show live progress until the experiment ends"}}},
      {"list", {}, "", "list experiments", 0, 0, {}},
      {"status", {}, "ID", "show one experiment", 1, 1, {}},
      {"trials",
       {},
       "ID",
       "list an experiment's trials",
       1,
       1,
       {{"sort", "metric|index|duration|started", "order (metric: best first)"},
        {"reverse", "", "reverse the order"},
        {"status", "S[,S]", "only these states (e.g. succeeded,failed)"},
        {"limit", "N", "at most N trials"}}},
      {"logs",
       {},
       "ID TRIAL",
       "print a trial's log (TRIAL: its id or index)",
       2,
       2,
       {{"follow", "", "keep printing new lines until the trial ends"}}},
      {"stop", {}, "ID", "stop an experiment (its running trials are killed)", 1, 1, {}},
      {"resume", {}, "ID", "resume a stopped experiment", 1, 1, {}},
      {"kill-trial", {}, "ID TRIAL", "kill one trial (TRIAL: its id or index)", 2, 2, {}},
      {"update",
       {},
       "ID",
       "change a running experiment's limits",
       1,
       1,
       {{"concurrency", "N", "trials run at once"},
        {"max-trials", "N", "maximum number of trials"},
        {"duration", "D", "maximum experiment duration (e.g. 2h, 30m, 1h30m)"}}},
      {"export",
       {},
       "ID",
       "export an experiment's trials",
       1,
       1,
       {{"format", "csv|json", "file format (default csv)"},
        {"file", "F", "write to F instead of stdout"}}},
      {"daemon",
       {},
       "start|stop|status",
       "control the local daemon (dlkitd); running trials outlive a stop and are taken back "
       "by the next start",
       1,
       1,
       {{"kill-trials", "", "stop: kill the running trials too (resume reruns them)"}}},
      {"token",
       {},
       "create NAME | list | revoke NAME",
       "manage the daemon's tokens (admin only): a new token is printed once; give it to "
       "another client as DLKIT_TOKEN",
       1,
       2,
       {{"role", "admin|write|read", "create: what the token may do (default read)"}}},
      {"help", {}, "[COMMAND]", "show help for dlctl or one command", 0, 1, {}},
  };
  return *commands;
}

const CommandSpec* FindCommand(absl::string_view name) {
  for (const CommandSpec& c : Commands()) {
    if (c.name == name) return &c;
    for (const std::string& alias : c.aliases) {
      if (alias == name) return &c;
    }
  }
  return nullptr;
}

std::string ClosestCommand(absl::string_view word) {
  std::string lower = absl::AsciiStrToLower(word);
  std::string best;
  size_t best_distance = std::string::npos;
  auto consider = [&](const std::string& name) {
    size_t d = EditDistance(lower, name);
    // A prefix ("stat" for "status") is as good as a near miss.
    if (!lower.empty() && absl::StartsWith(name, lower)) d = std::min<size_t>(d, 1);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  };
  for (const CommandSpec& c : Commands()) {
    consider(c.name);
    for (const std::string& alias : c.aliases) consider(alias);
  }
  return best;
}

std::string CommandUsage(const CommandSpec& command) {
  std::string line = absl::StrCat("usage: dlctl ", command.name);
  if (!command.positional_usage.empty()) absl::StrAppend(&line, " ", command.positional_usage);
  if (!command.flags.empty()) absl::StrAppend(&line, " [flags]");
  std::string out = absl::StrCat(line, "\n", command.summary, "\n");
  if (!command.aliases.empty()) {
    absl::StrAppend(&out, "alias: ", absl::StrJoin(command.aliases, ", "), "\n");
  }
  if (!command.flags.empty()) absl::StrAppend(&out, "\nflags:\n", FlagsHelp(command.flags));
  absl::StrAppend(&out, "\nglobal flags:\n", FlagsHelp(GlobalFlags()));
  return out;
}

std::string GeneralUsage() {
  std::string out = "usage: dlctl COMMAND [ARGS] [flags]\n\ncommands:\n";
  size_t width = 0;
  std::vector<std::string> heads;
  for (const CommandSpec& c : Commands()) {
    heads.push_back(c.positional_usage.empty() ? c.name
                                               : absl::StrCat(c.name, " ", c.positional_usage));
    width = std::max(width, heads.back().size());
  }
  for (size_t i = 0; i < Commands().size(); ++i) {
    const CommandSpec& c = Commands()[i];
    std::string summary = c.summary;
    if (!c.aliases.empty())
      absl::StrAppend(&summary, " (alias ", absl::StrJoin(c.aliases, ", "), ")");
    absl::StrAppend(&out, "  ", heads[i], std::string(width - heads[i].size() + 2, ' '), summary,
                    "\n");
  }
  absl::StrAppend(&out, "\nglobal flags:\n", FlagsHelp(GlobalFlags()),
                  "\n`dlctl help COMMAND` shows a command's flags.\n");
  return out;
}

bool ParsedArgs::Bool(const std::string& flag) const {
  auto it = flags.find(flag);
  return it != flags.end() && it->second == "true";
}

std::string ParsedArgs::Value(const std::string& flag, const std::string& fallback) const {
  auto it = flags.find(flag);
  return it == flags.end() ? fallback : it->second;
}

std::variant<ParsedArgs, UsageError> ParseArgs(const std::vector<std::string>& args) {
  ParsedArgs parsed;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (only_positional || arg == "-" || arg.size() < 2 || arg[0] != '-') {
      if (parsed.command == nullptr) {  // the first word is the command
        parsed.command = FindCommand(arg);
        if (parsed.command == nullptr) {
          return UsageError{absl::StrCat("unknown command \"", arg, "\"; did you mean \"",
                                         ClosestCommand(arg), "\"?"),
                            GeneralUsage()};
        }
      } else {
        parsed.positional.push_back(arg);
      }
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      parsed.help = true;
      continue;
    }
    if (arg.size() < 3 || arg[1] != '-') {
      return UsageError{absl::StrCat("unknown flag \"", arg, "\" (flags start with --)"),
                        UsageFor(parsed.command)};
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const FlagSpec* flag = FindFlag(parsed.command, name);
    if (flag == nullptr) {
      std::string message = absl::StrCat("unknown flag --", name);
      if (parsed.command != nullptr) absl::StrAppend(&message, " for ", parsed.command->name);
      std::string closest = ClosestFlag(parsed.command, name);
      if (!closest.empty()) absl::StrAppend(&message, "; did you mean --", closest, "?");
      return UsageError{message, UsageFor(parsed.command)};
    }
    if (flag->value_name.empty()) {
      std::string v = value ? absl::AsciiStrToLower(*value) : "true";
      if (v != "true" && v != "false") {
        return UsageError{absl::StrCat("--", name, " takes no value (or true/false)"),
                          UsageFor(parsed.command)};
      }
      parsed.flags[name] = v;
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return UsageError{absl::StrCat("--", name, " needs a value (", flag->value_name, ")"),
                          UsageFor(parsed.command)};
      }
      value = args[++i];
    }
    parsed.flags[name] = *value;
  }
  if (parsed.help) return parsed;
  if (parsed.command == nullptr) return UsageError{"no command given", GeneralUsage()};
  const CommandSpec& c = *parsed.command;
  int n = static_cast<int>(parsed.positional.size());
  if (n < c.min_positional) {
    std::vector<absl::string_view> names = absl::StrSplit(c.positional_usage, ' ');
    std::string missing = n < static_cast<int>(names.size()) ? std::string(names[n]) : "argument";
    return UsageError{absl::StrCat(c.name, ": missing ", missing), CommandUsage(c)};
  }
  if (n > c.max_positional) {
    return UsageError{
        absl::StrCat(c.name, ": unexpected argument \"", parsed.positional[c.max_positional], "\""),
        CommandUsage(c)};
  }
  return parsed;
}

absl::StatusOr<GlobalOptions> ResolveGlobalOptions(const ParsedArgs& args, const EnvLookup& env) {
  GlobalOptions options;
  auto from_env = [&](const char* name) -> std::string {
    std::optional<std::string> v = env(name);
    return v ? *v : "";
  };
  options.address = args.Value("address", from_env("DLKIT_ADDRESS"));
  if (options.address.empty()) options.address = kDefaultAddress;
  options.tls_ca = args.Value("tls-ca", from_env("DLKIT_TLS_CA"));
  options.home = args.Value("home", from_env("DLKIT_HOME"));
  if (options.home.empty()) {
    std::string user_home = from_env("HOME");
    if (user_home.empty()) user_home = ".";
    options.home = absl::StrCat(user_home, "/.dlkit");
  } else if (absl::StartsWith(options.home, "~/")) {
    options.home = absl::StrCat(from_env("HOME"), options.home.substr(1));
  }
  std::string output = absl::AsciiStrToLower(args.Value("output", "table"));
  if (output == "table") {
    options.output = OutputFormat::kTable;
  } else if (output == "json") {
    options.output = OutputFormat::kJson;
  } else {
    return BadValue("output", args.Value("output"), "table or json");
  }
  return options;
}

absl::StatusOr<InitOptions> InitOptionsFrom(const ParsedArgs& args) {
  InitOptions options;
  if (!args.positional.empty()) options.file = args.positional[0];
  options.force = args.Bool("force");
  return options;
}

absl::StatusOr<SubmitOptions> SubmitOptionsFrom(const ParsedArgs& args) {
  SubmitOptions options;
  if (!args.positional.empty()) options.file = args.positional[0];
  options.watch = args.Bool("watch");
  return options;
}

absl::StatusOr<TrialsOptions> TrialsOptionsFrom(const ParsedArgs& args) {
  TrialsOptions options;
  options.experiment_id = args.positional.at(0);
  std::string sort = absl::AsciiStrToLower(args.Value("sort", "index"));
  if (sort == "index") {
    options.sort = TrialSort::kIndex;
  } else if (sort == "metric" || sort == "final") {
    options.sort = TrialSort::kMetric;
  } else if (sort == "duration") {
    options.sort = TrialSort::kDuration;
  } else if (sort == "started") {
    options.sort = TrialSort::kStarted;
  } else {
    return BadValue("sort", args.Value("sort"), "metric, index, duration or started");
  }
  options.reverse = args.Bool("reverse");
  if (args.Has("status")) {
    for (absl::string_view s : absl::StrSplit(args.Value("status"), ',', absl::SkipEmpty())) {
      absl::StatusOr<v1::TrialState> state = ParseTrialState(s);
      if (!state.ok())
        return absl::InvalidArgumentError(absl::StrCat("--status: ", state.status().message()));
      if (std::find(options.states.begin(), options.states.end(), *state) == options.states.end()) {
        options.states.push_back(*state);
      }
    }
    if (options.states.empty()) return BadValue("status", args.Value("status"), "S[,S]");
  }
  if (args.Has("limit")) {
    absl::StatusOr<int> limit = PositiveInt(args, "limit");
    if (!limit.ok()) return limit.status();
    options.limit = *limit;
  }
  return options;
}

absl::StatusOr<LogsOptions> LogsOptionsFrom(const ParsedArgs& args) {
  LogsOptions options;
  options.experiment_id = args.positional.at(0);
  options.trial = args.positional.at(1);
  options.follow = args.Bool("follow");
  return options;
}

absl::StatusOr<UpdateOptions> UpdateOptionsFrom(const ParsedArgs& args) {
  UpdateOptions options;
  options.experiment_id = args.positional.at(0);
  if (args.Has("concurrency")) {
    absl::StatusOr<int> n = PositiveInt(args, "concurrency");
    if (!n.ok()) return n.status();
    options.concurrency = *n;
  }
  if (args.Has("max-trials")) {
    absl::StatusOr<int> n = PositiveInt(args, "max-trials");
    if (!n.ok()) return n.status();
    options.max_trials = *n;
  }
  if (args.Has("duration")) {
    absl::StatusOr<absl::Duration> d = ParseHumanDuration(args.Value("duration"));
    if (!d.ok() || *d <= absl::ZeroDuration()) {
      return BadValue("duration", args.Value("duration"), "a duration such as 2h, 30m, 1h30m");
    }
    options.duration = *d;
  }
  if (!options.concurrency && !options.max_trials && !options.duration) {
    return absl::InvalidArgumentError(
        "update: nothing to change; give --concurrency, --max-trials or --duration");
  }
  return options;
}

absl::StatusOr<ExportOptions> ExportOptionsFrom(const ParsedArgs& args) {
  ExportOptions options;
  options.experiment_id = args.positional.at(0);
  std::string format = absl::AsciiStrToLower(args.Value("format", "csv"));
  if (format == "csv") {
    options.format = ExportFormat::kCsv;
  } else if (format == "json") {
    options.format = ExportFormat::kJson;
  } else {
    return BadValue("format", args.Value("format"), "csv or json");
  }
  options.file = args.Value("file");
  return options;
}

absl::StatusOr<DaemonAction> DaemonActionFrom(const ParsedArgs& args) {
  const std::string& action = args.positional.at(0);
  if (action == "start") return DaemonAction::kStart;
  if (action == "stop") return DaemonAction::kStop;
  if (action == "status") return DaemonAction::kStatus;
  return absl::InvalidArgumentError(
      absl::StrCat("daemon: unknown action \"", action, "\" (start, stop or status)"));
}

absl::StatusOr<TokenOptions> TokenOptionsFrom(const ParsedArgs& args) {
  TokenOptions options;
  options.action = args.positional.at(0);
  const bool named = options.action == "create" || options.action == "revoke";
  if (!named && options.action != "list") {
    return absl::InvalidArgumentError(
        absl::StrCat("token: unknown action \"", options.action, "\" (create, list or revoke)"));
  }
  if (named != (args.positional.size() == 2)) {
    return absl::InvalidArgumentError(
        named ? absl::StrCat("token ", options.action, ": give the token's NAME")
              : "token list takes no NAME");
  }
  if (named) options.name = args.positional[1];
  const std::string role = args.Value("role", "read");
  if (!role.empty()) {
    absl::StatusOr<auth::Role> parsed = auth::ParseRole(role);
    if (!parsed.ok()) return BadValue("role", role, "one of admin, write, read");
    options.role = static_cast<v1::TokenRole>(*parsed);
  }
  return options;
}

}  // namespace dlkit::cli
