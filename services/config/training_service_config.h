#ifndef DLKIT_SERVICES_CONFIG_TRAINING_SERVICE_CONFIG_H_
#define DLKIT_SERVICES_CONFIG_TRAINING_SERVICE_CONFIG_H_

// The config's `trainingService`: the platform (local or kubernetes; NNI's others are
// refused by name), the local platform's GPU keys, and for kubernetes the keys read by
// services/kubernetes/kubernetes_config.h. Internal to services/config/.

#include "dlkit/v1/types.pb.h"
#include "services/config/config_reader.h"

namespace dlkit::config {

// Trial command / code directory may also sit inside trainingService (NNI allows both).
struct TrialOverrides {
  const Json* command = nullptr;
  const Json* code_directory = nullptr;
};

// Returns false if the platform is unknown (its keys are then not read).
bool ParseTrainingService(const Json& j, Report* report, v1::TrainingService* out,
                          TrialOverrides* overrides);

}  // namespace dlkit::config

#endif  // DLKIT_SERVICES_CONFIG_TRAINING_SERVICE_CONFIG_H_
