#include "tuner_algos/anneal_tuner.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "tuner_algos/random_tuner.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/test_spaces.h"
#include "tuner_algos/test_util.h"

namespace dlkit::algos::testing {
namespace {

AlgorithmOptions Line(uint64_t seed) {
  AlgorithmOptions options;
  options.space = SearchSpace{{Param("x", Distribution::kUniform, {-10, 10})}};
  options.direction = Direction::kMinimize;
  options.seed = seed;
  return options;
}

AlgorithmOptions Mixed(uint64_t seed) {
  AlgorithmOptions options;
  options.space = SearchSpace{{
      Param("lr", Distribution::kLoguniform, {1e-5, 1e-1}),
      Param("wd", Distribution::kQloguniform, {1e-3, 1, 1e-3}),
      Param("units", Distribution::kRandint, {8, 64}),
      Param("q", Distribution::kQuniform, {0, 10, 2.5}),
      Param("mu", Distribution::kQnormal, {0, 1, 0.25}),
      Param("n", Distribution::kQlognormal, {0, 1, 0.5}),
      Param("ln", Distribution::kLognormal, {0, 1}),
      Choice("act", {Plain(std::string("relu")), Plain(std::string("tanh")), Plain(int64_t{3})}),
      Choice("opt", {Nested("sgd", {Param("momentum", Distribution::kUniform, {0, 1})}),
                     Nested("adam", {Param("momentum", Distribution::kNormal, {0.9, 0.01})}),
                     Nested("plain", {})}),
  }};
  options.seed = seed;
  return options;
}

std::unique_ptr<Tuner> Make(const AlgorithmOptions& options) {
  return MakeTuner<AnnealTuner>(options);
}

// Mean distance to the optimum x = 3 over the last 20 of 60 trials.
double LateSpread(const History& history) {
  double sum = 0;
  for (size_t i = 40; i < 60; ++i) {
    sum += std::fabs(AsDouble(history.trials[i].parameters.at("x")) - 3);
  }
  return sum / 20;
}

TEST_CASE("Anneal concentrates near a 1-d optimum better than random search") {
  auto f = [](const Assignment& a) { return std::pow(AsDouble(a.at("x")) - 3, 2); };
  std::vector<double> anneal_spread, random_spread;
  for (uint64_t seed = 1; seed <= 9; ++seed) {
    const AlgorithmOptions options = Line(seed);
    auto anneal = Make(options);
    anneal_spread.push_back(LateSpread(RunSequential(*anneal, f, 60, &options.space)));
    auto random = RandomTuner::Create(options);
    REQUIRE(random.ok());
    random_spread.push_back(LateSpread(RunSequential(**random, f, 60, &options.space)));
  }
  INFO("anneal " << Median(anneal_spread) << " random " << Median(random_spread));
  CHECK(Median(anneal_spread) < 0.3 * Median(random_spread));
}

TEST_CASE("Anneal maximizes when asked and settles on the best choice and integer") {
  AlgorithmOptions options;
  options.space = SearchSpace{{Choice("c", {Plain(std::string("a")), Plain(std::string("b")),
                                            Plain(std::string("c")), Plain(std::string("d"))}),
                               Param("z", Distribution::kRandint, {0, 1000})}};
  options.direction = Direction::kMaximize;
  auto f = [](const Assignment& a) {
    return (std::get<std::string>(a.at("c").v) == "b" ? 10.0 : 0.0) -
           std::fabs(static_cast<double>(std::get<int64_t>(a.at("z").v)) - 700) / 100;
  };
  std::vector<double> b_share, near_share;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    options.seed = seed;
    auto tuner = Make(options);
    const History history = RunSequential(*tuner, f, 60, &options.space);
    int b = 0, near = 0;
    for (size_t i = 40; i < 60; ++i) {
      b += std::get<std::string>(history.trials[i].parameters.at("c").v) == "b";
      near += std::abs(std::get<int64_t>(history.trials[i].parameters.at("z").v) - 700) <= 100;
    }
    b_share.push_back(b / 20.0);
    near_share.push_back(near / 20.0);
  }
  // Random search: "b" a quarter of the time, z within 100 of 700 a fifth of the time.
  INFO("b " << Median(b_share) << " near " << Median(near_share));
  CHECK(Median(b_share) >= 0.6);
  CHECK(Median(near_share) >= 0.5);
}

TEST_CASE("Anneal stays in a mixed space with nested options") {
  const AlgorithmOptions options = Mixed(3);
  auto tuner = Make(options);
  auto f = [](const Assignment& a) { return -std::fabs(std::log10(AsDouble(a.at("lr"))) + 3); };
  const History history = RunSequential(*tuner, f, 80, &options.space);
  std::set<std::string> keys, nested_names;
  for (const TrialRecord& t : history.trials) {
    keys.insert(AssignmentKey(t.parameters));
    nested_names.insert(std::get<std::string>(AsNested(t.parameters.at("opt")).at("_name").v));
  }
  CHECK(keys.size() == history.trials.size());
  CHECK(nested_names.size() == 3);
  // A batch against the same history (no running trials told) also stays distinct.
  absl::StatusOr<Suggestions> batch = tuner->Suggest(history, 10);
  REQUIRE(batch.ok());
  for (const Assignment& a : batch->assignments) {
    CHECK(Contains(options.space, a));
    keys.insert(AssignmentKey(a));
  }
  CHECK(keys.size() == history.trials.size() + 10);
}

TEST_CASE("Anneal is reproducible from its seed and history") {
  auto f = [](const Assignment& a) { return AsDouble(a.at("lr")) * AsDouble(a.at("q")); };
  CheckReproducible(Make, Mixed(9), /*other_seed=*/10, f, /*budget=*/30, /*batch=*/4);
}

TEST_CASE("Anneal checks its classArgs") {
  AlgorithmOptions options = Line(1);
  options.class_args = {{"optimize_mode", std::string("minimize")}, {"seed", int64_t{2}}};
  CHECK(AnnealTuner::Create(options).ok());
  options.class_args = {{"shrink_coef", 0.2}};
  absl::Status status = AnnealTuner::Create(options).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() ==
        "unknown classArg \"shrink_coef\" for Anneal; accepted: optimize_mode, seed");
  auto tuner = Make(Line(1));
  CHECK(tuner->Suggest({}, -1).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dlkit::algos::testing
