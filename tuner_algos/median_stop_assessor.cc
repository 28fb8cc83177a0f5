#include "tuner_algos/median_stop_assessor.h"

#include <algorithm>

#include "base/status_macros.h"
#include "tuner_algos/class_args.h"

namespace dlkit::algos {

absl::StatusOr<std::unique_ptr<Assessor>> MedianStopAssessor::Create(
    const AlgorithmOptions& options) {
  DLKIT_RETURN_IF_ERROR(
      CheckKnownArgs(options.class_args, {"optimize_mode", "start_step"}, "Medianstop"));
  DLKIT_ASSIGN_OR_RETURN(Direction direction, DirectionArg(options.class_args, options.direction));
  DLKIT_ASSIGN_OR_RETURN(int64_t start_step, IntArg(options.class_args, "start_step", 0, 0, 9999));
  return std::unique_ptr<Assessor>(new MedianStopAssessor(direction, start_step));
}

const std::vector<double>& MedianStopAssessor::RunningAverages(const TrialRecord& finished) {
  std::vector<double>& averages = averages_[finished.trial_id];
  if (averages.size() != finished.intermediate.size()) {
    averages.clear();
    double sum = 0;
    for (double x : finished.intermediate) {
      sum += x;
      averages.push_back(sum / static_cast<double>(averages.size() + 1));
    }
  }
  return averages;
}

absl::StatusOr<AssessDecision> MedianStopAssessor::Assess(const TrialRecord& trial,
                                                          const History& history) {
  const size_t step = trial.intermediate.size();
  if (step == 0 || static_cast<int64_t>(step) < start_step_) return AssessDecision::kContinue;
  const bool maximize = direction_ == Direction::kMaximize;
  const double best = maximize
                          ? *std::max_element(trial.intermediate.begin(), trial.intermediate.end())
                          : *std::min_element(trial.intermediate.begin(), trial.intermediate.end());
  std::vector<double> at_step;
  for (const TrialRecord& other : history.trials) {
    if (other.status != TrialStatus::kSucceeded || other.trial_id == trial.trial_id) continue;
    const std::vector<double>& averages = RunningAverages(other);
    if (averages.size() >= step) at_step.push_back(averages[step - 1]);
  }
  if (at_step.empty()) return AssessDecision::kContinue;
  std::sort(at_step.begin(), at_step.end());
  // NNI takes the lower median when maximizing and the upper one when minimizing.
  const size_t n = at_step.size();
  const double median = at_step[maximize ? (n - 1) / 2 : n / 2];
  const bool worse = maximize ? best < median : best > median;
  return worse ? AssessDecision::kStop : AssessDecision::kContinue;
}

}  // namespace dlkit::algos
