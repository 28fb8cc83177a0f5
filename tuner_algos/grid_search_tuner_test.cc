#include "tuner_algos/grid_search_tuner.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "tuner_algos/math_util.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/test_spaces.h"
#include "tuner_algos/test_util.h"

namespace dlkit::algos::testing {
namespace {

std::unique_ptr<Tuner> Make(const SearchSpace& space) {
  AlgorithmOptions options;
  options.space = space;
  absl::StatusOr<std::unique_ptr<Tuner>> tuner = GridSearchTuner::Create(options);
  REQUIRE(tuner.ok());
  return std::move(tuner).value();
}

Suggestions Suggest(Tuner& tuner, const History& history, int count) {
  absl::StatusOr<Suggestions> out = tuner.Suggest(history, count);
  REQUIRE(out.ok());
  return *out;
}

std::set<std::string> Keys(const std::vector<Assignment>& assignments) {
  std::set<std::string> keys;
  for (const Assignment& a : assignments) keys.insert(AssignmentKey(a));
  return keys;
}

// choice x randint x quniform (q-grid 0, 0.5, 1).
SearchSpace FiniteSpace() {
  return SearchSpace{{
      Choice("act",
             {Plain(std::string("relu")), Plain(std::string("tanh")), Plain(std::string("gelu"))}),
      Param("layers", Distribution::kRandint, {1, 3}),
      Param("ratio", Distribution::kQuniform, {0, 1, 0.5}),
  }};
}

// Every combination, built independently of the tuner.
std::set<std::string> FiniteProduct() {
  std::set<std::string> keys;
  for (const char* act : {"relu", "tanh", "gelu"}) {
    for (int64_t layers : {1, 2}) {
      for (double ratio : {0.0, 0.5, 1.0}) {
        keys.insert(AssignmentKey({{"act", Value{std::string(act)}},
                                   {"layers", Value{layers}},
                                   {"ratio", Value{ratio}}}));
      }
    }
  }
  return keys;
}

TEST_CASE("GridSearch enumerates exactly the product of a finite space, then is exhausted") {
  const SearchSpace space = FiniteSpace();
  auto tuner = Make(space);
  const Suggestions out = Suggest(*tuner, {}, 100);
  CHECK(out.exhausted);
  REQUIRE(out.assignments.size() == 18);
  CHECK(Keys(out.assignments) == FiniteProduct());
  for (const Assignment& a : out.assignments) CHECK(Contains(space, a));
  // Deterministic: another tuner gives the same order.
  CHECK(Suggest(*Make(space), {}, 100).assignments == out.assignments);
}

TEST_CASE("GridSearch in batches never repeats and ends exhausted") {
  auto tuner = Make(FiniteSpace());
  History history;
  for (int round = 0; round < 5; ++round) {
    const Suggestions out = Suggest(*tuner, history, 4);
    AppendWaiting(&history, out.assignments);
    CHECK(out.exhausted == (round == 4));
    CHECK(out.assignments.size() == (round == 4 ? 2u : 4u));
  }
  std::vector<Assignment> all;
  for (const TrialRecord& t : history.trials) all.push_back(t.parameters);
  CHECK(all.size() == 18);
  CHECK(Keys(all) == FiniteProduct());
  const Suggestions after = Suggest(*tuner, history, 4);
  CHECK(after.assignments.empty());
  CHECK(after.exhausted);
}

TEST_CASE("GridSearch skips what the history holds, e.g. after a restart") {
  const std::vector<Assignment> full = Suggest(*Make(FiniteSpace()), {}, 100).assignments;
  History history;
  AppendWaiting(&history, {full[0], full[1], full[2], full[7], full[11]});
  // The history may store integral numbers as ints: still the same point.
  Value& ratio = history.trials[0].parameters["ratio"];
  REQUIRE(AsDouble(ratio) == 0);
  ratio = Value{int64_t{0}};
  auto restarted = Make(FiniteSpace());
  const Suggestions out = Suggest(*restarted, history, 100);
  CHECK(out.exhausted);
  std::vector<Assignment> expected;
  for (size_t i = 0; i < full.size(); ++i) {
    if (i != 0 && i != 1 && i != 2 && i != 7 && i != 11) expected.push_back(full[i]);
  }
  CHECK(out.assignments == expected);
  // The same history asked again gives the same answer (a retried call).
  CHECK(Suggest(*restarted, history, 100).assignments == expected);
}

TEST_CASE("GridSearch halves a uniform range progressively, never repeating") {
  const double low = -1, high = 3;
  auto tuner = Make(SearchSpace{{Param("x", Distribution::kUniform, {low, high})}});
  History history;
  for (int epoch = 1; epoch <= 6; ++epoch) {
    // Epoch e adds the odd multiples of 2^-e: the median, then quartiles, eighths...
    const int count = 1 << (epoch - 1);
    const Suggestions out = Suggest(*tuner, history, count);
    CHECK_FALSE(out.exhausted);
    REQUIRE(out.assignments.size() == static_cast<size_t>(count));
    std::set<double> got, expected;
    for (const Assignment& a : out.assignments) got.insert(AsDouble(a.at("x")));
    const double step = std::ldexp(1.0, -epoch);
    for (double u = step; u < 1; u += 2 * step) expected.insert(low + (high - low) * u);
    CHECK(got == expected);
    AppendWaiting(&history, out.assignments);
  }
  std::vector<Assignment> all;
  for (const TrialRecord& t : history.trials) all.push_back(t.parameters);
  CHECK(Keys(all).size() == all.size());
}

TEST_CASE("GridSearch follows NNI's example: choice, normal and quniform") {
  // NNI's gridsearch_tuner.py: x: choice(5, 7), y: normal(0, 1), z: quniform(2, 3, 1).
  const SearchSpace space{{
      Choice("x", {Plain(int64_t{5}), Plain(int64_t{7})}),
      Param("y", Distribution::kNormal, {0, 1}),
      Param("z", Distribution::kQuniform, {2, 3, 1}),
  }};
  const std::vector<Assignment> out = Suggest(*Make(space), {}, 12).assignments;
  REQUIRE(out.size() == 12);
  CHECK(Keys(out).size() == 12);
  const double quartile = NormalQuantile(0.75);
  for (size_t i = 0; i < out.size(); ++i) {
    INFO("point " << i);
    const double y = AsDouble(out[i].at("y"));
    // The first epoch holds the median of y only; the second adds its quartiles.
    if (i < 4) {
      CHECK(y == 0);
    } else {
      CHECK(std::fabs(y) == Approx(quartile).epsilon(1e-12));
    }
    CHECK(Contains(space, out[i]));
  }
  CHECK(std::get<int64_t>(out[0].at("x").v) == 5);
  CHECK(std::get<int64_t>(out[3].at("x").v) == 7);
}

TEST_CASE("GridSearch's continuous medians follow the distribution") {
  auto first = [](ParamSpec spec) {
    return AsDouble(Suggest(*Make(SearchSpace{{spec}}), {}, 1).assignments[0].at(spec.name));
  };
  CHECK(first(Param("x", Distribution::kLoguniform, {1e-3, 1e-1})) == Approx(1e-2));
  CHECK(first(Param("x", Distribution::kLognormal, {1, 2})) == Approx(std::exp(1.0)));
  CHECK(first(Param("x", Distribution::kQnormal, {1.2, 3, 0.5})) == 1.0);
}

TEST_CASE("GridSearch reaches every q-value, the range ends included") {
  SECTION("quniform: the whole q-grid, ends clipped") {
    const SearchSpace space{{Param("x", Distribution::kQuniform, {1, 10, 3})}};
    const Suggestions out = Suggest(*Make(space), {}, 100);
    CHECK(out.exhausted);
    std::set<double> got;
    for (const Assignment& a : out.assignments) got.insert(AsDouble(a.at("x")));
    CHECK(got == std::set<double>{1, 3, 6, 9});
  }
  SECTION("qloguniform") {
    const SearchSpace space{{Param("x", Distribution::kQloguniform, {1, 100, 10})}};
    const Suggestions out = Suggest(*Make(space), {}, 100);
    CHECK(out.exhausted);
    std::set<double> got;
    for (const Assignment& a : out.assignments) got.insert(AsDouble(a.at("x")));
    CHECK(got == std::set<double>{1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100});
  }
  SECTION("qlognormal reaches 0 and keeps going") {
    const SearchSpace space{{Param("x", Distribution::kQlognormal, {0, 1, 1})}};
    const Suggestions out = Suggest(*Make(space), {}, 20);
    CHECK_FALSE(out.exhausted);
    REQUIRE(out.assignments.size() == 20);
    std::set<double> got;
    for (const Assignment& a : out.assignments) {
      CHECK(Contains(space, a));
      got.insert(AsDouble(a.at("x")));
    }
    CHECK(got.size() == 20);
    CHECK(got.count(0.0) == 1);
  }
}

TEST_CASE("GridSearch expands nested choices") {
  const SearchSpace space{{
      Choice("opt", {Nested("sgd", {Choice("lr", {Plain(0.1), Plain(0.01)})}),
                     Nested("adam", {Param("beta", Distribution::kRandint, {1, 4})}),
                     Nested("lbfgs", {})}),
      Choice("batch", {Plain(int64_t{16}), Plain(int64_t{32})}),
  }};
  const Suggestions out = Suggest(*Make(space), {}, 100);
  CHECK(out.exhausted);
  CHECK(out.assignments.size() == (2 + 3 + 1) * 2);
  CHECK(Keys(out.assignments).size() == out.assignments.size());
  std::set<std::string> names;
  for (const Assignment& a : out.assignments) {
    CHECK(Contains(space, a));
    names.insert(std::get<std::string>(AsNested(a.at("opt")).at("_name").v));
  }
  CHECK(names == std::set<std::string>{"sgd", "adam", "lbfgs"});
}

TEST_CASE("GridSearch with a continuous nested parameter refines it only when chosen") {
  const SearchSpace space{{
      Choice("opt", {Nested("a", {Param("x", Distribution::kUniform, {0, 1})}), Nested("b", {})}),
  }};
  const std::vector<Assignment> out = Suggest(*Make(space), {}, 5).assignments;
  REQUIRE(out.size() == 5);
  // Epoch 1: a(x=.5), b. Epoch 2: a(x=.25), a(x=.75). Epoch 3: a(x=.125) ...
  CHECK(std::get<std::string>(AsNested(out[1].at("opt")).at("_name").v) == "b");
  for (size_t i : {0u, 2u, 3u, 4u}) {
    CHECK(AsNested(out[i].at("opt")).count("x") == 1);
  }
  CHECK(Keys(out).size() == 5);
}

TEST_CASE("GridSearch handles an empty space and a zero count") {
  auto tuner = Make(SearchSpace{});
  CHECK(Suggest(*tuner, {}, 0).assignments.empty());
  const Suggestions out = Suggest(*tuner, {}, 3);
  CHECK(out.assignments.size() == 1);
  CHECK(out.assignments[0].empty());
  CHECK(out.exhausted);
  CHECK(tuner->Suggest({}, -1).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dlkit::algos::testing
