#include "tuner_algos/evolution_tuner.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "tuner_algos/random_tuner.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/test_spaces.h"

namespace dlkit::algos {
namespace {

using testing::AsDouble;
using testing::AsNested;
using testing::Choice;
using testing::Nested;
using testing::Param;
using testing::Plain;

using Objective = std::function<double(const Assignment&)>;

AlgorithmOptions Quadratic2d(uint64_t seed, int64_t population_size) {
  AlgorithmOptions options;
  options.space = SearchSpace{
      {Param("x", Distribution::kUniform, {-5, 5}), Param("y", Distribution::kUniform, {-5, 5})}};
  options.direction = Direction::kMinimize;
  options.class_args["population_size"] = population_size;
  options.seed = seed;
  return options;
}

AlgorithmOptions NestedSpace(uint64_t seed) {
  AlgorithmOptions options;
  options.space = SearchSpace{{
      Param("lr", Distribution::kQloguniform, {1e-4, 1, 1e-4}),
      Param("layers", Distribution::kRandint, {1, 5}),
      Choice("opt", {Nested("sgd", {Param("momentum", Distribution::kUniform, {0, 1}),
                                    Choice("nesterov", {Plain(true), Plain(false)})}),
                     Nested("adam", {Param("beta", Distribution::kQnormal, {0.9, 0.05, 0.01})}),
                     Nested("plain", {})}),
  }};
  options.class_args["population_size"] = int64_t{6};
  options.seed = seed;
  return options;
}

std::unique_ptr<Tuner> Make(const AlgorithmOptions& options) {
  absl::StatusOr<std::unique_ptr<Tuner>> tuner = EvolutionTuner::Create(options);
  REQUIRE(tuner.ok());
  return std::move(tuner).value();
}

void Finish(History* history, const Assignment& assignment, double value) {
  TrialRecord trial;
  trial.index = static_cast<int64_t>(history->trials.size() + 1);
  trial.trial_id = "t" + std::to_string(trial.index);
  trial.status = TrialStatus::kSucceeded;
  trial.parameters = assignment;
  trial.final_value = value;
  history->trials.push_back(trial);
}

// Runs `budget` sequential trials, checking each suggestion is in `space`.
History Run(Tuner& tuner, const SearchSpace& space, const Objective& f, int budget) {
  History history;
  for (int i = 0; i < budget; ++i) {
    absl::StatusOr<Suggestions> out = tuner.Suggest(history, 1);
    REQUIRE(out.ok());
    REQUIRE(out->assignments.size() == 1);
    INFO(AssignmentKey(out->assignments[0]));
    REQUIRE(Contains(space, out->assignments[0]));
    Finish(&history, out->assignments[0], f(out->assignments[0]));
  }
  return history;
}

double Best(const History& history) {
  double best = *history.trials[0].final_value;
  for (const TrialRecord& t : history.trials) best = std::min(best, *t.final_value);
  return best;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double Bowl(const Assignment& a) {
  const double x = AsDouble(a.at("x")) - 1, y = AsDouble(a.at("y")) + 2;
  return x * x + y * y;
}

TEST_CASE("Evolution beats random search on a 2-d quadratic at the same budget") {
  std::vector<double> evolution_best, random_best;
  for (uint64_t seed = 1; seed <= 9; ++seed) {
    const AlgorithmOptions options = Quadratic2d(seed, 10);
    auto evolution = Make(options);
    evolution_best.push_back(Best(Run(*evolution, options.space, Bowl, 150)));
    AlgorithmOptions random_options = options;
    random_options.class_args.erase("population_size");
    auto random = RandomTuner::Create(random_options);
    REQUIRE(random.ok());
    random_best.push_back(Best(Run(**random, options.space, Bowl, 150)));
  }
  INFO("evolution " << Median(evolution_best) << " random " << Median(random_best));
  CHECK(Median(evolution_best) < 0.5 * Median(random_best));
}

TEST_CASE("Evolution's children differ from a population member in one parameter") {
  const AlgorithmOptions options = Quadratic2d(3, 4);
  auto tuner = Make(options);
  History history = Run(*tuner, options.space, Bowl, 4);  // the random first generation
  std::set<std::string> parents;
  for (const TrialRecord& t : history.trials) parents.insert(AssignmentKey(t.parameters));
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<Suggestions> out = tuner->Suggest(history, 1);
    REQUIRE(out.ok());
    REQUIRE(out->assignments.size() == 1);
    const Assignment& child = out->assignments[0];
    int closest = 3;
    for (const TrialRecord& t : history.trials) {
      int differing = 0;
      for (const auto& [name, value] : child) differing += t.parameters.at(name) != value;
      closest = std::min(closest, differing);
    }
    CHECK(closest == 1);
    Finish(&history, child, Bowl(child));
  }
}

TEST_CASE("Evolution mutates nested spaces within the space and leaves parents intact") {
  const AlgorithmOptions options = NestedSpace(5);
  auto tuner = Make(options);
  auto score = [](const Assignment& a) { return AsDouble(a.at("lr")) + AsDouble(a.at("layers")); };
  History history = Run(*tuner, options.space, score, 80);
  // Parents' nested values are shared with children by pointer; none may have changed.
  for (const TrialRecord& t : history.trials) {
    CHECK(Contains(options.space, t.parameters));
    CHECK(*t.final_value == score(t.parameters));
  }
  std::set<std::string> keys, nested_names;
  for (const TrialRecord& t : history.trials) {
    keys.insert(AssignmentKey(t.parameters));
    nested_names.insert(std::get<std::string>(AsNested(t.parameters.at("opt")).at("_name").v));
  }
  CHECK(keys.size() == history.trials.size());  // deduplicated against the history
  CHECK(nested_names.size() == 3);
}

TEST_CASE("Evolution is reproducible from its seed and history") {
  const AlgorithmOptions options = Quadratic2d(11, 5);
  auto a = Make(options);
  auto b = Make(options);
  const History history_a = Run(*a, options.space, Bowl, 30);
  const History history_b = Run(*b, options.space, Bowl, 30);
  for (size_t i = 0; i < history_a.trials.size(); ++i) {
    CHECK(history_a.trials[i].parameters == history_b.trials[i].parameters);
  }
  AlgorithmOptions other = options;
  other.seed = 12;
  auto c = Make(other);
  CHECK_FALSE(Run(*c, options.space, Bowl, 30).trials.back().parameters ==
              history_a.trials.back().parameters);
  // A fresh tuner given the same history proposes what the first one does.
  auto restarted = Make(options);
  CHECK(restarted->Suggest(history_a, 3)->assignments == a->Suggest(history_a, 3)->assignments);
}

TEST_CASE("Evolution waits while a whole population is running") {
  const AlgorithmOptions options = Quadratic2d(2, 4);
  auto tuner = Make(options);
  absl::StatusOr<Suggestions> first = tuner->Suggest({}, 10);
  REQUIRE(first.ok());
  REQUIRE(first->assignments.size() == 4);
  History history;
  for (const Assignment& a : first->assignments) {
    TrialRecord trial;
    trial.status = TrialStatus::kRunning;
    trial.parameters = a;
    history.trials.push_back(trial);
  }
  CHECK(tuner->Suggest(history, 3)->assignments.empty());
  history.trials[0].status = TrialStatus::kSucceeded;
  history.trials[0].final_value = 1.0;
  CHECK(tuner->Suggest(history, 3)->assignments.size() == 1);
}

TEST_CASE("Evolution checks its classArgs") {
  AlgorithmOptions options = Quadratic2d(1, 8);
  options.class_args["optimize_mode"] = std::string("maximize");
  CHECK(EvolutionTuner::Create(options).ok());
  options.class_args["population_size"] = int64_t{0};
  absl::Status status = EvolutionTuner::Create(options).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() == "classArg \"population_size\" must be an integer in [1, 1000000]");
  options.class_args = {{"sample_size", int64_t{3}}};
  status = EvolutionTuner::Create(options).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() ==
        "unknown classArg \"sample_size\" for Evolution; accepted: "
        "optimize_mode, population_size, seed");
  auto tuner = Make(Quadratic2d(1, 8));
  CHECK(tuner->Suggest({}, -1).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dlkit::algos
