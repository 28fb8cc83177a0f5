#include "services/config/experiment_config.h"

#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/config/config_document.h"
#include "services/config/config_reader.h"
#include "services/config/parameter_json.h"
#include "services/config/search_space_config.h"
#include "services/config/spec_validation.h"
#include "services/config/training_service_config.h"

namespace dlkit {
namespace config {
namespace {

namespace fs = std::filesystem;

const KeyTable& TopLevelKeys() {
  static const auto* const kTable = new KeyTable{
      {"experimentName", "searchSpace", "searchSpaceFile", "trialCommand", "trialCodeDirectory",
       "trialConcurrency", "maxTrialNumber", "maxExperimentDuration", "maxFailedTrials",
       "trialRetries", "tuner", "assessor", "advisor", "objective", "trainingService", "seed",
       "trialEnv", "experimentType", "useAnnotation"},
      {"trialGpuNumber", "maxTrialDuration", "nniManagerIp", "debug", "logLevel",
       "experimentWorkingDirectory", "tunerGpuIndices", "sharedStorage"},
      {
          {"name", "unknown key; did you mean \"experimentName\"?", true},
          {"authorName", "NNI v1 key, ignored by dlkit", false},
          {"maxExecDuration",
           "NNI v1 key; dlkit reads NNI v2 configs: use \"maxExperimentDuration\"", true},
          {"maxTrialNum", "NNI v1 key; dlkit reads NNI v2 configs: use \"maxTrialNumber\"", true},
          {"trainingServicePlatform",
           "NNI v1 key; dlkit reads NNI v2 configs: use \"trainingService\": {\"platform\": ...}",
           true},
          {"searchSpacePath", "NNI v1 key; dlkit reads NNI v2 configs: use \"searchSpaceFile\"",
           true},
          {"trial",
           "NNI v1 key; dlkit reads NNI v2 configs: use \"trialCommand\" and "
           "\"trialCodeDirectory\"",
           true},
          {"localConfig", "NNI v1 key; dlkit reads NNI v2 configs: use \"trainingService\"", true},
          {"logDir", "NNI v1 key, ignored by dlkit", false},
          {"multiThread", "NNI v1 key, ignored by dlkit", false},
          {"versionCheck", "NNI v1 key, ignored by dlkit", false},
          {"logCollection", "NNI v1 key, ignored by dlkit", false},
      }};
  return *kTable;
}

const KeyTable& AlgorithmKeys() {
  static const std::string kCustom =
      "custom algorithms are not supported by dlkit; use a built-in algorithm \"name\"";
  static const std::string kV1Name = "NNI v1 key; dlkit reads NNI v2 configs: use \"name\"";
  static const auto* const kTable =
      new KeyTable{{"name", "classArgs"},
                   {},
                   {
                       {"className", kCustom, true},
                       {"codeDirectory", kCustom, true},
                       {"classFileName", kCustom, true},
                       {"codeDir", kCustom, true},
                       {"builtinTunerName", kV1Name, true},
                       {"builtinAssessorName", kV1Name, true},
                       {"builtinAdvisorName", kV1Name, true},
                       {"gpuIndices", "NNI v1 key, ignored by dlkit", false},
                       {"includeIntermediateResults", "NNI v1 key, ignored by dlkit", false},
                   }};
  return *kTable;
}

// Where the optimisation direction was given, to find conflicts.
struct DirectionSource {
  std::string path;
  v1::Direction direction;
};

bool ParseDirection(const Json& j, const std::string& path, Report* report, v1::Direction* out) {
  std::string s;
  if (!ReadString(j, path, report, &s)) return false;
  const std::string lower = absl::AsciiStrToLower(s);
  if (lower == "maximize") {
    *out = v1::MAXIMIZE;
  } else if (lower == "minimize") {
    *out = v1::MINIMIZE;
  } else {
    report->Error(path, absl::StrCat("expected \"maximize\" or \"minimize\", got ", Quote(s)));
    return false;
  }
  return true;
}

void ParseAlgorithm(const Json& j, const std::string& path, Report* report, v1::AlgorithmSpec* out,
                    std::vector<DirectionSource>* directions) {
  if (j.is_string()) {  // shorthand: "tuner": "TPE"
    out->set_name(j.get<std::string>());
    if (out->name().empty()) report->Error(path, "algorithm name must not be empty");
    return;
  }
  if (!j.is_object()) {
    report->Error(path,
                  absl::StrCat("expected an object {\"name\": ..., \"classArgs\": {...}}, got ",
                               Describe(j)));
    return;
  }
  const Fields f = ReadFields(j, path, AlgorithmKeys(), report);
  const std::string name_path = JoinSpecPath(path, "name");
  if (const Json* name = Get(f, "name")) {
    std::string s;
    if (ReadString(*name, name_path, report, &s)) {
      if (s.empty()) report->Error(name_path, "must not be empty");
      out->set_name(s);
    }
  } else {
    report->Error(name_path, "required (an algorithm name, e.g. \"TPE\")");
  }
  if (const Json* args = Get(f, "classArgs")) {
    const std::string args_path = JoinSpecPath(path, "classArgs");
    if (!args->is_object()) {
      report->Error(args_path, absl::StrCat("expected an object, got ", Describe(*args)));
      return;
    }
    for (const auto& [key, value] : args->items()) {
      const std::string arg_path = JoinSpecPath(args_path, key);
      if (value.is_null()) continue;  // NNI: null = not set
      if (key == "optimize_mode") {
        v1::Direction direction = v1::DIRECTION_UNSPECIFIED;
        if (ParseDirection(value, arg_path, report, &direction)) {
          directions->push_back(DirectionSource{arg_path, direction});
        }
      }
      if (value.is_array()) {
        report->Error(arg_path, "lists are not supported in classArgs");
        continue;
      }
      v1::ParameterValue converted;
      if (ValueFromJson(value, arg_path, /*nested_needs_name=*/false, report, &converted)) {
        (*out->mutable_class_args())[key] = std::move(converted);
      }
    }
  }
}

void ParseObjective(const Json& j, Report* report, v1::Objective* out,
                    std::vector<DirectionSource>* directions) {
  const std::string path = "objective";
  if (!j.is_object()) {
    report->Error(path, absl::StrCat("expected an object {\"metric\": ..., \"direction\": "
                                     "\"maximize\"|\"minimize\"}, got ",
                                     Describe(j)));
    return;
  }
  const Fields f = ReadFields(j, path, KeyTable{{"metric", "direction"}, {}, {}}, report);
  if (const Json* metric = Get(f, "metric")) {
    std::string s;
    if (ReadString(*metric, "objective.metric", report, &s)) {
      if (s.empty()) report->Error("objective.metric", "must not be empty");
      out->set_metric(s);
    }
  }
  if (const Json* direction = Get(f, "direction")) {
    v1::Direction d = v1::DIRECTION_UNSPECIFIED;
    if (ParseDirection(*direction, "objective.direction", report, &d)) {
      directions->insert(directions->begin(), DirectionSource{"objective.direction", d});
    }
  }
}

void ParseTrialEnv(const Json& j, Report* report, v1::ExperimentSpec* spec) {
  if (!j.is_object()) {
    report->Error("trialEnv", absl::StrCat("expected an object of NAME: value, got ", Describe(j)));
    return;
  }
  for (const auto& [key, value] : j.items()) {
    std::string text;
    if (ReadScalarText(value, JoinSpecPath("trialEnv", key), report, &text)) {
      (*spec->mutable_trial_env())[key] = text;
    }
  }
}

void ReadSearchSpaceFile(const Json& j, const std::string& base_dir, Report* report,
                         v1::SearchSpace* out) {
  const std::string path = "searchSpaceFile";
  std::string given;
  if (!ReadString(j, path, report, &given)) return;
  if (given.empty()) {
    report->Error(path, "must not be empty");
    return;
  }
  const std::string file = ResolvePath(given, base_dir);
  absl::StatusOr<std::string> text = ReadFile(file);
  if (!text.ok()) {
    report->Error(path, std::string(text.status().message()));
    return;
  }
  Report inner;
  std::optional<Json> json = ParseDocument(*text, file, &inner);
  if (json.has_value()) ParseSearchSpace(*json, "", out, &inner);
  for (const SpecProblem& p : inner.errors()) {
    report->Error(path, absl::StrCat("in ", Quote(given), ": ", p.ToString()));
  }
}

void BuildSpec(const Json& root, const std::string& base_dir, Report* report,
               v1::ExperimentSpec* spec) {
  if (!root.is_object()) {
    report->Error("", absl::StrCat("expected an object of config keys at the top level, got ",
                                   Describe(root)));
    return;
  }
  const Fields f = ReadFields(root, "", TopLevelKeys(), report);
  std::string s;

  if (const Json* type = Get(f, "experimentType")) {
    if (type->is_string() && type->get<std::string>() == "hpo") {
      report->Warn("experimentType", "accepted for NNI compatibility, ignored by dlkit");
    } else {
      report->Error("experimentType", absl::StrCat("dlkit runs hyperparameter experiments "
                                                   "(\"hpo\") only, got ",
                                                   Describe(*type)));
    }
  }
  if (const Json* annotation = Get(f, "useAnnotation")) {
    bool b = false;
    if (ReadBool(*annotation, "useAnnotation", report, &b)) {
      if (b) {
        report->Error("useAnnotation",
                      "NNI annotations are not supported; give searchSpace "
                      "or searchSpaceFile");
      } else {
        report->Warn("useAnnotation", "accepted for NNI compatibility, ignored by dlkit");
      }
    }
  }
  if (const Json* name = Get(f, "experimentName")) {
    if (ReadString(*name, "experimentName", report, &s)) spec->set_name(s);
  }

  const Json* space = Get(f, "searchSpace");
  const Json* space_file = Get(f, "searchSpaceFile");
  if (space != nullptr && space_file != nullptr) {
    report->Error("searchSpace", "give searchSpace or searchSpaceFile, not both");
  } else if (space != nullptr || space_file != nullptr) {
    const size_t errors_before = report->errors().size();
    if (space != nullptr) {
      ParseSearchSpace(*space, "searchSpace", spec->mutable_search_space(), report);
    } else {
      ReadSearchSpaceFile(*space_file, base_dir, report, spec->mutable_search_space());
    }
    if (report->errors().size() == errors_before && spec->search_space().parameters_size() == 0) {
      report->Warn(space != nullptr ? "searchSpace" : "searchSpaceFile",
                   "the search space is empty: every trial gets the same (empty) parameters");
    }
  } else {
    report->Error("searchSpace",
                  "missing: give searchSpace (inline) or searchSpaceFile (a "
                  "JSON file)");
  }

  TrialOverrides overrides;
  bool platform_known = true;
  if (const Json* ts = Get(f, "trainingService")) {
    platform_known =
        ParseTrainingService(*ts, report, spec->mutable_training_service(), &overrides);
  }

  const Json* command = Get(f, "trialCommand");
  std::string command_path = "trialCommand";
  if (overrides.command != nullptr) {
    command = overrides.command;
    command_path = "trainingService.trialCommand";
  }
  if (command == nullptr) {
    report->Error("trialCommand",
                  "required (the command that runs one trial, e.g. "
                  "\"python3 train.py\")");
  } else if (ReadString(*command, command_path, report, &s)) {
    if (s.empty()) report->Error(command_path, "must not be empty");
    spec->set_trial_command(s);
  }
  report->Suppress("trialCommand");  // reported here, not again by the spec checks

  const Json* code_dir = Get(f, "trialCodeDirectory");
  std::string code_dir_path = "trialCodeDirectory";
  if (overrides.code_directory != nullptr) {
    code_dir = overrides.code_directory;
    code_dir_path = "trainingService.trialCodeDirectory";
  }
  std::string dir = ".";
  if (code_dir == nullptr || ReadString(*code_dir, code_dir_path, report, &dir)) {
    if (dir.empty()) dir = ".";
    const std::string resolved = ResolvePath(dir, base_dir);
    spec->set_trial_code_directory(resolved);
    std::error_code ec;
    // Trials of the local platform run here; in a cluster the code comes with the image.
    if (platform_known && spec->training_service().platform() != v1::KUBERNETES &&
        !fs::is_directory(resolved, ec)) {
      report->Error(code_dir_path, absl::StrCat(Quote(resolved), " is not a directory"));
    }
  }
  report->Suppress("trialCodeDirectory");

  int32_t n = 0;
  if (const Json* v = Get(f, "trialConcurrency")) {
    if (ReadInt32(*v, "trialConcurrency", 1, report, &n)) spec->set_trial_concurrency(n);
  }
  if (const Json* v = Get(f, "maxTrialNumber")) {
    if (ReadInt32(*v, "maxTrialNumber", 0, report, &n)) spec->set_max_trial_number(n);
  }
  if (const Json* v = Get(f, "maxFailedTrials")) {
    if (ReadInt32(*v, "maxFailedTrials", 0, report, &n)) spec->set_max_failed_trials(n);
  }
  if (const Json* v = Get(f, "trialRetries")) {
    if (ReadInt32(*v, "trialRetries", 0, report, &n)) spec->set_trial_retries(n);
  }
  if (const Json* v = Get(f, "maxExperimentDuration")) {
    int64_t seconds = 0;
    if (ReadDuration(*v, "maxExperimentDuration", report, &seconds)) {
      spec->mutable_max_experiment_duration()->set_seconds(seconds);
    }
  }
  if (const Json* v = Get(f, "seed")) {
    int64_t seed = 0;
    if (ReadInt(*v, "seed", std::numeric_limits<int64_t>::min(),
                std::numeric_limits<int64_t>::max(), report, &seed)) {
      spec->set_seed(seed);
    }
  }

  std::vector<DirectionSource> directions;
  const Json* tuner = Get(f, "tuner");
  if (const Json* advisor = Get(f, "advisor")) {
    if (tuner != nullptr) {
      report->Error("advisor", "NNI's deprecated form of \"tuner\"; give tuner only");
    } else {
      report->Warn("advisor", "deprecated in NNI; read as \"tuner\"");
      ParseAlgorithm(*advisor, "advisor", report, spec->mutable_tuner(), &directions);
    }
  }
  if (tuner != nullptr) {
    ParseAlgorithm(*tuner, "tuner", report, spec->mutable_tuner(), &directions);
  }
  if (const Json* assessor = Get(f, "assessor")) {
    ParseAlgorithm(*assessor, "assessor", report, spec->mutable_assessor(), &directions);
  }
  if (const Json* objective = Get(f, "objective")) {
    ParseObjective(*objective, report, spec->mutable_objective(), &directions);
  }
  if (!directions.empty()) {
    const DirectionSource& first = directions.front();
    spec->mutable_objective()->set_direction(first.direction);
    for (size_t i = 1; i < directions.size(); ++i) {
      if (directions[i].direction != first.direction) {
        report->Error(
            directions[i].path,
            absl::StrCat(Quote(DirectionName(directions[i].direction)), " conflicts with ",
                         first.path, " (", Quote(DirectionName(first.direction)), ")"));
      }
    }
  }

  if (const Json* env = Get(f, "trialEnv")) ParseTrialEnv(*env, report, spec);
}

absl::StatusOr<LoadedConfig> ConfigFromJson(const Json& root, const std::string& text,
                                            const std::string& base_dir) {
  Report report;
  LoadedConfig config;
  BuildSpec(root, base_dir, &report, &config.spec);
  if (!root.is_object()) return report.ToStatus();
  ApplyExperimentDefaults(&config.spec);
  Report semantic;
  for (const SpecProblem& p : FindExperimentSpecProblems(config.spec)) {
    // The search space was checked while it was read (with its file's name, if any).
    if (Related(p.path, "searchSpace") || report.Covers(p.path)) continue;
    semantic.Error(p.path, p.message);
  }
  report.Append(semantic);
  if (!report.ok()) return report.ToStatus();
  config.spec.set_source_config(text);
  config.warnings = report.warnings();
  return config;
}

const char kStarterConfig[] = R"({
  "experimentName": "my-experiment",
  "searchSpace": {
    "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
    "batch_size": {"_type": "choice", "_value": [16, 32, 64, 128]},
    "momentum": {"_type": "uniform", "_value": [0.0, 0.99]},
    "hidden_size": {"_type": "choice", "_value": [128, 256, 512]}
  },
  "trialCommand": "python3 train.py",
  "trialCodeDirectory": ".",
  "trialConcurrency": 2,
  "maxTrialNumber": 20,
  "maxExperimentDuration": "1h",
  "maxFailedTrials": 5,
  "tuner": {"name": "TPE", "classArgs": {"seed": 1}},
  "objective": {"metric": "default", "direction": "maximize"},
  "trainingService": {"platform": "local"}
}
)";

}  // namespace
}  // namespace config

absl::StatusOr<LoadedConfig> ParseExperimentConfig(const std::string& text,
                                                   const std::string& base_dir, bool yaml) {
  config::Report report;
  std::optional<config::Json> root =
      yaml ? config::ParseYamlText(text, &report) : config::ParseJsonText(text, &report);
  if (!root.has_value()) return report.ToStatus();
  return config::ConfigFromJson(*root, text, config::AbsolutePath(base_dir));
}

absl::StatusOr<LoadedConfig> LoadExperimentConfig(const std::string& path) {
  const std::string absolute = config::AbsolutePath(path);
  absl::StatusOr<std::string> text = config::ReadFile(absolute);
  if (!text.ok()) return text.status();
  config::Report report;
  std::optional<config::Json> root = config::ParseDocument(*text, absolute, &report);
  if (!root.has_value()) return report.ToStatus();
  absl::StatusOr<LoadedConfig> loaded =
      config::ConfigFromJson(*root, *text, std::filesystem::path(absolute).parent_path().string());
  if (loaded.ok()) loaded->spec.set_source_path(absolute);
  return loaded;
}

std::string StarterConfigJson() { return config::kStarterConfig; }

std::string DirectionName(v1::Direction direction) {
  return direction == v1::MINIMIZE ? "minimize" : "maximize";
}

}  // namespace dlkit
