#include "services/manager/experiment_limits.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"

namespace dlkit {
namespace {

v1::Trial TrialIn(v1::TrialState state, int attempt = 0, bool interrupted = false) {
  v1::Trial t;
  t.set_id("t" + std::to_string(attempt));
  t.set_state(state);
  t.set_attempt(attempt);
  t.set_interrupted(interrupted);
  t.set_reason("exited with code 1");
  return t;
}

TEST_CASE("TrialTally counts toward maxTrialNumber neither retries nor interrupted trials") {
  TrialTally tally;
  tally.Count(TrialIn(v1::RUNNING), /*trial_retries=*/1, 1);
  tally.Count(TrialIn(v1::SUCCEEDED), 1, 1);
  tally.Count(TrialIn(v1::FAILED, /*attempt=*/1), 1, 1);            // a retry
  tally.Count(TrialIn(v1::KILLED, 0, /*interrupted=*/true), 1, 1);  // runs again on resume
  CHECK(tally.running() == 1);
  CHECK(tally.in_state(v1::FAILED) == 1);
  CHECK(tally.counted() == 2);
  CHECK(tally.counted_ended() == 1);
  // The retry failed too and has no retry left: that one counts toward maxFailedTrials.
  CHECK(tally.failed_for_good() == 1);
  CHECK(tally.last_failure() == "trial t1: exited with code 1");

  // A trial moving on is taken out in its old state and put back in its new one.
  tally.Count(TrialIn(v1::RUNNING), 1, -1);
  tally.Count(TrialIn(v1::SUCCEEDED), 1, 1);
  CHECK(tally.running() == 0);
  CHECK(tally.counted() == 2);
  CHECK(tally.counted_ended() == 2);
}

TEST_CASE("A first failure with retries left does not count as failed for good") {
  TrialTally tally;
  tally.Count(TrialIn(v1::FAILED, 0), /*trial_retries=*/2, 1);
  CHECK(tally.failed_for_good() == 0);
  tally.Count(TrialIn(v1::FAILED, 2), 2, 1);
  CHECK(tally.failed_for_good() == 1);
}

TEST_CASE("LimitReached names the limit that ends the experiment") {
  v1::ExperimentSpec spec;
  TrialTally tally;
  CHECK_FALSE(LimitReached(spec, absl::Hours(100), tally, "").has_value());  // no limits set

  spec.mutable_max_experiment_duration()->set_seconds(60);
  CHECK_FALSE(LimitReached(spec, absl::Seconds(59), tally, "").has_value());
  std::optional<ExperimentEnding> ending = LimitReached(spec, absl::Seconds(60), tally, "");
  REQUIRE(ending.has_value());
  CHECK(ending->state == v1::EXPERIMENT_DONE);
  CHECK(ending->reason == "maxExperimentDuration (1m) reached");

  spec.clear_max_experiment_duration();
  spec.set_max_failed_trials(1);
  CHECK_FALSE(LimitReached(spec, absl::ZeroDuration(), tally, "").has_value());
  tally.Count(TrialIn(v1::FAILED), 0, 1);
  ending = LimitReached(spec, absl::ZeroDuration(), tally, "");
  REQUIRE(ending.has_value());
  CHECK(ending->state == v1::EXPERIMENT_FAILED);
  CHECK(
      absl::StrContains(ending->reason, "1 trials failed (maxFailedTrials is 1); last: trial t0"));

  spec.set_max_failed_trials(0);
  ending = LimitReached(spec, absl::ZeroDuration(), tally, "no such tuner");
  REQUIRE(ending.has_value());
  CHECK(ending->state == v1::EXPERIMENT_FAILED);
  CHECK(ending->reason == "the tuner failed: no such tuner");
}

TEST_CASE("RemainingTrials counts down from maxTrialNumber, unbounded when unset") {
  v1::ExperimentSpec spec;
  TrialTally tally;
  tally.Count(TrialIn(v1::SUCCEEDED), 0, 1);
  CHECK(RemainingTrials(spec, tally) > 1000000);
  spec.set_max_trial_number(3);
  CHECK(RemainingTrials(spec, tally) == 2);
  CHECK(MaxTrialsReason(spec) == "maxTrialNumber (3) reached");
}

}  // namespace
}  // namespace dlkit
