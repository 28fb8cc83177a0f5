#ifndef DLKIT_TUNER_ALGOS_BOHB_TUNER_H_
#define DLKIT_TUNER_ALGOS_BOHB_TUNER_H_

// NNI's `BOHB`: Hyperband's schedule (min_budget..max_budget, eta) whose new configs come
// from a TPE model (TpeTuner) fitted on the results at the largest budget with at least
// min_points_in_model finished trials; a random_fraction of them, and all of them while no
// budget has enough results, are drawn at random. Budgets are passed as "TRIAL_BUDGET".

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"
#include "tuner_algos/hyperband_tuner.h"

namespace dlkit::algos {

struct BohbConfig {
  int64_t min_points_in_model = 0;  // 0: number of top-level parameters + 1, as NNI
  double top_n_percent = 15;        // TPE's gamma = top_n_percent / 100
  int64_t num_samples = 64;         // TPE's n_ei_candidates
  double random_fraction = 1.0 / 3;
};

class BohbTuner : public HyperbandTuner {
 public:
  // classArgs: optimize_mode, min_budget (default 1), max_budget (default 3), eta (3),
  // min_points_in_model, top_n_percent (15), num_samples (64), random_fraction (1/3), seed;
  // bandwidth_factor (3) and min_bandwidth (1e-3) are validated (> 0) but unused: our TPE
  // chooses its bandwidths as Optuna does. Budgets are rounded down to integers.
  static absl::StatusOr<std::unique_ptr<Tuner>> Create(const AlgorithmOptions& options);

 protected:
  absl::StatusOr<Assignment> NewConfig(const History& history, const std::vector<Assignment>& batch,
                                       const HyperbandSlot& slot, uint64_t index) override;

 private:
  BohbTuner(SearchSpace space, Direction direction, uint64_t seed,
            std::vector<HyperbandSlot> schedule, BohbConfig config)
      : HyperbandTuner(std::move(space), direction, seed, std::move(schedule)), config_(config) {}

  BohbConfig config_;
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_BOHB_TUNER_H_
