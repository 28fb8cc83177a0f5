#include "tuner_algos/evolution_tuner.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "tuner_algos/random_tuner.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/test_spaces.h"
#include "tuner_algos/test_util.h"

namespace dlkit::algos::testing {
namespace {

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
  return MakeTuner<EvolutionTuner>(options);
}

double Best(const History& history) {
  double best = *history.trials[0].final_value;
  for (const TrialRecord& t : history.trials) best = std::min(best, *t.final_value);
  return best;
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
    evolution_best.push_back(Best(RunSequential(*evolution, Bowl, 150, &options.space)));
    AlgorithmOptions random_options = options;
    random_options.class_args.erase("population_size");
    auto random = RandomTuner::Create(random_options);
    REQUIRE(random.ok());
    random_best.push_back(Best(RunSequential(**random, Bowl, 150, &options.space)));
  }
  INFO("evolution " << Median(evolution_best) << " random " << Median(random_best));
  CHECK(Median(evolution_best) < 0.5 * Median(random_best));
}

TEST_CASE("Evolution's children differ from a population member in one parameter") {
  const AlgorithmOptions options = Quadratic2d(3, 4);
  auto tuner = Make(options);
  History history = RunSequential(*tuner, Bowl, 4, &options.space);  // the random first generation
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
    AppendFinished(&history, child, Bowl(child));
  }
}

TEST_CASE("Evolution mutates nested spaces within the space and leaves parents intact") {
  const AlgorithmOptions options = NestedSpace(5);
  auto tuner = Make(options);
  auto score = [](const Assignment& a) { return AsDouble(a.at("lr")) + AsDouble(a.at("layers")); };
  History history = RunSequential(*tuner, score, 80, &options.space);
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
  CheckReproducible(Make, Quadratic2d(11, 5), /*other_seed=*/12, Bowl, /*budget=*/30,
                    /*batch=*/3);
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
}  // namespace dlkit::algos::testing
