#ifndef DLKIT_SERVICES_KUBERNETES_KUBERNETES_VALIDATION_H_
#define DLKIT_SERVICES_KUBERNETES_KUBERNETES_VALIDATION_H_

// Semantic checks of a spec's `trainingService` for platform kubernetes: names, quantities,
// labels and tolerations as the API server would take them, so that a bad value is refused
// at submit with its config path instead of by the cluster later.

#include "dlkit/v1/types.pb.h"
#include "services/config/spec_problem.h"

namespace dlkit {

// Adds a problem (path under `trainingService`) for each value the cluster would refuse.
void CheckKubernetesService(const v1::KubernetesService& k8s, SpecProblems* problems);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_KUBERNETES_KUBERNETES_VALIDATION_H_
