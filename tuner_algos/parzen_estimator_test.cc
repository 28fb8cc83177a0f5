#include "tuner_algos/parzen_estimator.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <utility>
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

// log of sum_k w_k * f_k(x) for kernels (mu, sigma) truncated to [low, high], with
// f_k the density, times sigma when `sigma_scaled` (Optuna 3.1's TPE score).
double Mixture(const std::vector<std::pair<double, double>>& kernels,
               const std::vector<double>& weights, double low, double high, double x,
               bool sigma_scaled) {
  double total = 0;
  for (double w : weights) total += w;
  double sum = 0;
  for (size_t k = 0; k < kernels.size(); ++k) {
    const auto& [mu, sigma] = kernels[k];
    const double z = (x - mu) / sigma;
    const double truncation = NormalCdf((high - mu) / sigma) - NormalCdf((low - mu) / sigma);
    const double density = std::exp(-0.5 * z * z) / (sigma * std::sqrt(2 * M_PI) * truncation);
    sum += weights[k] / total * density * (sigma_scaled ? sigma : 1.0);
  }
  return std::log(sum);
}

TEST_CASE("the prior's centre is a neighbour in the width rule, as in Optuna 3.1") {
  const ParzenEstimator p({Unit()}, {{0.1}, {0.45}, {0.9}}, ParzenOptions{});
  // Sorted with the prior: [0 | 0.1 0.45 (0.5) 0.9 | 1]. Ends use their inner gap: 0.1 gets
  // 0.35, 0.9 gets 0.4; 0.45 gets max(0.35, 0.05) = 0.35 (without the prior it would be
  // 0.45). Magic clip floor 1 / min(100, 5) = 0.2.
  const std::vector<std::pair<double, double>> kernels = {
      {0.1, 0.35}, {0.45, 0.35}, {0.9, 0.4}, {0.5, 1.0}};
  for (double x : {0.0, 0.3, 0.45, 0.6, 1.0}) {
    INFO("x " << x);
    CHECK(p.LogPdf({x}, {x}) ==
          Approx(Mixture(kernels, {1, 1, 1, 1}, 0, 1, x, false)).epsilon(1e-9));
  }
}

TEST_CASE("LogScores weights each kernel's density by its width, as Optuna 3.1 scores") {
  const ParzenEstimator p({Unit()}, {{0.1}, {0.45}, {0.9}}, ParzenOptions{});
  const std::vector<std::pair<double, double>> kernels = {
      {0.1, 0.35}, {0.45, 0.35}, {0.9, 0.4}, {0.5, 1.0}};
  const std::vector<double> xs = {0.0, 0.3, 0.45, 0.6, 1.0};
  std::vector<double> scores(xs.size());
  p.LogScores(xs.data(), xs.data(), xs.size(), scores.data());
  for (size_t i = 0; i < xs.size(); ++i) {
    INFO("x " << xs[i]);
    CHECK(scores[i] == Approx(Mixture(kernels, {1, 1, 1, 1}, 0, 1, xs[i], true)).epsilon(1e-9));
    // Not the density: the prior (sigma 1) gains against the narrow kernels.
    CHECK(std::fabs(scores[i] - p.LogPdf({xs[i]}, {xs[i]})) > 0.1);
  }
  // A bin scores its plain probability mass, like LogPdf.
  const double lo = 0.25;
  const double hi = 0.5;
  double bin = 0;
  p.LogScores(&lo, &hi, 1, &bin);
  CHECK(bin == Approx(p.LogPdf({lo}, {hi})).epsilon(1e-12));
  // Outside the bounds: impossible.
  const double out = 1.5;
  p.LogScores(&out, &out, 1, &bin);
  CHECK(bin == -std::numeric_limits<double>::infinity());
}

TEST_CASE("many observations (radix-sorted, negative, repeated) get Optuna's widths") {
  // 300 observations on [-2, 3], a quarter of them repeats; weights ramp for the oldest.
  const ParzenDim dim{-2, 3, -2, 3, 0.5, 5};
  std::mt19937_64 rng(5);
  std::vector<std::vector<double>> observations;
  std::vector<double> values;
  for (int i = 0; i < 300; ++i) {
    double x = std::uniform_real_distribution<double>(-2, 3)(rng);
    if (i % 4 == 3) x = values[i / 2];
    if (i == 17) x = -0.0;
    values.push_back(x);
    observations.push_back({x});
  }
  const ParzenEstimator p({dim}, observations, ParzenOptions{});
  // Reference: widths from the sorted centres (prior included), ends use the inner gap,
  // clipped to [5 / min(100, 302), 5]; the prior keeps width 5.
  std::vector<double> mus = values;
  mus.push_back(0.5);
  std::vector<size_t> order(mus.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return mus[a] < mus[b]; });
  std::vector<double> sigmas(mus.size());
  for (size_t j = 0; j < order.size(); ++j) {
    const double left = mus[order[j]] - (j == 0 ? -2.0 : mus[order[j - 1]]);
    const double right = (j + 1 == order.size() ? 3.0 : mus[order[j + 1]]) - mus[order[j]];
    double gap = j == 0 ? right : (j + 1 == order.size() ? left : std::max(left, right));
    sigmas[order[j]] = std::clamp(gap, 5.0 / 100, 5.0);
  }
  sigmas.back() = 5;
  std::vector<std::pair<double, double>> kernels;
  for (size_t k = 0; k < mus.size(); ++k) kernels.emplace_back(mus[k], sigmas[k]);
  std::vector<double> weights = DefaultWeights(300);
  weights.push_back(1.0);
  REQUIRE(p.num_kernels() < kernels.size());  // repeats with equal widths merged
  REQUIRE(p.num_kernels() > 64);              // scores visit only nearby kernels
  for (double x : {-2.0, -1.234, 0.0, 0.5, 2.2, 3.0}) {
    INFO("x " << x);
    CHECK(p.LogPdf({x}, {x}) == Approx(Mixture(kernels, weights, -2, 3, x, false)).epsilon(1e-9));
  }
  // Scores: every point of a fine grid, near and between observations, as the full sum.
  std::vector<double> xs;
  for (int i = 0; i <= 1000; ++i) xs.push_back(-2 + 5.0 * i / 1000);
  std::vector<double> scores(xs.size());
  p.LogScores(xs.data(), xs.data(), xs.size(), scores.data());
  for (size_t i = 0; i < xs.size(); ++i) {
    INFO("x " << xs[i]);
    REQUIRE(scores[i] == Approx(Mixture(kernels, weights, -2, 3, xs[i], true)).epsilon(1e-9));
  }
}

TEST_CASE("scores far from a dense cluster still see its tail and the prior") {
  // 200 observations packed in [0.40, 0.41] of [0, 1]: narrow kernels (width 0.01), and
  // points far from all of them, where only the prior and the cluster's ends matter.
  std::vector<std::vector<double>> observations;
  for (int i = 0; i < 200; ++i) observations.push_back({0.40 + 0.01 * i / 199});
  const ParzenEstimator p({Unit()}, observations, ParzenOptions{});
  REQUIRE(p.num_kernels() > 64);
  std::vector<double> mus, sigmas;
  for (const auto& o : observations) mus.push_back(o[0]);
  mus.push_back(0.5);
  std::vector<double> weights = DefaultWeights(200);
  weights.push_back(1.0);
  // Widths: gaps of 0.01 / 199 and the prior's 0.09 gap, all under the floor 1 / 100,
  // but the cluster's first kernel (its inner gap) and the last one before the prior.
  std::vector<std::pair<double, double>> kernels;
  for (size_t k = 0; k < 200; ++k) {
    const double gap = k == 199 ? 0.09 : 0.01 / 199;
    kernels.emplace_back(mus[k], std::clamp(gap, 0.01, 1.0));
  }
  kernels.emplace_back(0.5, 1.0);
  for (double x : {0.0, 0.1, 0.3, 0.395, 0.405, 0.45, 0.5, 0.7, 1.0}) {
    INFO("x " << x);
    double score = 0;
    p.LogScores(&x, &x, 1, &score);
    CHECK(score == Approx(Mixture(kernels, weights, 0, 1, x, true)).epsilon(1e-9));
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
