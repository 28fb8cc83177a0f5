#include "services/config/spec_validation.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "services/config/search_space_validation.h"

namespace dlkit {
namespace {

v1::ParameterSpec Numeric(const std::string& name, v1::Distribution d, std::vector<double> args) {
  v1::ParameterSpec p;
  p.set_name(name);
  p.set_distribution(d);
  for (double a : args) p.add_args(a);
  return p;
}

v1::ParameterSpec IntChoice(const std::string& name, std::vector<int64_t> values) {
  v1::ParameterSpec p;
  p.set_name(name);
  p.set_distribution(v1::CHOICE);
  for (int64_t v : values) p.add_options()->set_int_value(v);
  return p;
}

v1::SearchSpace SpaceOf(std::vector<v1::ParameterSpec> params) {
  v1::SearchSpace space;
  for (v1::ParameterSpec& p : params) *space.add_parameters() = std::move(p);
  return space;
}

// model: choice of {_name: "mlp", hidden: randint[16, 512)}, {_name: "cnn", kernel: choice}.
v1::ParameterSpec NestedModel() {
  v1::ParameterSpec model;
  model.set_name("model");
  model.set_distribution(v1::CHOICE);
  v1::NestedSpace* mlp = model.add_options()->mutable_nested();
  mlp->set_name("mlp");
  *mlp->mutable_space()->add_parameters() = Numeric("hidden", v1::RANDINT, {16, 512});
  v1::NestedSpace* cnn = model.add_options()->mutable_nested();
  cnn->set_name("cnn");
  *cnn->mutable_space()->add_parameters() = IntChoice("kernel", {3, 5});
  return model;
}

v1::SearchSpace EveryKind() {
  return SpaceOf({
      IntChoice("batch", {16, 32}),
      Numeric("layers", v1::RANDINT, {1, 5}),
      Numeric("momentum", v1::UNIFORM, {0, 0.99}),
      Numeric("dropout", v1::QUNIFORM, {0, 0.5, 0.1}),
      Numeric("lr", v1::LOGUNIFORM, {1e-4, 0.1}),
      Numeric("width", v1::QLOGUNIFORM, {8, 1024, 8}),
      Numeric("n", v1::NORMAL, {0, 1}),
      Numeric("qn", v1::QNORMAL, {0, 1, 0.5}),
      Numeric("ln", v1::LOGNORMAL, {0, 1}),
      Numeric("qln", v1::QLOGNORMAL, {0, 1, 0.5}),
      NestedModel(),
  });
}

v1::ExperimentSpec ValidSpec() {
  v1::ExperimentSpec spec;
  *spec.mutable_search_space() = EveryKind();
  spec.set_trial_command("python3 train.py");
  spec.set_trial_code_directory("/home/user/project");
  ApplyExperimentDefaults(&spec);
  return spec;
}

bool Has(const std::vector<std::string>& problems, const std::string& expected) {
  for (const std::string& p : problems) {
    if (p == expected) return true;
  }
  return false;
}

std::vector<std::string> SpecProblems(const v1::ExperimentSpec& spec) {
  const absl::Status status = ValidateExperimentSpec(spec);
  if (status.ok()) return {};
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  return absl::StrSplit(std::string(status.message()), '\n');
}

TEST_CASE("a space with every kind of parameter is valid") {
  CHECK(ValidateSearchSpace(EveryKind(), "searchSpace").empty());
  CHECK(ValidateSearchSpace(v1::SearchSpace(), "searchSpace").empty());
}

struct BadParam {
  std::string name;
  v1::ParameterSpec param;
  std::string expected;
};

TEST_CASE("each invalid parameter is reported with its path") {
  v1::ParameterSpec empty_choice;
  empty_choice.set_name("c");
  empty_choice.set_distribution(v1::CHOICE);
  v1::ParameterSpec unset_option = IntChoice("c", {1});
  unset_option.add_options();
  v1::ParameterSpec unnamed = NestedModel();
  unnamed.mutable_options(1)->mutable_nested()->clear_name();
  v1::ParameterSpec clash = NestedModel();
  clash.mutable_options(1)->mutable_nested()->set_name("mlp");
  v1::ParameterSpec deep = NestedModel();
  deep.mutable_options(0)->mutable_nested()->mutable_space()->mutable_parameters(0)->set_args(1, 8);
  v1::ParameterSpec named_name = NestedModel();
  named_name.mutable_options(1)->mutable_nested()->mutable_space()->mutable_parameters(0)->set_name(
      "_name");
  v1::ParameterSpec numeric_with_options = Numeric("x", v1::UNIFORM, {});
  numeric_with_options.add_options()->set_int_value(1);
  v1::ParameterSpec choice_with_args = IntChoice("c", {1});
  choice_with_args.add_args(2);
  v1::ParameterSpec unspecified = Numeric("x", v1::DISTRIBUTION_UNSPECIFIED, {0, 1});
  v1::ParameterSpec nan_option = IntChoice("c", {});
  nan_option.add_options()->set_double_value(std::nan(""));
  const double inf = std::numeric_limits<double>::infinity();

  const std::vector<BadParam> cases = {
      {"low >= high", Numeric("lr", v1::UNIFORM, {0.1, 0.01}),
       "searchSpace.lr._value: low (0.1) must be below high (0.01)"},
      {"equal", Numeric("lr", v1::QUNIFORM, {2, 2, 1}),
       "searchSpace.lr._value: low (2) must be below high (2)"},
      {"log of 0", Numeric("lr", v1::LOGUNIFORM, {0, 1}),
       "searchSpace.lr._value: loguniform needs low > 0 (it samples the logarithm), got 0"},
      {"qlog of negative", Numeric("lr", v1::QLOGUNIFORM, {-2, 1, 0.5}),
       "searchSpace.lr._value: qloguniform needs low > 0 (it samples the logarithm), got -2"},
      {"q 0 (quniform)", Numeric("x", v1::QUNIFORM, {0, 1, 0}),
       "searchSpace.x._value: q must be positive, got 0"},
      {"q < 0 (qlognormal)", Numeric("x", v1::QLOGNORMAL, {0, 1, -1}),
       "searchSpace.x._value: q must be positive, got -1"},
      {"sigma 0 (normal)", Numeric("x", v1::NORMAL, {0, 0}),
       "searchSpace.x._value: sigma must be positive, got 0"},
      {"sigma < 0 (qnormal)", Numeric("x", v1::QNORMAL, {0, -1, 1}),
       "searchSpace.x._value: sigma must be positive, got -1"},
      {"sigma 0 (lognormal)", Numeric("x", v1::LOGNORMAL, {3, 0}),
       "searchSpace.x._value: sigma must be positive, got 0"},
      {"arity", Numeric("x", v1::LOGUNIFORM, {1, 2, 3}),
       "searchSpace.x._value: loguniform takes 2 values [low, high], got 3"},
      {"arity q", Numeric("x", v1::QNORMAL, {1, 2}),
       "searchSpace.x._value: qnormal takes 3 values [mu, sigma, q], got 2"},
      {"arity randint", Numeric("x", v1::RANDINT, {}),
       "searchSpace.x._value: randint takes 2 values [lower, upper], got 0"},
      {"randint fraction", Numeric("x", v1::RANDINT, {0, 2.5}),
       "searchSpace.x._value: randint bounds must be integers, got [0, 2.5]"},
      {"randint empty", Numeric("x", v1::RANDINT, {5, 5}),
       "searchSpace.x._value: lower (5) must be below upper (5); upper is exclusive"},
      {"infinite", Numeric("x", v1::UNIFORM, {0, inf}),
       "searchSpace.x._value: values must be finite numbers, got [0, inf]"},
      {"unspecified", unspecified,
       "searchSpace.x._type: missing or unknown distribution; expected one of choice, randint, "
       "uniform"},
      {"empty choice", empty_choice, "searchSpace.c._value: choice needs at least one option"},
      {"unset option", unset_option, "searchSpace.c._value[1]: option has no value"},
      {"nan option", nan_option, "searchSpace.c._value[0]: option must be a finite number"},
      {"choice with args", choice_with_args,
       "searchSpace.c._value: choice takes options, not numeric bounds"},
      {"numeric with options", numeric_with_options,
       "searchSpace.x._value: uniform takes numbers, not choice options"},
      {"nested without name", unnamed,
       "searchSpace.model._value[1]: nested option needs a non-empty \"_name\""},
      {"nested names clash", clash,
       "searchSpace.model._value[1]._name: \"mlp\" also names option 0; each nested option "
       "needs its own _name"},
      {"nested sub-space", deep,
       "searchSpace.model._value[0].hidden._value: lower (16) must be below upper (8); upper is "
       "exclusive"},
      {"_name as a nested parameter", named_name,
       "searchSpace.model._value[1]._name: \"_name\" names the option; it cannot be a "
       "parameter"},
  };
  for (const BadParam& c : cases) {
    INFO(c.name);
    const std::vector<std::string> problems =
        ValidateSearchSpace(SpaceOf({c.param}), "searchSpace");
    INFO((problems.empty() ? std::string("(none)") : problems[0]));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find(c.expected) == 0);
  }
}

TEST_CASE("several problems, parameter names twice or empty") {
  v1::SearchSpace space =
      SpaceOf({Numeric("a", v1::UNIFORM, {1, 0}), Numeric("b", v1::NORMAL, {0, -1}),
               Numeric("a", v1::UNIFORM, {0, 1}), Numeric("", v1::UNIFORM, {0, 1})});
  const std::vector<std::string> problems = ValidateSearchSpace(space, "");
  CHECK(problems.size() == 4);
  CHECK(Has(problems, "a._value: low (1) must be below high (0)"));
  CHECK(Has(problems, "b._value: sigma must be positive, got -1"));
  CHECK(Has(problems, "a: parameter defined twice"));
  CHECK(Has(problems, "a parameter has an empty name"));
}

TEST_CASE("a valid spec passes; defaults do not overwrite what is set") {
  CHECK(ValidateExperimentSpec(ValidSpec()).ok());

  v1::ExperimentSpec spec;
  spec.set_trial_concurrency(4);
  spec.mutable_tuner()->set_name("TPE");
  spec.mutable_objective()->set_direction(v1::MINIMIZE);
  spec.mutable_objective()->set_metric("loss");
  spec.mutable_training_service()->set_platform(v1::KUBERNETES);
  spec.mutable_training_service()->mutable_kubernetes()->set_job_kind(v1::TF_JOB);
  spec.mutable_training_service()->mutable_kubernetes()->set_replicas(3);
  ApplyExperimentDefaults(&spec);
  CHECK(spec.trial_concurrency() == 4);
  CHECK(spec.tuner().name() == "TPE");
  CHECK(spec.objective().direction() == v1::MINIMIZE);
  CHECK(spec.objective().metric() == "loss");
  CHECK(spec.training_service().kubernetes().job_kind() == v1::TF_JOB);
  CHECK(spec.training_service().kubernetes().replicas() == 3);
  CHECK(spec.training_service().kubernetes().namespace_().empty());  // the Launcher's
  CHECK(spec.training_service().kubernetes().storage() == v1::STORAGE_PVC);
  CHECK(spec.training_service().kubernetes().storage_size() == "1Gi");

  v1::ExperimentSpec empty;
  ApplyExperimentDefaults(&empty);
  CHECK(empty.trial_concurrency() == 1);
  CHECK(empty.tuner().name() == "Random");
  CHECK(empty.objective().metric() == "default");
  CHECK(empty.objective().direction() == v1::MAXIMIZE);
  CHECK(empty.training_service().platform() == v1::LOCAL);
  CHECK(empty.training_service().max_trial_number_per_gpu() == 1);
}

struct BadSpec {
  std::string name;
  std::function<void(v1::ExperimentSpec*)> change;
  std::string expected;
};

void MakeKubernetes(v1::ExperimentSpec* spec) {
  v1::TrainingService* ts = spec->mutable_training_service();
  ts->set_platform(v1::KUBERNETES);
  ts->set_max_trial_number_per_gpu(0);
  v1::KubernetesService* k8s = ts->mutable_kubernetes();
  k8s->set_namespace_("default");
  k8s->set_image("img:1");
  k8s->set_job_kind(v1::PYTORCH_JOB);
  k8s->set_replicas(2);
}

v1::Volume* AddVolume(v1::ExperimentSpec* spec, const std::string& name, const std::string& mount) {
  v1::Volume* v = spec->mutable_training_service()->mutable_kubernetes()->add_volumes();
  v->set_name(name);
  v->set_mount_path(mount);
  v->set_empty_dir(true);
  return v;
}

TEST_CASE("each invalid field of a spec is reported with its key") {
  const std::vector<BadSpec> cases = {
      {"no command", [](v1::ExperimentSpec* s) { s->clear_trial_command(); },
       "trialCommand: required (the command that runs one trial)"},
      {"relative code dir", [](v1::ExperimentSpec* s) { s->set_trial_code_directory("code"); },
       "trialCodeDirectory: must be an absolute path, got \"code\""},
      {"concurrency", [](v1::ExperimentSpec* s) { s->set_trial_concurrency(0); },
       "trialConcurrency: must be at least 1, got 0"},
      {"max trials", [](v1::ExperimentSpec* s) { s->set_max_trial_number(-1); },
       "maxTrialNumber: must not be negative, got -1"},
      {"max failed", [](v1::ExperimentSpec* s) { s->set_max_failed_trials(-2); },
       "maxFailedTrials: must not be negative, got -2"},
      {"retries", [](v1::ExperimentSpec* s) { s->set_trial_retries(-1); },
       "trialRetries: must not be negative, got -1"},
      {"duration",
       [](v1::ExperimentSpec* s) { s->mutable_max_experiment_duration()->set_seconds(-5); },
       "maxExperimentDuration: must not be negative"},
      {"tuner", [](v1::ExperimentSpec* s) { s->mutable_tuner()->clear_name(); },
       "tuner.name: required"},
      {"assessor args without name",
       [](v1::ExperimentSpec* s) {
         (*s->mutable_assessor()->mutable_class_args())["start_step"].set_int_value(5);
       },
       "assessor.name: required when classArgs are given"},
      {"metric", [](v1::ExperimentSpec* s) { s->mutable_objective()->clear_metric(); },
       "objective.metric: must not be empty"},
      {"direction", [](v1::ExperimentSpec* s) { s->mutable_objective()->clear_direction(); },
       "objective.direction: must be maximize or minimize"},
      {"platform", [](v1::ExperimentSpec* s) { s->mutable_training_service()->clear_platform(); },
       "trainingService.platform: must be local or kubernetes"},
      {"gpu negative",
       [](v1::ExperimentSpec* s) { s->mutable_training_service()->add_gpu_indices(-1); },
       "trainingService.gpuIndices[0]: must not be negative, got -1"},
      {"gpu twice",
       [](v1::ExperimentSpec* s) {
         s->mutable_training_service()->add_gpu_indices(1);
         s->mutable_training_service()->add_gpu_indices(1);
       },
       "trainingService.gpuIndices[1]: GPU 1 is listed twice"},
      {"per gpu",
       [](v1::ExperimentSpec* s) {
         s->mutable_training_service()->set_max_trial_number_per_gpu(-1);
       },
       "trainingService.maxTrialNumberPerGpu: must be at least 1, got -1"},
      {"k8s settings on local",
       [](v1::ExperimentSpec* s) {
         s->mutable_training_service()->mutable_kubernetes()->set_image("x");
       },
       "trainingService: kubernetes settings given but platform is local"},
      {"local settings on k8s",
       [](v1::ExperimentSpec* s) {
         MakeKubernetes(s);
         s->mutable_training_service()->set_use_active_gpu(true);
       },
       "trainingService: useActiveGpu, gpuIndices and maxTrialNumberPerGpu apply to platform "
       "local only"},
      {"image",
       [](v1::ExperimentSpec* s) {
         MakeKubernetes(s);
         s->mutable_training_service()->mutable_kubernetes()->clear_image();
       },
       "trainingService.image: required for platform kubernetes"},
      {"namespace",
       [](v1::ExperimentSpec* s) {
         MakeKubernetes(s);
         s->mutable_training_service()->mutable_kubernetes()->set_namespace_("-bad");
       },
       "trainingService.namespace: \"-bad\" is not a valid namespace"},
      {"job kind",
       [](v1::ExperimentSpec* s) {
         MakeKubernetes(s);
         s->mutable_training_service()->mutable_kubernetes()->clear_job_kind();
       },
       "trainingService.jobKind: must be Job, PyTorchJob or TFJob"},
      {"replicas",
       [](v1::ExperimentSpec* s) {
         MakeKubernetes(s);
         s->mutable_training_service()->mutable_kubernetes()->set_replicas(0);
       },
       "trainingService.replicas: must be at least 1, got 0"},
      {"job replicas",
       [](v1::ExperimentSpec* s) {
         MakeKubernetes(s);
         s->mutable_training_service()->mutable_kubernetes()->set_job_kind(v1::JOB);
       },
       "trainingService.replicas: a Job trial runs one pod; use jobKind PyTorchJob or TFJob for "
       "2 workers"},
      {"cpu",
       [](v1::ExperimentSpec* s) {
         MakeKubernetes(s);
         s->mutable_training_service()->mutable_kubernetes()->mutable_resources()->set_cpu("1.5x");
       },
       "trainingService.resources.cpu: \"1.5x\" is not a Kubernetes quantity"},
      {"memory",
       [](v1::ExperimentSpec* s) {
         MakeKubernetes(s);
         s->mutable_training_service()->mutable_kubernetes()->mutable_resources()->set_memory(
             "4 GB");
       },
       "trainingService.resources.memory: \"4 GB\" is not a Kubernetes quantity"},
      {"gpu count",
       [](v1::ExperimentSpec* s) {
         MakeKubernetes(s);
         s->mutable_training_service()->mutable_kubernetes()->mutable_resources()->set_gpu(-1);
       },
       "trainingService.resources.gpu: must not be negative, got -1"},
      {"volume sources",
       [](v1::ExperimentSpec* s) {
         MakeKubernetes(s);
         AddVolume(s, "data", "/data")->set_host_path("/mnt");
       },
       "trainingService.volumes[0]: give exactly one of persistentVolumeClaim, hostPath, "
       "emptyDir (got 2)"},
      {"volume no source",
       [](v1::ExperimentSpec* s) {
         MakeKubernetes(s);
         AddVolume(s, "data", "/data")->set_empty_dir(false);
       },
       "trainingService.volumes[0]: give exactly one of persistentVolumeClaim, hostPath, "
       "emptyDir (got 0)"},
      {"volume name",
       [](v1::ExperimentSpec* s) {
         MakeKubernetes(s);
         AddVolume(s, "Data_1", "/data");
       },
       "trainingService.volumes[0].name: \"Data_1\" is not a valid volume name"},
      {"volume mount twice",
       [](v1::ExperimentSpec* s) {
         MakeKubernetes(s);
         AddVolume(s, "a", "/data");
         AddVolume(s, "b", "/data");
       },
       "trainingService.volumes[1].mountPath: \"/data\" is mounted by another volume too"},
      {"env name", [](v1::ExperimentSpec* s) { (*s->mutable_trial_env())["A-B"] = "1"; },
       "trialEnv.A-B: not a valid environment variable name"},
      {"env reserved",
       [](v1::ExperimentSpec* s) { (*s->mutable_trial_env())["NNI_PLATFORM"] = "x"; },
       "trialEnv.NNI_PLATFORM: names starting with DLKIT_ or NNI_ are reserved for dlkit"},
      {"search space",
       [](v1::ExperimentSpec* s) {
         s->mutable_search_space()->mutable_parameters(2)->set_args(1, -1);
       },
       "searchSpace.momentum._value: low (0) must be below high (-1)"},
  };
  for (const BadSpec& c : cases) {
    INFO(c.name);
    v1::ExperimentSpec spec = ValidSpec();
    c.change(&spec);
    const std::vector<std::string> problems = SpecProblems(spec);
    INFO((problems.empty() ? std::string("(none)") : problems[0]));
    CHECK(problems.size() == 1);
    REQUIRE_FALSE(problems.empty());
    CHECK(problems[0].find(c.expected) == 0);
  }
}

TEST_CASE("a valid Kubernetes spec passes and problems come one per line") {
  v1::ExperimentSpec spec = ValidSpec();
  MakeKubernetes(&spec);
  AddVolume(&spec, "scratch", "/scratch");
  v1::Volume* data = AddVolume(&spec, "data", "/data");
  data->set_empty_dir(false);
  data->set_persistent_volume_claim("imagenet");
  v1::Resources* res = spec.mutable_training_service()->mutable_kubernetes()->mutable_resources();
  res->set_cpu("500m");
  res->set_memory("4Gi");
  res->set_gpu(1);
  CHECK(ValidateExperimentSpec(spec).ok());

  spec.set_trial_concurrency(0);
  spec.clear_trial_command();
  spec.mutable_training_service()->mutable_kubernetes()->clear_image();
  CHECK(SpecProblems(spec).size() == 3);
}

TEST_CASE("parameter sets are checked against the space") {
  const v1::SearchSpace space = EveryKind();
  auto point = [] {
    v1::ParameterSet p;
    auto& v = *p.mutable_values();
    v["batch"].set_int_value(32);
    v["layers"].set_int_value(4);
    v["momentum"].set_double_value(0.5);
    v["dropout"].set_double_value(0.2);
    v["lr"].set_double_value(0.01);
    v["width"].set_double_value(64);
    v["n"].set_double_value(-3.5);
    v["qn"].set_double_value(1.5);
    v["ln"].set_double_value(2.0);
    v["qln"].set_double_value(1.0);
    v1::ParameterSet& model = *v["model"].mutable_nested();
    (*model.mutable_values())["_name"].set_string_value("mlp");
    (*model.mutable_values())["hidden"].set_int_value(64);
    return p;
  };
  CHECK(ValidateParameterSet(point(), space, "parameters").empty());

  v1::ParameterSet as_double = point();
  (*as_double.mutable_values())["batch"].set_double_value(32.0);  // equal to option 32
  CHECK(ValidateParameterSet(as_double, space, "parameters").empty());

  struct Case {
    std::string name;
    std::function<void(v1::ParameterSet*)> change;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"missing", [](v1::ParameterSet* p) { p->mutable_values()->erase("lr"); },
       "parameters.lr: missing (the search space defines it)"},
      {"extra", [](v1::ParameterSet* p) { (*p->mutable_values())["zzz"].set_int_value(1); },
       "parameters.zzz: not a parameter of the search space"},
      {"not an option",
       [](v1::ParameterSet* p) { (*p->mutable_values())["batch"].set_int_value(48); },
       "parameters.batch: 48 is not one of the choice's options"},
      {"wrong kind",
       [](v1::ParameterSet* p) { (*p->mutable_values())["batch"].set_string_value("32"); },
       "parameters.batch: \"32\" is not one of the choice's options"},
      {"randint upper is exclusive",
       [](v1::ParameterSet* p) { (*p->mutable_values())["layers"].set_int_value(5); },
       "parameters.layers: 5 is not an integer in [1, 5)"},
      {"randint fraction",
       [](v1::ParameterSet* p) { (*p->mutable_values())["layers"].set_double_value(2.5); },
       "parameters.layers: 2.5 is not an integer in [1, 5)"},
      {"outside", [](v1::ParameterSet* p) { (*p->mutable_values())["lr"].set_double_value(0.5); },
       "parameters.lr: 0.5 is outside [0.0001, 0.1]"},
      {"not a number",
       [](v1::ParameterSet* p) { (*p->mutable_values())["n"].set_string_value("x"); },
       "parameters.n: expected a number, got \"x\""},
      {"nested unknown option",
       [](v1::ParameterSet* p) {
         (*(*p->mutable_values())["model"].mutable_nested()->mutable_values())["_name"]
             .set_string_value("rnn");
       },
       "parameters.model._name: \"rnn\" is not an option"},
      {"nested value out of range",
       [](v1::ParameterSet* p) {
         (*(*p->mutable_values())["model"].mutable_nested()->mutable_values())["hidden"]
             .set_int_value(4096);
       },
       "parameters.model.hidden: 4096 is not an integer in [16, 512)"},
      {"nested without name",
       [](v1::ParameterSet* p) {
         (*p->mutable_values())["model"].mutable_nested()->mutable_values()->erase("_name");
       },
       "parameters.model: nested value needs a \"_name\""},
      {"plain value for a nested choice",
       [](v1::ParameterSet* p) { (*p->mutable_values())["model"].set_string_value("mlp"); },
       "parameters.model: \"mlp\" is not one of the choice's options"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    v1::ParameterSet p = point();
    c.change(&p);
    const std::vector<std::string> problems = ValidateParameterSet(p, space, "parameters");
    INFO((problems.empty() ? std::string("(none)") : problems[0]));
    CHECK(problems.size() == 1);
    REQUIRE_FALSE(problems.empty());
    CHECK(problems[0].find(c.expected) == 0);
  }
}

TEST_CASE("distribution names map both ways") {
  CHECK(DistributionNames().size() == 10);
  for (const std::string& name : DistributionNames()) {
    const v1::Distribution d = DistributionFromName(name);
    CHECK(d != v1::DISTRIBUTION_UNSPECIFIED);
    CHECK(DistributionName(d) == name);
  }
  CHECK(DistributionFromName("Choice") == v1::DISTRIBUTION_UNSPECIFIED);
  CHECK(DistributionName(v1::DISTRIBUTION_UNSPECIFIED).empty());
  CHECK(DistributionName(v1::QLOGNORMAL) == "qlognormal");
}

TEST_CASE("numbers print short and read back exactly") {
  CHECK(FormatSpecNumber(0.1) == "0.1");
  CHECK(FormatSpecNumber(3) == "3");
  CHECK(FormatSpecNumber(-2) == "-2");
  for (double v : {0.1, 1e-5, 0.30000000000000004, 1.0 / 3, 123456.789, -7.25e-300, 2e20}) {
    const std::string text = FormatSpecNumber(v);
    INFO(text);
    CHECK(std::strtod(text.c_str(), nullptr) == v);
    CHECK(text.size() <= 24);
  }
  CHECK(JoinSpecPath("", "lr") == "lr");
  CHECK(JoinSpecPath("searchSpace", "lr") == "searchSpace.lr");
}

}  // namespace
}  // namespace dlkit
