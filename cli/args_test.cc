#include "cli/args.h"

#include <catch2/catch.hpp>
#include <map>

namespace dlkit::cli {
namespace {

ParsedArgs MustParse(const std::vector<std::string>& args) {
  std::variant<ParsedArgs, UsageError> result = ParseArgs(args);
  if (const UsageError* error = std::get_if<UsageError>(&result)) {
    FAIL("unexpected usage error: " << error->message);
  }
  return std::get<ParsedArgs>(result);
}

UsageError MustFail(const std::vector<std::string>& args) {
  std::variant<ParsedArgs, UsageError> result = ParseArgs(args);
  REQUIRE(std::holds_alternative<UsageError>(result));
  return std::get<UsageError>(result);
}

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST_CASE("aliases resolve to their command") {
  CHECK(MustParse({"nni-init"}).command->name == "init");
  CHECK(MustParse({"nni-submit", "x.json"}).command->name == "submit");
  CHECK(FindCommand("kill-trial") != nullptr);
  CHECK(FindCommand("kill") == nullptr);
}

TEST_CASE("an unknown command names the closest one and lists the commands") {
  UsageError error = MustFail({"stauts", "exp-1"});
  CHECK(error.message.find("\"stauts\"") != std::string::npos);
  CHECK(error.message.find("did you mean \"status\"") != std::string::npos);
  CHECK(error.usage.find("kill-trial") != std::string::npos);
  CHECK(error.usage.find("nni-submit") != std::string::npos);

  CHECK(ClosestCommand("sumbit") == "submit");
  CHECK(ClosestCommand("killtrial") == "kill-trial");
  CHECK(ClosestCommand("exprt") == "export");
  CHECK(ClosestCommand("nni-sub") == "nni-submit");
  CHECK(ClosestCommand("tri") == "trials");
}

TEST_CASE("EditDistance counts single-character edits") {
  CHECK(EditDistance("", "abc") == 3);
  CHECK(EditDistance("status", "status") == 0);
  CHECK(EditDistance("stauts", "status") == 2);
  CHECK(EditDistance("list", "lost") == 1);
}

TEST_CASE("missing and extra positionals are usage errors with the command's usage") {
  UsageError missing = MustFail({"logs", "exp-1"});
  CHECK(missing.message == "logs: missing TRIAL");
  CHECK(missing.usage.rfind("usage: dlctl logs ID TRIAL", 0) == 0);
  CHECK(MustFail({"status"}).message == "status: missing ID");
  UsageError extra = MustFail({"list", "what"});
  CHECK(extra.message.find("unexpected argument \"what\"") != std::string::npos);
  CHECK(MustFail({}).message == "no command given");
}

TEST_CASE("flags take values as --flag value or --flag=value, anywhere") {
  ParsedArgs args = MustParse({"--output", "json", "trials", "exp-1", "--sort=metric", "--limit",
                               "3", "--reverse", "--address=h:1"});
  CHECK(args.command->name == "trials");
  CHECK(args.positional == std::vector<std::string>{"exp-1"});
  CHECK(args.Value("sort") == "metric");
  CHECK(args.Value("limit") == "3");
  CHECK(args.Bool("reverse"));
  CHECK(args.Value("output") == "json");
  CHECK(args.Value("address") == "h:1");
  CHECK_FALSE(args.Bool("watch"));
}

TEST_CASE("flag errors: unknown (with a suggestion), missing value, flags of other commands") {
  UsageError unknown = MustFail({"trials", "exp-1", "--srot", "metric"});
  CHECK(unknown.message.find("unknown flag --srot") != std::string::npos);
  CHECK(unknown.message.find("did you mean --sort?") != std::string::npos);
  CHECK(unknown.usage.rfind("usage: dlctl trials", 0) == 0);
  CHECK(MustFail({"trials", "exp-1", "--limit"}).message.find("--limit needs a value") !=
        std::string::npos);
  // --watch belongs to submit, not to status.
  CHECK(MustFail({"status", "exp-1", "--watch"}).message.find("unknown flag --watch") !=
        std::string::npos);
  CHECK(MustFail({"submit", "--watch=maybe"}).message.find("takes no value") != std::string::npos);
  CHECK(MustFail({"status", "-x"}).message.find("unknown flag \"-x\"") != std::string::npos);
}

TEST_CASE("-- ends the flags; --help is noted, not an error") {
  ParsedArgs args = MustParse({"status", "--", "--weird-id"});
  CHECK(args.positional == std::vector<std::string>{"--weird-id"});
  CHECK(MustParse({"--help"}).help);
  ParsedArgs help = MustParse({"trials", "--help"});
  CHECK(help.help);
  CHECK(help.command->name == "trials");
}

TEST_CASE("global options: flag, then environment, then default") {
  GlobalOptions defaults = *ResolveGlobalOptions(MustParse({"list"}), FakeEnv({{"HOME", "/u"}}));
  CHECK(defaults.address == "127.0.0.1:9870");
  CHECK(defaults.home == "/u/.dlkit");
  CHECK(defaults.output == OutputFormat::kTable);

  EnvLookup env = FakeEnv({{"HOME", "/u"}, {"DLKIT_ADDRESS", "env:1"}, {"DLKIT_HOME", "/env"}});
  GlobalOptions from_env = *ResolveGlobalOptions(MustParse({"list"}), env);
  CHECK(from_env.address == "env:1");
  CHECK(from_env.home == "/env");

  GlobalOptions from_flags = *ResolveGlobalOptions(
      MustParse({"list", "--address", "flag:2", "--home", "~/h", "--output", "JSON"}), env);
  CHECK(from_flags.address == "flag:2");
  CHECK(from_flags.home == "/u/h");
  CHECK(from_flags.output == OutputFormat::kJson);

  CHECK(!ResolveGlobalOptions(MustParse({"list", "--output", "yaml"}), env).ok());
}

TEST_CASE("trials options: sort, states, limit") {
  TrialsOptions options =
      *TrialsOptionsFrom(MustParse({"trials", "e", "--sort", "duration", "--status",
                                    "succeeded,FAILED,failed", "--limit", "7", "--reverse"}));
  CHECK(options.experiment_id == "e");
  CHECK(options.sort == TrialSort::kDuration);
  CHECK(options.reverse);
  CHECK(options.states == std::vector<v1::TrialState>{v1::SUCCEEDED, v1::FAILED});
  CHECK(options.limit == 7);
  CHECK(TrialsOptionsFrom(MustParse({"trials", "e"}))->sort == TrialSort::kIndex);

  CHECK(!TrialsOptionsFrom(MustParse({"trials", "e", "--sort", "name"})).ok());
  CHECK(!TrialsOptionsFrom(MustParse({"trials", "e", "--status", "done"})).ok());
  CHECK(!TrialsOptionsFrom(MustParse({"trials", "e", "--limit", "0"})).ok());
  CHECK(!TrialsOptionsFrom(MustParse({"trials", "e", "--limit", "x"})).ok());
}

TEST_CASE("update needs at least one change, with valid values") {
  UpdateOptions options =
      *UpdateOptionsFrom(MustParse({"update", "e", "--concurrency", "4", "--duration", "1h30m"}));
  CHECK(*options.concurrency == 4);
  CHECK(!options.max_trials.has_value());
  CHECK(*options.duration == absl::Minutes(90));
  absl::Status none = UpdateOptionsFrom(MustParse({"update", "e"})).status();
  CHECK(none.message().find("nothing to change") != absl::string_view::npos);
  CHECK(!UpdateOptionsFrom(MustParse({"update", "e", "--max-trials", "-3"})).ok());
  CHECK(!UpdateOptionsFrom(MustParse({"update", "e", "--duration", "soon"})).ok());
}

TEST_CASE("init, submit, logs, export and daemon options") {
  CHECK(InitOptionsFrom(MustParse({"init"}))->file == "dlkit-tune.json");
  InitOptions init = *InitOptionsFrom(MustParse({"nni-init", "my.json", "--force"}));
  CHECK(init.file == "my.json");
  CHECK(init.force);
  SubmitOptions submit = *SubmitOptionsFrom(MustParse({"submit", "--watch"}));
  CHECK(submit.file == "dlkit-tune.json");
  CHECK(submit.watch);
  LogsOptions logs = *LogsOptionsFrom(MustParse({"logs", "e", "3", "--follow"}));
  CHECK(logs.trial == "3");
  CHECK(logs.follow);
  ExportOptions exp =
      *ExportOptionsFrom(MustParse({"export", "e", "--format", "json", "--file", "o.json"}));
  CHECK(exp.format == ExportFormat::kJson);
  CHECK(exp.file == "o.json");
  CHECK(ExportOptionsFrom(MustParse({"export", "e"}))->format == ExportFormat::kCsv);
  CHECK(!ExportOptionsFrom(MustParse({"export", "e", "--format", "xml"})).ok());
  CHECK(*DaemonActionFrom(MustParse({"daemon", "stop"})) == DaemonAction::kStop);
  CHECK(!DaemonActionFrom(MustParse({"daemon", "restart"})).ok());
}

TEST_CASE("usage texts name every flag") {
  std::string usage = CommandUsage(*FindCommand("trials"));
  for (const char* flag : {"--sort", "--reverse", "--status", "--limit", "--output"}) {
    CHECK(usage.find(flag) != std::string::npos);
  }
  for (const CommandSpec& c : Commands()) CHECK(GeneralUsage().find(c.name) != std::string::npos);
}

}  // namespace
}  // namespace dlkit::cli
