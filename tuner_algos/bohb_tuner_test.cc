#include "tuner_algos/bohb_tuner.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "tuner_algos/hyperband_tuner.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/test_spaces.h"
#include "tuner_algos/test_util.h"
#include "tuner_algos/trial_history.h"

namespace dlkit::algos::testing {
namespace {

AlgorithmOptions Options(double random_fraction, uint64_t seed = 5) {
  AlgorithmOptions options = OneDim(seed);
  options.class_args = {{"min_budget", int64_t{1}},
                        {"max_budget", int64_t{27}},
                        {"eta", int64_t{3}},
                        {"min_points_in_model", int64_t{4}},
                        {"random_fraction", random_fraction}};
  return options;
}

AlgorithmOptions HyperbandOptions(uint64_t seed = 5) {
  AlgorithmOptions options = OneDim(seed);
  options.class_args = {{"R", int64_t{27}}, {"eta", int64_t{3}}};
  return options;
}

int64_t BudgetOf(const Assignment& a) { return std::get<int64_t>(a.at(kTrialBudgetKey).v); }

double Peak(const Assignment& a) { return -std::abs(std::get<double>(a.at("x").v) - 0.3); }

// Runs to exhaustion, each batch finished before the next call.
History RunBatches(Tuner& tuner, const Objective& objective) {
  History history;
  for (int call = 0; call < 1000; ++call) {
    absl::StatusOr<Suggestions> out = tuner.Suggest(history, 100);
    REQUIRE(out.ok());
    AppendWaiting(&history, out->assignments);
    for (TrialRecord& trial : history.trials) {
      if (!IsPending(trial)) continue;
      trial.status = TrialStatus::kSucceeded;
      trial.final_value = objective(trial.parameters);
    }
    if (out->exhausted) break;
    REQUIRE_FALSE(out->assignments.empty());
  }
  return history;
}

TEST_CASE("BOHB follows Hyperband's schedule from min_budget to max_budget") {
  const History bohb = RunBatches(*MakeTuner<BohbTuner>(Options(0)), Peak);
  const std::vector<HyperbandSlot> slots = HyperbandSchedule(27, 1, 3);
  REQUIRE(bohb.trials.size() == slots.size());
  for (size_t k = 0; k < slots.size(); ++k) {
    CHECK(BudgetOf(bohb.trials[k].parameters) == slots[k].budget);
  }
}

TEST_CASE("BOHB with random_fraction 1 is Hyperband") {
  const History bohb = RunBatches(*MakeTuner<BohbTuner>(Options(1)), Peak);
  const History hyperband = RunBatches(*MakeTuner<HyperbandTuner>(HyperbandOptions()), Peak);
  REQUIRE(bohb.trials.size() == hyperband.trials.size());
  for (size_t k = 0; k < bohb.trials.size(); ++k) {
    CHECK(bohb.trials[k].parameters == hyperband.trials[k].parameters);
  }
}

TEST_CASE("BOHB's model draws new configs near the best results") {
  // Enough points that the model is fitted on a whole random rung, not on promotions only.
  AlgorithmOptions options = Options(0);
  options.class_args["min_points_in_model"] = int64_t{10};
  options.class_args["top_n_percent"] = 30.0;
  const History bohb = RunBatches(*MakeTuner<BohbTuner>(options), Peak);
  const History hyperband = RunBatches(*MakeTuner<HyperbandTuner>(HyperbandOptions()), Peak);
  const std::vector<HyperbandSlot> slots = HyperbandSchedule(27, 1, 3);
  // The first bracket has no model yet: random, as Hyperband. Later brackets' new configs
  // come from the model and typically score better.
  std::vector<double> bohb_later, hyperband_later;
  for (size_t k = 0; k < slots.size(); ++k) {
    if (slots[k].bracket == 3 && slots[k].rung == 0) {
      CHECK(bohb.trials[k].parameters == hyperband.trials[k].parameters);
    } else if (slots[k].rung == 0) {
      CHECK(bohb.trials[k].parameters != hyperband.trials[k].parameters);
      bohb_later.push_back(*bohb.trials[k].final_value);
      hyperband_later.push_back(*hyperband.trials[k].final_value);
    }
  }
  REQUIRE(bohb_later.size() == 12 + 6 + 4);
  CHECK(Median(bohb_later) > Median(hyperband_later) + 0.1);
}

TEST_CASE("BOHB's suggestions lie in the space apart from TRIAL_BUDGET") {
  AlgorithmOptions options;
  options.space = MixedNestedSpace();
  options.class_args = {{"max_budget", int64_t{27}}, {"random_fraction", 0.2}};
  std::unique_ptr<Tuner> tuner = MakeTuner<BohbTuner>(options);
  const History history = RunBatches(*tuner, [](const Assignment& a) {
    return std::log(*AsNumber(a.at("lr"))) + *AsNumber(a.at("init"));
  });
  REQUIRE(history.trials.size() == 69);
  for (const TrialRecord& trial : history.trials) {
    INFO(AssignmentKey(trial.parameters));
    CHECK(Contains(options.space, WithoutBudget(trial.parameters)));
  }
}

TEST_CASE("BOHB is reproducible and restart-safe") {
  const History first = RunSequential(*MakeTuner<BohbTuner>(Options(0.3)), Peak, 69);
  const History again = RunSequential(*MakeTuner<BohbTuner>(Options(0.3)), Peak, 69);
  const History other = RunSequential(*MakeTuner<BohbTuner>(Options(0.3, 6)), Peak, 69);
  for (size_t i = 0; i < first.trials.size(); ++i) {
    CHECK(first.trials[i].parameters == again.trials[i].parameters);
  }
  CHECK(first.trials.back().parameters != other.trials.back().parameters);
  // Mid-run, at the start of the second bracket (model in use), with a batch.
  std::unique_ptr<Tuner> a = MakeTuner<BohbTuner>(Options(0.3));
  const History history = RunSequential(*a, Peak, 40);
  const std::vector<Assignment> batch = SuggestExactly(*a, history, 6);
  CHECK(MakeTuner<BohbTuner>(Options(0.3))->Suggest(history, 6)->assignments == batch);
  // The batch spreads out rather than repeating one point.
  CHECK(batch[0] != batch[1]);
}

TEST_CASE("BOHB rejects bad classArgs") {
  CheckRejectsEachArg([](const AlgorithmOptions& o) { return BohbTuner::Create(o).status(); },
                      Options(0.3),
                      {{"min_budget", int64_t{0}},
                       {"max_budget", int64_t{0}},
                       {"eta", int64_t{1}},
                       {"min_points_in_model", int64_t{0}},
                       {"top_n_percent", 0.0},
                       {"num_samples", int64_t{0}},
                       {"random_fraction", 1.5},
                       {"bandwidth_factor", 0.0},
                       {"min_bandwidth", -1.0},
                       {"R", int64_t{27}}});
  AlgorithmOptions options = Options(0.3);
  options.class_args["min_budget"] = int64_t{30};
  CHECK(BohbTuner::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options = Options(0.3);
  options.space.params.push_back(Param(kTrialBudgetKey, Distribution::kUniform, {0, 1}));
  CHECK(BohbTuner::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dlkit::algos::testing
