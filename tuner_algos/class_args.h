#ifndef DLKIT_TUNER_ALGOS_CLASS_ARGS_H_
#define DLKIT_TUNER_ALGOS_CLASS_ARGS_H_

// Reading an algorithm's classArgs with errors a user can act on.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"

namespace dlkit::algos {

// INVALID_ARGUMENT naming the first key of `args` not in `accepted` and listing `accepted`.
absl::Status CheckKnownArgs(const ClassArgs& args, const std::vector<std::string>& accepted,
                            const std::string& algorithm);

// `optimize_mode` ("maximize" | "minimize") if present, else `fallback`.
absl::StatusOr<Direction> DirectionArg(const ClassArgs& args, Direction fallback);

// An integer arg within [min, max] (an integral double is accepted), else `fallback`.
absl::StatusOr<int64_t> IntArg(const ClassArgs& args, const std::string& key, int64_t fallback,
                               int64_t min, int64_t max);

// A number within [min, max] (an integer is accepted), else `fallback`.
absl::StatusOr<double> DoubleArg(const ClassArgs& args, const std::string& key, double fallback,
                                 double min, double max);

// A bool, else `fallback`.
absl::StatusOr<bool> BoolArg(const ClassArgs& args, const std::string& key, bool fallback);

// `seed` if present (any integer), else `fallback`.
absl::StatusOr<uint64_t> SeedArg(const ClassArgs& args, uint64_t fallback);

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_CLASS_ARGS_H_
