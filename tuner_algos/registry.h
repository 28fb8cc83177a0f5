#ifndef DLKIT_TUNER_ALGOS_REGISTRY_H_
#define DLKIT_TUNER_ALGOS_REGISTRY_H_

// Name -> factory registry of tuners and assessors (NNI's names).

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"

namespace dlkit::algos {

// INVALID_ARGUMENT naming the unknown algorithm (with the known names) or the bad classArg.
absl::StatusOr<std::unique_ptr<Tuner>> CreateTuner(const std::string& name,
                                                   const AlgorithmOptions& options);
absl::StatusOr<std::unique_ptr<Assessor>> CreateAssessor(const std::string& name,
                                                         const AlgorithmOptions& options);
std::vector<std::string> TunerNames();
std::vector<std::string> AssessorNames();

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_REGISTRY_H_
