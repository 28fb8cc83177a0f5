#ifndef DLKIT_SERVICES_CONFIG_SPEC_VALIDATION_H_
#define DLKIT_SERVICES_CONFIG_SPEC_VALIDATION_H_

// Semantic checks of a whole ExperimentSpec (limits, algorithms, objective, training
// service, trial environment; the search space through search_space_validation.h), and the
// defaults a config may leave out. The CLI runs them on the config it loaded, the Launcher on
// specs that arrive over gRPC: both report the same problems, each naming the config key.

#include <vector>

#include "absl/status/status.h"
#include "dlkit/v1/types.pb.h"
#include "services/config/spec_problem.h"

namespace dlkit {

// OK, or INVALID_ARGUMENT listing every problem, one per line. Expects defaults applied
// (see ApplyExperimentDefaults): e.g. trial_concurrency 0 is an error here.
absl::Status ValidateExperimentSpec(const v1::ExperimentSpec& spec);
std::vector<SpecProblem> FindExperimentSpecProblems(const v1::ExperimentSpec& spec);

// Fills what a config may leave out: trialConcurrency 1, tuner Random, objective
// {metric "default", maximize}, platform local (maxTrialNumberPerGpu 1), and for kubernetes
// jobKind Job, replicas 1, storage pvc of 1Gi (an empty namespace stays empty: the
// Launcher's own). Leaves set fields alone.
void ApplyExperimentDefaults(v1::ExperimentSpec* spec);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_CONFIG_SPEC_VALIDATION_H_
