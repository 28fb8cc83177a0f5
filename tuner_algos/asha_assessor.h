#ifndef DLKIT_TUNER_ALGOS_ASHA_ASSESSOR_H_
#define DLKIT_TUNER_ALGOS_ASHA_ASSESSOR_H_

// Asynchronous successive halving (ASHA, Li et al. 2020) as an assessor, after Optuna's
// SuccessiveHalvingPruner. Rungs sit at steps r_k = min_resource * eta^k. When a trial's
// series first reaches r_k values, its value at step r_k is ranked against the step-r_k
// values of every other trial that got that far (running or ended, any status): it goes on
// only if it is among the best floor(n / eta) of the n trials at the rung (ties go on).
// While fewer than eta trials have reached a rung, everyone goes on; this is where we
// differ from Optuna, which in that case keeps only a trial that beats all the others.
// A NaN/inf value at a rung stops the trial, as in Optuna.
//
// classArgs:
//   optimize_mode     "maximize" | "minimize" (default: the experiment's direction)
//   min_resource      steps before the first rung, >= 1 (default 1). `start_step` is
//                     accepted as an alias for NNI-style configs; giving both is an error.
//   reduction_factor  eta, an integer >= 2 (default 3)
//   max_resource      optional; no rung at or after this step, so a trial that reaches it
//                     runs to its end. Must exceed min_resource.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"

namespace dlkit::algos {

class AshaAssessor : public Assessor {
 public:
  static absl::StatusOr<std::unique_ptr<Assessor>> Create(const AlgorithmOptions& options);

  // Judges each rung the trial crossed since the previous call for it. A trial seen for
  // the first time is judged only at a rung its latest value lands on, so an assessor
  // rebuilt mid-experiment does not re-judge rungs a trial was already promoted past.
  absl::StatusOr<AssessDecision> Assess(const TrialRecord& trial, const History& history) override;

 private:
  AshaAssessor(Direction direction, int64_t min_resource, int64_t reduction_factor,
               std::optional<int64_t> max_resource)
      : direction_(direction),
        min_resource_(min_resource),
        reduction_factor_(reduction_factor),
        max_resource_(max_resource) {}

  // Whether `trial` survives the rung at `rung_step`.
  bool Promotable(const TrialRecord& trial, const History& history, int64_t rung_step) const;

  Direction direction_;
  int64_t min_resource_;
  int64_t reduction_factor_;
  std::optional<int64_t> max_resource_;
  // Series length at the previous call, per trial.
  std::unordered_map<std::string, int64_t> last_step_;
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_ASHA_ASSESSOR_H_
