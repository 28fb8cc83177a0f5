#include "tuner_algos/cmaes_tuner.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tuner_algos/random_tuner.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/test_spaces.h"
#include "tuner_algos/test_util.h"

namespace dlkit::algos::testing {
namespace {

constexpr int kDims = 5;

AlgorithmOptions SphereOptions(uint64_t seed) {
  AlgorithmOptions options;
  for (int d = 0; d < kDims; ++d) {
    options.space.params.push_back(Param("x" + std::to_string(d), Distribution::kUniform, {-5, 5}));
  }
  options.direction = Direction::kMinimize;
  options.seed = seed;
  return options;
}

// Sphere with its optimum off-centre at x_d = 1.
double Sphere(const Assignment& a) {
  double sum = 0;
  for (int d = 0; d < kDims; ++d) sum += std::pow(AsDouble(a.at("x" + std::to_string(d))) - 1, 2);
  return sum;
}

double Best(const History& history) {
  double best = history.trials.front().final_value.value();
  for (const TrialRecord& t : history.trials) best = std::min(best, t.final_value.value());
  return best;
}

SearchSpace MixedSpace() {
  return SearchSpace{{
      Param("lr", Distribution::kLoguniform, {1e-5, 1e-1}),
      Param("batch", Distribution::kQuniform, {16, 250, 16}),
      Param("layers", Distribution::kRandint, {1, 6}),
      Param("width", Distribution::kQloguniform, {8, 1000, 8}),
      Param("init", Distribution::kNormal, {0, 1}),
      Param("scale", Distribution::kQlognormal, {0, 1, 0.5}),
      Choice("opt", {Nested("sgd", {Param("momentum", Distribution::kUniform, {0, 1})}),
                     Nested("plain", {}), Plain(int64_t{7})}),
  }};
}

double MixedObjective(const Assignment& a) {
  return -std::fabs(std::log10(AsDouble(a.at("lr"))) + 3) - 0.01 * AsDouble(a.at("batch")) +
         AsDouble(a.at("layers")) - std::fabs(AsDouble(a.at("init")) - 0.5);
}

TEST_CASE("CMAES beats Random on a 5-d sphere at the same budget") {
  std::vector<double> cmaes_best, random_best;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const AlgorithmOptions options = SphereOptions(seed);
    auto cmaes = MakeTuner<CmaesTuner>(options);
    auto random = MakeTuner<RandomTuner>(options);
    cmaes_best.push_back(Best(RunSequential(*cmaes, Sphere, 200, &options.space)));
    random_best.push_back(Best(RunSequential(*random, Sphere, 200, &options.space)));
  }
  INFO("median best: cmaes " << Median(cmaes_best) << ", random " << Median(random_best));
  CHECK(Median(cmaes_best) < 0.2 * Median(random_best));
}

TEST_CASE("CMAES maximizes by default and uses optimize_mode") {
  AlgorithmOptions options = SphereOptions(3);
  options.class_args["optimize_mode"] = std::string("maximize");
  auto away = MakeTuner<CmaesTuner>(options);
  const History history = RunSequential(*away, Sphere, 120, &options.space);
  // Maximizing pushes towards the corners: the last trials are far from the optimum.
  std::vector<double> tail;
  for (size_t i = 100; i < 120; ++i) tail.push_back(*history.trials[i].final_value);
  CHECK(Median(tail) > 40);
}

TEST_CASE("every CMAES suggestion lies in a mixed space with a nested choice") {
  AlgorithmOptions options;
  options.space = MixedSpace();
  options.seed = 4;
  options.class_args["n_startup_trials"] = int64_t{5};
  auto cmaes = MakeTuner<CmaesTuner>(options);
  const History history = RunSequential(*cmaes, MixedObjective, 80, &options.space);
  std::set<std::string> options_seen;
  for (const TrialRecord& t : history.trials) {
    const Value& opt = t.parameters.at("opt");
    if (const auto* nested = std::get_if<std::shared_ptr<Assignment>>(&opt.v)) {
      options_seen.insert(std::get<std::string>((*nested)->at("_name").v));
    } else {
      options_seen.insert("plain value");
    }
  }
  CHECK(options_seen.size() == 3);  // choices are drawn at random
  // The objective's numeric part improves over the run.
  std::vector<double> head, tail;
  for (size_t i = 0; i < 20; ++i) head.push_back(*history.trials[i].final_value);
  for (size_t i = 60; i < 80; ++i) tail.push_back(*history.trials[i].final_value);
  CHECK(Median(tail) > Median(head));
}

TEST_CASE("CMAES is reproducible and restart-safe") {
  AlgorithmOptions options = SphereOptions(11);
  options.class_args["popsize"] = int64_t{6};
  // 60 trials = 10 full generations: the next batch is a whole generation.
  CheckReproducible(MakeTuner<CmaesTuner>, options, 12, Sphere, 60, 6);

  auto a = MakeTuner<CmaesTuner>(options);
  const History history = RunSequential(*a, Sphere, 45, &options.space);
  auto fresh = MakeTuner<CmaesTuner>(options);
  const std::vector<Assignment> next = a->Suggest(history, 3)->assignments;
  CHECK(next.size() == 3);
  CHECK(next == fresh->Suggest(history, 3)->assignments);
}

TEST_CASE("a parallel CMAES batch fills one generation with distinct points") {
  AlgorithmOptions options = SphereOptions(5);
  options.class_args["popsize"] = int64_t{8};
  auto cmaes = MakeTuner<CmaesTuner>(options);
  History history = RunSequential(*cmaes, Sphere, 24, &options.space);
  const std::vector<Assignment> batch = SuggestExactly(*cmaes, history, 8);
  std::set<std::string> keys;
  for (const Assignment& a : batch) {
    CHECK(Contains(options.space, a));
    keys.insert(AssignmentKey(a));
  }
  CHECK(keys.size() == 8);
  // A ninth waits for the generation; running trials hold their slots.
  CHECK(cmaes->Suggest(history, 9)->assignments.size() == 8);
  AppendWaiting(&history, {batch[0], batch[1], batch[2]});
  const std::vector<Assignment> rest = cmaes->Suggest(history, 8)->assignments;
  REQUIRE(rest.size() == 5);
  // The same slots give the same points as before; none repeats a running trial.
  for (size_t i = 0; i < rest.size(); ++i) {
    CHECK(rest[i] == batch[i + 3]);
    keys.insert(AssignmentKey(rest[i]));
  }
  CHECK(keys.size() == 8);
  // With the generation finished, a new one opens.
  for (const Assignment& a : rest) AppendFinished(&history, a, Sphere(a));
  for (int i = 0; i < 3; ++i) {
    history.trials[24 + i].status = TrialStatus::kSucceeded;
    history.trials[24 + i].final_value = Sphere(history.trials[24 + i].parameters);
  }
  CHECK(cmaes->Suggest(history, 10)->assignments.size() == 8);
}

TEST_CASE("CMAES with ipop restarts a converged run with a larger population") {
  AlgorithmOptions options;
  options.space = SearchSpace{
      {Param("a", Distribution::kRandint, {0, 4}), Param("b", Distribution::kRandint, {0, 4})}};
  options.direction = Direction::kMinimize;
  options.class_args["popsize"] = int64_t{4};
  const Objective bowl = [](const Assignment& a) {
    return std::pow(AsDouble(a.at("a")) - 1, 2) + std::pow(AsDouble(a.at("b")) - 2, 2);
  };
  size_t plain_max = 0, ipop_max = 0;
  for (const std::string strategy : {"", "ipop"}) {
    options.class_args["restart_strategy"] = strategy;
    auto cmaes = MakeTuner<CmaesTuner>(options);
    const History history = RunSequential(*cmaes, bowl, 120, &options.space);
    size_t& widest = strategy.empty() ? plain_max : ipop_max;
    History prefix;
    for (const TrialRecord& t : history.trials) {
      prefix.trials.push_back(t);
      widest = std::max(widest, cmaes->Suggest(prefix, 100)->assignments.size());
    }
  }
  CHECK(plain_max == 4);
  CHECK(ipop_max > 4);
}

TEST_CASE("CMAES rejects bad classArgs naming them") {
  AlgorithmOptions options = SphereOptions(1);
  options.class_args["sigma"] = 0.3;
  absl::Status status = CmaesTuner::Create(options).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(status.message()),
             Catch::Contains("sigma\"") && Catch::Contains("restart_strategy"));
  const std::vector<std::pair<std::string, ClassArgs::mapped_type>> bad = {
      {"sigma0", 0.0},
      {"sigma0", -1.0},
      {"popsize", int64_t{1}},
      {"popsize", 2.5},
      {"n_startup_trials", int64_t{-1}},
      {"restart_strategy", std::string("bipop")},
      {"restart_strategy", true},
      {"optimize_mode", std::string("max")},
  };
  CheckRejectsEachArg([](const AlgorithmOptions& o) { return CmaesTuner::Create(o).status(); },
                      SphereOptions(1), bad);
  CHECK(MakeTuner<CmaesTuner>(SphereOptions(1))->Suggest({}, -1).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dlkit::algos::testing
