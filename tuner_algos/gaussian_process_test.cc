#include "tuner_algos/gaussian_process.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

namespace dlkit::algos {
namespace {

constexpr double kPi = 3.14159265358979323846;

Eigen::MatrixXd RandomInputs(int n, int d, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  Eigen::MatrixXd x(n, d);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < d; ++j) x(i, j) = u(rng);
  }
  return x;
}

TEST_CASE("the fitted GP interpolates noise-free data, certain there and unsure away") {
  Eigen::MatrixXd x(6, 1);
  x << 0.0, 0.1, 0.2, 0.3, 0.9, 1.0;
  Eigen::VectorXd y(6);
  for (int i = 0; i < 6; ++i) y(i) = std::sin(6 * x(i, 0)) + 2 * x(i, 0);
  std::mt19937_64 rng(3);
  const GaussianProcess gp = GaussianProcess::Fit(x, y, GpFitOptions(), rng);
  Eigen::VectorXd mean, variance;
  gp.Predict(x, &mean, &variance);
  const double y_var = (y.array() - y.mean()).square().mean();
  for (int i = 0; i < 6; ++i) {
    INFO("point " << i);
    CHECK(std::fabs(mean(i) - y(i)) < 1e-2 * std::sqrt(y_var));
    CHECK(variance(i) < 1e-3 * y_var);
  }
  // Halfway along the big gap the model must admit it does not know.
  Eigen::MatrixXd far(1, 1);
  far << 0.6;
  Eigen::VectorXd far_mean, far_variance;
  gp.Predict(far, &far_mean, &far_variance);
  CHECK(far_variance(0) > 100 * variance.maxCoeff());
  CHECK(far_variance(0) > 1e-3 * y_var);
}

TEST_CASE("with given hyperparameters and tiny noise the mean passes through the data") {
  std::mt19937_64 rng(5);
  const Eigen::MatrixXd x = RandomInputs(12, 2, rng);
  Eigen::VectorXd y(12);
  for (int i = 0; i < 12; ++i) y(i) = x(i, 0) * x(i, 0) - 3 * x(i, 1);
  GpHyperparameters hyper;
  hyper.log_length_scales = Eigen::VectorXd::Constant(2, std::log(0.4));
  hyper.log_noise_variance = std::log(1e-10);
  const GaussianProcess gp = GaussianProcess::WithHyperparameters(x, y, hyper);
  Eigen::VectorXd mean, variance;
  gp.Predict(x, &mean, &variance);
  CHECK((mean - y).cwiseAbs().maxCoeff() < 1e-4);
  CHECK(variance.maxCoeff() < 1e-6);
}

TEST_CASE("the log marginal likelihood gradient matches finite differences") {
  std::mt19937_64 rng(7);
  const Eigen::MatrixXd x = RandomInputs(15, 3, rng);
  Eigen::VectorXd y(15);
  for (int i = 0; i < 15; ++i) y(i) = std::cos(4 * x(i, 0)) + x(i, 2);
  y = (y.array() - y.mean()).matrix();
  GpHyperparameters hyper;
  hyper.log_length_scales = Eigen::Vector3d(std::log(0.2), std::log(0.7), std::log(1.5));
  hyper.log_signal_variance = std::log(1.3);
  hyper.log_noise_variance = std::log(0.05);
  Eigen::VectorXd grad;
  GaussianProcess::LogMarginalLikelihood(x, y, hyper, &grad);
  REQUIRE(grad.size() == 5);
  const double h = 1e-5;
  for (int k = 0; k < 5; ++k) {
    GpHyperparameters plus = hyper, minus = hyper;
    auto bump = [k](GpHyperparameters& g, double delta) {
      if (k < 3) g.log_length_scales(k) += delta;
      if (k == 3) g.log_signal_variance += delta;
      if (k == 4) g.log_noise_variance += delta;
    };
    bump(plus, h);
    bump(minus, -h);
    const double numeric = (GaussianProcess::LogMarginalLikelihood(x, y, plus, nullptr) -
                            GaussianProcess::LogMarginalLikelihood(x, y, minus, nullptr)) /
                           (2 * h);
    INFO("parameter " << k);
    CHECK(grad(k) == Approx(numeric).epsilon(1e-4).margin(1e-6));
  }
}

TEST_CASE("the inverse from a Cholesky factor is K's inverse, whatever lies above the factor") {
  std::mt19937_64 rng(11);
  // Sizes below, at and across the direct block, and an odd split (137 = 68 + 69).
  for (int n : {1, 5, 16, 17, 40, 137}) {
    INFO("n " << n);
    const Eigen::MatrixXd a = RandomInputs(n, n, rng);
    Eigen::MatrixXd k = a * a.transpose();
    k.diagonal().array() += 0.1;
    Eigen::MatrixXd l = k.llt().matrixL();
    l.triangularView<Eigen::StrictlyUpper>().setConstant(7);  // must not be read
    Eigen::MatrixXd inverse;
    InverseFromCholesky(l, &inverse);
    CHECK((inverse * k - Eigen::MatrixXd::Identity(n, n)).cwiseAbs().maxCoeff() < 1e-8);
    CHECK((inverse - inverse.transpose()).cwiseAbs().maxCoeff() == 0);
  }
}

TEST_CASE("log EI above a bar scores as Predict does, and drops only what cannot clear it") {
  std::mt19937_64 rng(13);
  const Eigen::MatrixXd x = RandomInputs(240, 3, rng);
  Eigen::VectorXd y(240);
  for (int i = 0; i < 240; ++i)
    y(i) = -std::pow(x(i, 0) - 0.3, 2) - std::sin(3 * x(i, 1)) + x(i, 2);
  GpHyperparameters hyper;
  hyper.log_length_scales = Eigen::VectorXd::Constant(3, std::log(0.3));
  hyper.log_noise_variance = std::log(1e-4);
  const GaussianProcess gp = GaussianProcess::WithHyperparameters(x, y, hyper);
  const Eigen::MatrixXd points = RandomInputs(600, 3, rng);
  const double best = y.maxCoeff();
  Eigen::VectorXd mean, variance;
  gp.Predict(points, &mean, &variance);
  std::vector<double> full(600);
  for (int i = 0; i < 600; ++i)
    full[i] = LogExpectedImprovement(mean(i), std::sqrt(variance(i)), best);
  const auto same = [](double a, double b) { return a == Approx(b).epsilon(1e-9).margin(1e-9); };

  const std::vector<double> all = gp.LogEiAbove(points, best, {}, 0);
  for (int i = 0; i < 600; ++i) CHECK(same(all[i], full[i]));

  // The top 10 are scored and in their place; the others dropped only when below the 10th.
  const std::vector<double> top = gp.LogEiAbove(points, best, {}, 10);
  std::vector<double> sorted = full;
  std::sort(sorted.rbegin(), sorted.rend());
  int dropped = 0;
  for (int i = 0; i < 600; ++i) {
    INFO("point " << i << " full " << full[i]);
    if (std::isinf(top[i]) && full[i] > -1e300) {
      ++dropped;
      CHECK(full[i] < sorted[9]);
    } else {
      CHECK(same(top[i], full[i]));
    }
  }
  CHECK(dropped > 500);  // the bounds do their work: most of the points need no full solve

  // Per-point bars: a point is dropped only when its log EI is below its own bar.
  std::vector<double> bars(600);
  for (int i = 0; i < 600; ++i) bars[i] = i % 2 == 0 ? sorted[30] : -1e300;
  const std::vector<double> barred = gp.LogEiAbove(points, best, bars, 0);
  dropped = 0;
  for (int i = 0; i < 600; ++i) {
    INFO("point " << i);
    if (std::isinf(barred[i])) {
      ++dropped;
      CHECK(full[i] < bars[i]);
    } else {
      CHECK(same(barred[i], full[i]));
    }
  }
  CHECK(dropped > 100);
}

TEST_CASE("fitting finds a shorter length scale along the dimension that matters") {
  std::mt19937_64 rng(11);
  const Eigen::MatrixXd x = RandomInputs(40, 2, rng);
  Eigen::VectorXd y(40);
  for (int i = 0; i < 40; ++i) y(i) = std::sin(8 * x(i, 0)) + 0.05 * x(i, 1);
  const GaussianProcess gp = GaussianProcess::Fit(x, y, GpFitOptions(), rng);
  const Eigen::VectorXd& l = gp.hyperparameters().log_length_scales;
  CHECK(l(0) + std::log(3.0) < l(1));
  // And it predicts unseen points well.
  const Eigen::MatrixXd test = RandomInputs(20, 2, rng);
  Eigen::VectorXd mean, variance;
  gp.Predict(test, &mean, &variance);
  for (int i = 0; i < 20; ++i) {
    CHECK(std::fabs(mean(i) - (std::sin(8 * test(i, 0)) + 0.05 * test(i, 1))) < 0.1);
  }
}

// EI computed the textbook way.
double DirectEi(double mean, double sd, double best) {
  const double z = (mean - best) / sd;
  const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
  const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2 * kPi);
  return sd * (z * cdf + pdf);
}

TEST_CASE("log EI equals log of EI where EI is representable") {
  for (double sd : {0.01, 1.0, 30.0}) {
    for (double z = -12; z <= 6; z += 0.37) {
      const double best = 1.5;
      const double mean = best + z * sd;
      INFO("sd " << sd << " z " << z);
      const double direct = std::log(DirectEi(mean, sd, best));
      // The direct formula loses ~z^2 relative precision to cancellation in the far tail.
      CHECK(LogExpectedImprovement(mean, sd, best) == Approx(direct).epsilon(1e-9).margin(1e-9));
    }
  }
}

TEST_CASE("log EI stays finite, smooth and ordered where EI underflows") {
  const double sd = 2.0;
  for (double z : {-40.0, -100.0, -1e4}) {
    INFO("z " << z);
    CHECK(DirectEi(z * sd, sd, 0) == 0);
    const double log_ei = LogExpectedImprovement(z * sd, sd, 0);
    REQUIRE(std::isfinite(log_ei));
    // Leading asymptotics: log phi(z) - 2 log|z| + log sd.
    const double asymptotic =
        -0.5 * z * z - 0.5 * std::log(2 * kPi) - 2 * std::log(-z) + std::log(sd);
    CHECK(log_ei == Approx(asymptotic).epsilon(1e-3));
  }
  // Continuous across the switch to the tail series and increasing in the mean.
  CHECK(LogExpectedImprovement(-8.0001, 1, 0) ==
        Approx(LogExpectedImprovement(-7.9999, 1, 0)).epsilon(1e-3));
  double previous = -std::numeric_limits<double>::infinity();
  for (double z = -60; z < 5; z += 0.5) {
    const double v = LogExpectedImprovement(z, 1, 0);
    CHECK(v > previous);
    previous = v;
  }
  // No uncertainty: the plain improvement, or -inf when there is none.
  CHECK(LogExpectedImprovement(3, 0, 1) == Approx(std::log(2.0)));
  CHECK(std::isinf(LogExpectedImprovement(0, 0, 1)));
}

}  // namespace
}  // namespace dlkit::algos
