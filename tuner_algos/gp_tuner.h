#ifndef DLKIT_TUNER_ALGOS_GP_TUNER_H_
#define DLKIT_TUNER_ALGOS_GP_TUNER_H_

// NNI's `GP` tuner: Bayesian optimisation with a Gaussian process (Matérn 5/2, ARD) and log
// expected improvement. Random for the first cold_start_num trials; afterwards the GP is
// fitted to finished trials, waiting/running trials and earlier suggestions of the same
// batch join as constant liars (observed at the worst finished value), and the acquisition
// is maximised over selection_num_warm_up random candidates plus coordinate-search
// refinement from the best selection_num_starting_points of them. Only the points that may
// matter pay for an exact score: a bound on log EI (GaussianProcess::LogEiAbove) rules out
// the warm-up candidates that cannot be among the starting points and the neighbours that
// cannot beat their search's point. The hyperparameter restarts, the warm-up scoring and
// the refinement run in parallel where there are cores; the suggestions do not depend on it.
//
// Encoding into [0, 1]^D: uniform/quniform linear, log types on the log scale, normal types
// through their CDF, randint as a continuous bin position (floored back), choice one-hot
// (arg-max back). Nested choices encode the union of every option's sub-parameters; the
// sub-parameters of an option not chosen sit at the neutral value 0.5.

#include <cstdint>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"

namespace dlkit::algos {

struct GpTunerConfig {
  Direction direction = Direction::kMaximize;
  uint64_t seed = 0;
  int64_t cold_start_num = 10;
  int64_t selection_num_warm_up = 2000;  // NNI's default is 100000
  int64_t selection_num_starting_points = 10;
};

class GpTuner : public Tuner {
 public:
  // classArgs: optimize_mode, seed, cold_start_num, selection_num_warm_up,
  // selection_num_starting_points.
  static absl::StatusOr<std::unique_ptr<Tuner>> Create(const AlgorithmOptions& options);

  // Deterministic in the seed, the history and `count`. Finished trials count as
  // SUCCEEDED (final value) and EARLY_STOPPED (last intermediate value).
  absl::StatusOr<Suggestions> Suggest(const History& history, int count) override;

 private:
  GpTuner(SearchSpace space, GpTunerConfig config) : space_(std::move(space)), config_(config) {}

  SearchSpace space_;
  GpTunerConfig config_;
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_GP_TUNER_H_
