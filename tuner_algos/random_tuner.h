#ifndef DLKIT_TUNER_ALGOS_RANDOM_TUNER_H_
#define DLKIT_TUNER_ALGOS_RANDOM_TUNER_H_

// NNI's `Random`: independent draws from the search space.

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"

namespace dlkit::algos {

class RandomTuner : public Tuner {
 public:
  // classArgs: optimize_mode, seed (overrides options.seed).
  static absl::StatusOr<std::unique_ptr<Tuner>> Create(const AlgorithmOptions& options);

  // The i-th trial's parameters (i = trials in history + position in the batch) depend only
  // on the seed and i, so a restarted tuner given the same history proposes the same.
  absl::StatusOr<Suggestions> Suggest(const History& history, int count) override;

 private:
  RandomTuner(SearchSpace space, uint64_t seed) : space_(std::move(space)), seed_(seed) {}

  SearchSpace space_;
  uint64_t seed_;
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_RANDOM_TUNER_H_
