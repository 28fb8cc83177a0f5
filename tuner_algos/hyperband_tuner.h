#ifndef DLKIT_TUNER_ALGOS_HYPERBAND_TUNER_H_
#define DLKIT_TUNER_ALGOS_HYPERBAND_TUNER_H_

// NNI's `Hyperband`: brackets s = s_max..0, run one after the other, each starting
// n = ceil((s_max+1)/(s+1) * eta^s) configs at budget R * eta^-s and keeping the best 1/eta
// (successive halving) at eta times the budget once its whole rung has finished.
//
// The trial reads its budget from its parameters under kTrialBudgetKey ("TRIAL_BUDGET", an
// int64), as in NNI; the search space must not define a parameter of that name. The schedule
// is a fixed sequence of slots, so the k-th trial of the history is slot k: bracket and rung
// membership come from the history's order alone (restart-safe, no hidden keys).

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"

namespace dlkit::algos {

inline constexpr char kTrialBudgetKey[] = "TRIAL_BUDGET";

// One position in the schedule.
struct HyperbandSlot {
  int64_t bracket = 0;     // s, counting down from s_max
  int64_t rung = 0;        // 0 = new configs, i > 0 = promoted i times
  int64_t position = 0;    // index within the rung (for promotions: rank in the rung below)
  int64_t budget = 0;      // TRIAL_BUDGET
  int64_t rung_start = 0;  // slot of the rung's first trial
  int64_t rung_size = 0;
  int64_t below_start = 0;  // the rung promoted from (rung > 0)
  int64_t below_size = 0;
};

// The whole schedule: brackets s = s_max..0 with s_max = floor(log_eta(max/min)), rung i of
// bracket s has floor(n / eta^i) configs at budget floor(max * eta^(i-s)) (at least 1).
std::vector<HyperbandSlot> HyperbandSchedule(double max_budget, double min_budget, int64_t eta);

class HyperbandTuner : public Tuner {
 public:
  // classArgs: optimize_mode, R (max budget, default 60), eta (default 3), seed.
  static absl::StatusOr<std::unique_ptr<Tuner>> Create(const AlgorithmOptions& options);

  // Fills the next slots of the schedule. A promotion waits until every trial of the rung
  // below has finished (fewer or no suggestions, not exhausted); failed trials and trials
  // without a value rank worst. Exhausted once every slot has been handed out.
  absl::StatusOr<Suggestions> Suggest(const History& history, int count) override;

 protected:
  HyperbandTuner(SearchSpace space, Direction direction, uint64_t seed,
                 std::vector<HyperbandSlot> schedule)
      : space_(std::move(space)),
        direction_(direction),
        seed_(seed),
        schedule_(std::move(schedule)) {}

  // A new config (without TRIAL_BUDGET) for `slot`, given the history and the suggestions
  // already made earlier in this batch. Hyperband draws at random from a per-slot stream.
  virtual absl::StatusOr<Assignment> NewConfig(const History& history,
                                               const std::vector<Assignment>& batch,
                                               const HyperbandSlot& slot, uint64_t index);

  const SearchSpace& space() const { return space_; }
  Direction direction() const { return direction_; }
  uint64_t seed() const { return seed_; }

 private:
  SearchSpace space_;
  Direction direction_;
  uint64_t seed_;
  std::vector<HyperbandSlot> schedule_;
};

// A copy of `assignment` without TRIAL_BUDGET.
Assignment WithoutBudget(const Assignment& assignment);

// INVALID_ARGUMENT when `space` defines TRIAL_BUDGET at its top level.
absl::Status CheckNoBudgetParam(const SearchSpace& space, const std::string& algorithm);

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_HYPERBAND_TUNER_H_
