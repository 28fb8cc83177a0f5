#include "tuner_algos/gp_tuner.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tuner_algos/random_tuner.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/test_spaces.h"
#include "tuner_algos/test_util.h"

namespace dlkit::algos::testing {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::unique_ptr<Tuner> Make(const AlgorithmOptions& options) { return MakeTuner<GpTuner>(options); }

double X(const Assignment& a) { return AsDouble(a.at("x")); }

const Objective kPeak = [](const Assignment& a) { return -std::pow(X(a) - 0.3, 2); };

// Branin on x1 in [-5, 10], x2 in [0, 15]; global minimum 0.397887.
AlgorithmOptions BraninOptions(uint64_t seed) {
  AlgorithmOptions options;
  options.space = SearchSpace{{Param("x1", Distribution::kUniform, {-5, 10}),
                               Param("x2", Distribution::kUniform, {0, 15})}};
  options.direction = Direction::kMinimize;
  options.seed = seed;
  return options;
}

double Branin(const Assignment& a) {
  const double x1 = AsDouble(a.at("x1"));
  const double x2 = AsDouble(a.at("x2"));
  const double b = 5.1 / (4 * kPi * kPi);
  const double c = 5 / kPi;
  const double t = 1 / (8 * kPi);
  return std::pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * std::cos(x1) + 10;
}

double BestValue(const History& history, Direction direction) {
  double best = direction == Direction::kMinimize ? 1e300 : -1e300;
  for (const TrialRecord& t : history.trials) {
    best = direction == Direction::kMinimize ? std::min(best, *t.final_value)
                                             : std::max(best, *t.final_value);
  }
  return best;
}

TEST_CASE("GP beats random search on Branin after 30 trials") {
  std::vector<double> gp_best, random_best;
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    const AlgorithmOptions options = BraninOptions(seed);
    auto gp = Make(options);
    gp_best.push_back(
        BestValue(RunSequential(*gp, Branin, 30, &options.space), Direction::kMinimize));
    auto random = RandomTuner::Create(options);
    REQUIRE(random.ok());
    random_best.push_back(BestValue(RunSequential(**random, Branin, 30), Direction::kMinimize));
  }
  std::cout << "Branin best after 30: GP median " << Median(gp_best) << ", random median "
            << Median(random_best) << "\n";
  CHECK(Median(gp_best) < Median(random_best));
  CHECK(Median(gp_best) < 1.0);  // the optimum is 0.398
}

TEST_CASE("GP honours optimize_mode and zooms in on a 1-d peak") {
  AlgorithmOptions options = OneDim(3);
  options.class_args["cold_start_num"] = int64_t{5};
  auto up = Make(options);
  const History history = RunSequential(*up, kPeak, 15, &options.space);
  CHECK(std::fabs(X(history.trials.back().parameters) - 0.3) < 0.05);

  options.class_args["optimize_mode"] = std::string("minimize");
  auto down = Make(options);
  const History low = RunSequential(*down, kPeak, 15, &options.space);
  // Minimising -(x - 0.3)^2 pushes to the far end, x = -1.
  CHECK(X(low.trials.back().parameters) < -0.9);
}

TEST_CASE("GP counts an early-stopped trial by its last intermediate value") {
  AlgorithmOptions options = OneDim(4);
  options.class_args["cold_start_num"] = int64_t{0};
  History history = RandomFinished(options, kPeak, 6);
  // A trial near x = -0.8 that looked excellent before it was stopped.
  TrialRecord stopped;
  stopped.trial_id = "t7";
  stopped.index = 7;
  stopped.status = TrialStatus::kEarlyStopped;
  stopped.parameters = {{"x", Value{-0.8}}};
  stopped.intermediate = {-0.5, 10.0};
  history.trials.push_back(stopped);
  const std::vector<Assignment> next = SuggestExactly(*Make(options), history, 1);
  CHECK(std::fabs(X(next[0]) + 0.8) < 0.3);
}

TEST_CASE("a parallel GP batch is distinct and avoids running trials") {
  const AlgorithmOptions options = OneDim(11);
  History history = RandomFinished(options, kPeak, 15);
  auto gp = Make(options);
  const std::vector<Assignment> batch = SuggestExactly(*gp, history, 4);
  std::vector<double> xs;
  for (const Assignment& a : batch) xs.push_back(X(a));
  std::sort(xs.begin(), xs.end());
  for (size_t i = 1; i < xs.size(); ++i) CHECK(xs[i] - xs[i - 1] > 1e-3);

  // Without liars the next single suggestion is the batch's first; with the first running,
  // it moves away.
  const Assignment alone = SuggestExactly(*gp, history, 1)[0];
  CHECK(alone == batch[0]);
  History busy = history;
  AppendWaiting(&busy, {alone});
  const Assignment next = SuggestExactly(*gp, busy, 1)[0];
  CHECK(std::fabs(X(next) - X(alone)) > 1e-3);
}

double MixedObjective(const Assignment& a) {
  double v = -std::fabs(std::log10(AsDouble(a.at("lr"))) + 3) + AsDouble(a.at("batch")) / 250 +
             AsDouble(a.at("layers")) - std::fabs(AsDouble(a.at("init")) - 0.5);
  if (const auto* nested = std::get_if<std::shared_ptr<Assignment>>(&a.at("opt").v)) {
    const Assignment& n = **nested;
    if (n.count("momentum") > 0) v += 5 + 2 * AsDouble(n.at("momentum"));
    if (n.count("beta") > 0) v += 1;
  }
  return v;
}

TEST_CASE("every GP suggestion lies in a mixed, nested space and the best branch is learned") {
  AlgorithmOptions options;
  options.space = MixedNestedSpace();
  options.seed = 8;
  options.class_args["cold_start_num"] = int64_t{8};
  options.class_args["selection_num_warm_up"] = int64_t{500};
  auto gp = Make(options);
  const History history = RunSequential(*gp, MixedObjective, 30, &options.space);
  const std::vector<Assignment> batch = SuggestExactly(*gp, history, 5);
  for (const Assignment& a : batch) CHECK(Contains(options.space, a));
  int sgd = 0;
  for (size_t i = 8; i < 30; ++i) {
    const Value& opt = history.trials[i].parameters.at("opt");
    const auto* nested = std::get_if<std::shared_ptr<Assignment>>(&opt.v);
    if (nested != nullptr && AsNested(opt).at("_name") == Value{std::string("sgd")}) ++sgd;
  }
  CHECK(sgd > 11);
}

TEST_CASE(
    "in a small discrete space GP goes on to untried points once every refined one was tried") {
  // 4 x 4 points: the refined points soon repeat earlier trials, and then the suggestion
  // must come from the warm-up candidates ranked in full, not from a random draw.
  AlgorithmOptions options;
  options.space = SearchSpace{
      {Choice("a", {Plain(int64_t{0}), Plain(int64_t{1}), Plain(int64_t{2}), Plain(int64_t{3})}),
       Param("b", Distribution::kRandint, {0, 4})}};
  options.seed = 4;
  options.class_args["cold_start_num"] = int64_t{2};
  options.class_args["selection_num_warm_up"] = int64_t{300};
  const Objective f = [](const Assignment& a) {
    return -std::pow(AsDouble(a.at("a")) - 2, 2) - std::pow(AsDouble(a.at("b")) - 1, 2);
  };
  auto gp = Make(options);
  const History history = RunSequential(*gp, f, 16, &options.space);
  std::set<std::string> distinct;
  for (const TrialRecord& t : history.trials) distinct.insert(AssignmentKey(t.parameters));
  CHECK(distinct.size() == 16);
}

TEST_CASE("GP is reproducible from seed and history") {
  AlgorithmOptions options = BraninOptions(21);
  options.class_args["cold_start_num"] = int64_t{5};
  options.class_args["selection_num_warm_up"] = int64_t{300};
  CheckReproducible(Make, options, 22, Branin, 15, 3);
}

TEST_CASE("GP rejects bad classArgs naming them") {
  AlgorithmOptions options = OneDim(1);
  options.class_args["utility"] = std::string("ei");
  absl::Status status = GpTuner::Create(options).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(status.message()),
             Catch::Contains("utility\"") && Catch::Contains("selection_num_starting_points"));
  const std::vector<std::pair<std::string, ClassArgs::mapped_type>> bad = {
      {"cold_start_num", int64_t{-1}},       {"cold_start_num", 2.5},
      {"selection_num_warm_up", int64_t{0}}, {"selection_num_starting_points", std::string("ten")},
      {"optimize_mode", std::string("max")}, {"seed", 0.5},
  };
  CheckRejectsEachArg([](const AlgorithmOptions& o) { return GpTuner::Create(o).status(); },
                      OneDim(1), bad);
  CHECK(Make(OneDim(1))->Suggest({}, -1).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("GP timing on 6-d with 100 and 500 finished trials (printed)") {
  AlgorithmOptions options;
  options.space = SixDimSpace();
  const Objective f = [](const Assignment& a) {
    return AsDouble(a.at("a")) - std::fabs(AsDouble(a.at("e")) - 1);
  };
  for (int n : {100, 500}) {
    const History history = RandomFinished(options, f, n);
    auto gp = Make(options);
    const int reps = 3;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) {
      const std::vector<Assignment> out = SuggestExactly(*gp, history, 1);
      CHECK(Contains(options.space, out[0]));
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count() /
        reps;
    std::cout << "GP suggestion, 6-d, " << n << " finished trials: " << ms << " ms\n";
  }
}

}  // namespace
}  // namespace dlkit::algos::testing
