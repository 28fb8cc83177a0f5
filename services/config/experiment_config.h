#ifndef DLKIT_SERVICES_CONFIG_EXPERIMENT_CONFIG_H_
#define DLKIT_SERVICES_CONFIG_EXPERIMENT_CONFIG_H_

// The experiment config file (`dlkit-tune.json`, NNI v2 keys, JSON or YAML) -> ExperimentSpec.
//
// Every problem is reported with the JSON path of the key to fix, all of them at once:
// INVALID_ARGUMENT, one problem per line. NNI keys that mean nothing to dlkit are accepted
// with a warning; keys nobody knows are errors suggesting the closest valid key.
//
// Where each part is read (services/config/):
//   config_reader.h            problems with paths, key tables, typed readers
//   config_document.h          JSON / YAML text, files and paths
//   experiment_config.cc       top-level keys, limits, tuner/assessor, objective, trialEnv
//   search_space_config.h      searchSpace / searchSpaceFile (NNI's format)
//   training_service_config.h  trainingService (local; kubernetes in services/kubernetes/)
//   parameter_json.h           parameter sets and classArgs
//   spec_validation.h          the semantic checks, also run on specs that come over gRPC
//   config_export.h            ExperimentSpec -> config JSON

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

// The starter config `dlctl init` writes: valid, with sensible values.
std::string StarterConfigJson();

// "minimize" or "maximize", as configs spell it.
std::string DirectionName(v1::Direction direction);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_CONFIG_EXPERIMENT_CONFIG_H_
