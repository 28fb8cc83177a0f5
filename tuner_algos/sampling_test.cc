#include "tuner_algos/sampling.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "tuner_algos/math_util.h"
#include "tuner_algos/test_spaces.h"

namespace dlkit::algos::testing {
namespace {

constexpr int kSamples = 100000;
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> DrawNumbers(const ParamSpec& spec, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::vector<double> xs;
  for (int i = 0; i < kSamples; ++i) xs.push_back(AsDouble(SampleValue(spec, rng)));
  return xs;
}

// Kolmogorov-Smirnov: the largest gap between the empirical CDF and `cdf` must stay under
// the critical value for significance 1e-6 (sqrt(-ln(0.5e-6) / 2) / sqrt(n)).
void CheckKs(std::vector<double> xs, const std::function<double(double)>& cdf) {
  std::sort(xs.begin(), xs.end());
  const double n = static_cast<double>(xs.size());
  double gap = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double f = cdf(xs[i]);
    gap = std::max({gap, f - i / n, (i + 1) / n - f});
  }
  CHECK(gap < std::sqrt(-std::log(0.5e-6) / 2) / std::sqrt(n));
}

// Each value's count within 5 standard deviations of its expectation; nothing unexpected.
void CheckFrequencies(const std::vector<double>& xs, const std::map<double, double>& expected) {
  std::map<double, int> counts;
  for (double x : xs) ++counts[x];
  for (const auto& [value, count] : counts) {
    INFO("value " << value);
    CHECK(expected.count(value) == 1);
  }
  double total = 0;
  const double n = static_cast<double>(xs.size());
  for (const auto& [value, p] : expected) {
    INFO("value " << value << " p " << p);
    const double mean = n * p;
    CHECK(std::fabs(counts[value] - mean) <= 5 * std::sqrt(mean * (1 - p)) + 1);
    total += p;
  }
  CHECK(total == Approx(1).epsilon(1e-9));
}

// P(value) of clip(round(raw / q) * q, low, high) for k in [k_min, k_max], given raw's CDF.
std::map<double, double> QuantizedProbabilities(const std::function<double(double)>& cdf, double q,
                                                int k_min, int k_max, double low = -kInf,
                                                double high = kInf) {
  std::map<double, double> p;
  for (int k = k_min; k <= k_max; ++k) {
    const double mass = cdf((k + 0.5) * q) - cdf((k - 0.5) * q);
    if (mass > 0) p[std::clamp(k * q, low, high)] += mass;
  }
  return p;
}

void CheckMean(const std::vector<double>& xs, double mean, double sd) {
  double sum = 0;
  for (double x : xs) sum += x;
  CHECK(std::fabs(sum / xs.size() - mean) < 5 * sd / std::sqrt(xs.size()));
}

void CheckOnQGrid(const std::vector<double>& xs, double q, double low, double high) {
  for (double x : xs) {
    if (x == low || x == high) continue;
    INFO("x " << x);
    REQUIRE(std::fabs(x / q - std::round(x / q)) < 1e-9);
  }
}

TEST_CASE("RoundHalfEven rounds halves as Python does") {
  CHECK(RoundHalfEven(0.5) == 0);
  CHECK(RoundHalfEven(1.5) == 2);
  CHECK(RoundHalfEven(2.5) == 2);
  CHECK(RoundHalfEven(-2.5) == -2);
  CHECK(RoundHalfEven(2.5000001) == 3);
  CHECK(RoundHalfEven(-1.7) == -2);
}

TEST_CASE("NormalQuantile inverts NormalCdf") {
  CHECK(NormalQuantile(0.5) == Approx(0).margin(1e-15));
  CHECK(NormalQuantile(0.75) == Approx(0.6744897501960817).epsilon(1e-13));
  CHECK(NormalQuantile(0) == -kInf);
  CHECK(NormalQuantile(1) == kInf);
  for (double p : {1e-300, 1e-10, 0.001, 0.02425, 0.1, 0.3, 0.6, 0.97575, 0.999}) {
    INFO("p " << p);
    CHECK(NormalCdf(NormalQuantile(p)) == Approx(p).epsilon(1e-12));
  }
}

TEST_CASE("uniform is uniform on [low, high)") {
  const std::vector<double> xs = DrawNumbers(Param("x", Distribution::kUniform, {-2, 3}));
  for (double x : xs) REQUIRE((-2 <= x && x < 3));
  CheckKs(xs, [](double x) { return (x + 2) / 5; });
  CheckMean(xs, 0.5, 5 / std::sqrt(12.0));
}

TEST_CASE("loguniform has a uniform logarithm") {
  const std::vector<double> xs = DrawNumbers(Param("x", Distribution::kLoguniform, {1e-4, 1e-1}));
  std::vector<double> logs;
  for (double x : xs) {
    REQUIRE((1e-4 <= x && x <= 1e-1));
    logs.push_back(std::log(x));
  }
  const double lo = std::log(1e-4), hi = std::log(1e-1);
  CheckKs(logs, [&](double x) { return (x - lo) / (hi - lo); });
}

TEST_CASE("normal has the given mean, variance and shape") {
  const std::vector<double> xs = DrawNumbers(Param("x", Distribution::kNormal, {1, 2}));
  CheckKs(xs, [](double x) { return NormalCdf((x - 1) / 2); });
  CheckMean(xs, 1, 2);
  double sq = 0;
  for (double x : xs) sq += (x - 1) * (x - 1);
  // The variance estimate's standard deviation is sigma^2 * sqrt(2 / n).
  CHECK(std::fabs(sq / xs.size() - 4) < 5 * 4 * std::sqrt(2.0 / xs.size()));
}

TEST_CASE("lognormal is exp of a normal") {
  const std::vector<double> xs = DrawNumbers(Param("x", Distribution::kLognormal, {0.5, 0.3}));
  std::vector<double> logs;
  for (double x : xs) {
    REQUIRE(x > 0);
    logs.push_back(std::log(x));
  }
  CheckKs(logs, [](double x) { return NormalCdf((x - 0.5) / 0.3); });
}

TEST_CASE("randint gives int64 in [lower, upper), never upper, evenly") {
  const ParamSpec spec = Param("x", Distribution::kRandint, {3, 8});
  std::mt19937_64 rng(7);
  std::vector<double> xs;
  for (int i = 0; i < kSamples; ++i) {
    const Value value = SampleValue(spec, rng);
    REQUIRE(std::holds_alternative<int64_t>(value.v));
    xs.push_back(AsDouble(value));
  }
  CheckFrequencies(xs, {{3, 0.2}, {4, 0.2}, {5, 0.2}, {6, 0.2}, {7, 0.2}});
}

TEST_CASE("randint rounds fractional bounds up, as NNI") {
  const std::vector<double> xs = DrawNumbers(Param("x", Distribution::kRandint, {1.5, 4.2}));
  CheckFrequencies(xs, {{2, 1 / 3.0}, {3, 1 / 3.0}, {4, 1 / 3.0}});
}

TEST_CASE("quniform is round(uniform / q) * q clipped to the range") {
  SECTION("q divides the range: the ends get half weight") {
    const std::vector<double> xs = DrawNumbers(Param("x", Distribution::kQuniform, {0, 1, 0.1}));
    CheckOnQGrid(xs, 0.1, 0, 1);
    CheckFrequencies(xs, QuantizedProbabilities([](double x) { return std::clamp(x, 0.0, 1.0); },
                                                0.1, 0, 10, 0, 1));
  }
  SECTION("q does not divide the range: the low end is clipped up") {
    const std::vector<double> xs = DrawNumbers(Param("x", Distribution::kQuniform, {1, 10, 3}));
    CheckOnQGrid(xs, 3, 1, 10);
    CHECK(std::count(xs.begin(), xs.end(), 1.0) > 0);
    CHECK(*std::max_element(xs.begin(), xs.end()) == 9);
    CheckFrequencies(
        xs, QuantizedProbabilities([](double x) { return std::clamp((x - 1) / 9, 0.0, 1.0); }, 3, 0,
                                   4, 1, 10));
  }
}

TEST_CASE("qloguniform is round(loguniform / q) * q clipped to the range") {
  const std::vector<double> xs = DrawNumbers(Param("x", Distribution::kQloguniform, {1, 100, 5}));
  CheckOnQGrid(xs, 5, 1, 100);
  const auto cdf = [](double x) {
    return x <= 1 ? 0.0 : std::min(1.0, std::log(x) / std::log(100.0));
  };
  CheckFrequencies(xs, QuantizedProbabilities(cdf, 5, 0, 21, 1, 100));
}

TEST_CASE("qnormal is round(normal / q) * q, unclipped") {
  const std::vector<double> xs = DrawNumbers(Param("x", Distribution::kQnormal, {0.2, 1, 0.5}));
  CheckOnQGrid(xs, 0.5, kInf, kInf);
  CheckFrequencies(
      xs, QuantizedProbabilities([](double x) { return NormalCdf(x - 0.2); }, 0.5, -30, 30));
}

TEST_CASE("qlognormal is round(exp(normal) / q) * q, zero included") {
  const std::vector<double> xs = DrawNumbers(Param("x", Distribution::kQlognormal, {0, 1, 0.5}));
  CheckOnQGrid(xs, 0.5, kInf, kInf);
  for (double x : xs) REQUIRE(x >= 0);
  const auto cdf = [](double x) { return x <= 0 ? 0.0 : NormalCdf(std::log(x)); };
  CheckFrequencies(xs, QuantizedProbabilities(cdf, 0.5, 0, 5000));
  CHECK(std::count(xs.begin(), xs.end(), 0.0) > 0);
}

TEST_CASE("choice picks each option evenly and keeps its type") {
  const ParamSpec spec =
      Choice("x", {Plain(int64_t{1}), Plain(2.5), Plain(std::string("relu")), Plain(true)});
  std::mt19937_64 rng(3);
  std::map<size_t, int> by_type;  // variant index -> count
  for (int i = 0; i < kSamples; ++i) {
    const Value value = SampleValue(spec, rng);
    ++by_type[value.v.index()];
    if (value.v.index() == 1) REQUIRE(std::get<int64_t>(value.v) == 1);
    if (value.v.index() == 0) REQUIRE(std::get<double>(value.v) == 2.5);
    if (value.v.index() == 2) REQUIRE(std::get<std::string>(value.v) == "relu");
    if (value.v.index() == 3) REQUIRE(std::get<bool>(value.v));
  }
  REQUIRE(by_type.size() == 4);
  const double mean = kSamples / 4.0;
  for (const auto& [index, count] : by_type) {
    CHECK(std::fabs(count - mean) < 5 * std::sqrt(mean * 0.75));
  }
}

SearchSpace OptimizerSpace() {
  return SearchSpace{{
      Choice("optimizer", {Nested("sgd", {Param("lr", Distribution::kLoguniform, {1e-4, 1e-1}),
                                          Param("momentum", Distribution::kUniform, {0, 1})}),
                           Nested("adam", {Param("beta1", Distribution::kUniform, {0.8, 0.99})}),
                           Nested("lbfgs", {})}),
      Param("batch", Distribution::kRandint, {16, 64}),
  }};
}

TEST_CASE("a nested choice yields _name and only the chosen option's parameters") {
  const SearchSpace space = OptimizerSpace();
  const std::map<std::string, std::set<std::string>> keys = {
      {"sgd", {"_name", "lr", "momentum"}}, {"adam", {"_name", "beta1"}}, {"lbfgs", {"_name"}}};
  std::mt19937_64 rng(11);
  std::map<std::string, int> chosen;
  for (int i = 0; i < kSamples; ++i) {
    const Assignment assignment = SampleAssignment(space, rng);
    REQUIRE(assignment.size() == 2);
    REQUIRE(Contains(space, assignment));
    const Assignment& optimizer = AsNested(assignment.at("optimizer"));
    const std::string name = std::get<std::string>(optimizer.at("_name").v);
    std::set<std::string> got;
    for (const auto& [key, value] : optimizer) got.insert(key);
    REQUIRE(got == keys.at(name));
    ++chosen[name];
  }
  REQUIRE(chosen.size() == 3);
  const double mean = kSamples / 3.0;
  for (const auto& [name, count] : chosen) {
    CHECK(std::fabs(count - mean) < 5 * std::sqrt(mean * 2 / 3));
  }
}

TEST_CASE("the same seed draws the same assignments") {
  const SearchSpace space = OptimizerSpace();
  std::mt19937_64 a(5), b(5), c(6);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const Assignment x = SampleAssignment(space, a);
    REQUIRE(x == SampleAssignment(space, b));
    differs = differs || !(x == SampleAssignment(space, c));
  }
  CHECK(differs);
}

TEST_CASE("Contains rejects what is not in the space") {
  const SearchSpace space = OptimizerSpace();
  std::mt19937_64 rng(2);
  Assignment good = SampleAssignment(space, rng);
  REQUIRE(Contains(space, good));

  auto adam = [](Value beta1) {
    auto nested = std::make_shared<Assignment>();
    (*nested)["_name"] = Value{std::string("adam")};
    (*nested)["beta1"] = std::move(beta1);
    return Value{nested};
  };
  Assignment a{{"optimizer", adam(Value{0.9})}, {"batch", Value{int64_t{16}}}};
  CHECK(Contains(space, a));

  Assignment missing = a;
  missing.erase("batch");
  CHECK_FALSE(Contains(space, missing));
  Assignment extra = a;
  extra["other"] = Value{1.0};
  CHECK_FALSE(Contains(space, extra));
  Assignment at_upper = a;
  at_upper["batch"] = Value{int64_t{64}};  // randint's upper bound is exclusive
  CHECK_FALSE(Contains(space, at_upper));
  Assignment as_double = a;
  as_double["batch"] = Value{16.0};  // randint values are integers
  CHECK_FALSE(Contains(space, as_double));
  Assignment out_of_range = a;
  out_of_range["optimizer"] = adam(Value{0.5});
  CHECK_FALSE(Contains(space, out_of_range));
  Assignment wrong_name = a;
  auto renamed = std::make_shared<Assignment>(AsNested(a["optimizer"]));
  (*renamed)["_name"] = Value{std::string("sgd")};  // sgd has no beta1, needs lr, momentum
  wrong_name["optimizer"] = Value{renamed};
  CHECK_FALSE(Contains(space, wrong_name));

  const SearchSpace q{{Param("x", Distribution::kQuniform, {1, 10, 3})}};
  CHECK(Contains(q, {{"x", Value{1.0}}}));
  CHECK(Contains(q, {{"x", Value{6.0}}}));
  CHECK_FALSE(Contains(q, {{"x", Value{5.0}}}));
  CHECK_FALSE(Contains(q, {{"x", Value{12.0}}}));
}

}  // namespace
}  // namespace dlkit::algos::testing
