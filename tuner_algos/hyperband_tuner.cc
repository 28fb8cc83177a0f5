#include "tuner_algos/hyperband_tuner.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "tuner_algos/class_args.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/trial_history.h"

namespace dlkit::algos {
namespace {

constexpr double kEpsilon = 1e-9;  // guards floor/ceil against pow()'s last ulp
constexpr uint64_t kSampleSalt = 0x4b8;

// Positions of the rung's trials in history, best first: finished values by direction,
// trials without one (failed, killed) last; ties go to the older trial.
std::vector<int64_t> RankRung(const History& history, int64_t start, int64_t size,
                              Direction direction) {
  std::vector<int64_t> order;
  for (int64_t k = start; k < start + size; ++k) order.push_back(k);
  const auto key = [&](int64_t k) {
    std::optional<double> value = FinishedValue(history.trials[k]);
    return value.has_value() ? std::make_pair(0, Loss(*value, direction)) : std::make_pair(1, 0.0);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return key(a) < key(b); });
  return order;
}

}  // namespace

std::vector<HyperbandSlot> HyperbandSchedule(double max_budget, double min_budget, int64_t eta) {
  const double e = static_cast<double>(eta);
  int64_t s_max = 0;
  while (std::pow(e, static_cast<double>(s_max + 1)) <= max_budget / min_budget * (1 + kEpsilon)) {
    ++s_max;
  }
  std::vector<HyperbandSlot> slots;
  for (int64_t s = s_max; s >= 0; --s) {
    const double n = std::ceil(static_cast<double>(s_max + 1) / static_cast<double>(s + 1) *
                                   std::pow(e, static_cast<double>(s)) -
                               kEpsilon);
    int64_t below_start = 0, below_size = 0;
    for (int64_t i = 0; i <= s; ++i) {
      const int64_t size = std::max<int64_t>(
          1, static_cast<int64_t>(std::floor(n / std::pow(e, static_cast<double>(i)) + kEpsilon)));
      const int64_t budget = std::max<int64_t>(
          1, static_cast<int64_t>(
                 std::floor(max_budget * std::pow(e, static_cast<double>(i - s)) + kEpsilon)));
      const int64_t start = static_cast<int64_t>(slots.size());
      for (int64_t j = 0; j < size; ++j) {
        slots.push_back(
            HyperbandSlot{s, i, j, budget, start, size, below_start, i > 0 ? below_size : 0});
      }
      below_start = start;
      below_size = size;
    }
  }
  return slots;
}

Assignment WithoutBudget(const Assignment& assignment) {
  Assignment out = assignment;
  out.erase(kTrialBudgetKey);
  return out;
}

absl::Status CheckNoBudgetParam(const SearchSpace& space, const std::string& algorithm) {
  for (const ParamSpec& spec : space.params) {
    if (spec.name == kTrialBudgetKey) {
      return absl::InvalidArgumentError(
          absl::StrCat(algorithm, " passes the budget as parameter \"", kTrialBudgetKey,
                       "\"; the search space must not define a parameter of that name"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Tuner>> HyperbandTuner::Create(const AlgorithmOptions& options) {
  const ClassArgs& args = options.class_args;
  DLKIT_RETURN_IF_ERROR(CheckKnownArgs(args, {"optimize_mode", "R", "eta", "seed"}, "Hyperband"));
  DLKIT_ASSIGN_OR_RETURN(Direction direction, DirectionArg(args, options.direction));
  DLKIT_ASSIGN_OR_RETURN(int64_t r, IntArg(args, "R", 60, 1, 1000000));
  DLKIT_ASSIGN_OR_RETURN(int64_t eta, IntArg(args, "eta", 3, 2, 1000000));
  DLKIT_ASSIGN_OR_RETURN(uint64_t seed, SeedArg(args, options.seed));
  DLKIT_RETURN_IF_ERROR(ValidateSearchSpace(options.space));
  DLKIT_RETURN_IF_ERROR(CheckNoBudgetParam(options.space, "Hyperband"));
  return std::unique_ptr<Tuner>(new HyperbandTuner(
      options.space, direction, seed, HyperbandSchedule(static_cast<double>(r), 1, eta)));
}

absl::StatusOr<Assignment> HyperbandTuner::NewConfig(const History& /*history*/,
                                                     const std::vector<Assignment>& /*batch*/,
                                                     const HyperbandSlot& /*slot*/,
                                                     uint64_t index) {
  std::mt19937_64 rng = TrialStream(seed_, index, kSampleSalt);
  return SampleAssignment(space_, rng);
}

absl::StatusOr<Suggestions> HyperbandTuner::Suggest(const History& history, int count) {
  if (count < 0) return absl::InvalidArgumentError("count must be >= 0");
  Suggestions out;
  const int64_t issued = static_cast<int64_t>(history.trials.size());
  for (int i = 0; i < count; ++i) {
    const int64_t k = issued + i;
    if (k >= static_cast<int64_t>(schedule_.size())) break;
    const HyperbandSlot& slot = schedule_[k];
    Assignment assignment;
    if (slot.rung == 0) {
      DLKIT_ASSIGN_OR_RETURN(assignment, NewConfig(history, out.assignments, slot, k));
    } else {
      // A promotion needs every trial of the rung below in the history and finished.
      const int64_t below_end = slot.below_start + slot.below_size;
      if (below_end > issued) break;
      bool waiting = false;
      for (int64_t b = slot.below_start; b < below_end; ++b) {
        waiting = waiting || IsPending(history.trials[b]);
      }
      if (waiting) break;
      const std::vector<int64_t> ranked =
          RankRung(history, slot.below_start, slot.below_size, direction_);
      assignment = history.trials[ranked[slot.position]].parameters;
    }
    assignment[kTrialBudgetKey] = Value{slot.budget};
    out.assignments.push_back(std::move(assignment));
  }
  out.exhausted = issued + static_cast<int64_t>(out.assignments.size()) >=
                  static_cast<int64_t>(schedule_.size());
  return out;
}

}  // namespace dlkit::algos
