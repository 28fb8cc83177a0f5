#include "tuner_algos/parzen_estimator.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>

#include "tuner_algos/math_util.h"

namespace dlkit::algos {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLogSqrt2Pi = 0.91893853320467274178;
constexpr double kMinMass = 1e-300;
constexpr size_t kFlatWeights = 25;  // Optuna's default_weights keeps the newest 25 at 1
constexpr double kMultivariateSigma0 = 0.2;

constexpr double kNoTail = 8.5;    // Phi(-8.5) < 1e-17: below double resolution near 1
constexpr double kFarTail = 38.0;  // Phi(-38) underflows below kMinMass
constexpr double kNegligibleZ = 8.0;
constexpr double kNegligibleLog = 50.0;
constexpr double kLogTailScale = 2.99838007488450841;  // log(8 sqrt(2 pi))

// P(a <= Z <= b) for a standard normal Z, accurate in either tail.
double StdMass(double a, double b) {
  // Shortcuts skip erfc for most kernels of a large "above" group.
  if (a <= -kNoTail && b >= kNoTail) return 1.0;
  if (b <= -kFarTail || a >= kFarTail) return 0.0;
  if (a > 0) return NormalCdf(-a) - NormalCdf(-b);
  return NormalCdf(b) - NormalCdf(a);
}

// A standard normal draw conditioned on [a, b], by inverting the CDF in the lower tail.
double SampleStdTruncated(double a, double b, std::mt19937_64& rng) {
  if (a > 0) return -SampleStdTruncated(-b, -a, rng);
  if (std::isinf(a) && std::isinf(b)) return std::normal_distribution<double>()(rng);
  const double pa = NormalCdf(a);
  const double pb = NormalCdf(b);
  if (!(pb > pa)) return std::clamp(0.0, a, b);
  const double u = std::uniform_real_distribution<double>(pa, pb)(rng);
  return std::clamp(NormalQuantile(u), a, b);
}

// Optuna's neighbour rule: each kernel as wide as the larger gap to its sorted neighbours
// (the range ends count as neighbours), ends use the inner gap unless consider_endpoints.
std::vector<double> NeighbourSigmas(const std::vector<double>& mus, const ParzenDim& dim,
                                    bool consider_endpoints) {
  const size_t n = mus.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return mus[a] < mus[b]; });
  std::vector<double> ext;  // [span_low, sorted mus..., span_high]
  ext.reserve(n + 2);
  ext.push_back(dim.span_low);
  for (size_t i : order) ext.push_back(mus[i]);
  ext.push_back(dim.span_high);
  std::vector<double> sorted_sigmas(n);
  for (size_t i = 0; i < n; ++i) {
    sorted_sigmas[i] = std::max(ext[i + 1] - ext[i], ext[i + 2] - ext[i + 1]);
  }
  if (!consider_endpoints && n >= 2) {
    sorted_sigmas[0] = ext[2] - ext[1];
    sorted_sigmas[n - 1] = ext[n] - ext[n - 1];
  }
  std::vector<double> sigmas(n);
  for (size_t i = 0; i < n; ++i) sigmas[order[i]] = sorted_sigmas[i];
  return sigmas;
}

}  // namespace

std::vector<double> DefaultWeights(size_t n) {
  if (n < kFlatWeights) return std::vector<double>(n, 1.0);
  std::vector<double> weights;
  weights.reserve(n);
  const size_t ramp = n - kFlatWeights;
  const double start = 1.0 / static_cast<double>(n);
  for (size_t i = 0; i < ramp; ++i) {
    weights.push_back(ramp == 1 ? start
                                : start + (1.0 - start) * static_cast<double>(i) /
                                              static_cast<double>(ramp - 1));
  }
  weights.resize(n, 1.0);
  return weights;
}

ParzenEstimator::ParzenEstimator(const std::vector<ParzenDim>& dims,
                                 const std::vector<std::vector<double>>& observations,
                                 const ParzenOptions& options)
    : dims_(dims) {
  const size_t n = observations.size();
  const size_t d_count = dims_.size();
  std::vector<double> weights = DefaultWeights(n);
  weights.push_back(options.prior_weight);
  std::vector<std::vector<double>> mus(d_count), sigmas(d_count);
  for (size_t d = 0; d < d_count; ++d) {
    const ParzenDim& dim = dims_[d];
    const double span = dim.span_high - dim.span_low;
    for (const std::vector<double>& point : observations) mus[d].push_back(point[d]);
    if (!options.multivariate) {
      sigmas[d] = NeighbourSigmas(mus[d], dim, options.consider_endpoints);
    } else {
      const double sigma = kMultivariateSigma0 *
                           std::pow(static_cast<double>(std::max<size_t>(n, 1)),
                                    -1.0 / (static_cast<double>(d_count) + 4)) *
                           span;
      sigmas[d].assign(n, sigma);
    }
    mus[d].push_back(dim.prior_mu);
    sigmas[d].push_back(dim.prior_sigma);
    // Optuna's magic clip: no kernel narrower than span / min(100, 1 + n_kernels).
    const double min_sigma = span / std::min(100.0, 2.0 + static_cast<double>(n));
    for (double& s : sigmas[d]) s = std::clamp(s, min_sigma, span);
  }

  // Identical kernels (repeated values of a quantised parameter) merge into one with their
  // summed weight: the same mixture, far fewer terms to evaluate.
  std::vector<size_t> order(n + 1);
  std::iota(order.begin(), order.end(), 0);
  const auto key_less = [&](size_t a, size_t b) {
    for (size_t d = 0; d < d_count; ++d) {
      if (mus[d][a] != mus[d][b]) return mus[d][a] < mus[d][b];
      if (sigmas[d][a] != sigmas[d][b]) return sigmas[d][a] < sigmas[d][b];
    }
    return false;
  };
  std::sort(order.begin(), order.end(), key_less);
  mus_.resize(d_count);
  sigmas_.resize(d_count);
  for (size_t i = 0; i < order.size(); ++i) {
    const size_t k = order[i];
    if (i > 0 && !key_less(order[i - 1], k)) {
      weights_.back() += weights[k];
      continue;
    }
    weights_.push_back(weights[k]);
    for (size_t d = 0; d < d_count; ++d) {
      mus_[d].push_back(mus[d][k]);
      sigmas_[d].push_back(sigmas[d][k]);
    }
  }
  const double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  for (double& w : weights_) {
    w /= total;
    log_weights_.push_back(std::log(w));
  }
  std::partial_sum(weights_.begin(), weights_.end(), std::back_inserter(cumulative_));

  log_norm_.resize(d_count);
  log_mass_.resize(d_count);
  for (size_t d = 0; d < d_count; ++d) {
    for (size_t k = 0; k < weights_.size(); ++k) {
      const double mu = mus_[d][k];
      const double sigma = sigmas_[d][k];
      const double z =
          std::max(StdMass((dims_[d].low - mu) / sigma, (dims_[d].high - mu) / sigma), kMinMass);
      log_mass_[d].push_back(std::log(z));
      log_norm_[d].push_back(std::log(sigma * z) + kLogSqrt2Pi);
    }
  }
}

std::vector<double> ParzenEstimator::Sample(std::mt19937_64& rng) const {
  const double u = std::uniform_real_distribution<double>(0, cumulative_.back())(rng);
  const size_t k = std::min<size_t>(
      std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin(),
      cumulative_.size() - 1);
  std::vector<double> point(dims_.size());
  for (size_t d = 0; d < dims_.size(); ++d) {
    const double mu = mus_[d][k];
    const double sigma = sigmas_[d][k];
    const double x =
        SampleStdTruncated((dims_[d].low - mu) / sigma, (dims_[d].high - mu) / sigma, rng);
    point[d] = std::clamp(mu + sigma * x, dims_[d].low, dims_[d].high);
  }
  return point;
}

double ParzenEstimator::LogPdf(const std::vector<double>& lo, const std::vector<double>& hi) const {
  std::vector<double> terms = log_weights_;
  const size_t n_kernels = terms.size();
  for (size_t d = 0; d < dims_.size(); ++d) {
    const double a = std::max(lo[d], dims_[d].low);
    const double b = std::min(hi[d], dims_[d].high);
    const std::vector<double>& mus = mus_[d];
    const std::vector<double>& sigmas = sigmas_[d];
    if (!(a < b)) {
      if (a != b) return -kInf;  // outside the bounds
      const std::vector<double>& log_norm = log_norm_[d];
      for (size_t k = 0; k < n_kernels; ++k) {
        const double z = (a - mus[k]) / sigmas[k];
        terms[k] -= 0.5 * z * z + log_norm[k];
      }
      continue;
    }
    for (size_t k = 0; k < n_kernels; ++k) {
      const double za = (a - mus[k]) / sigmas[k];
      const double zb = (b - mus[k]) / sigmas[k];
      // A bin >= 8 sigma off the kernel holds < 1e-15 of it: its tail bound
      // phi(z) / z <= phi(z) / 8 is exact enough and skips erfc on most kernels.
      const double z_near = za > 0 ? za : (zb < 0 ? -zb : 0);
      const double log_mass = z_near >= kNegligibleZ
                                  ? -0.5 * z_near * z_near - kLogTailScale
                                  : std::log(std::max(StdMass(za, zb), kMinMass));
      terms[k] += log_mass - log_mass_[d][k];
    }
  }
  const double top = *std::max_element(terms.begin(), terms.end());
  if (std::isinf(top)) return top;
  double sum = 0;
  for (double t : terms) {
    // Kernels e^-50 below the top cannot move the sum; exp's underflow path is slow.
    if (t - top > -kNegligibleLog) sum += std::exp(t - top);
  }
  return top + std::log(sum);
}

std::vector<double> CategoricalLogProbs(const std::vector<size_t>& observed, size_t n_options,
                                        double prior_weight) {
  std::vector<double> weights = DefaultWeights(observed.size());
  weights.push_back(prior_weight);
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  const double n_kernels = static_cast<double>(weights.size());
  const double options = static_cast<double>(n_options);
  // Each observation's row: 1 on its option plus prior_weight / n_kernels everywhere.
  const double row_sum = 1.0 + prior_weight * options / n_kernels;
  std::vector<double> probs(n_options, weights.back() / total / options);
  for (size_t i = 0; i < observed.size(); ++i) {
    const double w = weights[i] / total / row_sum;
    for (double& p : probs) p += w * prior_weight / n_kernels;
    probs[observed[i]] += w;
  }
  for (double& p : probs) p = std::log(p);
  return probs;
}

}  // namespace dlkit::algos
