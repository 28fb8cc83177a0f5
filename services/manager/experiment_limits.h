#ifndef DLKIT_SERVICES_MANAGER_EXPERIMENT_LIMITS_H_
#define DLKIT_SERVICES_MANAGER_EXPERIMENT_LIMITS_H_

// An experiment's limits (maxExperimentDuration, maxFailedTrials, maxTrialNumber) and the
// counts of its trials that they are checked against, kept as trials change so that no
// event scans every trial (there may be 100,000 of them).

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "dlkit/v1/types.pb.h"

namespace dlkit {

class TrialTally {
 public:
  // Adds (sign 1) or removes (sign -1) a trial's share; `trial_retries` is the spec's.
  void Count(const v1::Trial& trial, int trial_retries, int sign);

  int in_state(v1::TrialState state) const { return by_state_[state]; }
  int running() const { return by_state_[v1::RUNNING]; }
  // Toward maxTrialNumber: neither interrupted nor a retry.
  int counted() const { return counted_; }
  // Of those, ended.
  int counted_ended() const { return counted_ended_; }
  // FAILED with no retry left, toward maxFailedTrials.
  int failed_for_good() const { return failed_for_good_; }
  // "trial ID: reason" of the latest of those.
  const std::string& last_failure() const { return last_failure_; }

 private:
  int by_state_[v1::TrialState_ARRAYSIZE] = {};
  int counted_ = 0;
  int counted_ended_ = 0;
  int failed_for_good_ = 0;
  std::string last_failure_;
};

struct ExperimentEnding {
  v1::ExperimentState state;
  std::string reason;
};

// Whether the experiment must end now, whatever its trials do: maxExperimentDuration has
// passed (DONE), maxFailedTrials is reached or the tuner failed (FAILED).
std::optional<ExperimentEnding> LimitReached(const v1::ExperimentSpec& spec, absl::Duration elapsed,
                                             const TrialTally& tally,
                                             const std::string& tuner_error);

// How many more trials maxTrialNumber allows (a very large number when it is unset).
int RemainingTrials(const v1::ExperimentSpec& spec, const TrialTally& tally);

// "maxTrialNumber (N) reached".
std::string MaxTrialsReason(const v1::ExperimentSpec& spec);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_MANAGER_EXPERIMENT_LIMITS_H_
