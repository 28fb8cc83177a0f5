#ifndef DLKIT_TUNER_ALGOS_ANNEAL_TUNER_H_
#define DLKIT_TUNER_ALGOS_ANNEAL_TUNER_H_

// NNI's `Anneal` (hyperopt's annealing algorithm): random search that samples ever closer
// to the good trials seen so far.

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"

namespace dlkit::algos {

class AnnealTuner : public Tuner {
 public:
  // classArgs: optimize_mode, seed (overrides options.seed).
  static absl::StatusOr<std::unique_ptr<Tuner>> Create(const AlgorithmOptions& options);

  // As hyperopt.anneal, per parameter: with no succeeded trial that used it, a draw from its
  // prior. Otherwise a "good" trial is picked (rank ~ geometric with mean 1, best = rank 0;
  // the suggestion's already-picked trials are reused where they hold the parameter) and,
  // with shrink s = 1 / (1 + 0.1 T), T = trials in the history that used the parameter:
  //  - uniform types: uniform on a window of s x the range around the good value (on log
  //    scale for log types), shifted to fit the bounds, then quantised;
  //  - normal types: normal(good value, s x sigma) (log of it for log types), quantised;
  //  - randint: like quniform with q = 1 (hyperopt treats it as a choice, whose exact
  //    repeats would mostly be duplicates);
  //  - choice: the good option with probability (1 - s) + s / k, else uniform; a nested
  //    option's parameters are annealed the same way.
  // A duplicate of a trial in the history or batch is redrawn a few times, then replaced by
  // a random draw (NNI's hyperopt tuner falls back to random at once). The i-th suggestion
  // depends only on the seed, i and the history.
  absl::StatusOr<Suggestions> Suggest(const History& history, int count) override;

 private:
  AnnealTuner(SearchSpace space, Direction direction, uint64_t seed)
      : space_(std::move(space)), direction_(direction), seed_(seed) {}

  SearchSpace space_;
  Direction direction_;
  uint64_t seed_;
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_ANNEAL_TUNER_H_
