#include "services/config/config_export.h"

#include <map>
#include <string>
#include <vector>

#include "base/text_parsing.h"
#include "services/config/experiment_config.h"
#include "services/config/parameter_json.h"
#include "services/config/search_space_config.h"
#include "services/kubernetes/kubernetes_config.h"

namespace dlkit {

using config::Json;

nlohmann::ordered_json ExperimentSpecToJson(const v1::ExperimentSpec& spec) {
  Json out = Json::object();
  if (!spec.name().empty()) out["experimentName"] = spec.name();
  out["searchSpace"] = SearchSpaceToJson(spec.search_space());
  out["trialCommand"] = spec.trial_command();
  out["trialCodeDirectory"] = spec.trial_code_directory();
  out["trialConcurrency"] = spec.trial_concurrency();
  if (spec.max_trial_number() > 0) out["maxTrialNumber"] = spec.max_trial_number();
  const google::protobuf::Duration& duration = spec.max_experiment_duration();
  if (duration.seconds() > 0 || duration.nanos() > 0) {
    out["maxExperimentDuration"] =
        FormatDurationSeconds(duration.seconds() + (duration.nanos() > 0 ? 1 : 0));
  }
  if (spec.max_failed_trials() > 0) out["maxFailedTrials"] = spec.max_failed_trials();
  if (spec.trial_retries() > 0) out["trialRetries"] = spec.trial_retries();
  auto algorithm = [](const v1::AlgorithmSpec& algo) {
    Json j = Json::object();
    j["name"] = algo.name();
    if (!algo.class_args().empty()) {
      v1::ParameterSet args;
      *args.mutable_values() = algo.class_args();
      j["classArgs"] = config::SetToJson<Json>(args);
    }
    return j;
  };
  out["tuner"] = algorithm(spec.tuner());
  if (!spec.assessor().name().empty()) out["assessor"] = algorithm(spec.assessor());
  Json objective = Json::object();
  objective["metric"] = spec.objective().metric();
  objective["direction"] = DirectionName(spec.objective().direction());
  out["objective"] = std::move(objective);

  const v1::TrainingService& ts = spec.training_service();
  Json service = Json::object();
  if (ts.platform() == v1::KUBERNETES) {
    service["platform"] = "kubernetes";
    config::KubernetesServiceToJson(ts.kubernetes(), &service);
  } else {
    service["platform"] = "local";
    if (ts.use_active_gpu()) service["useActiveGpu"] = true;
    if (ts.max_trial_number_per_gpu() > 0) {
      service["maxTrialNumberPerGpu"] = ts.max_trial_number_per_gpu();
    }
    if (ts.gpu_indices_size() > 0) {
      service["gpuIndices"] =
          std::vector<int32_t>(ts.gpu_indices().begin(), ts.gpu_indices().end());
    }
  }
  out["trainingService"] = std::move(service);
  if (spec.seed() != 0) out["seed"] = spec.seed();
  if (!spec.trial_env().empty()) {
    std::map<std::string, std::string> env(spec.trial_env().begin(), spec.trial_env().end());
    Json j = Json::object();
    for (const auto& [key, value] : env) j[key] = value;
    out["trialEnv"] = std::move(j);
  }
  return out;
}

}  // namespace dlkit
