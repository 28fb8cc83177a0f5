#ifndef DLKIT_SERVICES_CONFIG_SEARCH_SPACE_VALIDATION_H_
#define DLKIT_SERVICES_CONFIG_SEARCH_SPACE_VALIDATION_H_

// Semantic checks of a SearchSpace (NNI's distributions and their arguments) and of a
// parameter set against it. The CLI runs them on the config it loaded, the Launcher on specs
// that arrive over gRPC, the Manager on user-enqueued trials: all report the same problems,
// each naming the config key (JSON path) the user has to fix.

#include <string>
#include <vector>

#include "dlkit/v1/types.pb.h"
#include "services/config/spec_problem.h"

namespace dlkit {

// Every problem of the space, e.g.
// `searchSpace.lr._value: low (0.1) must be below high (0.01)`. Empty = valid.
// Nested options' sub-spaces are checked with their paths
// (`searchSpace.model._value[1].hidden._value`).
std::vector<std::string> ValidateSearchSpace(const v1::SearchSpace& space,
                                             const std::string& path_prefix);
std::vector<SpecProblem> FindSearchSpaceProblems(const v1::SearchSpace& space,
                                                 const std::string& path_prefix);

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

}  // namespace dlkit

#endif  // DLKIT_SERVICES_CONFIG_SEARCH_SPACE_VALIDATION_H_
