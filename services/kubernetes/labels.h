#ifndef DLKIT_SERVICES_KUBERNETES_LABELS_H_
#define DLKIT_SERVICES_KUBERNETES_LABELS_H_

// The labels dlkit puts on every object it creates in a cluster, so that an experiment's
// objects (and one trial's) are found by label selector, and a restarted Manager finds the
// trials still running.

#include <string>

#include "nlohmann/json.hpp"

namespace dlkit {

inline constexpr char kExperimentLabel[] = "dlkit.io/experiment";
inline constexpr char kTrialLabel[] = "dlkit.io/trial";
inline constexpr char kComponentLabel[] = "dlkit.io/component";

// The labels of experiment `experiment_id`'s `component` ("experiment", "manager", "trial",
// ...); with a trial's id for its objects.
inline nlohmann::json DlkitLabels(const std::string& experiment_id, const std::string& component,
                                  const std::string& trial_id = "") {
  nlohmann::json labels = {{kExperimentLabel, experiment_id},
                           {kComponentLabel, component},
                           {"app.kubernetes.io/managed-by", "dlkit"}};
  if (!trial_id.empty()) labels[kTrialLabel] = trial_id;
  return labels;
}

}  // namespace dlkit

#endif  // DLKIT_SERVICES_KUBERNETES_LABELS_H_
