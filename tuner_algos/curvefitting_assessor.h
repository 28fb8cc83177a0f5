#ifndef DLKIT_TUNER_ALGOS_CURVEFITTING_ASSESSOR_H_
#define DLKIT_TUNER_ALGOS_CURVEFITTING_ASSESSOR_H_

// NNI's `Curvefitting` assessor: from step start_step on, every `gap` steps, extrapolate the
// trial's learning curve to step epoch_num and stop the trial if the prediction is worse
// than `threshold` times the best value a succeeded trial ended with.
//
// Where NNI fits 12 curve families by least squares and mixes them with weights sampled by
// MCMC, we fit four families by least squares (pow3 c - a x^-alpha, exp3 c - b e^(-k x),
// ilog2 c - a / ln(x + 1), and log-power a / (1 + (x / e^b)^c)) and average their
// predictions with BIC weights (the likelihood of each fit under Gaussian noise, penalised
// by its parameter count). A family whose prediction leaves the plausible range (three
// times the observed spread around the last value) is dropped, as NNI drops outliers.
//
// The bar is the best over succeeded trials of their last intermediate value (the value
// the curve is predicting; NNI uses the same), or of the final value for a trial that
// reported no intermediate ones. maximize: stop iff prediction <= best - (1 - threshold)
// |best|, which is NNI's `<= threshold * best` for a positive best; minimize mirrors it:
// stop iff prediction >= best + (1 - threshold) |best|.
// The trial goes on when no trial has succeeded yet, when no family fits, and from step
// epoch_num on (nothing is left to save).
//
// classArgs: epoch_num (required, >= 1), start_step (default 6, >= 1), threshold (default
// 0.95, in [0, 1]), gap (default 1, >= 1), optimize_mode (default: the experiment's).

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"

namespace dlkit::algos {

class CurvefittingAssessor : public Assessor {
 public:
  static absl::StatusOr<std::unique_ptr<Assessor>> Create(const AlgorithmOptions& options);

  absl::StatusOr<AssessDecision> Assess(const TrialRecord& trial, const History& history) override;

  // The value at step `target_step` (1-based) predicted from `series` (the values at steps
  // 1..n); nullopt when fewer than 3 points, a non-finite value, or no family fits.
  static std::optional<double> PredictFinal(const std::vector<double>& series, int64_t target_step);

 private:
  CurvefittingAssessor(Direction direction, int64_t epoch_num, int64_t start_step, double threshold,
                       int64_t gap)
      : direction_(direction),
        epoch_num_(epoch_num),
        start_step_(start_step),
        threshold_(threshold),
        gap_(gap) {}

  Direction direction_;
  int64_t epoch_num_;
  int64_t start_step_;
  double threshold_;
  int64_t gap_;
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_CURVEFITTING_ASSESSOR_H_
