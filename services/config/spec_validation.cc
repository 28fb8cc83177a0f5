#include "services/config/spec_validation.h"

#include <algorithm>
#include <cstdint>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/config/search_space_validation.h"
#include "services/kubernetes/kubernetes_validation.h"

namespace dlkit {
namespace {

using Problems = SpecProblems;

bool IsEnvName(const std::string& s) {
  static const std::regex kEnv("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(s, kEnv);
}

void CheckAlgorithm(const v1::AlgorithmSpec& algo, const std::string& path, bool required,
                    Problems* problems) {
  if (algo.name().empty()) {
    if (required) {
      AddProblem(problems, JoinSpecPath(path, "name"),
                 "required (an algorithm name, e.g. \"TPE\")");
    } else if (!algo.class_args().empty()) {
      AddProblem(problems, JoinSpecPath(path, "name"), "required when classArgs are given");
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
          AddProblem(problems, gpu_path, absl::StrCat("must not be negative, got ", gpu));
        } else if (!seen.insert(gpu).second) {
          AddProblem(problems, gpu_path, absl::StrCat("GPU ", gpu, " is listed twice"));
        }
      }
      if (ts.has_kubernetes()) {
        AddProblem(problems, path, "kubernetes settings given but platform is local");
      }
      break;
    }
    case v1::KUBERNETES:
      if (ts.use_active_gpu() || ts.gpu_indices_size() > 0 || ts.max_trial_number_per_gpu() > 1) {
        AddProblem(
            problems, path,
            "useActiveGpu, gpuIndices and maxTrialNumberPerGpu apply to platform local only");
      }
      CheckKubernetesService(ts.kubernetes(), problems);
      break;
    default:
      AddProblem(problems, JoinSpecPath(path, "platform"), "must be local or kubernetes");
  }
}

}  // namespace

std::vector<SpecProblem> FindExperimentSpecProblems(const v1::ExperimentSpec& spec) {
  Problems problems = FindSearchSpaceProblems(spec.search_space(), "searchSpace");
  constexpr size_t kMaxName = 256;  // it is shown in every list and page
  if (spec.name().size() > kMaxName) {
    AddProblem(&problems, "experimentName",
               absl::StrCat("at most ", kMaxName, " characters, got ", spec.name().size()));
  }
  if (spec.trial_command().empty() && !spec.ask_tell()) {
    AddProblem(&problems, "trialCommand", "required (the command that runs one trial)");
  }
  if (spec.trial_code_directory().empty() || spec.trial_code_directory()[0] != '/') {
    AddProblem(&problems, "trialCodeDirectory",
               absl::StrCat("must be an absolute path, got \"", spec.trial_code_directory(), "\""));
  }
  CheckCount(spec.trial_concurrency(), 1, "trialConcurrency", &problems);
  CheckCount(spec.max_trial_number(), 0, "maxTrialNumber", &problems);
  CheckCount(spec.max_failed_trials(), 0, "maxFailedTrials", &problems);
  CheckCount(spec.trial_retries(), 0, "trialRetries", &problems);
  if (spec.max_experiment_duration().seconds() < 0 || spec.max_experiment_duration().nanos() < 0) {
    AddProblem(&problems, "maxExperimentDuration", "must not be negative");
  }
  CheckAlgorithm(spec.tuner(), "tuner", /*required=*/true, &problems);
  CheckAlgorithm(spec.assessor(), "assessor", /*required=*/false, &problems);
  if (spec.objective().metric().empty()) {
    AddProblem(&problems, "objective.metric", "must not be empty");
  }
  if (spec.objective().direction() == v1::DIRECTION_UNSPECIFIED) {
    AddProblem(&problems, "objective.direction", "must be maximize or minimize");
  }
  CheckTrainingService(spec.training_service(), &problems);
  std::vector<std::string> env_names;
  for (const auto& [name, value] : spec.trial_env()) env_names.push_back(name);
  std::sort(env_names.begin(), env_names.end());
  for (const std::string& name : env_names) {
    const std::string path = JoinSpecPath("trialEnv", name);
    if (!IsEnvName(name)) {
      AddProblem(&problems, path, "not a valid environment variable name");
    } else if (absl::StartsWith(name, "DLKIT_") || absl::StartsWith(name, "NNI_")) {
      // The Reporter sets these for every trial; overriding them breaks its reporting.
      AddProblem(&problems, path, "names starting with DLKIT_ or NNI_ are reserved for dlkit");
    }
  }
  return problems;
}

absl::Status ValidateExperimentSpec(const v1::ExperimentSpec& spec) {
  const std::vector<std::string> problems = ProblemStrings(FindExperimentSpecProblems(spec));
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

}  // namespace dlkit
