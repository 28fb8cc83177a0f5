#ifndef DLKIT_TUNER_ALGOS_SOBOL_TUNER_H_
#define DLKIT_TUNER_ALGOS_SOBOL_TUNER_H_

// `Sobol`: scrambled Sobol quasi-random points, which cover the space more evenly than
// independent draws. One dimension per parameter in a canonical depth-first order (each
// nested option's parameters get dimensions of their own, used only when it is chosen).

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"
#include "tuner_algos/sobol_sequence.h"

namespace dlkit::algos {

class SobolTuner : public Tuner {
 public:
  // classArgs: optimize_mode (accepted, unused), seed (overrides options.seed).
  static absl::StatusOr<std::unique_ptr<Tuner>> Create(const AlgorithmOptions& options);

  // The i-th trial gets Sobol point i (i = trials in history + position in the batch), so a
  // restarted tuner given the same history continues the same sequence.
  absl::StatusOr<Suggestions> Suggest(const History& history, int count) override;

 private:
  SobolTuner(SearchSpace space, uint64_t seed, int dimensions);

  // Dimensions past SobolSequence::kMaxDimensions are filled with seeded random numbers.
  std::vector<double> UnitPoint(uint64_t index) const;

  SearchSpace space_;
  uint64_t seed_;
  int dimensions_;
  SobolSequence sequence_;
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_SOBOL_TUNER_H_
