#include "tuner_algos/asha_assessor.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "base/status_macros.h"
#include "tuner_algos/class_args.h"

namespace dlkit::algos {
namespace {

constexpr int64_t kMaxSteps = int64_t{1} << 40;

}  // namespace

absl::StatusOr<std::unique_ptr<Assessor>> AshaAssessor::Create(const AlgorithmOptions& options) {
  const ClassArgs& args = options.class_args;
  DLKIT_RETURN_IF_ERROR(CheckKnownArgs(
      args, {"max_resource", "min_resource", "optimize_mode", "reduction_factor", "start_step"},
      "ASHA"));
  DLKIT_ASSIGN_OR_RETURN(Direction direction, DirectionArg(args, options.direction));
  if (args.count("min_resource") > 0 && args.count("start_step") > 0) {
    return absl::InvalidArgumentError(
        "classArgs \"min_resource\" and \"start_step\" are aliases; give only one");
  }
  const char* min_key = args.count("start_step") > 0 ? "start_step" : "min_resource";
  DLKIT_ASSIGN_OR_RETURN(int64_t min_resource, IntArg(args, min_key, 1, 1, kMaxSteps));
  DLKIT_ASSIGN_OR_RETURN(int64_t eta, IntArg(args, "reduction_factor", 3, 2, 1000));
  std::optional<int64_t> max_resource;
  if (args.count("max_resource") > 0) {
    DLKIT_ASSIGN_OR_RETURN(max_resource, IntArg(args, "max_resource", 0, 1, kMaxSteps));
    if (*max_resource <= min_resource) {
      return absl::InvalidArgumentError(
          "classArg \"max_resource\" must be greater than \"min_resource\"");
    }
  }
  return std::unique_ptr<Assessor>(new AshaAssessor(direction, min_resource, eta, max_resource));
}

bool AshaAssessor::Promotable(const TrialRecord& trial, const History& history,
                              int64_t rung_step) const {
  const double value = trial.intermediate[rung_step - 1];
  if (!std::isfinite(value)) return false;
  std::vector<double> competing = {value};
  for (const TrialRecord& other : history.trials) {
    if (other.trial_id == trial.trial_id) continue;
    if (static_cast<int64_t>(other.intermediate.size()) < rung_step) continue;
    const double other_value = other.intermediate[rung_step - 1];
    // A diverged trial was stopped at this rung; it still counts, as the worst.
    competing.push_back(std::isfinite(other_value)           ? other_value
                        : direction_ == Direction::kMaximize ? -HUGE_VAL
                                                             : HUGE_VAL);
  }
  const int64_t keep = static_cast<int64_t>(competing.size()) / reduction_factor_;
  if (keep == 0) return true;
  // The keep-th best value is the bar to clear.
  if (direction_ == Direction::kMaximize) {
    std::nth_element(competing.begin(), competing.begin() + (keep - 1), competing.end(),
                     std::greater<double>());
    return value >= competing[keep - 1];
  }
  std::nth_element(competing.begin(), competing.begin() + (keep - 1), competing.end());
  return value <= competing[keep - 1];
}

absl::StatusOr<AssessDecision> AshaAssessor::Assess(const TrialRecord& trial,
                                                    const History& history) {
  const int64_t step = static_cast<int64_t>(trial.intermediate.size());
  auto it = last_step_.try_emplace(trial.trial_id, step - 1).first;
  const int64_t previous = std::min(it->second, step - 1);
  it->second = step;
  for (int64_t rung_step = min_resource_; rung_step <= step; rung_step *= reduction_factor_) {
    if (max_resource_.has_value() && rung_step >= *max_resource_) break;
    if (rung_step > previous && !Promotable(trial, history, rung_step)) {
      return AssessDecision::kStop;
    }
    if (rung_step > kMaxSteps / reduction_factor_) break;  // next rung would overflow
  }
  return AssessDecision::kContinue;
}

}  // namespace dlkit::algos
