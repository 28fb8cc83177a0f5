#include "tuner_algos/sobol_tuner.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tuner_algos/random_tuner.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/sobol_sequence.h"
#include "tuner_algos/test_spaces.h"
#include "tuner_algos/test_util.h"

namespace dlkit::algos::testing {
namespace {

AlgorithmOptions Unit2d(uint64_t seed) {
  AlgorithmOptions options;
  options.space = SearchSpace{
      {Param("x", Distribution::kUniform, {0, 1}), Param("y", Distribution::kUniform, {0, 1})}};
  options.seed = seed;
  return options;
}

AlgorithmOptions Mixed(uint64_t seed) {
  AlgorithmOptions options;
  options.space = SearchSpace{{
      Param("lr", Distribution::kLoguniform, {1e-5, 1e-1}),
      Param("units", Distribution::kRandint, {8, 64}),
      Param("q", Distribution::kQuniform, {0, 10, 2.5}),
      Param("n", Distribution::kQlognormal, {0, 1, 0.5}),
      Choice("act", {Plain(std::string("relu")), Plain(std::string("tanh"))}),
      Choice("opt", {Nested("sgd", {Param("momentum", Distribution::kUniform, {0, 1})}),
                     Nested("adam", {Param("beta", Distribution::kNormal, {0.9, 0.01})}),
                     Nested("plain", {})}),
  }};
  options.seed = seed;
  return options;
}

std::unique_ptr<Tuner> Make(const AlgorithmOptions& options) {
  return MakeTuner<SobolTuner>(options);
}

// Counts per cell of a k x k grid over the unit square.
std::vector<int> CellCounts(const std::vector<Assignment>& points, int k) {
  std::vector<int> counts(k * k, 0);
  for (const Assignment& a : points) {
    const int cx = static_cast<int>(std::floor(AsDouble(a.at("x")) * k));
    const int cy = static_cast<int>(std::floor(AsDouble(a.at("y")) * k));
    REQUIRE(cx >= 0);
    REQUIRE(cx < k);
    REQUIRE(cy >= 0);
    REQUIRE(cy < k);
    ++counts[cy * k + cx];
  }
  return counts;
}

TEST_CASE("Sobol's first 64 points put exactly one point in every cell of an 8x8 grid") {
  for (uint64_t seed : {0, 1, 2, 12345}) {
    INFO("seed " << seed);
    auto tuner = Make(Unit2d(seed));
    for (int c : CellCounts(SuggestExactly(*tuner, {}, 64), 8)) CHECK(c == 1);
    // The next aligned block of 64 is a net too, and so is every block of 16 on a 4x4 grid.
    const History first = HistoryOf(SuggestExactly(*tuner, {}, 64));
    const std::vector<Assignment> next = SuggestExactly(*tuner, first, 64);
    for (int c : CellCounts(next, 8)) CHECK(c == 1);
    for (int c : CellCounts(std::vector<Assignment>(next.begin(), next.begin() + 16), 4)) {
      CHECK(c == 1);
    }
  }
}

TEST_CASE("independent random points do not stratify like Sobol") {
  // Guards the test above against a grid check that anything would pass.
  AlgorithmOptions options = Unit2d(5);
  auto random = RandomTuner::Create(options);
  REQUIRE(random.ok());
  const std::vector<Assignment> points = SuggestExactly(**random, {}, 64);
  int empty = 0;
  for (int c : CellCounts(points, 8)) empty += c == 0;
  CHECK(empty > 0);
}

TEST_CASE("Sobol's scramble keeps the net property in all 32 built-in dimensions") {
  // Any two dimensions of Sobol's first 2^m points give every 2^a x 2^b cell (a + b = m)
  // the same count, for small enough cells; check one-dimensional strata of 32 points.
  SobolSequence sequence(SobolSequence::kMaxDimensions, 99);
  std::vector<std::vector<int>> counts(SobolSequence::kMaxDimensions, std::vector<int>(32, 0));
  for (uint64_t i = 0; i < 32; ++i) {
    const std::vector<double> p = sequence.Point(i);
    for (int d = 0; d < SobolSequence::kMaxDimensions; ++d) {
      REQUIRE(p[d] > 0);
      REQUIRE(p[d] < 1);
      ++counts[d][static_cast<int>(p[d] * 32)];
    }
  }
  for (int d = 0; d < SobolSequence::kMaxDimensions; ++d) {
    INFO("dimension " << d);
    for (int c : counts[d]) CHECK(c == 1);
  }
  // Different seeds scramble differently.
  CHECK(SobolSequence(3, 1).Point(0) != SobolSequence(3, 2).Point(0));
}

TEST_CASE("Sobol suggests in-space assignments for every parameter type") {
  const AlgorithmOptions options = Mixed(11);
  auto tuner = Make(options);
  std::set<std::string> keys;
  std::set<std::string> nested_names;
  const std::vector<Assignment> points = SuggestExactly(*tuner, {}, 128);
  for (const Assignment& a : points) {
    INFO(AssignmentKey(a));
    CHECK(Contains(options.space, a));
    keys.insert(AssignmentKey(a));
    nested_names.insert(std::get<std::string>(AsNested(a.at("opt")).at("_name").v));
  }
  CHECK(keys.size() == points.size());
  CHECK(nested_names.size() == 3);
}

TEST_CASE("Sobol with more parameters than built-in dimensions stays in space") {
  AlgorithmOptions options;
  for (int i = 0; i < 40; ++i) {
    options.space.params.push_back(Param("p" + std::to_string(i), Distribution::kUniform, {0, 1}));
  }
  auto tuner = Make(options);
  for (const Assignment& a : SuggestExactly(*tuner, {}, 20)) CHECK(Contains(options.space, a));
}

TEST_CASE("Sobol is reproducible and its i-th point depends only on the seed and i") {
  auto a = Make(Mixed(7));
  auto b = Make(Mixed(7));
  auto c = Make(Mixed(8));
  const std::vector<Assignment> all = SuggestExactly(*a, {}, 8);
  CHECK(all == SuggestExactly(*b, {}, 8));
  CHECK(all == SuggestExactly(*a, {}, 8));
  CHECK_FALSE(all == SuggestExactly(*c, {}, 8));
  auto restarted = Make(Mixed(7));
  const std::vector<Assignment> rest = SuggestExactly(*restarted, HistoryOf({all[0], all[1]}), 6);
  CHECK(rest == std::vector<Assignment>(all.begin() + 2, all.end()));
}

TEST_CASE("Sobol checks its classArgs") {
  AlgorithmOptions options = Unit2d(1);
  options.class_args = {{"optimize_mode", std::string("minimize")}, {"seed", int64_t{4}}};
  CHECK(SobolTuner::Create(options).ok());
  options.class_args = {{"population_size", int64_t{4}}};
  absl::Status status = SobolTuner::Create(options).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() ==
        "unknown classArg \"population_size\" for Sobol; accepted: optimize_mode, seed");
  auto tuner = Make(Unit2d(1));
  CHECK(tuner->Suggest({}, -1).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dlkit::algos::testing
