#ifndef DLKIT_CLI_ARGS_H_
#define DLKIT_CLI_ARGS_H_

// dlctl's command line: the command table, a small argv parser (subcommands, aliases,
// `--flag value` / `--flag=value`, global flags anywhere) and the conversion of parsed
// arguments into each command's typed options. All argv handling lives here.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/text_parsing.h"
#include "cli/options.h"

namespace dlkit::cli {

struct FlagSpec {
  std::string name;        // without the leading "--"
  std::string value_name;  // empty for a boolean flag
  std::string help;
};

struct CommandSpec {
  std::string name;
  std::vector<std::string> aliases;
  std::string positional_usage;  // e.g. "ID TRIAL"
  std::string summary;
  int min_positional = 0;
  int max_positional = 0;
  std::vector<FlagSpec> flags;  // the command's own flags (globals are always accepted)
};

// Every command, in the order `dlctl help` lists them.
const std::vector<CommandSpec>& Commands();

// By name or alias; nullptr when unknown.
const CommandSpec* FindCommand(absl::string_view name);

// Levenshtein distance (byte-wise).
using ::dlkit::EditDistance;  // shared with the config loader

// The command name or alias closest to `word` (its canonical spelling as typed in the
// table, e.g. "kill-trial" for "kil-trial").
std::string ClosestCommand(absl::string_view word);

// "usage: dlctl trials ID [flags]\n<summary>\n\nflags:\n  --sort ...".
std::string CommandUsage(const CommandSpec& command);

// The list of commands and global flags.
std::string GeneralUsage();

struct ParsedArgs {
  const CommandSpec* command = nullptr;  // nullptr: no command, only --help
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // set flags; boolean ones hold "true"/"false"
  bool help = false;                         // -h/--help anywhere

  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
  bool Bool(const std::string& flag) const;
  std::string Value(const std::string& flag, const std::string& fallback = "") const;
};

// A usage error: the message and what to print after it (the command's usage, or the
// command list). dlctl exits 2 on these.
struct UsageError {
  std::string message;
  std::string usage;
};

// `args` excludes argv[0].
std::variant<ParsedArgs, UsageError> ParseArgs(const std::vector<std::string>& args);

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// --address / $DLKIT_ADDRESS / 127.0.0.1:9870; --home / $DLKIT_HOME / $HOME/.dlkit;
// --output table|json. InvalidArgument on a bad --output.
absl::StatusOr<GlobalOptions> ResolveGlobalOptions(const ParsedArgs& args, const EnvLookup& env);

// Typed options per command; InvalidArgument (a usage error) on bad values.
absl::StatusOr<InitOptions> InitOptionsFrom(const ParsedArgs& args);
absl::StatusOr<SubmitOptions> SubmitOptionsFrom(const ParsedArgs& args);
absl::StatusOr<TrialsOptions> TrialsOptionsFrom(const ParsedArgs& args);
absl::StatusOr<LogsOptions> LogsOptionsFrom(const ParsedArgs& args);
absl::StatusOr<UpdateOptions> UpdateOptionsFrom(const ParsedArgs& args);
absl::StatusOr<ExportOptions> ExportOptionsFrom(const ParsedArgs& args);
absl::StatusOr<DaemonAction> DaemonActionFrom(const ParsedArgs& args);

absl::StatusOr<TokenOptions> TokenOptionsFrom(const ParsedArgs& args);

}  // namespace dlkit::cli

#endif  // DLKIT_CLI_ARGS_H_
