#include "tuner_algos/curvefitting_assessor.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "base/status_macros.h"
#include "tuner_algos/class_args.h"

namespace dlkit::algos {
namespace {

constexpr int64_t kMaxSteps = int64_t{1} << 40;
constexpr double kInf = std::numeric_limits<double>::infinity();

// A curve family y = sum_j coef_j * basis_j(x; theta): linear in coef (solved in closed
// form), nonlinear in theta (searched over a box), so each fit is a small, deterministic
// search over at most two numbers.
struct Family {
  int theta_dims;                   // 0..2
  std::array<double, 2> low, high;  // search box for theta
  int basis_count;                  // 1..2
  // Writes the basis values at x for theta.
  void (*basis)(double x, const double* theta, double* out);
  int ParamCount() const { return theta_dims + basis_count; }
};

// pow3: c - a x^-alpha, theta = ln alpha.
void Pow3(double x, const double* theta, double* out) {
  out[0] = 1;
  out[1] = std::pow(x, -std::exp(theta[0]));
}

// exp3: c - b exp(-k x), theta = ln k.
void Exp3(double x, const double* theta, double* out) {
  out[0] = 1;
  out[1] = std::exp(-std::exp(theta[0]) * x);
}

// ilog2: c - a / ln(x + 1).
void Ilog2(double x, const double*, double* out) {
  out[0] = 1;
  out[1] = 1 / std::log(x + 1);
}

// log-power: a / (1 + (x / e^b)^c), theta = (b, c).
void LogPower(double x, const double* theta, double* out) {
  const double exponent = theta[1] * (std::log(x) - theta[0]);
  out[0] = exponent > 700 ? 0 : 1 / (1 + std::exp(exponent));
}

struct Fit {
  double sse = kInf;
  std::array<double, 2> theta = {0, 0};
  std::array<double, 2> coef = {0, 0};
};

// Least-squares coefficients for a fixed theta; sse stays infinite when degenerate.
Fit SolveLinear(const Family& family, const std::vector<double>& y,
                const std::array<double, 2>& theta) {
  Fit fit;
  fit.theta = theta;
  const int m = family.basis_count;
  double gram[2][2] = {{0, 0}, {0, 0}};
  double rhs[2] = {0, 0};
  std::vector<std::array<double, 2>> rows(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    family.basis(static_cast<double>(i + 1), theta.data(), rows[i].data());
    for (int j = 0; j < m; ++j) {
      if (!std::isfinite(rows[i][j])) return fit;
      rhs[j] += rows[i][j] * y[i];
      for (int k = 0; k < m; ++k) gram[j][k] += rows[i][j] * rows[i][k];
    }
  }
  if (m == 1) {
    if (!(gram[0][0] > 1e-300)) return fit;
    fit.coef[0] = rhs[0] / gram[0][0];
  } else {
    const double det = gram[0][0] * gram[1][1] - gram[0][1] * gram[1][0];
    // Nearly collinear bases (e.g. exp3 with k -> 0 is a line) give unusable coefficients.
    if (!(det > 1e-10 * gram[0][0] * gram[1][1])) return fit;
    fit.coef[0] = (rhs[0] * gram[1][1] - rhs[1] * gram[0][1]) / det;
    fit.coef[1] = (rhs[1] * gram[0][0] - rhs[0] * gram[1][0]) / det;
  }
  double sse = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    double predicted = 0;
    for (int j = 0; j < m; ++j) predicted += fit.coef[j] * rows[i][j];
    sse += (predicted - y[i]) * (predicted - y[i]);
  }
  if (std::isfinite(sse)) fit.sse = sse;
  return fit;
}

// A grid over theta's box, then compass search from the best grid point.
Fit FitFamily(const Family& family, const std::vector<double>& y) {
  const int dims = family.theta_dims;
  if (dims == 0) return SolveLinear(family, y, {0, 0});
  const int points = dims == 1 ? 61 : 25;
  std::array<double, 2> spacing = {0, 0};
  for (int d = 0; d < dims; ++d) spacing[d] = (family.high[d] - family.low[d]) / (points - 1);
  Fit best;
  for (int i = 0; i < points; ++i) {
    for (int j = 0; j < (dims == 2 ? points : 1); ++j) {
      const std::array<double, 2> theta = {family.low[0] + i * spacing[0],
                                           family.low[1] + j * spacing[1]};
      Fit fit = SolveLinear(family, y, theta);
      if (fit.sse < best.sse) best = fit;
    }
  }
  if (!std::isfinite(best.sse)) return best;
  std::array<double, 2> step = spacing;
  for (int iteration = 0; iteration < 400 && step[0] > 1e-7 * spacing[0]; ++iteration) {
    bool moved = false;
    for (int d = 0; d < dims; ++d) {
      for (double sign : {-1.0, 1.0}) {
        std::array<double, 2> theta = best.theta;
        theta[d] = std::clamp(theta[d] + sign * step[d], family.low[d], family.high[d]);
        Fit fit = SolveLinear(family, y, theta);
        if (fit.sse < best.sse) {
          best = fit;
          moved = true;
        }
      }
    }
    if (!moved) {
      for (int d = 0; d < dims; ++d) step[d] /= 2;
    }
  }
  return best;
}

double Evaluate(const Family& family, const Fit& fit, double x) {
  double basis[2] = {0, 0};
  family.basis(x, fit.theta.data(), basis);
  double value = 0;
  for (int j = 0; j < family.basis_count; ++j) value += fit.coef[j] * basis[j];
  return value;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Assessor>> CurvefittingAssessor::Create(
    const AlgorithmOptions& options) {
  const ClassArgs& args = options.class_args;
  DLKIT_RETURN_IF_ERROR(CheckKnownArgs(
      args, {"epoch_num", "gap", "optimize_mode", "start_step", "threshold"}, "Curvefitting"));
  if (args.count("epoch_num") == 0) {
    return absl::InvalidArgumentError(
        "Curvefitting needs classArg \"epoch_num\" (the number of intermediate results a "
        "full trial reports)");
  }
  DLKIT_ASSIGN_OR_RETURN(Direction direction, DirectionArg(args, options.direction));
  DLKIT_ASSIGN_OR_RETURN(int64_t epoch_num, IntArg(args, "epoch_num", 0, 1, kMaxSteps));
  DLKIT_ASSIGN_OR_RETURN(int64_t start_step, IntArg(args, "start_step", 6, 1, kMaxSteps));
  DLKIT_ASSIGN_OR_RETURN(double threshold, DoubleArg(args, "threshold", 0.95, 0, 1));
  DLKIT_ASSIGN_OR_RETURN(int64_t gap, IntArg(args, "gap", 1, 1, kMaxSteps));
  return std::unique_ptr<Assessor>(
      new CurvefittingAssessor(direction, epoch_num, start_step, threshold, gap));
}

std::optional<double> CurvefittingAssessor::PredictFinal(const std::vector<double>& series,
                                                         int64_t target_step) {
  const size_t n = series.size();
  if (n < 3 || target_step < 1) return std::nullopt;
  for (double y : series) {
    if (!std::isfinite(y)) return std::nullopt;
  }
  const double target = static_cast<double>(target_step);
  static const Family kFamilies[] = {
      {1, {std::log(0.01), 0}, {std::log(5.0), 0}, 2, &Pow3},
      {1, {std::log(1e-4), 0}, {std::log(5.0), 0}, 2, &Exp3},
      {0, {0, 0}, {0, 0}, 2, &Ilog2},
      {2, {std::log(0.1), -5}, {std::log(10 * target + 10), 5}, 1, &LogPower},
  };
  const auto [low, high] = std::minmax_element(series.begin(), series.end());
  const double spread = *high - *low;
  double mean_square = 0;
  for (double y : series) mean_square += y * y / static_cast<double>(n);
  // Keeps a perfect fit's log-likelihood finite.
  const double sse_floor = 1e-20 * (1 + mean_square) * static_cast<double>(n);

  std::vector<double> predictions, bics;
  for (const Family& family : kFamilies) {
    if (static_cast<size_t>(family.ParamCount()) >= n) continue;
    const Fit fit = FitFamily(family, series);
    if (!std::isfinite(fit.sse)) continue;
    const double prediction = Evaluate(family, fit, target);
    if (!std::isfinite(prediction) || std::fabs(prediction - series.back()) > 3 * spread + 1e-9) {
      continue;
    }
    const double dn = static_cast<double>(n);
    predictions.push_back(prediction);
    bics.push_back(dn * std::log(std::max(fit.sse, sse_floor) / dn) +
                   family.ParamCount() * std::log(dn));
  }
  if (predictions.empty()) return std::nullopt;
  const double best_bic = *std::min_element(bics.begin(), bics.end());
  double weighted = 0, total = 0;
  for (size_t i = 0; i < predictions.size(); ++i) {
    const double weight = std::exp(-(bics[i] - best_bic) / 2);
    weighted += weight * predictions[i];
    total += weight;
  }
  return weighted / total;
}

absl::StatusOr<AssessDecision> CurvefittingAssessor::Assess(const TrialRecord& trial,
                                                            const History& history) {
  const int64_t step = static_cast<int64_t>(trial.intermediate.size());
  // Judged at start_step, start_step + gap, ... (NNI judges when gap steps have passed since
  // the last judgment, the same thing when every result is assessed).
  if (step < start_step_ || (step - start_step_) % gap_ != 0 || step >= epoch_num_) {
    return AssessDecision::kContinue;
  }
  const bool maximize = direction_ == Direction::kMaximize;
  std::optional<double> best;
  for (const TrialRecord& other : history.trials) {
    if (other.status != TrialStatus::kSucceeded || other.trial_id == trial.trial_id) continue;
    std::optional<double> value = other.final_value;
    if (!other.intermediate.empty()) value = other.intermediate.back();
    if (!value.has_value() || !std::isfinite(*value)) continue;
    if (!best.has_value() || (maximize ? *value > *best : *value < *best)) best = value;
  }
  if (!best.has_value()) return AssessDecision::kContinue;
  const std::optional<double> prediction = PredictFinal(trial.intermediate, epoch_num_);
  if (!prediction.has_value()) return AssessDecision::kContinue;
  const double margin = (1 - threshold_) * std::fabs(*best);
  const bool worse = maximize ? *prediction <= *best - margin : *prediction >= *best + margin;
  return worse ? AssessDecision::kStop : AssessDecision::kContinue;
}

}  // namespace dlkit::algos
