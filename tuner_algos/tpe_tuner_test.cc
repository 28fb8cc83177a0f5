#include "tuner_algos/tpe_tuner.h"

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

std::unique_ptr<Tuner> Make(const AlgorithmOptions& options) {
  return MakeTuner<TpeTuner>(options);
}

double X(const Assignment& a) { return AsDouble(a.at("x")); }

// Median |x - 0.3| over the last `n` trials.
double TailMedianDistance(const History& history, size_t n) {
  std::vector<double> d;
  for (size_t i = history.trials.size() - n; i < history.trials.size(); ++i) {
    d.push_back(std::fabs(X(history.trials[i].parameters) - 0.3));
  }
  return Median(d);
}

double BestDistance(const History& history) {
  double best = 1e9;
  for (const TrialRecord& t : history.trials) {
    best = std::min(best, std::fabs(X(t.parameters) - 0.3));
  }
  return best;
}

TEST_CASE("TPE finds the peak of a 1-d quadratic and concentrates there") {
  const Objective peak = [](const Assignment& a) { return -std::pow(X(a) - 0.3, 2); };
  double tpe_tail = 0;
  double random_tail = 0;
  for (uint64_t seed : {1, 2, 3, 4}) {
    INFO("seed " << seed);
    auto tpe = Make(OneDim(seed));
    const History history = RunSequential(*tpe, peak, 60);
    auto random = RandomTuner::Create(OneDim(seed));
    REQUIRE(random.ok());
    const History baseline = RunSequential(**random, peak, 60);
    CHECK(BestDistance(history) < 0.02);
    tpe_tail += TailMedianDistance(history, 20);
    random_tail += TailMedianDistance(baseline, 20);
    std::cout << "seed " << seed << ": tail median |x - 0.3| TPE "
              << TailMedianDistance(history, 20) << ", random " << TailMedianDistance(baseline, 20)
              << "\n";
  }
  // Optuna's magic clip keeps kernels wide with few "below" trials, so TPE still explores.
  CHECK(tpe_tail < 0.5 * random_tail);
}

TEST_CASE("TPE minimizes when optimize_mode says so") {
  const Objective bowl = [](const Assignment& a) { return std::pow(X(a) - 0.3, 2); };
  AlgorithmOptions options = OneDim(5);
  options.class_args["optimize_mode"] = std::string("minimize");
  auto tpe = Make(options);
  const History history = RunSequential(*tpe, bowl, 60);
  CHECK(BestDistance(history) < 0.02);
  // Maximizing the same bowl drives x to the edges instead.
  auto maximizer = Make(OneDim(5));
  const History away = RunSequential(*maximizer, bowl, 60);
  CHECK(TailMedianDistance(away, 20) > 3 * TailMedianDistance(history, 20));
}

TEST_CASE("TPE learns from early-stopped trials' last intermediate value") {
  auto tpe = Make(OneDim(9));
  History history;
  for (int i = 0; i < 60; ++i) {
    absl::StatusOr<Suggestions> out = tpe->Suggest(history, 1);
    REQUIRE(out.ok());
    const Assignment& a = out->assignments[0];
    TrialRecord trial = Finished(a, 0, history.trials.size() + 1);
    trial.final_value.reset();
    trial.status = TrialStatus::kEarlyStopped;
    trial.intermediate = {-5.0, -std::pow(X(a) - 0.3, 2)};
    history.trials.push_back(trial);
    // A failed trial at the wrong spot must not count.
    TrialRecord failed = Finished(Assignment{{"x", Value{-0.9}}}, 100, history.trials.size() + 1);
    failed.status = TrialStatus::kFailed;
    history.trials.push_back(failed);
  }
  CHECK(BestDistance(history) < 0.02);
}

TEST_CASE("TPE picks the clearly best categorical option most often after startup") {
  AlgorithmOptions options;
  options.space = SearchSpace{{
      Choice("opt", {Plain(std::string("a")), Plain(std::string("b")), Plain(std::string("c")),
                     Plain(std::string("d"))}),
      Param("x", Distribution::kUniform, {0, 1}),
  }};
  options.seed = 4;
  auto tpe = Make(options);
  const Objective f = [](const Assignment& a) {
    return (a.at("opt") == Value{std::string("c")} ? 1.0 : 0.0) + 0.1 * X(a);
  };
  const History history = RunSequential(*tpe, f, 60, &options.space);
  int c_count = 0;
  for (size_t i = 20; i < 60; ++i) {
    if (history.trials[i].parameters.at("opt") == Value{std::string("c")}) ++c_count;
  }
  CHECK(c_count > 25);  // of 40; random would pick it about 10 times
}

TEST_CASE("a parallel batch from TPE is distinct and spread out") {
  const AlgorithmOptions options = OneDim(11);
  const Objective peak = [](const Assignment& a) { return -std::pow(X(a) - 0.3, 2); };
  History history = RandomFinished(options, peak, 30);
  auto tpe = Make(options);
  absl::StatusOr<Suggestions> batch = tpe->Suggest(history, 8);
  REQUIRE(batch.ok());
  REQUIRE(batch->assignments.size() == 8);
  std::set<double> xs;
  for (const Assignment& a : batch->assignments) xs.insert(X(a));
  CHECK(xs.size() == 8);
  CHECK(*xs.rbegin() - *xs.begin() > 0.1);

  // Running trials act the same way: with eight running trials at the peak, the next
  // suggestion moves off it further than without them.
  auto fresh = Make(options);
  const double alone = X(fresh->Suggest(history, 1)->assignments[0]);
  for (int i = 0; i < 8; ++i) {
    TrialRecord running;
    running.status = TrialStatus::kRunning;
    running.parameters = Assignment{{"x", Value{alone}}};
    history.trials.push_back(running);
  }
  std::vector<double> crowded;
  const absl::StatusOr<Suggestions> next = fresh->Suggest(history, 8);
  REQUIRE(next.ok());
  for (const Assignment& a : next->assignments) {
    crowded.push_back(std::fabs(X(a) - alone));
  }
  std::sort(crowded.begin(), crowded.end());
  CHECK(crowded[4] > 0.005);
}

TEST_CASE("TPE is reproducible from seed and history") {
  const AlgorithmOptions options = OneDim(21);
  const Objective peak = [](const Assignment& a) { return -std::pow(X(a) - 0.3, 2); };
  const History history = RandomFinished(options, peak, 30);
  auto a = Make(options);
  auto b = Make(options);
  const std::vector<Assignment> first = a->Suggest(history, 5)->assignments;
  CHECK(first == b->Suggest(history, 5)->assignments);
  CHECK(first == a->Suggest(history, 5)->assignments);
  auto other = Make(OneDim(22));
  CHECK_FALSE(first == other->Suggest(history, 5)->assignments);
}

TEST_CASE("TPE on a long history with failed and running trials is valid and reproducible") {
  // 600 trials (the estimators' radix-sort path) with failed and running ones mixed in.
  AlgorithmOptions options;
  options.space = SixDimSpace();
  options.seed = 31;
  const Objective f = [](const Assignment& a) { return AsDouble(a.at("a")) - AsDouble(a.at("e")); };
  History history = RandomFinished(options, f, 600);
  for (size_t i = 0; i < history.trials.size(); i += 7) {
    history.trials[i].status = i % 2 == 0 ? TrialStatus::kFailed : TrialStatus::kRunning;
  }
  auto a = Make(options);
  auto b = Make(options);
  const absl::StatusOr<Suggestions> first = a->Suggest(history, 4);
  REQUIRE(first.ok());
  REQUIRE(first->assignments.size() == 4);
  for (const Assignment& x : first->assignments) CHECK(Contains(options.space, x));
  CHECK(first->assignments == b->Suggest(history, 4)->assignments);
  // Reordered, the same trials are old or new (ramp weights): still deterministic.
  History reversed = history;
  std::reverse(reversed.trials.begin(), reversed.trials.end());
  const absl::StatusOr<Suggestions> other = a->Suggest(reversed, 4);
  REQUIRE(other.ok());
  CHECK(other->assignments == b->Suggest(reversed, 4)->assignments);
}

double MixedObjective(const Assignment& a) {
  double v = -std::fabs(std::log10(AsDouble(a.at("lr"))) + 3) - 0.01 * AsDouble(a.at("batch")) +
             AsDouble(a.at("layers")) - std::fabs(AsDouble(a.at("init")) - 0.5);
  if (const auto* nested = std::get_if<std::shared_ptr<Assignment>>(&a.at("opt").v)) {
    const Assignment& n = **nested;
    if (n.count("momentum") > 0) v += 5 + 2 * AsDouble(n.at("momentum"));
    if (n.count("beta") > 0) v += 1;
  }
  return v;
}

TEST_CASE("every TPE suggestion lies in a mixed, nested space") {
  for (bool multivariate : {false, true}) {
    INFO("multivariate " << multivariate);
    AlgorithmOptions options;
    options.space = MixedNestedSpace();
    options.seed = 8;
    options.class_args["n_startup_jobs"] = int64_t{10};
    options.class_args["multivariate"] = multivariate;
    auto tpe = Make(options);
    History history = RunSequential(*tpe, MixedObjective, 60, &options.space);
    absl::StatusOr<Suggestions> batch = tpe->Suggest(history, 10);
    REQUIRE(batch.ok());
    for (const Assignment& a : batch->assignments) CHECK(Contains(options.space, a));
    // The nested sgd branch (best) is learned: chosen most often after startup.
    int sgd = 0;
    for (size_t i = 10; i < 60; ++i) {
      const Value& opt = history.trials[i].parameters.at("opt");
      const auto* nested = std::get_if<std::shared_ptr<Assignment>>(&opt.v);
      if (nested != nullptr && AsNested(opt).at("_name") == Value{std::string("sgd")}) ++sgd;
    }
    CHECK(sgd > 20);
  }
}

TEST_CASE("TPE rejects bad classArgs naming them") {
  AlgorithmOptions options = OneDim(1);
  options.class_args["n_ei"] = int64_t{3};
  absl::Status status = TpeTuner::Create(options).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(status.message()), Catch::Contains("n_ei\"") &&
                                                Catch::Contains("n_ei_candidates") &&
                                                Catch::Contains("multivariate"));
  const std::vector<std::pair<std::string, ClassArgs::mapped_type>> bad = {
      {"gamma", 0.0},
      {"gamma", 1.5},
      {"prior_weight", -1.0},
      {"n_ei_candidates", int64_t{0}},
      {"n_startup_jobs", 2.5},
      {"multivariate", std::string("yes")},
      {"consider_endpoints", int64_t{1}},
      {"optimize_mode", std::string("max")},
  };
  CheckRejectsEachArg([](const AlgorithmOptions& o) { return TpeTuner::Create(o).status(); },
                      OneDim(1), bad);
  CHECK(Make(OneDim(1))->Suggest({}, -1).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("TPE timing on 6-d with 1000 finished trials (printed)") {
  AlgorithmOptions options;
  options.space = SixDimSpace();
  const Objective f = [](const Assignment& a) { return AsDouble(a.at("a")) - AsDouble(a.at("e")); };
  const History history = RandomFinished(options, f, 1000);
  for (bool multivariate : {false, true}) {
    options.class_args["multivariate"] = multivariate;
    auto tpe = Make(options);
    const int reps = 20;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) {
      absl::StatusOr<Suggestions> out = tpe->Suggest(history, 1);
      REQUIRE(out.ok());
      CHECK(Contains(options.space, out->assignments[0]));
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count() /
        reps;
    std::cout << "TPE suggestion, 6-d, 1000 trials, multivariate=" << multivariate << ": " << ms
              << " ms\n";
  }
}

}  // namespace
}  // namespace dlkit::algos::testing
