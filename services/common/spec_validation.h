#ifndef DLKIT_SERVICES_COMMON_SPEC_VALIDATION_H_
#define DLKIT_SERVICES_COMMON_SPEC_VALIDATION_H_

// Semantic checks of an ExperimentSpec and its SearchSpace. The CLI runs them on the config
// it loaded, the Launcher on specs that arrive over gRPC: both report the same problems,
// each naming the config key (JSON path) the user has to fix.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dlkit/v1/types.pb.h"

namespace dlkit {

// One problem: where (a JSON path such as `searchSpace.lr._value`, empty for the whole
// document) and what.
struct SpecProblem {
  std::string path;
  std::string message;

  // "path: message", or the message alone when the path is empty.
  std::string ToString() const;
};

// Every problem of the space, e.g.
// `searchSpace.lr._value: low (0.1) must be below high (0.01)`. Empty = valid.
// Nested options' sub-spaces are checked with their paths
// (`searchSpace.model._value[1].hidden._value`).
std::vector<std::string> ValidateSearchSpace(const v1::SearchSpace& space,
                                             const std::string& path_prefix);
std::vector<SpecProblem> FindSearchSpaceProblems(const v1::SearchSpace& space,
                                                 const std::string& path_prefix);

// OK, or INVALID_ARGUMENT listing every problem, one per line. Expects defaults applied
// (see ApplyExperimentDefaults): e.g. trial_concurrency 0 is an error here.
absl::Status ValidateExperimentSpec(const v1::ExperimentSpec& spec);
std::vector<SpecProblem> FindExperimentSpecProblems(const v1::ExperimentSpec& spec);

// Fills what a config may leave out: trialConcurrency 1, tuner Random, objective
// {metric "default", maximize}, platform local (maxTrialNumberPerGpu 1), and for kubernetes
// jobKind Job, replicas 1, storage pvc of 1Gi (an empty namespace stays empty: the
// Launcher's own). Leaves set fields alone.
void ApplyExperimentDefaults(v1::ExperimentSpec* spec);

// Whether `params` is a point of `space` (every parameter present, nothing extra, values of
// the right kind and within bounds, a nested choice naming one of its options). Used for
// user-enqueued trials. Paths start at `path_prefix` (e.g. "parameters").
std::vector<std::string> ValidateParameterSet(const v1::ParameterSet& params,
                                              const v1::SearchSpace& space,
                                              const std::string& path_prefix);

// NNI's `_type` name of a distribution ("loguniform"), or "" for DISTRIBUTION_UNSPECIFIED.
std::string DistributionName(v1::Distribution distribution);
// The distribution named `name` (exact NNI spelling), or DISTRIBUTION_UNSPECIFIED.
v1::Distribution DistributionFromName(const std::string& name);
// The ten NNI names, in the order of the enum.
const std::vector<std::string>& DistributionNames();

// `prefix.key` (or `key` when the prefix is empty).
std::string JoinSpecPath(const std::string& prefix, const std::string& key);
// Shortest text that reads back as the same double ("0.1", "1e-05", "3").
std::string FormatSpecNumber(double value);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_SPEC_VALIDATION_H_
