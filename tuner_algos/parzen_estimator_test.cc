#include "tuner_algos/parzen_estimator.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "tuner_algos/math_util.h"

namespace dlkit::algos {
namespace {

ParzenDim Unit() { return ParzenDim{0, 1, 0, 1, 0.5, 1}; }

TEST_CASE("DefaultWeights is flat up to 25 and ramps older observations beyond") {
  CHECK(DefaultWeights(0).empty());
  CHECK(DefaultWeights(10) == std::vector<double>(10, 1.0));
  const std::vector<double> w = DefaultWeights(40);
  REQUIRE(w.size() == 40);
  CHECK(w[0] == Approx(1.0 / 40));
  for (size_t i = 1; i < 15; ++i) CHECK(w[i] > w[i - 1]);
  for (size_t i = 15; i < 40; ++i) CHECK(w[i] == 1.0);
}

TEST_CASE("a 1-d mixture is a density on its bounds, peaked at the observations") {
  const ParzenEstimator p({Unit()}, {{0.2}, {0.22}, {0.25}, {0.27}, {0.8}}, ParzenOptions{});
  // Riemann sum of the density over [0, 1].
  double integral = 0;
  const int steps = 2000;
  for (int i = 0; i < steps; ++i) {
    const double x = (i + 0.5) / steps;
    integral += std::exp(p.LogPdf({x}, {x})) / steps;
  }
  CHECK(integral == Approx(1.0).epsilon(0.01));
  CHECK(p.LogPdf({0.0}, {1.0}) == Approx(0.0).margin(1e-9));  // all mass in bounds
  CHECK(p.LogPdf({0.23}, {0.23}) > p.LogPdf({0.5}, {0.5}) + 0.5);
  CHECK(p.LogPdf({1.5}, {1.5}) == -std::numeric_limits<double>::infinity());
  // Bin masses add up like the density they integrate.
  const double left = std::exp(p.LogPdf({0.0}, {0.4}));
  const double right = std::exp(p.LogPdf({0.4}, {1.0}));
  CHECK(left + right == Approx(1.0).epsilon(1e-6));
  std::mt19937_64 rng(1);
  int near = 0;
  int empty = 0;
  for (int i = 0; i < 1000; ++i) {
    const double x = p.Sample(rng)[0];
    REQUIRE(x >= 0);
    REQUIRE(x <= 1);
    if (x > 0.1 && x < 0.35) ++near;
    if (x > 0.45 && x < 0.7) ++empty;
  }
  CHECK(near > 2 * empty);  // as wide, but four observations sit there
}

TEST_CASE("unbounded dims and the multivariate kernel stay normalised") {
  ParzenDim normal{-std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::infinity(),
                   -3,
                   3,
                   0,
                   1};
  ParzenOptions options;
  options.multivariate = true;
  const ParzenEstimator p({Unit(), normal}, {{0.1, 1.0}, {0.9, -1.0}}, options);
  double integral = 0;
  const int steps = 200;
  for (int i = 0; i < steps; ++i) {
    for (int j = 0; j < steps; ++j) {
      const double x = (i + 0.5) / steps;
      const double y = -10 + 20 * (j + 0.5) / steps;
      integral += std::exp(p.LogPdf({x, y}, {x, y})) / steps * 20 / steps;
    }
  }
  CHECK(integral == Approx(1.0).epsilon(0.01));
  // The joint kernel keeps the pairing: (0.1, 1) is likelier than (0.1, -1).
  CHECK(p.LogPdf({0.1, 1.0}, {0.1, 1.0}) > p.LogPdf({0.1, -1.0}, {0.1, -1.0}));
}

TEST_CASE("the mixture follows Optuna's neighbour widths, magic clip and prior") {
  const ParzenEstimator p({Unit()}, {{0.5}, {0.5}, {0.5}, {0.1}}, ParzenOptions{});
  // Sorted [0 | 0.1 0.5 0.5 0.5 | 1]: widths 0.4 (0.1, an end: inner gap), 0.4, 0, 0 (the
  // last end: inner gap 0), clipped to >= 1 / min(100, 6); prior N(0.5, 1); equal weights.
  const std::vector<std::pair<double, double>> kernels = {
      {0.1, 0.4}, {0.5, 0.4}, {0.5, 1.0 / 6}, {0.5, 1.0 / 6}, {0.5, 1.0}};
  for (double x : {0.0, 0.05, 0.3, 0.5, 0.77, 1.0}) {
    double expected = 0;
    for (const auto& [mu, sigma] : kernels) {
      const double z = (x - mu) / sigma;
      const double truncation = NormalCdf((1 - mu) / sigma) - NormalCdf(-mu / sigma);
      expected += std::exp(-0.5 * z * z) / (sigma * std::sqrt(2 * M_PI) * truncation) / 5;
    }
    INFO("x " << x);
    CHECK(p.LogPdf({x}, {x}) == Approx(std::log(expected)).epsilon(1e-9));
  }
}

TEST_CASE("categorical probabilities sum to one and favour what was observed") {
  const std::vector<double> log_p = CategoricalLogProbs({2, 2, 1}, 4, 1.0);
  double sum = 0;
  for (double lp : log_p) sum += std::exp(lp);
  CHECK(sum == Approx(1.0));
  CHECK(log_p[2] > log_p[1]);
  CHECK(log_p[1] > log_p[0]);
  CHECK(log_p[0] == Approx(log_p[3]));
  const std::vector<double> prior_only = CategoricalLogProbs({}, 4, 1.0);
  for (double lp : prior_only) CHECK(std::exp(lp) == Approx(0.25));
}

}  // namespace
}  // namespace dlkit::algos
