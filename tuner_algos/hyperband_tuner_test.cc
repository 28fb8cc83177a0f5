#include "tuner_algos/hyperband_tuner.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tuner_algos/sampling.h"
#include "tuner_algos/test_spaces.h"
#include "tuner_algos/test_util.h"
#include "tuner_algos/trial_history.h"

namespace dlkit::algos::testing {
namespace {

AlgorithmOptions Options(int64_t r, int64_t eta, uint64_t seed = 7) {
  AlgorithmOptions options = OneDim(seed);
  options.class_args = {{"R", r}, {"eta", eta}};
  return options;
}

int64_t BudgetOf(const Assignment& a) { return std::get<int64_t>(a.at(kTrialBudgetKey).v); }

double X(const Assignment& a) { return std::get<double>(a.at("x").v); }

double Peak(const Assignment& a) { return -std::abs(X(a) - 0.3); }

// Finishes every waiting trial with objective(parameters).
void FinishPending(History* history, const Objective& objective) {
  for (TrialRecord& trial : history->trials) {
    if (!IsPending(trial)) continue;
    trial.status = TrialStatus::kSucceeded;
    trial.final_value = objective(trial.parameters);
  }
}

// Asks for big batches, running each to completion, until exhausted; returns the calls'
// batch sizes and the whole history.
std::pair<std::vector<size_t>, History> RunBatches(Tuner& tuner, const Objective& objective) {
  std::vector<size_t> sizes;
  History history;
  for (int call = 0; call < 1000; ++call) {
    absl::StatusOr<Suggestions> out = tuner.Suggest(history, 100);
    REQUIRE(out.ok());
    sizes.push_back(out->assignments.size());
    AppendWaiting(&history, out->assignments);
    FinishPending(&history, objective);
    if (out->exhausted) break;
    REQUIRE_FALSE(out->assignments.empty());
  }
  return {sizes, history};
}

// (count, budget) runs of consecutive trials with the same budget.
std::vector<std::pair<int64_t, int64_t>> BudgetRuns(const History& history) {
  std::vector<std::pair<int64_t, int64_t>> runs;
  for (const TrialRecord& trial : history.trials) {
    const int64_t b = BudgetOf(trial.parameters);
    if (!runs.empty() && runs.back().second == b) {
      ++runs.back().first;
    } else {
      runs.emplace_back(1, b);
    }
  }
  return runs;
}

TEST_CASE("Hyperband R=27 eta=3 runs brackets of 27/12/6/4 configs at budgets 1/3/9/27") {
  std::unique_ptr<Tuner> tuner = MakeTuner<HyperbandTuner>(Options(27, 3));
  const auto [sizes, history] = RunBatches(*tuner, Peak);
  // Per bracket s: ceil(4/(s+1) * 3^s) configs at 27 * 3^-s, a third kept per rung.
  const std::vector<std::pair<int64_t, int64_t>> expected = {
      {27, 1}, {9, 3},  {3, 9},  {1, 27},  // s = 3
      {12, 3}, {4, 9},  {1, 27},           // s = 2
      {6, 9},  {2, 27},                    // s = 1
      {4, 27},                             // s = 0
  };
  // Runs of equal budget merge where a bracket's last rung meets the next one's first.
  std::vector<std::pair<int64_t, int64_t>> merged;
  for (const auto& run : expected) {
    if (!merged.empty() && merged.back().second == run.second) {
      merged.back().first += run.first;
    } else {
      merged.push_back(run);
    }
  }
  CHECK(BudgetRuns(history) == merged);
  CHECK(history.trials.size() == 69);
  CHECK(HyperbandSchedule(27, 1, 3).size() == 69);
  // New configs of a bracket need no waiting; promotions wait for their whole rung.
  CHECK(sizes == std::vector<size_t>{27, 9, 3, 1 + 12, 4, 1 + 6, 2 + 4});

  // The schedule itself, rung by rung.
  const std::vector<HyperbandSlot> slots = HyperbandSchedule(27, 1, 3);
  std::vector<std::pair<int64_t, int64_t>> rungs;
  for (const HyperbandSlot& slot : slots) {
    if (slot.position == 0) rungs.emplace_back(slot.rung_size, slot.budget);
  }
  CHECK(rungs == expected);
  CHECK(slots.front().bracket == 3);
  CHECK(slots.back().bracket == 0);
}

TEST_CASE("Hyperband's default R=60 eta=3 matches NNI's bracket sizes") {
  // s_max = floor(log3 60) = 3; n = ceil(4/(s+1) * 3^s), r = 60 / 3^s.
  std::vector<std::pair<int64_t, int64_t>> firsts;
  for (const HyperbandSlot& slot : HyperbandSchedule(60, 1, 3)) {
    if (slot.rung == 0 && slot.position == 0) firsts.emplace_back(slot.rung_size, slot.budget);
  }
  CHECK(firsts == std::vector<std::pair<int64_t, int64_t>>{{27, 2}, {12, 6}, {6, 20}, {4, 60}});
}

void CheckPromotions(Direction direction) {
  AlgorithmOptions options = Options(27, 3);
  options.direction = direction;
  std::unique_ptr<Tuner> tuner = MakeTuner<HyperbandTuner>(options);
  const History history = RunBatches(*tuner, Peak).second;
  const std::vector<HyperbandSlot> slots = HyperbandSchedule(27, 1, 3);
  REQUIRE(history.trials.size() == slots.size());
  int promotions = 0;
  for (size_t k = 0; k < slots.size(); ++k) {
    const HyperbandSlot& slot = slots[k];
    if (slot.rung == 0 || slot.position != 0) continue;
    // The rung below, ranked by the test itself.
    std::vector<std::pair<double, std::string>> below;
    for (int64_t b = slot.below_start; b < slot.below_start + slot.below_size; ++b) {
      const TrialRecord& t = history.trials[b];
      CHECK(BudgetOf(t.parameters) * 3 == slot.budget);
      below.emplace_back(Loss(*t.final_value, direction),
                         AssignmentKey(WithoutBudget(t.parameters)));
    }
    std::sort(below.begin(), below.end());
    std::set<std::string> best, promoted;
    for (int64_t j = 0; j < slot.rung_size; ++j) {
      best.insert(below[j].second);
      const Assignment& p = history.trials[k + j].parameters;
      CHECK(BudgetOf(p) == slot.budget);
      promoted.insert(AssignmentKey(WithoutBudget(p)));
    }
    CHECK(slot.rung_size == slot.below_size / 3);
    CHECK(promoted == best);
    ++promotions;
  }
  CHECK(promotions == 6);
}

TEST_CASE("Hyperband promotes the best third with the same parameters at 3x the budget") {
  SECTION("maximize") { CheckPromotions(Direction::kMaximize); }
  SECTION("minimize") { CheckPromotions(Direction::kMinimize); }
}

TEST_CASE("Hyperband promotes exact copies, best first, and ranks failed trials last") {
  std::unique_ptr<Tuner> tuner = MakeTuner<HyperbandTuner>(Options(9, 3));
  History history;
  AppendWaiting(&history, SuggestExactly(*tuner, history, 9));
  FinishPending(&history, Peak);
  // The best of the rung fails: it must not be promoted.
  auto best = std::max_element(
      history.trials.begin(), history.trials.end(),
      [](const TrialRecord& a, const TrialRecord& b) { return *a.final_value < *b.final_value; });
  best->status = TrialStatus::kFailed;
  best->final_value.reset();
  std::vector<const TrialRecord*> ranked = RankedFinished(history, Direction::kMaximize);
  const std::vector<Assignment> promoted = SuggestExactly(*tuner, history, 3);
  for (size_t j = 0; j < promoted.size(); ++j) {
    Assignment expected = ranked[j]->parameters;
    expected[kTrialBudgetKey] = Value{int64_t{3}};
    CHECK(promoted[j] == expected);
    CHECK(promoted[j] != best->parameters);
  }
}

TEST_CASE("Hyperband waits for a rung's running trials, then goes on") {
  std::unique_ptr<Tuner> tuner = MakeTuner<HyperbandTuner>(Options(27, 3));
  History history;
  AppendWaiting(&history, SuggestExactly(*tuner, history, 20));
  AppendWaiting(&history, SuggestExactly(*tuner, history, 7));
  FinishPending(&history, Peak);
  history.trials[13].status = TrialStatus::kRunning;
  history.trials[13].final_value.reset();
  absl::StatusOr<Suggestions> out = tuner->Suggest(history, 5);
  REQUIRE(out.ok());
  CHECK(out->assignments.empty());
  CHECK_FALSE(out->exhausted);
  history.trials[13].status = TrialStatus::kSucceeded;
  history.trials[13].final_value = Peak(history.trials[13].parameters);
  out = tuner->Suggest(history, 20);
  REQUIRE(out.ok());
  CHECK(out->assignments.size() == 9);  // the rest waits for these 9
  CHECK_FALSE(out->exhausted);
  for (const Assignment& a : out->assignments) CHECK(BudgetOf(a) == 3);
}

TEST_CASE("Hyperband is exhausted after its last bracket") {
  std::unique_ptr<Tuner> tuner = MakeTuner<HyperbandTuner>(Options(9, 3));
  const History history = RunBatches(*tuner, Peak).second;
  CHECK(history.trials.size() == HyperbandSchedule(9, 1, 3).size());
  absl::StatusOr<Suggestions> out = tuner->Suggest(history, 4);
  REQUIRE(out.ok());
  CHECK(out->assignments.empty());
  CHECK(out->exhausted);
}

TEST_CASE("Hyperband's suggestions lie in the space apart from TRIAL_BUDGET") {
  AlgorithmOptions options;
  options.space = MixedNestedSpace();
  options.class_args = {{"R", int64_t{27}}, {"eta", int64_t{3}}, {"seed", int64_t{11}}};
  std::unique_ptr<Tuner> tuner = MakeTuner<HyperbandTuner>(options);
  const History history =
      RunBatches(*tuner, [](const Assignment& a) { return AssignmentKey(a).size() % 17; }).second;
  REQUIRE(history.trials.size() == 69);
  for (const TrialRecord& trial : history.trials) {
    INFO(AssignmentKey(trial.parameters));
    CHECK(BudgetOf(trial.parameters) >= 1);
    CHECK(Contains(options.space, WithoutBudget(trial.parameters)));
  }
}

TEST_CASE("Hyperband is reproducible and restart-safe") {
  const TunerFactory make = [](const AlgorithmOptions& o) { return MakeTuner<HyperbandTuner>(o); };
  // (CheckReproducible would require suggestions in the space, TRIAL_BUDGET is not.)
  const History first = RunSequential(*make(Options(27, 3, 3)), Peak, 69);
  const History again = RunSequential(*make(Options(27, 3, 3)), Peak, 69);
  const History other = RunSequential(*make(Options(27, 3, 4)), Peak, 69);
  for (size_t i = 0; i < first.trials.size(); ++i) {
    CHECK(first.trials[i].parameters == again.trials[i].parameters);
  }
  CHECK(first.trials.back().parameters != other.trials.back().parameters);
  // Restart in the middle of a promotion rung and of a new bracket.
  std::unique_ptr<Tuner> a = make(Options(27, 3, 3));
  History history = RunSequential(*a, Peak, 30);
  CHECK(make(Options(27, 3, 3))->Suggest(history, 6)->assignments ==
        a->Suggest(history, 6)->assignments);
  history = RunSequential(*a, Peak, 45);
  CHECK(make(Options(27, 3, 3))->Suggest(history, 6)->assignments ==
        a->Suggest(history, 6)->assignments);
}

TEST_CASE("Hyperband rejects bad classArgs and a TRIAL_BUDGET parameter") {
  CheckRejectsEachArg([](const AlgorithmOptions& o) { return HyperbandTuner::Create(o).status(); },
                      Options(27, 3),
                      {{"R", int64_t{0}},
                       {"eta", int64_t{1}},
                       {"eta", 2.5},
                       {"optimize_mode", std::string("up")},
                       {"max_budget", int64_t{3}}});
  AlgorithmOptions options = Options(27, 3);
  options.space.params.push_back(Param(kTrialBudgetKey, Distribution::kRandint, {1, 5}));
  absl::Status status = HyperbandTuner::Create(options).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(status.message()), Catch::Contains(kTrialBudgetKey));
}

}  // namespace
}  // namespace dlkit::algos::testing
