#include "tuner_algos/test_util.h"

#include <algorithm>
#include <random>
#include <string>

#include "tuner_algos/sampling.h"
#include "tuner_algos/test_spaces.h"

namespace dlkit::algos::testing {

AlgorithmOptions OneDim(uint64_t seed) {
  AlgorithmOptions options;
  options.space = SearchSpace{{Param("x", Distribution::kUniform, {-1, 1})}};
  options.seed = seed;
  return options;
}

SearchSpace MixedNestedSpace() {
  return SearchSpace{{
      Param("lr", Distribution::kLoguniform, {1e-5, 1e-1}),
      Param("batch", Distribution::kQuniform, {16, 250, 16}),
      Param("layers", Distribution::kRandint, {1, 6}),
      Param("width", Distribution::kQloguniform, {8, 1000, 8}),
      Param("init", Distribution::kNormal, {0, 1}),
      Param("scale", Distribution::kQlognormal, {0, 1, 0.5}),
      Choice("opt", {Nested("sgd", {Param("momentum", Distribution::kUniform, {0, 1}),
                                    Param("steps", Distribution::kRandint, {-3, 3})}),
                     Nested("adam", {Param("beta", Distribution::kQuniform, {0.8, 0.999, 0.05}),
                                     Choice("amsgrad", {Plain(true), Plain(false)})}),
                     Nested("plain", {}), Plain(int64_t{7})}),
  }};
}

SearchSpace SixDimSpace() {
  return SearchSpace{{
      Param("a", Distribution::kUniform, {0, 1}),
      Param("b", Distribution::kLoguniform, {1e-4, 1}),
      Param("c", Distribution::kQuniform, {0, 10, 1}),
      Param("d", Distribution::kRandint, {0, 50}),
      Param("e", Distribution::kNormal, {0, 2}),
      Choice("f", {Plain(int64_t{1}), Plain(int64_t{2}), Plain(int64_t{3})}),
  }};
}

TrialRecord Finished(const Assignment& parameters, double value, int64_t index) {
  TrialRecord trial;
  trial.trial_id = "t" + std::to_string(index);
  trial.index = index;
  trial.status = TrialStatus::kSucceeded;
  trial.parameters = parameters;
  trial.final_value = value;
  return trial;
}

void AppendFinished(History* history, const Assignment& parameters, double value) {
  history->trials.push_back(
      Finished(parameters, value, static_cast<int64_t>(history->trials.size() + 1)));
}

void AppendWaiting(History* history, const std::vector<Assignment>& assignments) {
  for (const Assignment& a : assignments) {
    TrialRecord trial;
    trial.index = static_cast<int64_t>(history->trials.size() + 1);
    trial.trial_id = "t" + std::to_string(trial.index);
    trial.parameters = a;
    history->trials.push_back(trial);
  }
}

History HistoryOf(const std::vector<Assignment>& assignments) {
  History history;
  AppendWaiting(&history, assignments);
  return history;
}

History RandomFinished(const AlgorithmOptions& options, const Objective& f, int n) {
  std::mt19937_64 rng(123);
  History history;
  for (int i = 0; i < n; ++i) {
    const Assignment a = SampleAssignment(options.space, rng);
    history.trials.push_back(Finished(a, f(a), i + 1));
  }
  return history;
}

std::vector<Assignment> SuggestExactly(Tuner& tuner, const History& history, int count) {
  absl::StatusOr<Suggestions> out = tuner.Suggest(history, count);
  REQUIRE(out.ok());
  CHECK_FALSE(out->exhausted);
  REQUIRE(out->assignments.size() == static_cast<size_t>(count));
  return out->assignments;
}

History RunSequential(Tuner& tuner, const Objective& objective, int budget,
                      const SearchSpace* space) {
  History history;
  for (int i = 0; i < budget; ++i) {
    absl::StatusOr<Suggestions> out = tuner.Suggest(history, 1);
    REQUIRE(out.ok());
    REQUIRE(out->assignments.size() == 1);
    const Assignment& a = out->assignments[0];
    INFO(AssignmentKey(a));
    if (space != nullptr) REQUIRE(Contains(*space, a));
    AppendFinished(&history, a, objective(a));
  }
  return history;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

void CheckReproducible(const TunerFactory& make, const AlgorithmOptions& options,
                       uint64_t other_seed, const Objective& objective, int budget, int batch) {
  std::unique_ptr<Tuner> a = make(options);
  std::unique_ptr<Tuner> b = make(options);
  const History history = RunSequential(*a, objective, budget, &options.space);
  const History again = RunSequential(*b, objective, budget, &options.space);
  for (size_t i = 0; i < history.trials.size(); ++i) {
    CHECK(history.trials[i].parameters == again.trials[i].parameters);
  }
  AlgorithmOptions other = options;
  other.seed = other_seed;
  std::unique_ptr<Tuner> c = make(other);
  CHECK_FALSE(RunSequential(*c, objective, budget, &options.space).trials.back().parameters ==
              history.trials.back().parameters);
  // A fresh tuner given the same history proposes what the first one does.
  std::unique_ptr<Tuner> restarted = make(options);
  CHECK(restarted->Suggest(history, batch)->assignments == a->Suggest(history, batch)->assignments);
}

void CheckRejectsEachArg(const std::function<absl::Status(const AlgorithmOptions&)>& create,
                         const AlgorithmOptions& base,
                         const std::vector<std::pair<std::string, ClassArgs::mapped_type>>& bad) {
  for (const auto& [key, value] : bad) {
    AlgorithmOptions o = base;
    o.class_args[key] = value;
    absl::Status s = create(o);
    INFO(key);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(s.message()), Catch::Contains(key));
  }
}

TrialRecord SeriesTrial(const std::string& id, TrialStatus status, std::vector<double> series) {
  TrialRecord trial;
  trial.trial_id = id;
  trial.status = status;
  trial.intermediate = std::move(series);
  return trial;
}

AssessDecision Decide(Assessor& assessor, const TrialRecord& trial, const History& history) {
  absl::StatusOr<AssessDecision> decision = assessor.Assess(trial, history);
  REQUIRE(decision.ok());
  return *decision;
}

}  // namespace dlkit::algos::testing
