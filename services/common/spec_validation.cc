#include "services/common/spec_validation.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dlkit {
namespace {

using Problems = std::vector<SpecProblem>;

void Add(Problems* problems, std::string path, std::string message) {
  problems->push_back(SpecProblem{std::move(path), std::move(message)});
}

std::string IndexPath(const std::string& prefix, size_t index) {
  return absl::StrCat(prefix, "[", index, "]");
}

bool IsQuantized(v1::Distribution d) {
  return d == v1::QUNIFORM || d == v1::QLOGUNIFORM || d == v1::QNORMAL || d == v1::QLOGNORMAL;
}

bool IsNormalFamily(v1::Distribution d) {
  return d == v1::NORMAL || d == v1::QNORMAL || d == v1::LOGNORMAL || d == v1::QLOGNORMAL;
}

bool IsLogUniform(v1::Distribution d) { return d == v1::LOGUNIFORM || d == v1::QLOGUNIFORM; }

std::string ArgsText(const v1::ParameterSpec& param) {
  std::vector<std::string> parts;
  for (double a : param.args()) parts.push_back(FormatSpecNumber(a));
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

void CheckSpace(const v1::SearchSpace& space, const std::string& prefix, bool nested,
                Problems* problems);

void CheckChoice(const v1::ParameterSpec& param, const std::string& path, Problems* problems) {
  const std::string value_path = JoinSpecPath(path, "_value");
  if (!param.args().empty()) {
    Add(problems, value_path, "choice takes options, not numeric bounds");
  }
  if (param.options().empty()) {
    Add(problems, value_path, "choice needs at least one option");
    return;
  }
  std::map<std::string, int> nested_names;
  for (int i = 0; i < param.options_size(); ++i) {
    const v1::ChoiceOption& option = param.options(i);
    const std::string option_path = IndexPath(value_path, i);
    switch (option.kind_case()) {
      case v1::ChoiceOption::KIND_NOT_SET:
        Add(problems, option_path, "option has no value");
        break;
      case v1::ChoiceOption::kDoubleValue:
        if (!std::isfinite(option.double_value())) {
          Add(problems, option_path, "option must be a finite number");
        }
        break;
      case v1::ChoiceOption::kNested: {
        const std::string& name = option.nested().name();
        if (name.empty()) {
          Add(problems, option_path, "nested option needs a non-empty \"_name\"");
          break;
        }
        auto [it, inserted] = nested_names.emplace(name, i);
        if (!inserted) {
          Add(problems, JoinSpecPath(option_path, "_name"),
              absl::StrCat("\"", name, "\" also names option ", it->second,
                           "; each nested option needs its own _name"));
        }
        CheckSpace(option.nested().space(), option_path, /*nested=*/true, problems);
        break;
      }
      default:
        break;
    }
  }
}

void CheckNumeric(const v1::ParameterSpec& param, const std::string& path, Problems* problems) {
  const std::string value_path = JoinSpecPath(path, "_value");
  const v1::Distribution d = param.distribution();
  const std::string type = DistributionName(d);
  if (!param.options().empty()) {
    Add(problems, value_path, absl::StrCat(type, " takes numbers, not choice options"));
    return;
  }
  const int arity = IsQuantized(d) ? 3 : 2;
  if (param.args_size() != arity) {
    std::string shape;
    if (d == v1::RANDINT) {
      shape = "[lower, upper]";
    } else if (IsNormalFamily(d)) {
      shape = IsQuantized(d) ? "[mu, sigma, q]" : "[mu, sigma]";
    } else {
      shape = IsQuantized(d) ? "[low, high, q]" : "[low, high]";
    }
    Add(problems, value_path,
        absl::StrCat(type, " takes ", arity, " values ", shape, ", got ", param.args_size()));
    return;
  }
  for (double a : param.args()) {
    if (!std::isfinite(a)) {
      Add(problems, value_path,
          absl::StrCat("values must be finite numbers, got ", ArgsText(param)));
      return;
    }
  }
  const double a0 = param.args(0);
  const double a1 = param.args(1);
  if (d == v1::RANDINT) {
    if (a0 != std::trunc(a0) || a1 != std::trunc(a1)) {
      Add(problems, value_path,
          absl::StrCat("randint bounds must be integers, got ", ArgsText(param)));
    } else if (a0 >= a1) {
      Add(problems, value_path,
          absl::StrCat("lower (", FormatSpecNumber(a0), ") must be below upper (",
                       FormatSpecNumber(a1), "); upper is exclusive"));
    }
    return;
  }
  if (IsNormalFamily(d)) {
    if (a1 <= 0) {
      Add(problems, value_path, absl::StrCat("sigma must be positive, got ", FormatSpecNumber(a1)));
    }
  } else {
    if (a0 >= a1) {
      Add(problems, value_path,
          absl::StrCat("low (", FormatSpecNumber(a0), ") must be below high (",
                       FormatSpecNumber(a1), ")"));
    }
    if (IsLogUniform(d) && a0 <= 0) {
      Add(problems, value_path,
          absl::StrCat(type, " needs low > 0 (it samples the logarithm), got ",
                       FormatSpecNumber(a0)));
    }
  }
  if (IsQuantized(d) && param.args(2) <= 0) {
    Add(problems, value_path,
        absl::StrCat("q must be positive, got ", FormatSpecNumber(param.args(2))));
  }
}

void CheckSpace(const v1::SearchSpace& space, const std::string& prefix, bool nested,
                Problems* problems) {
  std::set<std::string> seen;
  for (const v1::ParameterSpec& param : space.parameters()) {
    if (param.name().empty()) {
      Add(problems, prefix, "a parameter has an empty name");
      continue;
    }
    const std::string path = JoinSpecPath(prefix, param.name());
    if (!seen.insert(param.name()).second) {
      Add(problems, path, "parameter defined twice");
      continue;
    }
    if (nested && param.name() == "_name") {
      Add(problems, path, "\"_name\" names the option; it cannot be a parameter");
      continue;
    }
    if (param.distribution() == v1::CHOICE) {
      CheckChoice(param, path, problems);
    } else if (DistributionName(param.distribution()).empty()) {
      Add(problems, JoinSpecPath(path, "_type"),
          absl::StrCat("missing or unknown distribution; expected one of ",
                       absl::StrJoin(DistributionNames(), ", ")));
    } else {
      CheckNumeric(param, path, problems);
    }
  }
}

bool IsDnsLabel(const std::string& s) {
  static const std::regex kLabel("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return s.size() <= 63 && std::regex_match(s, kLabel);
}

// An object name such as a Secret's: DNS labels joined by '.', at most 253.
bool IsDnsSubdomain(const std::string& s) {
  static const std::regex kSubdomain("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  return s.size() <= 253 && std::regex_match(s, kSubdomain);
}

bool IsQuantity(const std::string& s) {
  static const std::regex kQuantity(
      "\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?");
  return std::regex_match(s, kQuantity);
}

// A label value: empty, or up to 63 alphanumerics with '-', '_', '.' inside.
bool IsLabelValue(const std::string& s) {
  static const std::regex kValue("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");
  return s.size() <= 63 && std::regex_match(s, kValue);
}

// A label key: an optional DNS subdomain prefix and '/', then a non-empty label value.
bool IsLabelKey(const std::string& s) {
  static const std::regex kPrefix(
      "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  const size_t slash = s.find('/');
  std::string name = s;
  if (slash != std::string::npos) {
    const std::string prefix = s.substr(0, slash);
    if (prefix.empty() || prefix.size() > 253 || !std::regex_match(prefix, kPrefix)) return false;
    name = s.substr(slash + 1);
  }
  return !name.empty() && IsLabelValue(name);
}

bool IsEnvName(const std::string& s) {
  static const std::regex kEnv("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(s, kEnv);
}

void CheckCount(int64_t value, int64_t min, const std::string& path, Problems* problems) {
  if (value < min) {
    Add(problems, path,
        min == 0 ? absl::StrCat("must not be negative, got ", value)
                 : absl::StrCat("must be at least ", min, ", got ", value));
  }
}

void CheckAlgorithm(const v1::AlgorithmSpec& algo, const std::string& path, bool required,
                    Problems* problems) {
  if (algo.name().empty()) {
    if (required) {
      Add(problems, JoinSpecPath(path, "name"), "required (an algorithm name, e.g. \"TPE\")");
    } else if (!algo.class_args().empty()) {
      Add(problems, JoinSpecPath(path, "name"), "required when classArgs are given");
    }
  }
}

void CheckKubernetes(const v1::KubernetesService& k8s, Problems* problems) {
  const std::string ts = "trainingService";
  // Empty: the Launcher's own namespace (where dlkit's Role and service account are).
  if (!k8s.namespace_().empty() && !IsDnsLabel(k8s.namespace_())) {
    Add(problems, JoinSpecPath(ts, "namespace"),
        absl::StrCat("\"", k8s.namespace_(),
                     "\" is not a valid namespace (lower-case letters, digits and '-', at most "
                     "63)"));
  }
  if (k8s.image().empty()) {
    Add(problems, JoinSpecPath(ts, "image"),
        "required for platform kubernetes (the container image trials run in)");
  }
  if (k8s.job_kind() == v1::JOB_KIND_UNSPECIFIED) {
    Add(problems, JoinSpecPath(ts, "jobKind"), "must be Job, PyTorchJob or TFJob");
  }
  if (k8s.replicas() < 1) {
    Add(problems, JoinSpecPath(ts, "replicas"),
        absl::StrCat("must be at least 1, got ", k8s.replicas()));
  } else if (k8s.job_kind() == v1::JOB && k8s.replicas() > 1) {
    Add(problems, JoinSpecPath(ts, "replicas"),
        absl::StrCat("a Job trial runs one pod; use jobKind PyTorchJob or TFJob for ",
                     k8s.replicas(), " workers"));
  }
  const std::string res = JoinSpecPath(ts, "resources");
  if (!k8s.resources().cpu().empty() && !IsQuantity(k8s.resources().cpu())) {
    Add(problems, JoinSpecPath(res, "cpu"),
        absl::StrCat("\"", k8s.resources().cpu(),
                     "\" is not a Kubernetes quantity (e.g. \"2\" or \"500m\")"));
  }
  if (!k8s.resources().memory().empty() && !IsQuantity(k8s.resources().memory())) {
    Add(problems, JoinSpecPath(res, "memory"),
        absl::StrCat("\"", k8s.resources().memory(),
                     "\" is not a Kubernetes quantity (e.g. \"4Gi\" or \"512Mi\")"));
  }
  CheckCount(k8s.resources().gpu(), 0, JoinSpecPath(res, "gpu"), problems);
  if (!k8s.storage_size().empty() && !IsQuantity(k8s.storage_size())) {
    Add(problems, JoinSpecPath(ts, "storageSize"),
        absl::StrCat("\"", k8s.storage_size(),
                     "\" is not a Kubernetes quantity (e.g. \"1Gi\")"));
  } else if (!k8s.storage_size().empty() && k8s.storage() == v1::STORAGE_EMPTY_DIR) {
    Add(problems, JoinSpecPath(ts, "storageSize"),
        "applies to storage \"pvc\" only (an emptyDir has no size request here)");
  }
  for (const auto& [key, value] : k8s.node_selector()) {
    const std::string path = JoinSpecPath(JoinSpecPath(ts, "nodeSelector"), key);
    if (!IsLabelKey(key)) {
      Add(problems, path,
          absl::StrCat("\"", key,
                       "\" is not a label key ([prefix/]name, name: letters, digits, '-', '_', "
                       "'.', at most 63)"));
    }
    if (!IsLabelValue(value)) {
      Add(problems, path,
          absl::StrCat("\"", value,
                       "\" is not a label value (letters, digits, '-', '_', '.', at most 63)"));
    }
  }
  for (int i = 0; i < k8s.tolerations_size(); ++i) {
    const v1::Toleration& t = k8s.tolerations(i);
    const std::string path = IndexPath(JoinSpecPath(ts, "tolerations"), i);
    if (!t.operator_().empty() && t.operator_() != "Equal" && t.operator_() != "Exists") {
      Add(problems, JoinSpecPath(path, "operator"),
          absl::StrCat("must be Equal or Exists, got \"", t.operator_(), "\""));
    }
    if (t.operator_() == "Exists" && !t.value().empty()) {
      Add(problems, JoinSpecPath(path, "value"), "must be empty when operator is Exists");
    }
    if (t.key().empty() && t.operator_() != "Exists") {
      Add(problems, JoinSpecPath(path, "key"),
          "required unless operator is Exists (which then tolerates every taint)");
    } else if (!t.key().empty() && !IsLabelKey(t.key())) {
      Add(problems, JoinSpecPath(path, "key"),
          absl::StrCat("\"", t.key(), "\" is not a valid taint key"));
    }
    if (!t.effect().empty() && t.effect() != "NoSchedule" && t.effect() != "PreferNoSchedule" &&
        t.effect() != "NoExecute") {
      Add(problems, JoinSpecPath(path, "effect"),
          absl::StrCat("must be NoSchedule, PreferNoSchedule or NoExecute, got \"", t.effect(),
                       "\""));
    }
  }
  const std::string& git_secret = k8s.git_repository().secret_name();
  if (!git_secret.empty() && !IsDnsSubdomain(git_secret)) {
    Add(problems, JoinSpecPath(JoinSpecPath(ts, "gitRepository"), "secretName"),
        absl::StrCat("\"", git_secret,
                     "\" is not a valid Secret name (lower-case letters, digits, '-' and '.')"));
  }
  std::set<std::string> names;
  std::set<std::string> mounts;
  for (int i = 0; i < k8s.volumes_size(); ++i) {
    const v1::Volume& v = k8s.volumes(i);
    const std::string path = IndexPath(JoinSpecPath(ts, "volumes"), i);
    if (!IsDnsLabel(v.name())) {
      Add(problems, JoinSpecPath(path, "name"),
          absl::StrCat("\"", v.name(),
                       "\" is not a valid volume name (lower-case letters, digits and '-')"));
    } else if (!names.insert(v.name()).second) {
      Add(problems, JoinSpecPath(path, "name"),
          absl::StrCat("\"", v.name(), "\" names another volume too"));
    }
    if (v.mount_path().empty() || v.mount_path()[0] != '/') {
      Add(problems, JoinSpecPath(path, "mountPath"),
          absl::StrCat("must be an absolute path, got \"", v.mount_path(), "\""));
    } else if (!mounts.insert(v.mount_path()).second) {
      Add(problems, JoinSpecPath(path, "mountPath"),
          absl::StrCat("\"", v.mount_path(), "\" is mounted by another volume too"));
    }
    const int sources = (v.persistent_volume_claim().empty() ? 0 : 1) +
                        (v.host_path().empty() ? 0 : 1) + (v.empty_dir() ? 1 : 0);
    if (sources != 1) {
      Add(problems, path,
          absl::StrCat("give exactly one of persistentVolumeClaim, hostPath, emptyDir (got ",
                       sources, ")"));
    }
  }
}

void CheckTrainingService(const v1::TrainingService& ts, Problems* problems) {
  const std::string path = "trainingService";
  switch (ts.platform()) {
    case v1::LOCAL: {
      CheckCount(ts.max_trial_number_per_gpu(), 1, JoinSpecPath(path, "maxTrialNumberPerGpu"),
                 problems);
      std::set<int> seen;
      for (int i = 0; i < ts.gpu_indices_size(); ++i) {
        const int gpu = ts.gpu_indices(i);
        const std::string gpu_path = IndexPath(JoinSpecPath(path, "gpuIndices"), i);
        if (gpu < 0) {
          Add(problems, gpu_path, absl::StrCat("must not be negative, got ", gpu));
        } else if (!seen.insert(gpu).second) {
          Add(problems, gpu_path, absl::StrCat("GPU ", gpu, " is listed twice"));
        }
      }
      if (ts.has_kubernetes()) {
        Add(problems, path, "kubernetes settings given but platform is local");
      }
      break;
    }
    case v1::KUBERNETES:
      if (ts.use_active_gpu() || ts.gpu_indices_size() > 0 || ts.max_trial_number_per_gpu() > 1) {
        Add(problems, path,
            "useActiveGpu, gpuIndices and maxTrialNumberPerGpu apply to platform local only");
      }
      CheckKubernetes(ts.kubernetes(), problems);
      break;
    default:
      Add(problems, JoinSpecPath(path, "platform"), "must be local or kubernetes");
  }
}

// Numeric value of a parameter value, if it is a number.
bool NumericValue(const v1::ParameterValue& v, double* out) {
  if (v.kind_case() == v1::ParameterValue::kDoubleValue) {
    *out = v.double_value();
    return true;
  }
  if (v.kind_case() == v1::ParameterValue::kIntValue) {
    *out = static_cast<double>(v.int_value());
    return true;
  }
  return false;
}

bool OptionMatches(const v1::ChoiceOption& option, const v1::ParameterValue& value) {
  double number = 0;
  switch (option.kind_case()) {
    case v1::ChoiceOption::kDoubleValue:
      return NumericValue(value, &number) && number == option.double_value();
    case v1::ChoiceOption::kIntValue:
      if (value.kind_case() == v1::ParameterValue::kIntValue) {
        return value.int_value() == option.int_value();
      }
      return NumericValue(value, &number) && number == static_cast<double>(option.int_value());
    case v1::ChoiceOption::kStringValue:
      return value.kind_case() == v1::ParameterValue::kStringValue &&
             value.string_value() == option.string_value();
    case v1::ChoiceOption::kBoolValue:
      return value.kind_case() == v1::ParameterValue::kBoolValue &&
             value.bool_value() == option.bool_value();
    default:
      return false;
  }
}

std::string ValueText(const v1::ParameterValue& v) {
  switch (v.kind_case()) {
    case v1::ParameterValue::kDoubleValue:
      return FormatSpecNumber(v.double_value());
    case v1::ParameterValue::kIntValue:
      return absl::StrCat(v.int_value());
    case v1::ParameterValue::kStringValue:
      return absl::StrCat("\"", v.string_value(), "\"");
    case v1::ParameterValue::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case v1::ParameterValue::kNested:
      return "a nested set";
    default:
      return "no value";
  }
}

void CheckPoint(const v1::ParameterSet& params, const v1::SearchSpace& space,
                const std::string& prefix, bool nested, Problems* problems);

void CheckPointValue(const v1::ParameterSpec& spec, const v1::ParameterValue& value,
                     const std::string& path, Problems* problems) {
  const v1::Distribution d = spec.distribution();
  if (d == v1::CHOICE) {
    if (value.kind_case() == v1::ParameterValue::kNested) {
      const v1::ParameterSet& chosen = value.nested();
      auto name_it = chosen.values().find("_name");
      if (name_it == chosen.values().end() ||
          name_it->second.kind_case() != v1::ParameterValue::kStringValue) {
        Add(problems, path, "nested value needs a \"_name\" naming the chosen option");
        return;
      }
      for (const v1::ChoiceOption& option : spec.options()) {
        if (option.has_nested() && option.nested().name() == name_it->second.string_value()) {
          CheckPoint(chosen, option.nested().space(), path, /*nested=*/true, problems);
          return;
        }
      }
      Add(problems, JoinSpecPath(path, "_name"),
          absl::StrCat("\"", name_it->second.string_value(), "\" is not an option"));
      return;
    }
    for (const v1::ChoiceOption& option : spec.options()) {
      if (OptionMatches(option, value)) return;
    }
    Add(problems, path, absl::StrCat(ValueText(value), " is not one of the choice's options"));
    return;
  }
  double number = 0;
  if (!NumericValue(value, &number) || !std::isfinite(number)) {
    Add(problems, path, absl::StrCat("expected a number, got ", ValueText(value)));
    return;
  }
  if (spec.args_size() < 2) return;  // the space itself is invalid; reported elsewhere
  const double a0 = spec.args(0);
  const double a1 = spec.args(1);
  if (d == v1::RANDINT) {
    if (number != std::trunc(number) || number < a0 || number >= a1) {
      Add(problems, path,
          absl::StrCat(ValueText(value), " is not an integer in [", FormatSpecNumber(a0), ", ",
                       FormatSpecNumber(a1), ")"));
    }
  } else if (!IsNormalFamily(d)) {
    if (number < a0 || number > a1) {
      Add(problems, path,
          absl::StrCat(ValueText(value), " is outside [", FormatSpecNumber(a0), ", ",
                       FormatSpecNumber(a1), "]"));
    }
  }
}

void CheckPoint(const v1::ParameterSet& params, const v1::SearchSpace& space,
                const std::string& prefix, bool nested, Problems* problems) {
  std::set<std::string> known;
  for (const v1::ParameterSpec& spec : space.parameters()) {
    known.insert(spec.name());
    const std::string path = JoinSpecPath(prefix, spec.name());
    auto it = params.values().find(spec.name());
    if (it == params.values().end()) {
      Add(problems, path, "missing (the search space defines it)");
      continue;
    }
    CheckPointValue(spec, it->second, path, problems);
  }
  std::vector<std::string> extra;
  for (const auto& [name, value] : params.values()) {
    if (nested && name == "_name") continue;
    if (known.count(name) == 0) extra.push_back(name);
  }
  std::sort(extra.begin(), extra.end());
  for (const std::string& name : extra) {
    Add(problems, JoinSpecPath(prefix, name), "not a parameter of the search space");
  }
}

std::vector<std::string> Strings(const Problems& problems) {
  std::vector<std::string> out;
  out.reserve(problems.size());
  for (const SpecProblem& p : problems) out.push_back(p.ToString());
  return out;
}

}  // namespace

std::string SpecProblem::ToString() const {
  return path.empty() ? message : absl::StrCat(path, ": ", message);
}

std::vector<SpecProblem> FindSearchSpaceProblems(const v1::SearchSpace& space,
                                                 const std::string& path_prefix) {
  Problems problems;
  CheckSpace(space, path_prefix, /*nested=*/false, &problems);
  return problems;
}

std::vector<std::string> ValidateSearchSpace(const v1::SearchSpace& space,
                                             const std::string& path_prefix) {
  return Strings(FindSearchSpaceProblems(space, path_prefix));
}

std::vector<SpecProblem> FindExperimentSpecProblems(const v1::ExperimentSpec& spec) {
  Problems problems = FindSearchSpaceProblems(spec.search_space(), "searchSpace");
  if (spec.trial_command().empty() && !spec.ask_tell()) {
    Add(&problems, "trialCommand", "required (the command that runs one trial)");
  }
  if (spec.trial_code_directory().empty() || spec.trial_code_directory()[0] != '/') {
    Add(&problems, "trialCodeDirectory",
        absl::StrCat("must be an absolute path, got \"", spec.trial_code_directory(), "\""));
  }
  CheckCount(spec.trial_concurrency(), 1, "trialConcurrency", &problems);
  CheckCount(spec.max_trial_number(), 0, "maxTrialNumber", &problems);
  CheckCount(spec.max_failed_trials(), 0, "maxFailedTrials", &problems);
  CheckCount(spec.trial_retries(), 0, "trialRetries", &problems);
  if (spec.max_experiment_duration().seconds() < 0 || spec.max_experiment_duration().nanos() < 0) {
    Add(&problems, "maxExperimentDuration", "must not be negative");
  }
  CheckAlgorithm(spec.tuner(), "tuner", /*required=*/true, &problems);
  CheckAlgorithm(spec.assessor(), "assessor", /*required=*/false, &problems);
  if (spec.objective().metric().empty()) {
    Add(&problems, "objective.metric", "must not be empty");
  }
  if (spec.objective().direction() == v1::DIRECTION_UNSPECIFIED) {
    Add(&problems, "objective.direction", "must be maximize or minimize");
  }
  CheckTrainingService(spec.training_service(), &problems);
  std::vector<std::string> env_names;
  for (const auto& [name, value] : spec.trial_env()) env_names.push_back(name);
  std::sort(env_names.begin(), env_names.end());
  for (const std::string& name : env_names) {
    const std::string path = JoinSpecPath("trialEnv", name);
    if (!IsEnvName(name)) {
      Add(&problems, path, "not a valid environment variable name");
    } else if (absl::StartsWith(name, "DLKIT_") || absl::StartsWith(name, "NNI_")) {
      // The Reporter sets these for every trial; overriding them breaks its reporting.
      Add(&problems, path, "names starting with DLKIT_ or NNI_ are reserved for dlkit");
    }
  }
  return problems;
}

absl::Status ValidateExperimentSpec(const v1::ExperimentSpec& spec) {
  const std::vector<std::string> problems = Strings(FindExperimentSpecProblems(spec));
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
}

void ApplyExperimentDefaults(v1::ExperimentSpec* spec) {
  if (spec->trial_concurrency() == 0) spec->set_trial_concurrency(1);
  if (spec->tuner().name().empty()) spec->mutable_tuner()->set_name("Random");
  v1::Objective* objective = spec->mutable_objective();
  if (objective->metric().empty()) objective->set_metric("default");
  if (objective->direction() == v1::DIRECTION_UNSPECIFIED) {
    objective->set_direction(v1::MAXIMIZE);
  }
  v1::TrainingService* ts = spec->mutable_training_service();
  if (ts->platform() == v1::PLATFORM_UNSPECIFIED) ts->set_platform(v1::LOCAL);
  if (ts->platform() == v1::LOCAL) {
    if (ts->max_trial_number_per_gpu() == 0) ts->set_max_trial_number_per_gpu(1);
  } else if (ts->platform() == v1::KUBERNETES) {
    v1::KubernetesService* k8s = ts->mutable_kubernetes();
    if (k8s->job_kind() == v1::JOB_KIND_UNSPECIFIED) k8s->set_job_kind(v1::JOB);
    if (k8s->replicas() == 0) k8s->set_replicas(1);
    if (k8s->storage() == v1::EXPERIMENT_STORAGE_UNSPECIFIED) k8s->set_storage(v1::STORAGE_PVC);
    if (k8s->storage() == v1::STORAGE_PVC && k8s->storage_size().empty()) {
      k8s->set_storage_size("1Gi");
    }
  }
}

std::vector<std::string> ValidateParameterSet(const v1::ParameterSet& params,
                                              const v1::SearchSpace& space,
                                              const std::string& path_prefix) {
  Problems problems;
  CheckPoint(params, space, path_prefix, /*nested=*/false, &problems);
  return Strings(problems);
}

const std::vector<std::string>& DistributionNames() {
  static const auto* const kNames =
      new std::vector<std::string>{"choice",      "randint", "uniform", "quniform",  "loguniform",
                                   "qloguniform", "normal",  "qnormal", "lognormal", "qlognormal"};
  return *kNames;
}

std::string DistributionName(v1::Distribution distribution) {
  const int index = static_cast<int>(distribution) - 1;  // CHOICE = 1 ... QLOGNORMAL = 10
  if (index < 0 || index >= static_cast<int>(DistributionNames().size())) return "";
  return DistributionNames()[index];
}

v1::Distribution DistributionFromName(const std::string& name) {
  const std::vector<std::string>& names = DistributionNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<v1::Distribution>(i + 1);
  }
  return v1::DISTRIBUTION_UNSPECIFIED;
}

std::string JoinSpecPath(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : absl::StrCat(prefix, ".", key);
}

std::string FormatSpecNumber(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buf[40];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

}  // namespace dlkit
