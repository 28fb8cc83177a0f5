#include "tuner_algos/test_util.h"

#include <algorithm>
#include <string>

#include "tuner_algos/sampling.h"

namespace dlkit::algos::testing {

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

}  // namespace dlkit::algos::testing
