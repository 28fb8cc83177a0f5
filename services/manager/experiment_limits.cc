#include "services/manager/experiment_limits.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "services/common/proto_util.h"

namespace dlkit {

void TrialTally::Count(const v1::Trial& trial, int trial_retries, int sign) {
  by_state_[trial.state()] += sign;
  if (!trial.interrupted() && trial.attempt() == 0) {
    counted_ += sign;
    if (IsTerminal(trial.state())) counted_ended_ += sign;
  }
  if (trial.state() == v1::FAILED && trial.attempt() >= trial_retries) {
    failed_for_good_ += sign;
    if (sign > 0) last_failure_ = absl::StrCat("trial ", trial.id(), ": ", trial.reason());
  }
}

std::optional<ExperimentEnding> LimitReached(const v1::ExperimentSpec& spec, absl::Duration elapsed,
                                             const TrialTally& tally,
                                             const std::string& tuner_error) {
  const absl::Duration max_duration = ToAbslDuration(spec.max_experiment_duration());
  if (max_duration > absl::ZeroDuration() && elapsed >= max_duration) {
    return ExperimentEnding{
        v1::EXPERIMENT_DONE,
        absl::StrCat("maxExperimentDuration (", absl::FormatDuration(max_duration), ") reached")};
  }
  const int failed = tally.failed_for_good();
  if (spec.max_failed_trials() > 0 && failed >= spec.max_failed_trials()) {
    return ExperimentEnding{
        v1::EXPERIMENT_FAILED,
        absl::StrCat(failed, " trials failed (maxFailedTrials is ", spec.max_failed_trials(),
                     "); last: ", tally.last_failure())};
  }
  if (!tuner_error.empty()) {
    return ExperimentEnding{v1::EXPERIMENT_FAILED, absl::StrCat("the tuner failed: ", tuner_error)};
  }
  return std::nullopt;
}

int RemainingTrials(const v1::ExperimentSpec& spec, const TrialTally& tally) {
  return spec.max_trial_number() > 0 ? spec.max_trial_number() - tally.counted()
                                     : std::numeric_limits<int>::max();
}

std::string MaxTrialsReason(const v1::ExperimentSpec& spec) {
  return absl::StrCat("maxTrialNumber (", spec.max_trial_number(), ") reached");
}

}  // namespace dlkit
