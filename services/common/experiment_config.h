#ifndef DLKIT_SERVICES_COMMON_EXPERIMENT_CONFIG_H_
#define DLKIT_SERVICES_COMMON_EXPERIMENT_CONFIG_H_

// The experiment config file (`dlkit-tune.json`, NNI v2 keys, JSON or YAML) -> ExperimentSpec,
// and the NNI JSON forms of search spaces and parameter sets.
//
// Every problem is reported with the JSON path of the key to fix, all of them at once:
// INVALID_ARGUMENT, one problem per line. NNI keys that mean nothing to dlkit are accepted
// with a warning; keys nobody knows are errors suggesting the closest valid key.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dlkit/v1/types.pb.h"

namespace dlkit {

struct LoadedConfig {
  v1::ExperimentSpec spec;
  // e.g. `trialGpuNumber: accepted for NNI compatibility, ignored by dlkit`.
  std::vector<std::string> warnings;
};

// Reads a JSON or YAML file (by extension .json / .yml / .yaml; otherwise JSON, then YAML).
// Relative paths in it (searchSpaceFile, trialCodeDirectory) resolve against the file's
// folder; spec.trial_code_directory is absolute. spec.source_config = the file's text,
// spec.source_path = its absolute path. Defaults applied (see ApplyExperimentDefaults) and
// the result validated (see ValidateExperimentSpec).
absl::StatusOr<LoadedConfig> LoadExperimentConfig(const std::string& path);
// The same for text already read; relative paths resolve against `base_dir`.
absl::StatusOr<LoadedConfig> ParseExperimentConfig(const std::string& text,
                                                   const std::string& base_dir, bool yaml);

// A search space alone, in NNI's JSON format, with every problem reported under
// `path_prefix` (e.g. "searchSpace"; "" for paths starting at the parameter names).
absl::StatusOr<v1::SearchSpace> ParseSearchSpaceJson(const std::string& text,
                                                     const std::string& path_prefix);

// The starter config `dlctl init` writes: valid, with sensible values.
std::string StarterConfigJson();

// Parameters as NNI hands them to a trial: a JSON object; a chosen nested option is an
// object holding "_name" and its own parameters.
nlohmann::json ParameterSetToJson(const v1::ParameterSet& params);
// The reverse; numbers that are JSON integers become int_value, others double_value. A
// nested object needs its "_name". Errors name paths under `path` (e.g. "parameters").
absl::StatusOr<v1::ParameterSet> ParameterSetFromJson(const nlohmann::json& json,
                                                      const std::string& path);
absl::StatusOr<v1::ParameterSet> ParameterSetFromJson(const nlohmann::ordered_json& json,
                                                      const std::string& path);

// NNI's search space JSON, parameters in the spec's order (hence ordered_json; it converts
// to nlohmann::json implicitly if you need that type).
nlohmann::ordered_json SearchSpaceToJson(const v1::SearchSpace& space);

// The spec as a config file's JSON (NNI v2 keys), for export of specs that arrived without
// their source text. Parsing it back yields the same spec (source fields aside).
nlohmann::ordered_json ExperimentSpecToJson(const v1::ExperimentSpec& spec);

// Tolerations as Kubernetes spells them (empty fields left out), for the config's JSON and
// for a trial's pod spec alike; JsonT is nlohmann::json or nlohmann::ordered_json.
template <typename JsonT>
JsonT TolerationsToJson(const google::protobuf::RepeatedPtrField<v1::Toleration>& tolerations) {
  JsonT out = JsonT::array();
  for (const v1::Toleration& t : tolerations) {
    JsonT toleration = JsonT::object();
    if (!t.key().empty()) toleration["key"] = t.key();
    if (!t.operator_().empty()) toleration["operator"] = t.operator_();
    if (!t.value().empty()) toleration["value"] = t.value();
    if (!t.effect().empty()) toleration["effect"] = t.effect();
    out.push_back(std::move(toleration));
  }
  return out;
}

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_EXPERIMENT_CONFIG_H_
