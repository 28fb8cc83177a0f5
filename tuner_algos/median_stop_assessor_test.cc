#include "tuner_algos/median_stop_assessor.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tuner_algos/test_util.h"

namespace dlkit::algos {
namespace {

using testing::Decide;
using testing::SeriesTrial;

// Five finished trials whose accuracy climbs from 0.5..0.9 by 0.02 per step for 10 steps.
History Finished() {
  History history;
  for (int i = 0; i < 5; ++i) {
    std::vector<double> series;
    for (int step = 0; step < 10; ++step) series.push_back(0.5 + 0.1 * i + 0.02 * step);
    history.trials.push_back(
        SeriesTrial("done" + std::to_string(i), TrialStatus::kSucceeded, std::move(series)));
  }
  return history;
}

std::unique_ptr<Assessor> Make(ClassArgs args, Direction direction = Direction::kMaximize) {
  return testing::MakeAssessor<MedianStopAssessor>(std::move(args), direction);
}

TEST_CASE("Medianstop stops a clearly bad curve and keeps a good one") {
  auto assessor = Make({});
  History history = Finished();
  const TrialRecord bad = SeriesTrial("bad", TrialStatus::kRunning, {0.2, 0.25, 0.3});
  const TrialRecord good = SeriesTrial("good", TrialStatus::kRunning, {0.8, 0.85, 0.9});
  history.trials.push_back(bad);
  history.trials.push_back(good);
  CHECK(Decide(*assessor, bad, history) == AssessDecision::kStop);
  CHECK(Decide(*assessor, good, history) == AssessDecision::kContinue);
}

TEST_CASE("Medianstop compares the best value so far with the median at that step") {
  auto assessor = Make({});
  const History history = Finished();
  // Running averages at step 3: 0.52 + 0.1 i; the (lower) median is 0.72.
  CHECK(Decide(*assessor, SeriesTrial("a", TrialStatus::kRunning, {0.75, 0.1, 0.1}), history) ==
        AssessDecision::kContinue);
  CHECK(Decide(*assessor, SeriesTrial("b", TrialStatus::kRunning, {0.70, 0.71, 0.71}), history) ==
        AssessDecision::kStop);
}

TEST_CASE("Medianstop minimizes when told to, by classArg or experiment direction") {
  const History history = Finished();  // read now as losses
  const TrialRecord low = SeriesTrial("low", TrialStatus::kRunning, {0.2, 0.25, 0.3});
  const TrialRecord high = SeriesTrial("high", TrialStatus::kRunning, {0.95, 1.0, 1.1});
  auto by_arg = Make({{"optimize_mode", std::string("minimize")}});
  auto by_direction = Make({}, Direction::kMinimize);
  for (Assessor* assessor : {by_arg.get(), by_direction.get()}) {
    CHECK(Decide(*assessor, low, history) == AssessDecision::kContinue);
    CHECK(Decide(*assessor, high, history) == AssessDecision::kStop);
  }
}

TEST_CASE("Medianstop waits for start_step") {
  auto assessor = Make({{"start_step", int64_t{4}}});
  const History history = Finished();
  TrialRecord bad = SeriesTrial("bad", TrialStatus::kRunning, {0.1, 0.1, 0.1});
  CHECK(Decide(*assessor, bad, history) == AssessDecision::kContinue);
  bad.intermediate.push_back(0.1);
  CHECK(Decide(*assessor, bad, history) == AssessDecision::kStop);
}

TEST_CASE("Medianstop counts only succeeded trials that reached the step") {
  auto assessor = Make({});
  History history;
  history.trials.push_back(SeriesTrial("failed", TrialStatus::kFailed, {0.9, 0.9, 0.9}));
  history.trials.push_back(SeriesTrial("stopped", TrialStatus::kEarlyStopped, {0.9, 0.9, 0.9}));
  history.trials.push_back(SeriesTrial("running", TrialStatus::kRunning, {0.9, 0.9, 0.9}));
  history.trials.push_back(SeriesTrial("short", TrialStatus::kSucceeded, {0.9}));
  const TrialRecord trial = SeriesTrial("t", TrialStatus::kRunning, {0.1, 0.1});
  CHECK(Decide(*assessor, trial, history) == AssessDecision::kContinue);
  history.trials.push_back(SeriesTrial("long", TrialStatus::kSucceeded, {0.9, 0.9, 0.9}));
  CHECK(Decide(*assessor, trial, history) == AssessDecision::kStop);
}

TEST_CASE("Medianstop rejects bad classArgs") {
  AlgorithmOptions options;
  options.class_args = {{"start_step", std::string("soon")}};
  CHECK(MedianStopAssessor::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options.class_args = {{"start_step", int64_t{-1}}};
  CHECK(MedianStopAssessor::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options.class_args = {{"patience", int64_t{3}}};
  CHECK(MedianStopAssessor::Create(options).status().message() ==
        "unknown classArg \"patience\" for Medianstop; accepted: optimize_mode, start_step");
}

}  // namespace
}  // namespace dlkit::algos
