#include "services/config/experiment_config.h"

#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/config/config_export.h"
#include "services/config/parameter_json.h"
#include "services/config/search_space_config.h"
#include "services/config/spec_validation.h"

namespace dlkit {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using google::protobuf::util::MessageDifferencer;

// Bazel runs tests from the runfiles root of the workspace.
std::string TestData(const std::string& name) {
  return absl::StrCat("services/config/testdata/", name);
}

std::string AbsoluteTestData(const std::string& name) {
  return fs::absolute(TestData(name)).lexically_normal().string();
}

std::string TempDir(const std::string& name) {
  const char* root = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(root != nullptr ? root : "/tmp") / name;
  fs::create_directories(dir);
  return fs::absolute(dir).lexically_normal().string();
}

void WriteFile(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A minimal valid config; each case changes a piece of it.
Json BaseConfig() {
  return Json::parse(R"({
    "searchSpace": {"lr": {"_type": "uniform", "_value": [0.01, 0.1]}},
    "trialCommand": "python3 train.py"
  })");
}

absl::StatusOr<LoadedConfig> ParseJson(const Json& config) {
  return ParseExperimentConfig(config.dump(2), TempDir("base"), /*yaml=*/false);
}

absl::StatusOr<LoadedConfig> ParseYaml(const std::string& text) {
  return ParseExperimentConfig(text, TempDir("base"), /*yaml=*/true);
}

template <typename T>
std::string Message(const absl::StatusOr<T>& result) {
  return std::string(result.status().message());
}

bool Contains(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

v1::ExperimentSpec WithoutSource(v1::ExperimentSpec spec) {
  spec.clear_source_config();
  spec.clear_source_path();
  return spec;
}

// --------------------------------------------------------------------------------------
// Good configs.

TEST_CASE("NNI's example config in YAML loads with its search space file") {
  const std::string path = TestData("nni_mnist/config.yml");
  absl::StatusOr<LoadedConfig> config = LoadExperimentConfig(path);
  REQUIRE(config.ok());
  const v1::ExperimentSpec& spec = config->spec;

  // Parameters in the file's order, typed as written.
  REQUIRE(spec.search_space().parameters_size() == 4);
  const std::vector<std::string> names = {"batch_size", "hidden_size", "lr", "momentum"};
  for (int i = 0; i < 4; ++i) CHECK(spec.search_space().parameters(i).name() == names[i]);
  const v1::ParameterSpec& batch = spec.search_space().parameters(0);
  CHECK(batch.distribution() == v1::CHOICE);
  REQUIRE(batch.options_size() == 4);
  CHECK(batch.options(0).int_value() == 16);
  CHECK(batch.options(3).int_value() == 128);
  const v1::ParameterSpec& lr = spec.search_space().parameters(2);
  CHECK(lr.options(0).kind_case() == v1::ChoiceOption::kDoubleValue);
  CHECK(lr.options(0).double_value() == 0.0001);
  const v1::ParameterSpec& momentum = spec.search_space().parameters(3);
  CHECK(momentum.distribution() == v1::UNIFORM);
  CHECK(std::vector<double>(momentum.args().begin(), momentum.args().end()) ==
        std::vector<double>{0, 1});

  CHECK(spec.trial_command() == "python3 mnist.py");
  CHECK(spec.trial_code_directory() == AbsoluteTestData("nni_mnist"));
  CHECK(spec.trial_concurrency() == 1);
  CHECK(spec.max_trial_number() == 10);
  CHECK(spec.tuner().name() == "TPE");
  CHECK(spec.tuner().class_args().at("optimize_mode").string_value() == "maximize");
  CHECK(spec.objective().direction() == v1::MAXIMIZE);
  CHECK(spec.objective().metric() == "default");
  CHECK(spec.training_service().platform() == v1::LOCAL);
  CHECK(spec.source_path() == AbsoluteTestData("nni_mnist/config.yml"));
  CHECK(spec.source_config() == ReadText(path));
  CHECK(config->warnings ==
        std::vector<std::string>{"trialGpuNumber: accepted for NNI compatibility, ignored by "
                                 "dlkit"});
}

TEST_CASE("the same config in JSON gives the same spec") {
  absl::StatusOr<LoadedConfig> yaml = LoadExperimentConfig(TestData("nni_mnist/config.yml"));
  absl::StatusOr<LoadedConfig> json = LoadExperimentConfig(TestData("nni_mnist/config.json"));
  REQUIRE(yaml.ok());
  REQUIRE(json.ok());
  std::string diff;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  const bool same = differencer.Compare(WithoutSource(yaml->spec), WithoutSource(json->spec));
  INFO(diff);
  CHECK(same);
  CHECK(json->warnings == yaml->warnings);
}

TEST_CASE("NNI's detailed example: inline space, duration, assessor, GPU list") {
  absl::StatusOr<LoadedConfig> config =
      LoadExperimentConfig(TestData("nni_mnist/config_detailed.yml"));
  REQUIRE(config.ok());
  const v1::ExperimentSpec& spec = config->spec;
  CHECK(spec.name() == "MNIST");
  CHECK(spec.trial_concurrency() == 4);
  CHECK(spec.max_experiment_duration().seconds() == 3600);
  const v1::ParameterSpec& lr = spec.search_space().parameters(2);
  CHECK(lr.distribution() == v1::LOGUNIFORM);
  CHECK(lr.args(0) == 1e-4);  // YAML 1.2: 1e-4 is a number
  CHECK(spec.assessor().name() == "Curvefitting");
  CHECK(spec.assessor().class_args().at("epoch_num").int_value() == 20);
  CHECK(spec.assessor().class_args().at("threshold").double_value() == 0.9);
  CHECK(std::vector<int>(spec.training_service().gpu_indices().begin(),
                         spec.training_service().gpu_indices().end()) == std::vector<int>{0, 1});
  CHECK_FALSE(spec.training_service().use_active_gpu());
  CHECK(config->warnings.size() == 1);
}

TEST_CASE("a nested search space keeps its options and sub-spaces") {
  absl::StatusOr<LoadedConfig> config = LoadExperimentConfig(TestData("nested/config.json"));
  REQUIRE(config.ok());
  const v1::SearchSpace& space = config->spec.search_space();
  REQUIRE(space.parameters_size() == 4);
  const v1::ParameterSpec& layer0 = space.parameters(0);
  REQUIRE(layer0.options_size() == 4);
  CHECK(layer0.options(0).nested().name() == "Empty");
  CHECK(layer0.options(0).nested().space().parameters_size() == 0);
  CHECK(layer0.options(1).nested().name() == "Conv");
  CHECK(layer0.options(1).nested().space().parameters(0).name() == "kernel_size");
  const v1::ParameterSpec& optimizer = space.parameters(1);
  const v1::SearchSpace& sgd = optimizer.options(0).nested().space();
  REQUIRE(sgd.parameters_size() == 2);
  CHECK(sgd.parameters(0).name() == "lr");
  CHECK(sgd.parameters(1).name() == "momentum");
  CHECK(optimizer.options(1).nested().space().parameters(0).distribution() == v1::QLOGUNIFORM);
  const v1::ParameterSpec& activation = space.parameters(3);
  CHECK(activation.options(0).string_value() == "relu");
  CHECK(activation.options(2).bool_value());
  CHECK(activation.options(3).double_value() == 0.5);
  CHECK(config->spec.objective().metric() == "accuracy");
}

TEST_CASE("a Kubernetes config in YAML") {
  absl::StatusOr<LoadedConfig> config = LoadExperimentConfig(TestData("kubernetes/config.yaml"));
  REQUIRE(config.ok());
  const v1::ExperimentSpec& spec = config->spec;
  CHECK(spec.trial_code_directory() == "/workspace");
  CHECK(spec.max_experiment_duration().seconds() == 5400);
  CHECK(spec.max_failed_trials() == 3);
  CHECK(spec.trial_retries() == 1);
  CHECK(spec.seed() == 42);
  CHECK(spec.search_space().parameters(1).distribution() == v1::RANDINT);
  CHECK(spec.trial_env().at("OMP_NUM_THREADS") == "4");
  CHECK(spec.trial_env().at("WANDB_MODE") == "offline");
  const v1::TrainingService& ts = spec.training_service();
  REQUIRE(ts.platform() == v1::KUBERNETES);
  const v1::KubernetesService& k8s = ts.kubernetes();
  CHECK(k8s.namespace_() == "tuning");
  CHECK(k8s.image() == "registry.example.com/resnet:1.2");
  CHECK(k8s.job_kind() == v1::PYTORCH_JOB);
  CHECK(k8s.replicas() == 2);
  CHECK(k8s.service_account() == "trainer");
  CHECK(k8s.resources().cpu() == "4");
  CHECK(k8s.resources().memory() == "16Gi");
  CHECK(k8s.resources().gpu() == 1);
  REQUIRE(k8s.volumes_size() == 3);
  CHECK(k8s.volumes(0).persistent_volume_claim() == "imagenet");
  CHECK(k8s.volumes(1).empty_dir());
  CHECK(k8s.volumes(2).host_path() == "/var/cache/datasets");
  CHECK(k8s.node_selector().at("accelerator") == "nvidia-a100");
  REQUIRE(k8s.tolerations_size() == 1);
  CHECK(k8s.tolerations(0).key() == "nvidia.com/gpu");
  CHECK(k8s.tolerations(0).operator_() == "Exists");
  CHECK(k8s.tolerations(0).effect() == "NoSchedule");
  CHECK(k8s.storage() == v1::STORAGE_PVC);
  CHECK(k8s.storage_size() == "5Gi");
  CHECK(k8s.git_repository().url() == "https://github.com/example/resnet.git");
  CHECK(k8s.git_repository().revision() == "v1.2");
  CHECK(k8s.git_repository().image().empty());
  CHECK(k8s.git_repository().secret_name() == "resnet-git-token");
  CHECK(config->warnings.empty());
}

TEST_CASE("defaults fill what a minimal config leaves out") {
  absl::StatusOr<LoadedConfig> config = ParseJson(BaseConfig());
  REQUIRE(config.ok());
  const v1::ExperimentSpec& spec = config->spec;
  CHECK(spec.trial_concurrency() == 1);
  CHECK(spec.max_trial_number() == 0);
  CHECK(spec.tuner().name() == "Random");
  CHECK(spec.assessor().name().empty());
  CHECK(spec.objective().metric() == "default");
  CHECK(spec.objective().direction() == v1::MAXIMIZE);
  CHECK(spec.training_service().platform() == v1::LOCAL);
  CHECK(spec.trial_code_directory() == TempDir("base"));
  CHECK(spec.source_config() == BaseConfig().dump(2));
  CHECK(spec.source_path().empty());
  CHECK(config->warnings.empty());
}

TEST_CASE("optimize_mode alone sets the direction") {
  Json config = BaseConfig();
  config["tuner"] = {{"name", "TPE"}, {"classArgs", {{"optimize_mode", "minimize"}}}};
  absl::StatusOr<LoadedConfig> loaded = ParseJson(config);
  REQUIRE(loaded.ok());
  CHECK(loaded->spec.objective().direction() == v1::MINIMIZE);

  config["objective"] = {{"direction", "minimize"}};  // agreeing is fine
  loaded = ParseJson(config);
  REQUIRE(loaded.ok());
  CHECK(loaded->spec.objective().direction() == v1::MINIMIZE);
}

TEST_CASE("NNI's spellings: snake_case keys, trainingService as a string, advisor") {
  Json config = BaseConfig();
  config["trial_concurrency"] = 3;
  config["max_trial_number"] = 7;
  config["trainingService"] = "local";
  config["advisor"] = {{"name", "Hyperband"}};
  absl::StatusOr<LoadedConfig> loaded = ParseJson(config);
  REQUIRE(loaded.ok());
  CHECK(loaded->spec.trial_concurrency() == 3);
  CHECK(loaded->spec.max_trial_number() == 7);
  CHECK(loaded->spec.tuner().name() == "Hyperband");
  CHECK(Contains(loaded->warnings, "advisor: deprecated in NNI; read as \"tuner\""));
}

TEST_CASE("an empty search space is allowed, with a warning") {
  Json config = BaseConfig();
  config["searchSpace"] = Json::object();
  absl::StatusOr<LoadedConfig> loaded = ParseJson(config);
  REQUIRE(loaded.ok());
  CHECK(loaded->spec.search_space().parameters_size() == 0);
  REQUIRE(loaded->warnings.size() == 1);
  CHECK(loaded->warnings[0].rfind("searchSpace: the search space is empty", 0) == 0);
}

TEST_CASE("null means not set, as in NNI") {
  Json config = BaseConfig();
  config["maxTrialNumber"] = nullptr;
  config["assessor"] = nullptr;
  absl::StatusOr<LoadedConfig> loaded = ParseJson(config);
  REQUIRE(loaded.ok());
  CHECK(loaded->spec.max_trial_number() == 0);
  CHECK(loaded->spec.assessor().name().empty());
}

TEST_CASE("trial command and code directory may sit inside trainingService") {
  const std::string base = TempDir("shortcut");
  fs::create_directories(fs::path(base) / "code");
  Json config = BaseConfig();
  config.erase("trialCommand");
  config["trainingService"] = {
      {"platform", "local"}, {"trialCommand", "python3 run.py"}, {"trialCodeDirectory", "code"}};
  absl::StatusOr<LoadedConfig> loaded = ParseExperimentConfig(config.dump(), base, false);
  REQUIRE(loaded.ok());
  CHECK(loaded->spec.trial_command() == "python3 run.py");
  CHECK(loaded->spec.trial_code_directory() == base + "/code");
}

TEST_CASE("NNI keys without meaning here are warnings") {
  const std::vector<std::pair<std::string, Json>> ignored = {
      {"trialGpuNumber", 1},
      {"nniManagerIp", "10.0.0.1"},
      {"debug", true},
      {"logLevel", "info"},
      {"experimentWorkingDirectory", "~/nni-experiments"},
      {"tunerGpuIndices", 0},
      {"maxTrialDuration", "1h"},
  };
  Json config = BaseConfig();
  for (const auto& [key, value] : ignored) config[key] = value;
  config["experimentType"] = "hpo";
  config["authorName"] = "someone";
  absl::StatusOr<LoadedConfig> loaded = ParseJson(config);
  REQUIRE(loaded.ok());
  for (const auto& [key, value] : ignored) {
    INFO(key);
    CHECK(Contains(loaded->warnings,
                   absl::StrCat(key, ": accepted for NNI compatibility, ignored by dlkit")));
  }
  CHECK(Contains(loaded->warnings,
                 "experimentType: accepted for NNI compatibility, ignored by dlkit"));
  CHECK(Contains(loaded->warnings, "authorName: NNI v1 key, ignored by dlkit"));
  CHECK(loaded->warnings.size() == ignored.size() + 2);
}

TEST_CASE("durations: NNI's units, numbers of seconds, and back") {
  struct Case {
    Json value;
    int64_t seconds;
  };
  const std::vector<Case> cases = {{"30s", 30},    {"10m", 600}, {"2h", 7200},  {"1d", 86400},
                                   {"1.5h", 5400}, {"2H", 7200}, {90, 90},      {"90", 90},
                                   {0.5, 1},       {"0s", 0},    {" 3 m ", 180}};
  for (const Case& c : cases) {
    INFO(c.value.dump());
    Json config = BaseConfig();
    config["maxExperimentDuration"] = c.value;
    absl::StatusOr<LoadedConfig> loaded = ParseJson(config);
    REQUIRE(loaded.ok());
    CHECK(loaded->spec.max_experiment_duration().seconds() == c.seconds);
  }
}

TEST_CASE("YAML scalars follow YAML 1.2: numbers, quoted strings, yes is a string") {
  const std::string text = R"(
searchSpace:
  lr: {_type: loguniform, _value: [1e-4, 1.0e-1]}
  act: {_type: choice, _value: [yes, "10", 10, true, ~x]}
trialCommand: python3 train.py
maxTrialNumber: ~
trialEnv:
  A: "007"
)";
  absl::StatusOr<LoadedConfig> loaded = ParseYaml(text);
  REQUIRE(loaded.ok());
  const v1::SearchSpace& space = loaded->spec.search_space();
  CHECK(space.parameters(0).args(0) == 1e-4);
  CHECK(space.parameters(0).args(1) == 0.1);
  const v1::ParameterSpec& act = space.parameters(1);
  CHECK(act.options(0).string_value() == "yes");
  CHECK(act.options(1).string_value() == "10");
  CHECK(act.options(2).int_value() == 10);
  CHECK(act.options(3).bool_value());
  CHECK(act.options(4).string_value() == "~x");
  CHECK(loaded->spec.max_trial_number() == 0);
  CHECK(loaded->spec.trial_env().at("A") == "007");
}

// --------------------------------------------------------------------------------------
// Bad configs: each case changes the base config and names the expected problem.

struct BadConfig {
  std::string name;
  Json patch;  // merged into BaseConfig() (a null value removes the key)
  std::string expected;
};

Json Patched(const Json& patch) {
  Json config = BaseConfig();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      config.erase(key);
    } else {
      config[key] = value;
    }
  }
  return config;
}

TEST_CASE("bad configs name the key and the problem") {
  const Json kK8s = {{"platform", "kubernetes"}, {"image", "img:1"}};
  auto k8s = [&kK8s](const Json& extra) {
    Json ts = kK8s;
    for (const auto& [key, value] : extra.items()) ts[key] = value;
    return Json{{"trainingService", ts}};
  };
  const std::vector<BadConfig> cases = {
      {"typo",
       {{"trialConcurency", 2}},
       "trialConcurency: unknown key; did you mean \"trialConcurrency\"?"},
      {"typo far from all", {{"zzzzzz", 2}}, "zzzzzz: unknown key; expected one of"},
      {"wrong type",
       {{"maxTrialNumber", "ten"}},
       "maxTrialNumber: expected a non-negative integer, got \"ten\""},
      {"negative", {{"maxTrialNumber", -1}}, "maxTrialNumber: expected a non-negative integer"},
      {"fraction",
       {{"maxFailedTrials", 2.5}},
       "maxFailedTrials: expected a non-negative integer, got 2.5"},
      {"zero concurrency",
       {{"trialConcurrency", 0}},
       "trialConcurrency: expected a positive integer"},
      {"concurrency as text",
       {{"trialConcurrency", "4"}},
       "trialConcurrency: expected a positive integer, got \"4\""},
      {"too big",
       {{"trialRetries", 5000000000LL}},
       "trialRetries: expected a non-negative integer up to 2147483647, got 5000000000"},
      {"bool for int", {{"trialRetries", true}}, "got true"},
      {"bad duration",
       {{"maxExperimentDuration", "2 hours"}},
       "maxExperimentDuration: expected a duration like \"30s\""},
      {"negative duration", {{"maxExperimentDuration", -5}}, "maxExperimentDuration: expected"},
      {"space and file",
       {{"searchSpaceFile", "s.json"}},
       "searchSpace: give searchSpace or searchSpaceFile, not both"},
      {"no space", {{"searchSpace", nullptr}}, "searchSpace: missing"},
      {"space file missing",
       {{"searchSpace", nullptr}, {"searchSpaceFile", "nope.json"}},
       "searchSpaceFile: cannot read"},
      {"no command", {{"trialCommand", nullptr}}, "trialCommand: required"},
      {"empty command", {{"trialCommand", ""}}, "trialCommand: must not be empty"},
      {"command not a string",
       {{"trialCommand", {"python3", "x.py"}}},
       "trialCommand: expected a string, got a list"},
      {"name typo", {{"experimentNme", "x"}}, "did you mean \"experimentName\"?"},
      {"name alone", {{"name", "x"}}, "name: unknown key; did you mean \"experimentName\"?"},
      {"tuner key typo",
       {{"tuner", {{"name", "TPE"}, {"clasArgs", Json::object()}}}},
       "tuner.clasArgs: unknown key; did you mean \"classArgs\"?"},
      {"tuner without name", {{"tuner", {{"classArgs", Json::object()}}}}, "tuner.name: required"},
      {"tuner not an object", {{"tuner", 5}}, "tuner: expected an object"},
      {"classArgs list",
       {{"tuner", {{"name", "TPE"}, {"classArgs", {{"x", {1, 2}}}}}}},
       "tuner.classArgs.x: lists are not supported in classArgs"},
      {"bad optimize_mode",
       {{"tuner", {{"name", "TPE"}, {"classArgs", {{"optimize_mode", "max"}}}}}},
       "tuner.classArgs.optimize_mode: expected \"maximize\" or \"minimize\", got \"max\""},
      {"custom tuner",
       {{"tuner", {{"className", "my.Tuner"}, {"codeDirectory", "."}}}},
       "tuner.className: custom algorithms are not supported"},
      {"v1 tuner",
       {{"tuner", {{"builtinTunerName", "TPE"}}}},
       "tuner.builtinTunerName: NNI v1 key; dlkit reads NNI v2 configs: use \"name\""},
      {"assessor typo",
       {{"assessor", {{"nmae", "Medianstop"}}}},
       "assessor.nmae: unknown key; did you mean \"name\"?"},
      {"advisor and tuner",
       {{"tuner", {{"name", "TPE"}}}, {"advisor", {{"name", "Hyperband"}}}},
       "advisor: NNI's deprecated form of \"tuner\"; give tuner only"},
      {"objective typo",
       {{"objective", {{"metrc", "acc"}}}},
       "objective.metrc: unknown key; did you mean \"metric\"?"},
      {"bad direction",
       {{"objective", {{"direction", "up"}}}},
       "objective.direction: expected \"maximize\" or \"minimize\", got \"up\""},
      {"direction conflict",
       {{"objective", {{"direction", "maximize"}}},
        {"tuner", {{"name", "TPE"}, {"classArgs", {{"optimize_mode", "minimize"}}}}}},
       "tuner.classArgs.optimize_mode: \"minimize\" conflicts with objective.direction "
       "(\"maximize\")"},
      {"assessor conflicts with tuner",
       {{"tuner", {{"name", "TPE"}, {"classArgs", {{"optimize_mode", "maximize"}}}}},
        {"assessor", {{"name", "Medianstop"}, {"classArgs", {{"optimize_mode", "minimize"}}}}}},
       "assessor.classArgs.optimize_mode: \"minimize\" conflicts with "
       "tuner.classArgs.optimize_mode"},
      {"empty metric", {{"objective", {{"metric", ""}}}}, "objective.metric: must not be empty"},
      {"unsupported platform",
       {{"trainingService", {{"platform", "remote"}}}},
       "trainingService.platform: platform \"remote\" is not supported by dlkit"},
      {"kubeflow",
       {{"trainingService", {{"platform", "kubeflow"}}}},
       "use \"kubernetes\" (jobKind Job, PyTorchJob or TFJob)"},
      {"platform typo",
       {{"trainingService", {{"platform", "locall"}}}},
       "trainingService.platform: unknown platform \"locall\"; did you mean \"local\"?"},
      {"no platform",
       {{"trainingService", {{"useActiveGpu", true}}}},
       "trainingService.platform: required"},
      {"hybrid",
       {{"trainingService", {{{"platform", "local"}}, {{"platform", "remote"}}}}},
       "trainingService: a list of training services"},
      {"service key typo",
       {{"trainingService", {{"platform", "local"}, {"useActivGpu", true}}}},
       "trainingService.useActivGpu: unknown key; did you mean \"useActiveGpu\"?"},
      {"k8s key on local",
       {{"trainingService", {{"platform", "local"}, {"image", "x"}}}},
       "trainingService.image: applies to platform kubernetes only"},
      {"local key on k8s", k8s({{"gpuIndices", 0}}),
       "trainingService.gpuIndices: applies to platform local only"},
      {"k8s without image",
       {{"trainingService", {{"platform", "kubernetes"}}}},
       "trainingService.image: required for platform kubernetes"},
      {"job kind", k8s({{"jobKind", "MPIJob"}}),
       "trainingService.jobKind: unknown job kind \"MPIJob\""},
      {"zero replicas", k8s({{"replicas", 0}}),
       "trainingService.replicas: expected a positive integer"},
      {"replicas of a Job", k8s({{"replicas", 3}}), "trainingService.replicas: a Job trial"},
      {"bad namespace", k8s({{"namespace", "My_NS"}}),
       "trainingService.namespace: \"My_NS\" is not a valid namespace"},
      {"bad cpu", k8s({{"resources", {{"cpu", "two"}}}}),
       "trainingService.resources.cpu: \"two\" is not a Kubernetes quantity"},
      {"bad memory", k8s({{"resources", {{"memory", "8gb"}}}}),
       "trainingService.resources.memory: \"8gb\" is not a Kubernetes quantity"},
      {"node selector not a map", k8s({{"nodeSelector", {"a"}}}),
       "trainingService.nodeSelector: expected an object of label: value"},
      {"node selector key", k8s({{"nodeSelector", {{"bad key!", "x"}}}}),
       "trainingService.nodeSelector.bad key!: \"bad key!\" is not a label key"},
      {"node selector value", k8s({{"nodeSelector", {{"zone", "eu west"}}}}),
       "trainingService.nodeSelector.zone: \"eu west\" is not a label value"},
      {"tolerations not a list", k8s({{"tolerations", {{"key", "x"}}}}),
       "trainingService.tolerations: expected a list of {key, operator, value, effect}"},
      {"toleration operator", k8s({{"tolerations", {{{"key", "gpu"}, {"operator", "In"}}}}}),
       "trainingService.tolerations[0].operator: must be Equal or Exists, got \"In\""},
      {"toleration effect",
       k8s({{"tolerations", {{{"key", "gpu"}, {"value", "x"}, {"effect", "Never"}}}}}),
       "trainingService.tolerations[0].effect: must be NoSchedule, PreferNoSchedule or "
       "NoExecute"},
      {"toleration without key", k8s({{"tolerations", {{{"value", "x"}}}}}),
       "trainingService.tolerations[0].key: required unless operator is Exists"},
      {"toleration typo", k8s({{"tolerations", {{{"key", "gpu"}, {"efect", "NoSchedule"}}}}}),
       "trainingService.tolerations[0].efect: unknown key; did you mean \"effect\"?"},
      {"storage", k8s({{"storage", "nfs"}}), "trainingService.storage: unknown storage \"nfs\""},
      {"git repository as text", k8s({{"gitRepository", "https://x/y.git"}}),
       "trainingService.gitRepository: expected an object {url, revision, image, secretName}"},
      {"git repository without url", k8s({{"gitRepository", {{"revision", "main"}}}}),
       "trainingService.gitRepository.url: required: the repository to clone"},
      {"git repository typo", k8s({{"gitRepository", {{"url", "u"}, {"branch", "main"}}}}),
       "trainingService.gitRepository.branch: unknown key"},
      {"git secret name", k8s({{"gitRepository", {{"url", "u"}, {"secretName", "Git_Token"}}}}),
       "trainingService.gitRepository.secretName: \"Git_Token\" is not a valid Secret name"},
      {"git repository on local",
       {{"trainingService", {{"platform", "local"}, {"gitRepository", {{"url", "u"}}}}}},
       "trainingService.gitRepository: applies to platform kubernetes only"},
      {"storage size", k8s({{"storageSize", "lots"}}),
       "trainingService.storageSize: \"lots\" is not a Kubernetes quantity"},
      {"storage size of an emptyDir", k8s({{"storage", "emptyDir"}, {"storageSize", "1Gi"}}),
       "trainingService.storageSize: applies to storage \"pvc\" only"},
      {"resources typo", k8s({{"resources", {{"gpus", 1}}}}),
       "trainingService.resources.gpus: unknown key; did you mean \"gpu\"?"},
      {"volume with two sources",
       k8s({{"volumes",
             {{{"name", "d"}, {"mountPath", "/d"}, {"hostPath", "/x"}, {"emptyDir", true}}}}}),
       "trainingService.volumes[0]: give exactly one of persistentVolumeClaim, hostPath, "
       "emptyDir (got 2)"},
      {"volume relative mount",
       k8s({{"volumes",
             {{{"name", "a"}, {"mountPath", "/a"}, {"emptyDir", true}},
              {{"name", "b"}, {"mountPath", "data"}, {"emptyDir", true}}}}}),
       "trainingService.volumes[1].mountPath: must be an absolute path"},
      {"volume without name", k8s({{"volumes", {{{"mountPath", "/d"}, {"emptyDir", true}}}}}),
       "trainingService.volumes[0].name: required"},
      {"volume names clash",
       k8s({{"volumes",
             {{{"name", "a"}, {"mountPath", "/a"}, {"emptyDir", true}},
              {{"name", "a"}, {"mountPath", "/b"}, {"emptyDir", true}}}}}),
       "trainingService.volumes[1].name: \"a\" names another volume too"},
      {"gpu indices text",
       {{"trainingService", {{"platform", "local"}, {"gpuIndices", "0,x"}}}},
       "trainingService.gpuIndices: expected GPU indices like \"0,1\""},
      {"gpu twice",
       {{"trainingService", {{"platform", "local"}, {"gpuIndices", {0, 0}}}}},
       "trainingService.gpuIndices[1]: GPU 0 is listed twice"},
      {"per gpu zero",
       {{"trainingService", {{"platform", "local"}, {"maxTrialNumberPerGpu", 0}}}},
       "trainingService.maxTrialNumberPerGpu: expected a positive integer"},
      {"code directory missing", {{"trialCodeDirectory", "no/such/dir"}}, "is not a directory"},
      {"reserved env",
       {{"trialEnv", {{"DLKIT_TRIAL_ID", "x"}}}},
       "trialEnv.DLKIT_TRIAL_ID: names starting with DLKIT_ or NNI_ are reserved"},
      {"bad env name",
       {{"trialEnv", {{"1X", "x"}}}},
       "trialEnv.1X: not a valid environment variable name"},
      {"env value list",
       {{"trialEnv", {{"X", {1}}}}},
       "trialEnv.X: expected a string or a number, got a list"},
      {"v1 key",
       {{"maxTrialNum", 5}},
       "maxTrialNum: NNI v1 key; dlkit reads NNI v2 configs: use \"maxTrialNumber\""},
      {"v1 platform",
       {{"trainingServicePlatform", "local"}},
       "trainingServicePlatform: NNI v1 key"},
      {"nas",
       {{"experimentType", "nas"}},
       "experimentType: dlkit runs hyperparameter experiments (\"hpo\") only, got \"nas\""},
      {"annotation", {{"useAnnotation", true}}, "useAnnotation: NNI annotations are not supported"},
      {"same key twice",
       {{"trialConcurrency", 2}, {"trial_concurrency", 3}},
       "trial_concurrency: same key as \"trialConcurrency\"; give it once"},
      {"seed", {{"seed", "abc"}}, "seed: expected an integer, got \"abc\""},
      {"space not an object",
       {{"searchSpace", {1, 2}}},
       "searchSpace: expected an object mapping parameter names"},
      {"space problem",
       {{"searchSpace", {{"lr", {{"_type", "uniform"}, {"_value", {0.1, 0.01}}}}}}},
       "searchSpace.lr._value: low (0.1) must be below high (0.01)"},
  };
  for (const BadConfig& c : cases) {
    INFO(c.name);
    absl::StatusOr<LoadedConfig> loaded = ParseJson(Patched(c.patch));
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.status().code() == absl::StatusCode::kInvalidArgument);
    INFO(Message(loaded));
    CHECK(Message(loaded).find(c.expected) != std::string::npos);
  }
}

TEST_CASE("all problems come together, one per line, each once") {
  Json config = BaseConfig();
  config["trialConcurency"] = 2;
  config["maxTrialNumber"] = "ten";
  config["searchSpace"]["lr"]["_value"] = {0.1, 0.01};
  config["searchSpace"]["bs"] = {{"_type", "choise"}, {"_value", {16, 32}}};
  config["trainingService"] = {{"platform", "kubernetes"}};
  config.erase("trialCommand");
  absl::StatusOr<LoadedConfig> loaded = ParseJson(config);
  REQUIRE_FALSE(loaded.ok());
  const std::vector<std::string> lines = absl::StrSplit(Message(loaded), '\n');
  INFO(Message(loaded));
  CHECK(lines.size() == 6);
  CHECK(Contains(lines, "trialConcurency: unknown key; did you mean \"trialConcurrency\"?"));
  CHECK(Contains(lines, "maxTrialNumber: expected a non-negative integer, got \"ten\""));
  CHECK(Contains(lines, "searchSpace.lr._value: low (0.1) must be below high (0.01)"));
  CHECK(Contains(lines, "searchSpace.bs._type: unknown type \"choise\"; did you mean \"choice\"?"));
  CHECK(Contains(lines,
                 "trainingService.image: required for platform kubernetes (the container "
                 "image trials run in)"));
  CHECK(Contains(lines,
                 "trialCommand: required (the command that runs one trial, e.g. "
                 "\"python3 train.py\")"));
}

TEST_CASE("a problem below a key does not hide another one at the key") {
  Json config = BaseConfig();
  config["trainingService"] = {{"platform", "kubernetes"},
                               {"image", "img"},
                               {"volumes", {{{"name", "data"}, {"mountPath", "data"}}}}};
  absl::StatusOr<LoadedConfig> loaded = ParseJson(config);
  REQUIRE_FALSE(loaded.ok());
  const std::vector<std::string> lines = absl::StrSplit(Message(loaded), '\n');
  INFO(Message(loaded));
  CHECK(lines.size() == 2);
  CHECK(Contains(lines,
                 "trainingService.volumes[0].mountPath: must be an absolute path, got "
                 "\"data\""));
  CHECK(Contains(lines,
                 "trainingService.volumes[0]: give exactly one of persistentVolumeClaim, "
                 "hostPath, emptyDir (got 0)"));
}

TEST_CASE("an unknown key far from all lists the keys dlkit reads") {
  Json config = BaseConfig();
  config["zzzzzz"] = 1;
  absl::StatusOr<LoadedConfig> loaded = ParseJson(config);
  REQUIRE_FALSE(loaded.ok());
  const std::string message = Message(loaded);
  INFO(message);
  CHECK(message.rfind("zzzzzz: unknown key; expected one of ", 0) == 0);
  for (const std::string key : {"experimentName", "trialCommand", "trainingService", "trialEnv"}) {
    CHECK(message.find(key) != std::string::npos);
  }
  CHECK(message.find("nniManagerIp") == std::string::npos);  // ignored keys are not advertised
}

TEST_CASE("JSON syntax errors give the line and column") {
  const std::string text = "{\n  \"trialCommand\": \"x\",\n  \"maxTrialNumber\": 10,,\n}\n";
  absl::StatusOr<LoadedConfig> loaded = ParseExperimentConfig(text, TempDir("base"), false);
  REQUIRE_FALSE(loaded.ok());
  INFO(Message(loaded));
  CHECK(Message(loaded).find("invalid JSON: line 3, column") != std::string::npos);

  loaded = ParseExperimentConfig("", TempDir("base"), false);
  REQUIRE_FALSE(loaded.ok());
  CHECK(Message(loaded).find("invalid JSON: line 1, column 1") != std::string::npos);
}

TEST_CASE("duplicate keys are errors with their path") {
  const std::string json = R"({"searchSpace": {"lr": {"_type": "uniform", "_value": [0, 1]},
    "opt": {"_type": "choice", "_value": [{"_name": "a", "x": {}, "x": {}}]},
    "lr": {"_type": "uniform", "_value": [0, 2]}}, "trialCommand": "t"})";
  absl::StatusOr<LoadedConfig> loaded = ParseExperimentConfig(json, TempDir("base"), false);
  REQUIRE_FALSE(loaded.ok());
  INFO(Message(loaded));
  CHECK(Message(loaded).find("searchSpace.lr: key given twice") != std::string::npos);
  CHECK(Message(loaded).find("searchSpace.opt._value[0].x: key given twice") != std::string::npos);

  const std::string yaml = "trialCommand: a\ntrialCommand: b\n";
  loaded = ParseYaml(yaml);
  REQUIRE_FALSE(loaded.ok());
  CHECK(Message(loaded).find("trialCommand: key given twice") != std::string::npos);
}

TEST_CASE("JSON comments are allowed") {
  const std::string text = R"({
    // the script
    "trialCommand": "python3 train.py", /* inline */
    "searchSpace": {"x": {"_type": "randint", "_value": [0, 4]}}
  })";
  absl::StatusOr<LoadedConfig> loaded = ParseExperimentConfig(text, TempDir("base"), false);
  INFO(Message(loaded));
  CHECK(loaded.ok());
}

TEST_CASE("YAML syntax errors give the line and column") {
  absl::StatusOr<LoadedConfig> loaded = ParseYaml("trialCommand: x\nsearchSpace: [1, 2\nseed: 3\n");
  REQUIRE_FALSE(loaded.ok());
  INFO(Message(loaded));
  CHECK(Message(loaded).find("invalid YAML: line 3") != std::string::npos);

  loaded = ParseYaml("- a\n- b\n");
  REQUIRE_FALSE(loaded.ok());
  CHECK(Message(loaded).find("expected an object of config keys at the top level, got a list") !=
        std::string::npos);
}

TEST_CASE("search space files resolve against the config's folder") {
  const std::string dir = TempDir("spacefile");
  fs::create_directories(fs::path(dir) / "code");
  WriteFile(dir + "/spaces/good.json", R"({"lr": {"_type": "loguniform", "_value": [0.001, 1]}})");
  WriteFile(dir + "/spaces/bad.json",
            R"({"lr": {"_type": "uniform", "_value": [0.1, 0.01]},
                "x": {"_type": "randint", "_value": [1]}})");
  WriteFile(dir + "/spaces/space.yaml", "lr:\n  _type: uniform\n  _value: [0, 1]\n");
  WriteFile(dir + "/good.json", R"({"searchSpaceFile": "spaces/good.json",
      "trialCommand": "t", "trialCodeDirectory": "code"})");
  WriteFile(dir + "/bad.json", R"({"searchSpaceFile": "spaces/bad.json", "trialCommand": "t"})");
  WriteFile(dir + "/yaml_space.json",
            R"({"searchSpaceFile": "spaces/space.yaml", "trialCommand": "t"})");

  absl::StatusOr<LoadedConfig> good = LoadExperimentConfig(dir + "/good.json");
  REQUIRE(good.ok());
  CHECK(good->spec.search_space().parameters(0).distribution() == v1::LOGUNIFORM);
  CHECK(good->spec.trial_code_directory() == dir + "/code");

  absl::StatusOr<LoadedConfig> yaml_space = LoadExperimentConfig(dir + "/yaml_space.json");
  REQUIRE(yaml_space.ok());
  CHECK(yaml_space->spec.search_space().parameters(0).distribution() == v1::UNIFORM);

  absl::StatusOr<LoadedConfig> bad = LoadExperimentConfig(dir + "/bad.json");
  REQUIRE_FALSE(bad.ok());
  const std::vector<std::string> lines = absl::StrSplit(Message(bad), '\n');
  INFO(Message(bad));
  CHECK(lines.size() == 2);
  CHECK(Contains(lines,
                 "searchSpaceFile: in \"spaces/bad.json\": lr._value: low (0.1) must be "
                 "below high (0.01)"));
  CHECK(Contains(lines,
                 "searchSpaceFile: in \"spaces/bad.json\": x._value: randint takes 2 "
                 "values [lower, upper], got 1"));
}

TEST_CASE("files without a known extension: JSON, then YAML") {
  const std::string dir = TempDir("noext");
  WriteFile(dir + "/json_config", BaseConfig().dump());
  WriteFile(dir + "/yaml_config",
            "trialCommand: t\nsearchSpace:\n  x: {_type: choice, _value: [1, 2]}\n");
  WriteFile(dir + "/broken_config", "{\"trialCommand\": ");
  absl::StatusOr<LoadedConfig> json = LoadExperimentConfig(dir + "/json_config");
  REQUIRE(json.ok());
  absl::StatusOr<LoadedConfig> yaml = LoadExperimentConfig(dir + "/yaml_config");
  REQUIRE(yaml.ok());
  CHECK(yaml->spec.search_space().parameters(0).options(1).int_value() == 2);
  absl::StatusOr<LoadedConfig> broken = LoadExperimentConfig(dir + "/broken_config");
  REQUIRE_FALSE(broken.ok());
  CHECK(Message(broken).find("invalid JSON: line 1") != std::string::npos);

  absl::StatusOr<LoadedConfig> missing = LoadExperimentConfig(dir + "/missing.json");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
}

// --------------------------------------------------------------------------------------
// Search spaces alone.

TEST_CASE("every distribution of NNI's table parses") {
  const std::string text = R"({
    "c": {"_type": "choice", "_value": [1, 2.5, "s", false]},
    "ri": {"_type": "randint", "_value": [0, 10]},
    "u": {"_type": "uniform", "_value": [-1, 1]},
    "qu": {"_type": "quniform", "_value": [0, 10, 2]},
    "lu": {"_type": "loguniform", "_value": [0.001, 1]},
    "qlu": {"_type": "qloguniform", "_value": [1, 1000, 10]},
    "n": {"_type": "normal", "_value": [0, 1]},
    "qn": {"_type": "qnormal", "_value": [0, 1, 0.5]},
    "ln": {"_type": "lognormal", "_value": [0, 1]},
    "qln": {"_type": "qlognormal", "_value": [0, 1, 0.5]}
  })";
  absl::StatusOr<v1::SearchSpace> space = ParseSearchSpaceJson(text, "searchSpace");
  REQUIRE(space.ok());
  REQUIRE(space->parameters_size() == 10);
  for (int i = 0; i < 10; ++i) {
    CHECK(space->parameters(i).distribution() == static_cast<v1::Distribution>(i + 1));
  }
  CHECK(space->parameters(3).args_size() == 3);
  CHECK(space->parameters(0).options(0).kind_case() == v1::ChoiceOption::kIntValue);
  CHECK(space->parameters(0).options(1).kind_case() == v1::ChoiceOption::kDoubleValue);
}

TEST_CASE("parameter order is the user's") {
  absl::StatusOr<v1::SearchSpace> space = ParseSearchSpaceJson(
      R"({"zeta": {"_type": "uniform", "_value": [0, 1]},
          "alpha": {"_type": "uniform", "_value": [0, 1]},
          "mid": {"_type": "uniform", "_value": [0, 1]}})",
      "");
  REQUIRE(space.ok());
  CHECK(space->parameters(0).name() == "zeta");
  CHECK(space->parameters(1).name() == "alpha");
  CHECK(space->parameters(2).name() == "mid");
}

struct BadSpace {
  std::string name;
  std::string json;  // the space
  std::string expected;
};

TEST_CASE("bad search spaces name the parameter's path") {
  const std::vector<BadSpace> cases = {
      {"low >= high", R"({"lr": {"_type": "uniform", "_value": [0.1, 0.01]}})",
       "searchSpace.lr._value: low (0.1) must be below high (0.01)"},
      {"equal bounds", R"({"lr": {"_type": "quniform", "_value": [1, 1, 0.1]}})",
       "searchSpace.lr._value: low (1) must be below high (1)"},
      {"log of zero", R"({"lr": {"_type": "loguniform", "_value": [0, 1]}})",
       "searchSpace.lr._value: loguniform needs low > 0 (it samples the logarithm), got 0"},
      {"log of negative", R"({"lr": {"_type": "qloguniform", "_value": [-1, 1, 0.1]}})",
       "searchSpace.lr._value: qloguniform needs low > 0"},
      {"q zero", R"({"x": {"_type": "quniform", "_value": [0, 1, 0]}})",
       "searchSpace.x._value: q must be positive, got 0"},
      {"q negative", R"({"x": {"_type": "qnormal", "_value": [0, 1, -0.5]}})",
       "searchSpace.x._value: q must be positive, got -0.5"},
      {"sigma zero", R"({"x": {"_type": "normal", "_value": [0, 0]}})",
       "searchSpace.x._value: sigma must be positive, got 0"},
      {"sigma negative", R"({"x": {"_type": "lognormal", "_value": [1, -2]}})",
       "searchSpace.x._value: sigma must be positive, got -2"},
      {"empty choice", R"({"x": {"_type": "choice", "_value": []}})",
       "searchSpace.x._value: choice needs at least one option"},
      {"unknown type", R"({"lr": {"_type": "logunifrom", "_value": [0.1, 1]}})",
       "searchSpace.lr._type: unknown type \"logunifrom\"; did you mean \"loguniform\"?"},
      {"unknown type far", R"({"lr": {"_type": "gaussian", "_value": [0, 1]}})",
       "searchSpace.lr._type: unknown type \"gaussian\"; expected one of choice, randint"},
      {"type not a string", R"({"lr": {"_type": 3, "_value": [0, 1]}})",
       "searchSpace.lr._type: expected a string, got 3"},
      {"arity 2", R"({"x": {"_type": "uniform", "_value": [1]}})",
       "searchSpace.x._value: uniform takes 2 values [low, high], got 1"},
      {"arity 3", R"({"x": {"_type": "qloguniform", "_value": [1, 2]}})",
       "searchSpace.x._value: qloguniform takes 3 values [low, high, q], got 2"},
      {"arity normal", R"({"x": {"_type": "normal", "_value": [1, 2, 3]}})",
       "searchSpace.x._value: normal takes 2 values [mu, sigma], got 3"},
      {"missing type", R"({"x": {"_value": [1, 2]}})", "searchSpace.x: missing \"_type\""},
      {"missing value", R"({"x": {"_type": "uniform"}})", "searchSpace.x: missing \"_value\""},
      {"value typo", R"({"x": {"_type": "uniform", "_values": [0, 1]}})",
       "searchSpace.x._values: unknown key; did you mean \"_value\"?"},
      {"value not a list", R"({"x": {"_type": "uniform", "_value": 0.5}})",
       "searchSpace.x._value: expected a list, got 0.5"},
      {"text bound", R"({"x": {"_type": "uniform", "_value": [0, "1"]}})",
       "searchSpace.x._value[1]: expected a number, got \"1\""},
      {"parameter not an object", R"({"x": [1, 2]})",
       "searchSpace.x: expected an object {\"_type\": ..., \"_value\": [...]}, got a list"},
      {"randint fraction", R"({"x": {"_type": "randint", "_value": [0.5, 10]}})",
       "searchSpace.x._value: randint bounds must be integers, got [0.5, 10]"},
      {"randint empty range", R"({"x": {"_type": "randint", "_value": [3, 3]}})",
       "searchSpace.x._value: lower (3) must be below upper (3); upper is exclusive"},
      {"option of a list", R"({"x": {"_type": "choice", "_value": [[1, 2]]}})",
       "searchSpace.x._value[0]: expected a number, string, bool or an object with \"_name\""},
      {"option null", R"({"x": {"_type": "choice", "_value": [1, null]}})",
       "searchSpace.x._value[1]: expected a number"},
      {"nested without _name",
       R"({"model": {"_type": "choice", "_value": [{"_name": "a"}, {"hidden": {}}]}})",
       "searchSpace.model._value[1]: nested option needs a \"_name\" key naming it"},
      {"nested _name not a string", R"({"model": {"_type": "choice", "_value": [{"_name": 3}]}})",
       "searchSpace.model._value[0]._name: expected a non-empty string, got 3"},
      {"nested sub-space",
       R"({"model": {"_type": "choice", "_value": [{"_name": "a"},
           {"_name": "b", "hidden": {"_type": "randint", "_value": [64, 8]}}]}})",
       "searchSpace.model._value[1].hidden._value: lower (64) must be below upper (8)"},
      {"nested sub-space shape",
       R"({"model": {"_type": "choice", "_value": [
           {"_name": "b", "hidden": {"_type": "choice", "_value": {}}}]}})",
       "searchSpace.model._value[0].hidden._value: expected a list, got an object"},
      {"nested names clash",
       R"({"model": {"_type": "choice", "_value": [{"_name": "a"}, {"_name": "a"}]}})",
       "searchSpace.model._value[1]._name: \"a\" also names option 0"},
      {"deeply nested",
       R"({"m": {"_type": "choice", "_value": [{"_name": "a", "o": {"_type": "choice",
           "_value": [{"_name": "b", "lr": {"_type": "loguniform", "_value": [0, 1]}}]}}]}})",
       "searchSpace.m._value[0].o._value[0].lr._value: loguniform needs low > 0"},
      {"not an object", R"([1, 2])", "searchSpace: expected an object mapping parameter names"},
      {"syntax", R"({"x": )", "invalid JSON: line 1, column"},
  };
  for (const BadSpace& c : cases) {
    INFO(c.name);
    absl::StatusOr<v1::SearchSpace> space = ParseSearchSpaceJson(c.json, "searchSpace");
    REQUIRE_FALSE(space.ok());
    CHECK(space.status().code() == absl::StatusCode::kInvalidArgument);
    INFO(Message(space));
    CHECK(Message(space).find(c.expected) != std::string::npos);
  }
}

TEST_CASE("a bad option does not shift the paths of later options") {
  absl::StatusOr<v1::SearchSpace> space = ParseSearchSpaceJson(
      R"({"m": {"_type": "choice", "_value": [[0], {"_name": "a"}, {"_name": "a"}]}})",
      "searchSpace");
  REQUIRE_FALSE(space.ok());
  const std::vector<std::string> lines = absl::StrSplit(Message(space), '\n');
  INFO(Message(space));
  CHECK(lines.size() == 2);
  CHECK(Message(space).find("searchSpace.m._value[0]: expected") != std::string::npos);
  CHECK(Message(space).find("searchSpace.m._value[2]._name: \"a\" also names option 1") !=
        std::string::npos);
}

// --------------------------------------------------------------------------------------
// Back to JSON.

TEST_CASE("search space round trip: proto -> JSON -> proto") {
  absl::StatusOr<LoadedConfig> config = LoadExperimentConfig(TestData("nested/config.json"));
  REQUIRE(config.ok());
  v1::SearchSpace original = config->spec.search_space();
  // Add the remaining distributions so every kind travels.
  absl::StatusOr<v1::SearchSpace> more = ParseSearchSpaceJson(
      R"({"ri": {"_type": "randint", "_value": [-3, 7]},
          "n": {"_type": "normal", "_value": [0.5, 2]},
          "qn": {"_type": "qnormal", "_value": [0, 1, 0.25]},
          "ln": {"_type": "lognormal", "_value": [-1, 0.3]},
          "qln": {"_type": "qlognormal", "_value": [1, 0.5, 2]},
          "c": {"_type": "choice", "_value": [1.0, -7, "x", false]}})",
      "");
  REQUIRE(more.ok());
  for (const v1::ParameterSpec& p : more->parameters()) *original.add_parameters() = p;

  const nlohmann::ordered_json json = SearchSpaceToJson(original);
  CHECK(json["ri"]["_value"][0].is_number_integer());
  CHECK(json["layer0"]["_value"][1]["_name"] == "Conv");
  absl::StatusOr<v1::SearchSpace> back = ParseSearchSpaceJson(json.dump(), "");
  REQUIRE(back.ok());
  std::string diff;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  const bool same = differencer.Compare(original, *back);
  INFO(diff);
  CHECK(same);
  // 1.0 stays a double option, -7 an integer one.
  const v1::ParameterSpec& c = back->parameters(back->parameters_size() - 1);
  CHECK(c.options(0).kind_case() == v1::ChoiceOption::kDoubleValue);
  CHECK(c.options(1).kind_case() == v1::ChoiceOption::kIntValue);
}

v1::ParameterSet SampleParameters() {
  v1::ParameterSet params;
  (*params.mutable_values())["lr"].set_double_value(0.003);
  (*params.mutable_values())["batch_size"].set_int_value(64);
  (*params.mutable_values())["act"].set_string_value("relu");
  (*params.mutable_values())["bn"].set_bool_value(true);
  (*params.mutable_values())["scale"].set_double_value(2.0);
  v1::ParameterSet& model = *(*params.mutable_values())["model"].mutable_nested();
  (*model.mutable_values())["_name"].set_string_value("cnn");
  (*model.mutable_values())["hidden"].set_int_value(128);
  v1::ParameterSet& inner = *(*model.mutable_values())["opt"].mutable_nested();
  (*inner.mutable_values())["_name"].set_string_value("adam");
  (*inner.mutable_values())["beta"].set_double_value(0.9);
  return params;
}

TEST_CASE("parameter sets round trip through NNI's JSON shape") {
  const v1::ParameterSet params = SampleParameters();
  const nlohmann::json json = ParameterSetToJson(params);
  CHECK(json["batch_size"].is_number_integer());
  CHECK(json["scale"].is_number_float());
  CHECK(json["model"]["_name"] == "cnn");
  CHECK(json["model"]["opt"]["_name"] == "adam");
  CHECK(json["model"]["hidden"] == 128);

  absl::StatusOr<v1::ParameterSet> back = ParameterSetFromJson(json, "parameters");
  REQUIRE(back.ok());
  CHECK(MessageDifferencer::Equals(params, *back));
  // Through text as well (2.0 must stay a double).
  absl::StatusOr<v1::ParameterSet> from_text =
      ParameterSetFromJson(nlohmann::json::parse(json.dump()), "parameters");
  REQUIRE(from_text.ok());
  CHECK(MessageDifferencer::Equals(params, *from_text));
  // The ordered flavour gives the same.
  absl::StatusOr<v1::ParameterSet> ordered =
      ParameterSetFromJson(nlohmann::ordered_json::parse(json.dump()), "parameters");
  REQUIRE(ordered.ok());
  CHECK(MessageDifferencer::Equals(params, *ordered));
}

TEST_CASE("parameter sets from JSON: errors with paths") {
  absl::StatusOr<v1::ParameterSet> r =
      ParameterSetFromJson(nlohmann::json::parse(R"({"model": {"hidden": 3}})"), "parameters");
  REQUIRE_FALSE(r.ok());
  CHECK(Message(r).find("parameters.model: nested value needs a \"_name\"") != std::string::npos);

  r = ParameterSetFromJson(nlohmann::json::parse(R"({"a": [1], "b": null, "c": 1})"), "p");
  REQUIRE_FALSE(r.ok());
  const std::vector<std::string> lines = absl::StrSplit(Message(r), '\n');
  CHECK(lines.size() == 2);
  CHECK(Message(r).find("p.a: expected a number, string, bool or object, got a list") !=
        std::string::npos);
  CHECK(Message(r).find("p.b: expected a number, string, bool or object, got null") !=
        std::string::npos);

  r = ParameterSetFromJson(nlohmann::json::parse("[1]"), "parameters");
  REQUIRE_FALSE(r.ok());
  CHECK(Message(r).find("parameters: expected an object") != std::string::npos);
}

TEST_CASE("the starter config parses, validates and says what it should") {
  const std::string text = StarterConfigJson();
  absl::StatusOr<LoadedConfig> loaded =
      ParseExperimentConfig(text, TempDir("starter"), /*yaml=*/false);
  INFO(Message(loaded));
  REQUIRE(loaded.ok());
  CHECK(loaded->warnings.empty());
  CHECK(ValidateExperimentSpec(loaded->spec).ok());
  const v1::ExperimentSpec& spec = loaded->spec;
  CHECK(spec.search_space().parameters_size() >= 3);
  CHECK_FALSE(spec.trial_command().empty());
  CHECK(spec.max_trial_number() > 0);
  CHECK(spec.max_experiment_duration().seconds() > 0);
  CHECK(spec.trial_concurrency() >= 1);
  // Plain JSON: a strict parser (no comments) reads it.
  CHECK_NOTHROW(nlohmann::json::parse(text));
}

TEST_CASE("spec -> config JSON -> spec gives the same spec") {
  const std::string starter_dir = TempDir("starter");
  std::vector<v1::ExperimentSpec> specs;
  for (const std::string path : {"nni_mnist/config.yml", "nni_mnist/config_detailed.yml",
                                 "kubernetes/config.yaml", "nested/config.json"}) {
    absl::StatusOr<LoadedConfig> loaded = LoadExperimentConfig(TestData(path));
    REQUIRE(loaded.ok());
    specs.push_back(loaded->spec);
  }
  absl::StatusOr<LoadedConfig> starter =
      ParseExperimentConfig(StarterConfigJson(), starter_dir, false);
  REQUIRE(starter.ok());
  specs.push_back(starter->spec);
  for (const v1::ExperimentSpec& spec : specs) {
    INFO(spec.source_path());
    const nlohmann::ordered_json json = ExperimentSpecToJson(spec);
    absl::StatusOr<LoadedConfig> back = ParseExperimentConfig(json.dump(2), "/", false);
    INFO(Message(back));
    REQUIRE(back.ok());
    std::string diff;
    MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&diff);
    const bool same = differencer.Compare(WithoutSource(spec), WithoutSource(back->spec));
    INFO(diff);
    CHECK(same);
  }
}

TEST_CASE("a number too large for a double is an error, not a crash (found by test/fuzz)") {
  for (const bool yaml : {false, true}) {
    absl::StatusOr<LoadedConfig> loaded = ParseExperimentConfig(
        R"({"searchSpace": {"x": {"_type": "uniform", "_value": [0, 1e400]}},
            "trialCommand": "true", "maxTrialNumber": 8e888844})",
        "/tmp", yaml);
    REQUIRE_FALSE(loaded.ok());
    if (!yaml) CHECK(loaded.status().message().find("number overflow") != std::string::npos);
  }
  CHECK_FALSE(ParseSearchSpaceJson(R"({"x": {"_type": "choice", "_value": [3E6666666666666]}})",
                                   "searchSpace")
                  .ok());
}

}  // namespace
}  // namespace dlkit
