#ifndef DLKIT_TUNER_ALGOS_EVOLUTION_TUNER_H_
#define DLKIT_TUNER_ALGOS_EVOLUTION_TUNER_H_

// NNI's `Evolution` (naive evolution): a random first generation, then each new trial is
// the better of two random population members with one parameter redrawn.

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"

namespace dlkit::algos {

class EvolutionTuner : public Tuner {
 public:
  // classArgs: optimize_mode, population_size (default 32, >= 1), seed (overrides
  // options.seed).
  static absl::StatusOr<std::unique_ptr<Tuner>> Create(const AlgorithmOptions& options);

  // The first population_size trials are random draws. After that the population is the
  // best population_size succeeded trials (NNI keeps a steady-state population whose
  // tournament losers are dropped; ranking the history is its stateless, restart-safe
  // equivalent). A suggestion takes two distinct random members, keeps the better, and
  // redraws one of its active parameters (nested ones included; redrawing a nested choice
  // redraws its sub-space). Candidates already in the history or batch are retried a few
  // times. As NNI, it proposes nothing while population_size trials are still running, so
  // the batch may be short. Deterministic in (seed, history).
  absl::StatusOr<Suggestions> Suggest(const History& history, int count) override;

 private:
  EvolutionTuner(SearchSpace space, Direction direction, int64_t population_size, uint64_t seed)
      : space_(std::move(space)),
        direction_(direction),
        population_size_(population_size),
        seed_(seed) {}

  SearchSpace space_;
  Direction direction_;
  int64_t population_size_;
  uint64_t seed_;
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_EVOLUTION_TUNER_H_
