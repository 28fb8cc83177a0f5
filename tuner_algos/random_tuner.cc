#include "tuner_algos/random_tuner.h"

#include <random>

#include "base/status_macros.h"
#include "tuner_algos/class_args.h"
#include "tuner_algos/sampling.h"

namespace dlkit::algos {
namespace {

// An independent stream per trial index, so draws do not depend on earlier calls.
std::mt19937_64 StreamFor(uint64_t seed, uint64_t index) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32)};
  return std::mt19937_64(seq);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tuner>> RandomTuner::Create(const AlgorithmOptions& options) {
  DLKIT_RETURN_IF_ERROR(CheckKnownArgs(options.class_args, {"optimize_mode", "seed"}, "Random"));
  DLKIT_RETURN_IF_ERROR(DirectionArg(options.class_args, options.direction).status());
  DLKIT_ASSIGN_OR_RETURN(uint64_t seed, SeedArg(options.class_args, options.seed));
  DLKIT_RETURN_IF_ERROR(ValidateSearchSpace(options.space));
  return std::unique_ptr<Tuner>(new RandomTuner(options.space, seed));
}

absl::StatusOr<Suggestions> RandomTuner::Suggest(const History& history, int count) {
  if (count < 0) return absl::InvalidArgumentError("count must be >= 0");
  Suggestions out;
  const uint64_t first = history.trials.size();
  for (int i = 0; i < count; ++i) {
    std::mt19937_64 rng = StreamFor(seed_, first + i);
    out.assignments.push_back(SampleAssignment(space_, rng));
  }
  return out;
}

}  // namespace dlkit::algos
