#include "tuner_algos/gaussian_process.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "tuner_algos/parallel.h"

namespace dlkit::algos {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kSqrt5 = 2.23606797749978969640;
constexpr double kLog2Pi = 1.83787706640934548356;
// Box on the log-parameters (inputs live in [0, 1], targets are standardised).
constexpr double kMinLogLength = -4.6;  // 0.01
constexpr double kMaxLogLength = 3.0;   // 20
constexpr double kMinLogSignal = -4.6;
constexpr double kMaxLogSignal = 4.6;
constexpr double kMaxLogNoise = 0.0;

Eigen::MatrixXd Scaled(const Eigen::MatrixXd& x, const GpHyperparameters& hyper) {
  const Eigen::RowVectorXd inv = (-hyper.log_length_scales.array()).exp().matrix().transpose();
  return x.array().rowwise() * inv.array();
}

// Matérn 5/2 at distance r, without the signal variance.
double Matern(double r) { return (1 + kSqrt5 * r + 5.0 / 3.0 * r * r) * std::exp(-kSqrt5 * r); }

// Covariance between rows of scaled inputs a (m x d) and b (n x d), signal variance applied.
Eigen::MatrixXd Cross(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, double signal) {
  // |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, the cross term as one matrix product.
  Eigen::MatrixXd k = -2 * a * b.transpose();
  k.colwise() += a.rowwise().squaredNorm();
  k.rowwise() += b.rowwise().squaredNorm().transpose();
  return k.unaryExpr([signal](double d2) { return signal * Matern(std::sqrt(std::max(d2, 0.0))); });
}

// Cholesky of `k`, adding growing jitter to the diagonal when it is not numerically PD.
bool Cholesky(const Eigen::MatrixXd& k, double scale, Eigen::LLT<Eigen::MatrixXd>* llt) {
  llt->compute(k);
  if (llt->info() == Eigen::Success) return true;
  Eigen::MatrixXd jittered = k;
  double jitter = 1e-10 * scale;
  for (int attempt = 1; attempt < 8; ++attempt) {
    jittered.diagonal().array() += jitter;
    llt->compute(jittered);
    if (llt->info() == Eigen::Success) return true;
    jitter *= 10;
  }
  return false;
}

Eigen::VectorXd Pack(const GpHyperparameters& h) {
  const Eigen::Index d = h.log_length_scales.size();
  Eigen::VectorXd theta(d + 2);
  theta.head(d) = h.log_length_scales;
  theta(d) = h.log_signal_variance;
  theta(d + 1) = h.log_noise_variance;
  return theta;
}

GpHyperparameters Unpack(const Eigen::VectorXd& theta) {
  const Eigen::Index d = theta.size() - 2;
  GpHyperparameters h;
  h.log_length_scales = theta.head(d);
  h.log_signal_variance = theta(d);
  h.log_noise_variance = theta(d + 1);
  return h;
}

void ClampTheta(Eigen::VectorXd* theta, double min_log_noise) {
  const Eigen::Index d = theta->size() - 2;
  for (Eigen::Index j = 0; j < d; ++j) {
    (*theta)(j) = std::clamp((*theta)(j), kMinLogLength, kMaxLogLength);
  }
  (*theta)(d) = std::clamp((*theta)(d), kMinLogSignal, kMaxLogSignal);
  (*theta)(d + 1) = std::clamp((*theta)(d + 1), min_log_noise, kMaxLogNoise);
}

void Standardise(const Eigen::VectorXd& y, double* mean, double* scale) {
  *mean = y.mean();
  const double var = (y.array() - *mean).square().mean();
  *scale = var > 1e-24 ? std::sqrt(var) : 1.0;
}

// sum_{k>=1} (-1)^(k+1) (2k-1)!! / t^(2k): the asymptotic series of 1 - t R(t), R the Mills
// ratio, accurate to double precision for t >= 8.
double TailSeries(double t) {
  const double inv_t2 = 1 / (t * t);
  double term = inv_t2;
  double sum = 0;
  for (int k = 1; k < 60; ++k) {
    sum += (k % 2 == 1 ? term : -term);
    const double next = term * (2 * k + 1) * inv_t2;
    if (next >= term || next < 1e-18 * sum) break;
    term = next;
  }
  return sum;
}

}  // namespace

double LogExpectedImprovement(double mean, double stddev, double best) {
  if (!(stddev > 0)) return mean > best ? std::log(mean - best) : -kInf;
  const double z = (mean - best) / stddev;
  double log_h;  // log(z Phi(z) + phi(z))
  if (z > -8) {
    const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
    const double pdf = std::exp(-0.5 * z * z - 0.5 * kLog2Pi);
    log_h = std::log(z * cdf + pdf);
  } else {
    // z Phi(z) + phi(z) = phi(z) (1 - t R(t)) with t = -z; the bracket by its series.
    log_h = -0.5 * z * z - 0.5 * kLog2Pi + std::log(TailSeries(-z));
  }
  return std::log(stddev) + log_h;
}

namespace {

constexpr Eigen::Index kDirectBlock = 16;  // below this the recursions below loop directly

// Replaces the lower triangle of `l` (a lower-triangular matrix) by its inverse, by halves:
// inv([A 0; B C]) = [inv(A) 0; -inv(C) B inv(A)  inv(C)]. n^3 / 3 multiply-adds, a third of
// solving against the identity, which does not know the answer is triangular.
void InvertLower(Eigen::Ref<Eigen::MatrixXd> l) {
  const Eigen::Index n = l.rows();
  if (n <= kDirectBlock) {
    for (Eigen::Index j = 0; j < n; ++j) {  // column j of the inverse, by forward substitution
      l(j, j) = 1 / l(j, j);
      for (Eigen::Index i = j + 1; i < n; ++i) {
        double sum = 0;
        for (Eigen::Index k = j; k < i; ++k) sum += l(i, k) * l(k, j);
        l(i, j) = -sum / l(i, i);
      }
    }
    return;
  }
  const Eigen::Index h = n / 2;
  InvertLower(l.topLeftCorner(h, h));
  InvertLower(l.bottomRightCorner(n - h, n - h));
  const Eigen::MatrixXd b_ainv =
      l.bottomLeftCorner(n - h, h) * l.topLeftCorner(h, h).triangularView<Eigen::Lower>();
  l.bottomLeftCorner(n - h, h).noalias() =
      -(l.bottomRightCorner(n - h, n - h).triangularView<Eigen::Lower>() * b_ainv);
}

// Replaces the lower triangle of `m` (a lower-triangular M) by that of M^T M, by halves:
// with M = [A 0; B C], M^T M = [A^T A + B^T B, B^T C; C^T B, C^T C].
void LowerTransposeTimesLower(Eigen::Ref<Eigen::MatrixXd> m) {
  const Eigen::Index n = m.rows();
  if (n <= kDirectBlock) {
    for (Eigen::Index j = 0; j < n; ++j) {
      for (Eigen::Index i = j; i < n; ++i) {  // (M^T M)(i, j) = sum over k >= i of m(k, i) m(k, j)
        double sum = 0;
        for (Eigen::Index k = i; k < n; ++k) sum += m(k, i) * m(k, j);
        m(i, j) = sum;
      }
    }
    return;
  }
  const Eigen::Index h = n / 2;
  const Eigen::MatrixXd b = m.bottomLeftCorner(n - h, h);
  LowerTransposeTimesLower(m.topLeftCorner(h, h));
  m.topLeftCorner(h, h).selfadjointView<Eigen::Lower>().rankUpdate(b.transpose());
  m.bottomLeftCorner(n - h, h).noalias() =
      m.bottomRightCorner(n - h, n - h).triangularView<Eigen::Lower>().transpose() * b;
  LowerTransposeTimesLower(m.bottomRightCorner(n - h, n - h));
}

}  // namespace

void InverseFromCholesky(const Eigen::MatrixXd& l, Eigen::MatrixXd* inverse) {
  *inverse = l;
  InvertLower(*inverse);
  LowerTransposeTimesLower(*inverse);
  inverse->triangularView<Eigen::StrictlyUpper>() = inverse->transpose();
}

namespace {

// The squared input differences of every pair i > j, per dimension, in the column-major
// order of a matrix's strict lower triangle: what every likelihood evaluation of a fit
// reads, computed once. The kernel matrix is symmetric with a fixed diagonal, so the pairs
// below the diagonal are all there is to compute.
struct PairDifferences {
  Eigen::Index n = 0;
  Eigen::Index d = 0;
  std::vector<double> squared;  // pair p's dimension c at p * d + c
};

PairDifferences SquaredDifferences(const Eigen::MatrixXd& x) {
  PairDifferences pairs;
  pairs.n = x.rows();
  pairs.d = x.cols();
  pairs.squared.reserve(static_cast<size_t>(pairs.n * (pairs.n - 1) / 2 * pairs.d));
  for (Eigen::Index j = 0; j < pairs.n; ++j) {
    for (Eigen::Index i = j + 1; i < pairs.n; ++i) {
      for (Eigen::Index c = 0; c < pairs.d; ++c) {
        const double diff = x(i, c) - x(j, c);
        pairs.squared.push_back(diff * diff);
      }
    }
  }
  return pairs;
}

// The n x n matrices of one likelihood evaluation, kept across the evaluations of a fit:
// allocating them anew each time costs more than the arithmetic, in page faults.
struct LmlScratch {
  Eigen::MatrixXd k;
  Eigen::MatrixXd k_inv;
  Eigen::LLT<Eigen::MatrixXd> llt;
  std::vector<double> slope;
};

double Lml(const PairDifferences& pairs, const Eigen::VectorXd& y_std,
           const GpHyperparameters& hyper, Eigen::VectorXd* gradient, LmlScratch* scratch) {
  const Eigen::Index n = pairs.n;
  const Eigen::Index d = pairs.d;
  const double signal = std::exp(hyper.log_signal_variance);
  const double noise = std::exp(hyper.log_noise_variance);
  const Eigen::VectorXd inv_l2 = (-2 * hyper.log_length_scales.array()).exp();
  // The lower triangle of K, and per pair (1 + sqrt5 r) exp(-sqrt5 r) for the gradient.
  Eigen::MatrixXd& k = scratch->k;
  k.setZero(n, n);
  std::vector<double>& slope = scratch->slope;
  slope.resize(static_cast<size_t>(n * (n - 1) / 2));
  const double* d2 = pairs.squared.data();
  size_t p = 0;
  for (Eigen::Index j = 0; j < n; ++j) {
    k(j, j) = signal + noise;
    for (Eigen::Index i = j + 1; i < n; ++i, ++p, d2 += d) {
      double r2 = 0;
      for (Eigen::Index c = 0; c < d; ++c) r2 += inv_l2(c) * d2[c];
      const double r = std::sqrt(r2);
      const double decay = std::exp(-kSqrt5 * r);
      slope[p] = (1 + kSqrt5 * r) * decay;
      k(i, j) = signal * (slope[p] + 5.0 / 3.0 * r2 * decay);
    }
  }
  Eigen::LLT<Eigen::MatrixXd>& llt = scratch->llt;
  if (!Cholesky(k, signal, &llt)) return -kInf;
  const Eigen::VectorXd alpha = llt.solve(y_std);
  const Eigen::MatrixXd& l = llt.matrixLLT();  // L in its lower triangle
  const double lml = -0.5 * y_std.dot(alpha) - l.diagonal().array().log().sum() -
                     0.5 * static_cast<double>(n) * kLog2Pi;
  if (gradient == nullptr) return lml;
  // dL/dtheta = 0.5 tr(W dK/dtheta) with W = alpha alpha^T - K^-1, both symmetric: the
  // diagonal once plus the pairs below it twice.
  Eigen::MatrixXd& k_inv = scratch->k_inv;
  InverseFromCholesky(l, &k_inv);
  gradient->setZero(d + 2);
  double diagonal = 0;  // tr(W)
  double off_signal = 0;
  d2 = pairs.squared.data();
  p = 0;
  for (Eigen::Index j = 0; j < n; ++j) {
    diagonal += alpha(j) * alpha(j) - k_inv(j, j);
    for (Eigen::Index i = j + 1; i < n; ++i, ++p, d2 += d) {
      const double w = alpha(i) * alpha(j) - k_inv(i, j);
      off_signal += w * k(i, j);
      const double w_slope = w * slope[p];
      for (Eigen::Index c = 0; c < d; ++c) (*gradient)(c) += w_slope * d2[c];
    }
  }
  // d k / d log l_c = signal 5/3 (1 + sqrt5 r) exp(-sqrt5 r) (dx_c / l_c)^2, zero on the
  // diagonal; d k / d log signal = k without noise; d k / d log noise = noise I.
  for (Eigen::Index c = 0; c < d; ++c) (*gradient)(c) *= signal * 5.0 / 3.0 * inv_l2(c);
  (*gradient)(d) = off_signal + 0.5 * signal * diagonal;
  (*gradient)(d + 1) = 0.5 * noise * diagonal;
  return lml;
}

}  // namespace

double GaussianProcess::LogMarginalLikelihood(const Eigen::MatrixXd& x,
                                              const Eigen::VectorXd& y_std,
                                              const GpHyperparameters& hyper,
                                              Eigen::VectorXd* gradient) {
  LmlScratch scratch;
  return Lml(SquaredDifferences(x), y_std, hyper, gradient, &scratch);
}

GaussianProcess GaussianProcess::Fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                     const GpFitOptions& options, std::mt19937_64& rng) {
  const Eigen::Index n = x.rows();
  const Eigen::Index d = x.cols();
  double mean, scale;
  Standardise(y, &mean, &scale);
  // A random subset keeps fitting cheap with many trials; the final model uses all points.
  Eigen::MatrixXd fx = x;
  Eigen::VectorXd fy = (y.array() - mean) / scale;
  if (n > options.max_fit_points) {
    std::vector<Eigen::Index> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    order.resize(options.max_fit_points);
    fx = x(order, Eigen::all);
    fy = (y(order).array() - mean) / scale;
  }
  const PairDifferences d2 = SquaredDifferences(fx);
  const double min_log_noise = std::log(options.min_noise_variance);
  std::vector<Eigen::VectorXd> starts;
  GpHyperparameters start;
  start.log_length_scales = Eigen::VectorXd::Constant(d, std::log(0.3));
  start.log_noise_variance = std::log(1e-3);
  starts.push_back(Pack(start));
  std::uniform_real_distribution<double> u(0, 1);
  for (int s = 0; s < options.restarts; ++s) {
    Eigen::VectorXd theta(d + 2);
    for (Eigen::Index j = 0; j < d; ++j) theta(j) = std::log(0.05) + u(rng) * std::log(40.0);
    theta(d) = std::log(0.3) + u(rng) * std::log(10.0);
    theta(d + 1) = std::log(1e-5) + u(rng) * std::log(1e4);
    starts.push_back(theta);
  }
  // Each start climbs on its own thread; the best point of each is kept (the first of
  // equals), then the best of those in start order: the sequential loop's choice.
  std::vector<Eigen::VectorXd> best_of(starts.size());
  std::vector<double> best_lml_of(starts.size(), -kInf);
  ParallelFor(starts.size(), [&](size_t s) {
    Eigen::VectorXd theta = starts[s];
    ClampTheta(&theta, min_log_noise);
    Eigen::VectorXd m = Eigen::VectorXd::Zero(d + 2), v = Eigen::VectorXd::Zero(d + 2);
    Eigen::VectorXd grad;
    LmlScratch scratch;
    constexpr double kBeta1 = 0.9, kBeta2 = 0.999;
    for (int t = 1; t <= options.iterations; ++t) {
      const double lml = Lml(d2, fy, Unpack(theta), &grad, &scratch);
      if (!std::isfinite(lml)) break;
      if (lml > best_lml_of[s]) {
        best_lml_of[s] = lml;
        best_of[s] = theta;
      }
      m = kBeta1 * m + (1 - kBeta1) * grad;
      v = kBeta2 * v + (1 - kBeta2) * grad.cwiseProduct(grad);
      const Eigen::VectorXd m_hat = m / (1 - std::pow(kBeta1, t));
      const Eigen::VectorXd v_hat = v / (1 - std::pow(kBeta2, t));
      theta += options.learning_rate *
               m_hat.cwiseQuotient((v_hat.array().sqrt() + 1e-8).matrix());  // ascent
      ClampTheta(&theta, min_log_noise);
    }
  });
  Eigen::VectorXd best = starts[0];
  double best_lml = -kInf;
  for (size_t s = 0; s < starts.size(); ++s) {
    if (best_lml_of[s] > best_lml) {
      best_lml = best_lml_of[s];
      best = best_of[s];
    }
  }
  GaussianProcess gp;
  gp.hyper_ = Unpack(best);
  gp.Condition(x, y);
  return gp;
}

GaussianProcess GaussianProcess::WithHyperparameters(const Eigen::MatrixXd& x,
                                                     const Eigen::VectorXd& y,
                                                     const GpHyperparameters& hyper) {
  GaussianProcess gp;
  gp.hyper_ = hyper;
  gp.Condition(x, y);
  return gp;
}

void GaussianProcess::Condition(const Eigen::MatrixXd& x_in, const Eigen::VectorXd& y_in) {
  // The points are kept best first: LogEiAbove's bounds condition on the first ones, and
  // the points where EI is high are mostly near the best.
  std::vector<Eigen::Index> order(static_cast<size_t>(y_in.size()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return y_in(a) > y_in(b); });
  const Eigen::MatrixXd x = x_in(order, Eigen::all);
  const Eigen::VectorXd y = y_in(order);
  Standardise(y, &y_mean_, &y_scale_);
  x_ = Scaled(x, hyper_);
  const double signal = std::exp(hyper_.log_signal_variance);
  Eigen::MatrixXd k = Cross(x_, x_, signal);
  k.diagonal().array() += std::exp(hyper_.log_noise_variance);
  Eigen::LLT<Eigen::MatrixXd> llt;
  if (!Cholesky(k, signal, &llt)) {
    // Hopelessly ill-conditioned: fall back to a heavily regularised model.
    k.diagonal().array() += 1e-2 * signal;
    llt.compute(k);
  }
  chol_ = llt.matrixL();
  alpha_ = llt.solve(((y.array() - y_mean_) / y_scale_).matrix());
}

void GaussianProcess::Predict(const Eigen::MatrixXd& points, Eigen::VectorXd* mean,
                              Eigen::VectorXd* variance) const {
  const double signal = std::exp(hyper_.log_signal_variance);
  const Eigen::MatrixXd ks = Cross(Scaled(points, hyper_), x_, signal);  // m x n
  *mean = ((ks * alpha_).array() * y_scale_ + y_mean_).matrix();
  Eigen::MatrixXd v = ks.transpose();
  chol_.triangularView<Eigen::Lower>().solveInPlace(v);
  *variance =
      ((signal - v.colwise().squaredNorm().transpose().array()).max(0.0) * y_scale_ * y_scale_)
          .matrix();
}

std::vector<double> GaussianProcess::LogEiAbove(const Eigen::MatrixXd& points, double best,
                                                const std::vector<double>& bars,
                                                size_t top_k) const {
  const Eigen::Index n = x_.rows();
  const auto m = static_cast<size_t>(points.rows());
  const double signal = std::exp(hyper_.log_signal_variance);
  // Column i: point i's covariances with the training points, then L^-1 of them row by row.
  Eigen::MatrixXd v = Cross(x_, Scaled(points, hyper_), signal);
  const Eigen::VectorXd mean = ((v.transpose() * alpha_).array() * y_scale_ + y_mean_).matrix();
  Eigen::VectorXd solved_norm = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(m));
  const auto score = [&](size_t i) {
    const double variance = std::max(signal - solved_norm(i), 0.0) * y_scale_ * y_scale_;
    const double s = LogExpectedImprovement(mean(i), std::sqrt(variance), best);
    return std::isnan(s) ? -kInf : s;
  };
  // Rows [from, to) of L v = k for the given columns of `v`, rows [0, from) being solved.
  const auto solve_rows = [&](Eigen::Index from, Eigen::Index to, Eigen::MatrixXd& columns,
                              const std::vector<size_t>& ids) {
    auto rows = columns.middleRows(from, to - from);
    if (from > 0) rows.noalias() -= chol_.block(from, 0, to - from, from) * columns.topRows(from);
    chol_.block(from, from, to - from, to - from).triangularView<Eigen::Lower>().solveInPlace(rows);
    for (size_t c = 0; c < ids.size(); ++c) {
      solved_norm(static_cast<Eigen::Index>(ids[c])) +=
          rows.col(static_cast<Eigen::Index>(c)).squaredNorm();
    }
  };

  std::vector<double> scores(m, -kInf);
  std::vector<double> exact;    // the scores finished so far, for the top_k bar
  std::vector<size_t> live(m);  // the points still in the race: v's columns, in order
  std::iota(live.begin(), live.end(), 0);
  double top_bar = -kInf;
  Eigen::Index done = 0;
  for (const Eigen::Index t : {n / 8, n / 4, n / 2, n}) {
    if (t <= done) continue;
    solve_rows(done, t, v, live);
    done = t;
    if (t == n) break;
    std::vector<double> bound(live.size());  // log EI given the first t training points
    for (size_t c = 0; c < live.size(); ++c) bound[c] = score(live[c]);
    std::vector<bool> finished(live.size(), false);
    if (top_k > 0) {
      // Finish the top_k points by bound: their scores raise the bar for the others.
      std::vector<size_t> by_bound(live.size());
      std::iota(by_bound.begin(), by_bound.end(), 0);
      const size_t k = std::min(top_k, live.size());
      std::partial_sort(by_bound.begin(), by_bound.begin() + static_cast<std::ptrdiff_t>(k),
                        by_bound.end(), [&](size_t a, size_t b) {
                          return bound[a] > bound[b] || (bound[a] == bound[b] && a < b);
                        });
      by_bound.resize(k);
      std::sort(by_bound.begin(), by_bound.end());
      std::vector<size_t> ids;
      for (size_t c : by_bound) ids.push_back(live[c]);
      Eigen::MatrixXd finish = v(Eigen::all, by_bound);
      solve_rows(done, n, finish, ids);
      for (size_t id : ids) {
        scores[id] = score(id);
        exact.push_back(scores[id]);
      }
      if (exact.size() >= top_k) {
        std::nth_element(exact.begin(), exact.begin() + static_cast<std::ptrdiff_t>(top_k - 1),
                         exact.end(), std::greater<double>());
        top_bar = exact[top_k - 1];
      }
      for (size_t c : by_bound) finished[c] = true;
    }
    // Keep a point while its bound clears its bar (with a margin for rounding).
    std::vector<size_t> keep;
    for (size_t c = 0; c < live.size(); ++c) {
      if (finished[c]) continue;
      double bar = top_bar;
      if (!bars.empty()) bar = std::max(bar, bars[live[c]]);
      if (bound[c] >= bar - 1e-9 * (1 + std::fabs(bar))) keep.push_back(c);
    }
    if (keep.size() == live.size()) continue;
    std::vector<size_t> kept_ids;
    for (size_t c : keep) kept_ids.push_back(live[c]);
    v = Eigen::MatrixXd(v(Eigen::all, keep));  // a copy first: the columns alias v
    live = std::move(kept_ids);
  }
  for (size_t id : live) scores[id] = score(id);
  return scores;
}

}  // namespace dlkit::algos
