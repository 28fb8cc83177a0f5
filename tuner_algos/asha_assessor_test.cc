#include "tuner_algos/asha_assessor.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "tuner_algos/test_util.h"

namespace dlkit::algos {
namespace {

using testing::Decide;
using testing::SeriesTrial;

std::unique_ptr<Assessor> Make(ClassArgs args, Direction direction = Direction::kMaximize) {
  return testing::MakeAssessor<AshaAssessor>(std::move(args), direction);
}

// Feeds `trial`'s series to the assessor one value at a time, as the Manager does, and
// returns the step (series length) at which it was stopped, or 0 if it never was.
int StepStopped(Assessor& assessor, const TrialRecord& trial, const History& history) {
  TrialRecord partial = trial;
  partial.intermediate.clear();
  for (double value : trial.intermediate) {
    partial.intermediate.push_back(value);
    if (Decide(assessor, partial, history) == AssessDecision::kStop) {
      return static_cast<int>(partial.intermediate.size());
    }
  }
  return 0;
}

// `count` trials "o<i>" with flat series of `steps` values 0.5 + 0.1 i.
History Others(int count, int steps, TrialStatus status = TrialStatus::kSucceeded) {
  History history;
  for (int i = 0; i < count; ++i) {
    history.trials.push_back(
        SeriesTrial("o" + std::to_string(i), status, std::vector<double>(steps, 0.5 + 0.1 * i)));
  }
  return history;
}

TEST_CASE("ASHA stops the clearly worst trial at a rung once eta others reached it") {
  // Rungs at 2, 6, 18 with min_resource 2, eta 3.
  auto assessor = Make({{"min_resource", int64_t{2}}});
  const History history = Others(3, 10);
  const TrialRecord bad = SeriesTrial("bad", TrialStatus::kRunning, {0.0, 0.1, 0.1, 0.1});
  CHECK(StepStopped(*assessor, bad, history) == 2);
  const TrialRecord best =
      SeriesTrial("best", TrialStatus::kRunning, std::vector<double>(10, 0.95));
  CHECK(StepStopped(*assessor, best, history) == 0);
}

TEST_CASE("ASHA keeps exactly the top floor(n / eta) at a rung") {
  // 5 others at 0.5..0.9 plus the trial: n = 6, eta 3 keeps the best 2, i.e. >= 0.8.
  const History history = Others(5, 1);
  auto assessor = Make({});
  CHECK(Decide(*assessor, SeriesTrial("a", TrialStatus::kRunning, {0.8}), history) ==
        AssessDecision::kContinue);
  CHECK(Decide(*assessor, SeriesTrial("b", TrialStatus::kRunning, {0.79}), history) ==
        AssessDecision::kStop);
  // eta 2 keeps the best 3, i.e. >= 0.7.
  auto halving = Make({{"reduction_factor", int64_t{2}}});
  CHECK(Decide(*halving, SeriesTrial("c", TrialStatus::kRunning, {0.7}), history) ==
        AssessDecision::kContinue);
  CHECK(Decide(*halving, SeriesTrial("d", TrialStatus::kRunning, {0.69}), history) ==
        AssessDecision::kStop);
}

TEST_CASE("ASHA lets everyone through while fewer than eta trials reached the rung") {
  auto assessor = Make({});
  History history = Others(1, 5);
  const TrialRecord bad = SeriesTrial("bad", TrialStatus::kRunning, {0.0});
  CHECK(Decide(*assessor, bad, history) == AssessDecision::kContinue);
  // Only trials whose series reached the rung count, whatever their status.
  history.trials.push_back(SeriesTrial("empty", TrialStatus::kRunning, {}));
  CHECK(Decide(*assessor, SeriesTrial("bad2", TrialStatus::kRunning, {0.0}), history) ==
        AssessDecision::kContinue);
  history.trials.push_back(SeriesTrial("stopped", TrialStatus::kEarlyStopped, {0.3}));
  CHECK(Decide(*assessor, SeriesTrial("bad3", TrialStatus::kRunning, {0.0}), history) ==
        AssessDecision::kStop);
}

TEST_CASE("ASHA never stops a trial before its first rung") {
  auto assessor = Make({{"min_resource", int64_t{4}}});
  const History history = Others(8, 10);
  TrialRecord bad = SeriesTrial("bad", TrialStatus::kRunning, {});
  CHECK(Decide(*assessor, bad, history) == AssessDecision::kContinue);  // no value yet
  for (int step = 1; step < 4; ++step) {
    bad.intermediate.push_back(-1.0);
    CHECK(Decide(*assessor, bad, history) == AssessDecision::kContinue);
  }
  bad.intermediate.push_back(-1.0);
  CHECK(Decide(*assessor, bad, history) == AssessDecision::kStop);
}

TEST_CASE("ASHA judges a trial at the rung step only, with the value there") {
  auto assessor = Make({});  // rungs at 1, 3, 9
  // Others: 0.5.. at step 1; at step 3 the order is reversed.
  History history;
  for (int i = 0; i < 5; ++i) {
    history.trials.push_back(SeriesTrial("o" + std::to_string(i), TrialStatus::kRunning,
                                         {0.5 + 0.1 * i, 0.0, 0.9 - 0.1 * i}));
  }
  // Good at step 1 (0.85 in the top 2), poor at step 2 (no rung), top again at step 3.
  const TrialRecord trial = SeriesTrial("t", TrialStatus::kRunning, {0.85, 0.0, 0.85});
  CHECK(StepStopped(*assessor, trial, history) == 0);
  // Bad at step 3 (0.6 below the second best 0.8).
  const TrialRecord late = SeriesTrial("late", TrialStatus::kRunning, {0.85, 1.0, 0.6});
  CHECK(StepStopped(*assessor, late, history) == 3);
}

TEST_CASE("ASHA minimizes when told to, by classArg or experiment direction") {
  const History history = Others(5, 3);  // read as losses 0.5..0.9
  const TrialRecord low = SeriesTrial("low", TrialStatus::kRunning, {0.2});
  const TrialRecord high = SeriesTrial("high", TrialStatus::kRunning, {0.95});
  auto by_arg = Make({{"optimize_mode", std::string("minimize")}});
  auto by_direction = Make({}, Direction::kMinimize);
  for (Assessor* assessor : {by_arg.get(), by_direction.get()}) {
    CHECK(Decide(*assessor, low, history) == AssessDecision::kContinue);
    CHECK(Decide(*assessor, high, history) == AssessDecision::kStop);
  }
  auto maximizing = Make({});
  CHECK(Decide(*maximizing, low, history) == AssessDecision::kStop);
  CHECK(Decide(*maximizing, high, history) == AssessDecision::kContinue);
}

TEST_CASE("ASHA has no rung at or beyond max_resource") {
  // Rungs at 1, 3, 9; with max_resource 9 only 1 and 3 remain.
  History history = Others(5, 12);
  const TrialRecord trial = SeriesTrial("t", TrialStatus::kRunning,
                                        {0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.0});
  CHECK(StepStopped(*Make({}), trial, history) == 9);
  CHECK(StepStopped(*Make({{"max_resource", int64_t{9}}}), trial, history) == 0);
}

TEST_CASE("ASHA stops a trial whose value at a rung is not a number") {
  auto assessor = Make({});
  CHECK(Decide(*assessor, SeriesTrial("nan", TrialStatus::kRunning, {std::nan("")}), History()) ==
        AssessDecision::kStop);
}

TEST_CASE("ASHA accepts start_step as min_resource") {
  auto assessor = Make({{"start_step", int64_t{3}}});
  const History history = Others(5, 5);
  CHECK(Decide(*assessor, SeriesTrial("t", TrialStatus::kRunning, {0.0, 0.0}), history) ==
        AssessDecision::kContinue);
  CHECK(Decide(*assessor, SeriesTrial("t", TrialStatus::kRunning, {0.0, 0.0, 0.0}), history) ==
        AssessDecision::kStop);
}

TEST_CASE("ASHA is reproducible, and a rebuilt assessor does not re-judge passed rungs") {
  // Trials arrive one after another, each fed step by step; two assessors agree.
  std::vector<TrialRecord> trials;
  for (int i = 0; i < 12; ++i) {
    std::vector<double> series;
    for (int step = 1; step <= 10; ++step) {
      series.push_back(0.1 * ((i * 7) % 11) + 0.01 * step * ((i * 5) % 3));
    }
    trials.push_back(
        SeriesTrial("t" + std::to_string(i), TrialStatus::kRunning, std::move(series)));
  }
  auto run = [&trials]() {
    auto assessor = Make({{"reduction_factor", int64_t{2}}});
    History history;
    std::vector<int> stopped;
    for (const TrialRecord& trial : trials) {
      stopped.push_back(StepStopped(*assessor, trial, history));
      TrialRecord done = trial;
      if (stopped.back() > 0) done.intermediate.resize(stopped.back());
      history.trials.push_back(done);
    }
    return stopped;
  };
  const std::vector<int> first = run();
  CHECK(first == run());
  CHECK(std::count(first.begin(), first.end(), 0) < 12);  // some were stopped
  CHECK(std::count(first.begin(), first.end(), 0) > 0);   // some were not

  // A new assessor first seeing a trial at step 2 does not go back to judge it at rung 1,
  // where it would lose to the crowd now.
  History crowd = Others(5, 5);
  auto rebuilt = Make({});
  CHECK(Decide(*rebuilt, SeriesTrial("early", TrialStatus::kRunning, {0.0, 0.0}), crowd) ==
        AssessDecision::kContinue);
}

TEST_CASE("ASHA rejects bad classArgs") {
  AlgorithmOptions options;
  options.class_args = {{"reduction_factor", int64_t{1}}};
  CHECK(AshaAssessor::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options.class_args = {{"reduction_factor", 2.5}};
  CHECK(AshaAssessor::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options.class_args = {{"min_resource", int64_t{0}}};
  CHECK(AshaAssessor::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options.class_args = {{"min_resource", int64_t{4}}, {"max_resource", int64_t{4}}};
  CHECK(AshaAssessor::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options.class_args = {{"min_resource", int64_t{2}}, {"start_step", int64_t{2}}};
  CHECK(AshaAssessor::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options.class_args = {{"optimize_mode", std::string("up")}};
  CHECK(AshaAssessor::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options.class_args = {{"eta", int64_t{3}}};
  CHECK(AshaAssessor::Create(options).status().message() ==
        "unknown classArg \"eta\" for ASHA; accepted: max_resource, min_resource, "
        "optimize_mode, reduction_factor, start_step");
}

}  // namespace
}  // namespace dlkit::algos
