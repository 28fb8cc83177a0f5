#include "tuner_algos/parzen_estimator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <tuple>
#include <utility>

#include "tuner_algos/math_util.h"

namespace dlkit::algos {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLogSqrt2Pi = 0.91893853320467274178;
constexpr double kMinMass = 1e-300;
constexpr size_t kFlatWeights = 25;  // Optuna's default_weights keeps the newest 25 at 1
constexpr double kMultivariateSigma0 = 0.2;
constexpr size_t kRadixMin = 256;  // fewer kernels sort faster by comparison
// One-dim scores visit only the kernels near the point once there are this many; "narrow"
// kernels are at most kWindowWidths times the magic clip's floor wide.
constexpr size_t kWindowMin = 64;
constexpr double kWindowWidths = 2.0;

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

// Kernel indices 0..n-1 ordered by `keys` (ties by index), as (key, index) pairs: a stable
// LSD radix sort over the doubles' order-preserving bit patterns (their top differing bits,
// then an insertion sort), much faster than a comparison sort for the thousands of kernels
// of a large "above" group.
std::vector<std::pair<double, size_t>> SortedByKey(const double* keys, size_t n) {
  std::vector<std::pair<double, size_t>> sorted(n);
  if (n < kRadixMin) {
    for (size_t i = 0; i < n; ++i) sorted[i] = {keys[i], i};
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  }
  // Negative doubles: flip all bits; others: flip the sign bit. Then unsigned order is
  // numeric order (-0.0 sorts before +0.0, NaN does not occur).
  std::vector<uint64_t> bits(n), bits_tmp(n);
  std::vector<uint32_t> index(n), index_tmp(n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t b;
    std::memcpy(&b, &keys[i], sizeof b);
    bits[i] = (b >> 63) != 0 ? ~b : b | (uint64_t{1} << 63);
    index[i] = static_cast<uint32_t>(i);
  }
  // Only the 32 or 33 highest bits in which the keys differ go through radix passes;
  // keys equal there are rare neighbours then, put in order by an insertion sort.
  uint64_t differ = 0;
  for (size_t i = 0; i < n; ++i) differ |= bits[i] ^ bits[0];
  // 3 digits of 11 bits; 4 of 8 for fewer keys, where clearing and summing 2^11 counts
  // per pass would cost more than the keys.
  const int digit_bits = n < 4096 ? 8 : 11;
  const int passes = n < 4096 ? 4 : 3;
  const size_t buckets = size_t{1} << digit_bits;
  const uint64_t mask = buckets - 1;
  const int top_bit = differ == 0 ? 0 : 63 - __builtin_clzll(differ);
  const int low_bit = std::max(0, top_bit + 1 - passes * digit_bits);
  // Every pass's digit counts from one read of the keys (a permutation keeps them).
  std::vector<uint32_t> counts(passes * buckets);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t b = bits[i] >> low_bit;
    for (int pass = 0; pass < passes; ++pass) {
      ++counts[pass * buckets + ((b >> (pass * digit_bits)) & mask)];
    }
  }
  for (int pass = 0; pass < passes; ++pass) {
    const int shift = low_bit + pass * digit_bits;
    uint32_t* count = &counts[pass * buckets];
    if (count[(bits[0] >> shift) & mask] == n) continue;  // one digit: no-op pass
    uint32_t sum = 0;
    for (size_t b = 0; b < buckets; ++b) {
      const uint32_t here = count[b];
      count[b] = sum;
      sum += here;
    }
    for (size_t i = 0; i < n; ++i) {
      const uint32_t to = count[(bits[i] >> shift) & mask]++;
      bits_tmp[to] = bits[i];
      index_tmp[to] = index[i];
    }
    bits.swap(bits_tmp);
    index.swap(index_tmp);
  }
  if (low_bit > 0) {
    // Stable insertion sort by all bits; a pathological input (many keys alike in their
    // top bits) falls back to a comparison sort of the same (key bits, index) order.
    size_t moves = 0;
    for (size_t i = 1; i < n && moves <= 8 * n; ++i) {
      const uint64_t b = bits[i];
      const uint32_t k = index[i];
      size_t j = i;
      for (; j > 0 && bits[j - 1] > b; --j, ++moves) {
        bits[j] = bits[j - 1];
        index[j] = index[j - 1];
      }
      bits[j] = b;
      index[j] = k;
    }
    if (moves > 8 * n) {
      std::vector<std::pair<uint64_t, uint32_t>> pairs(n);
      for (size_t i = 0; i < n; ++i) pairs[i] = {bits[i], index[i]};
      std::sort(pairs.begin(), pairs.end());
      for (size_t i = 0; i < n; ++i) std::tie(bits[i], index[i]) = pairs[i];
    }
  }
  for (size_t i = 0; i < n; ++i) sorted[i] = {keys[index[i]], index[i]};
  return sorted;
}

// log(sum(exp(terms))) of n terms whose maximum is `top`, skipping terms e^-50 below the
// top: they cannot move the sum, and exp's underflow path is slow.
double LogSumExp(const double* terms, size_t n, double top) {
  if (std::isinf(top)) return top;
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    if (terms[i] - top > -kNegligibleLog) sum += std::exp(terms[i] - top);
  }
  return top + std::log(sum);
}

double LogSumExp(const std::vector<double>& terms) {
  return LogSumExp(terms.data(), terms.size(), *std::max_element(terms.begin(), terms.end()));
}

std::vector<double> Flatten(const std::vector<std::vector<double>>& points) {
  std::vector<double> flat;
  for (const std::vector<double>& point : points)
    flat.insert(flat.end(), point.begin(), point.end());
  return flat;
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
    : ParzenEstimator(dims, Flatten(observations).data(), observations.size(), options) {}

ParzenEstimator::ParzenEstimator(const std::vector<ParzenDim>& dims, const double* observations,
                                 size_t n, const ParzenOptions& options)
    : dims_(dims), n_dims_(dims.size()) {
  const size_t d_count = n_dims_;
  const size_t n_all = n + 1;  // the observations, then the prior
  std::vector<double> weights = DefaultWeights(n);
  weights.push_back(options.prior_weight);
  // Kernel order: by centre for one dim, where identical kernels (repeated values of a
  // quantised parameter) are neighbours and merge into one with their summed weight (the
  // same mixture, far fewer terms); as given otherwise. The arrays below are built in that
  // order: [d * n_all + j] is kernel j's centre and width in dim d.
  const bool by_centre = d_count == 1 && !options.multivariate;
  std::vector<double> mus(d_count * n_all), sigmas(d_count * n_all);
  std::vector<double> column(n_all);
  for (size_t d = 0; d < d_count; ++d) {
    const ParzenDim& dim = dims_[d];
    const double span = dim.span_high - dim.span_low;
    // Optuna's magic clip: no kernel narrower than span / min(100, 1 + n_kernels).
    const double min_sigma = span / std::min(100.0, 1.0 + static_cast<double>(n_all));
    window_sigma_ = kWindowWidths * min_sigma;
    double* mu = &mus[d * n_all];
    double* sigma = &sigmas[d * n_all];
    for (size_t i = 0; i < n; ++i) column[i] = observations[i * d_count + d];
    column[n] = dim.prior_mu;
    if (options.multivariate) {
      std::copy(column.begin(), column.end(), mu);
      std::fill(sigma, sigma + n_all,
                kMultivariateSigma0 *
                    std::pow(static_cast<double>(std::max<size_t>(n, 1)),
                             -1.0 / (static_cast<double>(d_count) + 4)) *
                    span);
      for (size_t i = 0; i < n; ++i) sigma[i] = std::clamp(sigma[i], min_sigma, span);
      sigma[n] = dim.prior_sigma;
      continue;
    }
    // Optuna's neighbour rule: each kernel as wide as the larger gap to its sorted
    // neighbours (the range ends count as neighbours); the outermost kernels use their
    // inner gap unless consider_endpoints.
    const std::vector<std::pair<double, size_t>> sorted = SortedByKey(column.data(), n_all);
    std::vector<double> permuted_weights;
    if (by_centre) permuted_weights.resize(n_all);
    for (size_t j = 0; j < n_all; ++j) {
      const double x = sorted[j].first;
      const double left = x - (j == 0 ? dim.span_low : sorted[j - 1].first);
      const double right = (j + 1 == n_all ? dim.span_high : sorted[j + 1].first) - x;
      double gap = std::max(left, right);
      if (!options.consider_endpoints && n_all >= 2) {
        if (j == 0) gap = right;
        if (j + 1 == n_all) gap = left;
      }
      const size_t i = sorted[j].second;
      gap = i == n ? dim.prior_sigma : std::clamp(gap, min_sigma, span);
      const size_t at = by_centre ? j : i;
      mu[at] = x;
      sigma[at] = gap;
      if (by_centre) permuted_weights[j] = weights[i];
    }
    if (by_centre) weights.swap(permuted_weights);
  }

  // Merge identical neighbours (by centre only).
  std::vector<size_t> kept;  // kernels that start a new merged kernel
  std::vector<double> merged_weights;
  kept.reserve(n_all);
  merged_weights.reserve(n_all);
  for (size_t k = 0; k < n_all; ++k) {
    if (by_centre && !kept.empty() && mus[k] == mus[kept.back()] &&
        sigmas[k] == sigmas[kept.back()]) {
      merged_weights.back() += weights[k];
      continue;
    }
    kept.push_back(k);
    merged_weights.push_back(weights[k]);
  }
  n_kernels_ = kept.size();
  const double total = std::accumulate(merged_weights.begin(), merged_weights.end(), 0.0);
  log_weights_.resize(n_kernels_);
  cumulative_.resize(n_kernels_);
  double running = 0;
  for (size_t j = 0; j < n_kernels_; ++j) {
    const double w = merged_weights[j] / total;
    log_weights_[j] = std::log(w);
    running += w;
    cumulative_[j] = running;
  }
  const size_t size = d_count * n_kernels_;
  mus_.resize(size);
  sigmas_.resize(size);
  inv_sigmas_.resize(size);
  log_mass_.resize(size);
  for (size_t d = 0; d < d_count; ++d) {
    const double low = dims_[d].low;
    const double high = dims_[d].high;
    for (size_t j = 0; j < n_kernels_; ++j) {
      const size_t at = d * n_kernels_ + j;
      const double mu = mus[d * n_all + kept[j]];
      const double sigma = sigmas[d * n_all + kept[j]];
      const double z = std::max(StdMass((low - mu) / sigma, (high - mu) / sigma), kMinMass);
      mus_[at] = mu;
      sigmas_[at] = sigma;
      inv_sigmas_[at] = 1.0 / sigma;
      log_mass_[at] = z == 1.0 ? 0.0 : std::log(z);
    }
  }
  windowed_ = by_centre && n_kernels_ >= kWindowMin;
  if (windowed_) {
    double cap = -kInf;
    double widest = 0;
    for (size_t k = 0; k < n_kernels_; ++k) {
      if (sigmas_[k] > window_sigma_) {
        wide_.push_back(k);
      } else {
        cap = std::max(cap, log_weights_[k] - log_mass_[k] - kLogSqrt2Pi);
        widest = std::max(widest, sigmas_[k]);
      }
    }
    narrow_cap_ = cap;
    narrow_sigma_ = widest;
  }
}

double ParzenEstimator::WindowedScore(double x, std::vector<double>& terms) const {
  const double* mus = mus_.data();
  const double* inv_sigmas = inv_sigmas_.data();
  const auto term = [&](size_t k) {
    const double z = (x - mus[k]) * inv_sigmas[k];
    return log_weights_[k] - (0.5 * z * z + log_mass_[k] + kLogSqrt2Pi);
  };
  // Any kernel's term bounds the top term from below: the wide ones and x's neighbours.
  const size_t at = std::lower_bound(mus, mus + n_kernels_, x) - mus;
  double floor = -kInf;
  for (size_t k : wide_) floor = std::max(floor, term(k));
  if (at < n_kernels_) floor = std::max(floor, term(at));
  if (at > 0) floor = std::max(floor, term(at - 1));
  // A narrow kernel (sigma <= narrow_sigma_) at least `reach` from x scores at most
  // narrow_cap_ - 0.5 (reach / narrow_sigma_)^2 = floor - kNegligibleLog - 1: the sum skips
  // it (the 1 is room for rounding in the terms), so the window holds every term summed.
  const double reach =
      narrow_sigma_ * std::sqrt(2.0 * std::max(0.0, narrow_cap_ - floor + kNegligibleLog + 1));
  const size_t begin = std::lower_bound(mus, mus + n_kernels_, x - reach) - mus;
  const size_t end = std::upper_bound(mus, mus + n_kernels_, x + reach) - mus;
  // Terms in kernel order, as the full loop would sum them.
  terms.resize(std::max(terms.size(), end - begin + wide_.size()));
  double* out = terms.data();
  size_t n_terms = 0;
  auto wide = wide_.begin();
  for (; wide != wide_.end() && *wide < begin; ++wide) out[n_terms++] = term(*wide);
  for (size_t k = begin; k < end; ++k) out[n_terms++] = term(k);
  for (; wide != wide_.end(); ++wide) {
    if (*wide >= end) out[n_terms++] = term(*wide);
  }
  // Four running maxima: a single chain of max would wait on each one's latency.
  double tops[4] = {-kInf, -kInf, -kInf, -kInf};
  size_t i = 0;
  for (; i + 4 <= n_terms; i += 4) {
    for (size_t j = 0; j < 4; ++j) tops[j] = std::max(tops[j], out[i + j]);
  }
  for (; i < n_terms; ++i) tops[0] = std::max(tops[0], out[i]);
  const double top = std::max(std::max(tops[0], tops[1]), std::max(tops[2], tops[3]));
  return LogSumExp(out, n_terms, top);
}

std::vector<double> ParzenEstimator::Sample(std::mt19937_64& rng) const {
  const double u = std::uniform_real_distribution<double>(0, cumulative_.back())(rng);
  const size_t k = std::min<size_t>(
      std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin(),
      n_kernels_ - 1);
  std::vector<double> point(n_dims_);
  for (size_t d = 0; d < n_dims_; ++d) {
    const double mu = mus_[d * n_kernels_ + k];
    const double sigma = sigmas_[d * n_kernels_ + k];
    const double x =
        SampleStdTruncated((dims_[d].low - mu) / sigma, (dims_[d].high - mu) / sigma, rng);
    point[d] = std::clamp(mu + sigma * x, dims_[d].low, dims_[d].high);
  }
  return point;
}

double ParzenEstimator::LogPdf(const std::vector<double>& lo, const std::vector<double>& hi) const {
  double out = 0;
  Evaluate(lo.data(), hi.data(), 1, false, &out);
  return out;
}

void ParzenEstimator::LogScores(const double* lo, const double* hi, size_t n_points,
                                double* out) const {
  Evaluate(lo, hi, n_points, true, out);
}

void ParzenEstimator::Evaluate(const double* lo, const double* hi, size_t n_points,
                               bool sigma_scaled, double* out) const {
  const size_t n_kernels = n_kernels_;
  std::vector<double> terms;  // scratch, sized on first use
  for (size_t p = 0; p < n_points; ++p) {
    if (windowed_ && sigma_scaled && lo[p] == hi[p] && lo[p] >= dims_[0].low &&
        lo[p] <= dims_[0].high) {
      out[p] = WindowedScore(lo[p], terms);
      continue;
    }
    terms.assign(log_weights_.begin(), log_weights_.end());
    bool outside = false;
    for (size_t d = 0; d < n_dims_ && !outside; ++d) {
      const double a = std::max(lo[p * n_dims_ + d], dims_[d].low);
      const double b = std::min(hi[p * n_dims_ + d], dims_[d].high);
      const double* mus = &mus_[d * n_kernels];
      const double* inv_sigmas = &inv_sigmas_[d * n_kernels];
      const double* log_mass = &log_mass_[d * n_kernels];
      if (!(a < b)) {
        outside = a != b;
        if (outside) break;
        if (sigma_scaled) {
          for (size_t k = 0; k < n_kernels; ++k) {
            const double z = (a - mus[k]) * inv_sigmas[k];
            terms[k] -= 0.5 * z * z + log_mass[k] + kLogSqrt2Pi;
          }
        } else {
          for (size_t k = 0; k < n_kernels; ++k) {
            const double z = (a - mus[k]) * inv_sigmas[k];
            terms[k] -= 0.5 * z * z + log_mass[k] + kLogSqrt2Pi - std::log(inv_sigmas[k]);
          }
        }
        continue;
      }
      for (size_t k = 0; k < n_kernels; ++k) {
        const double za = (a - mus[k]) * inv_sigmas[k];
        const double zb = (b - mus[k]) * inv_sigmas[k];
        // A bin >= 8 sigma off the kernel holds < 1e-15 of it: its tail bound
        // phi(z) / z <= phi(z) / 8 is exact enough and skips erfc on most kernels.
        const double z_near = za > 0 ? za : (zb < 0 ? -zb : 0);
        const double mass = z_near >= kNegligibleZ ? -0.5 * z_near * z_near - kLogTailScale
                                                   : std::log(std::max(StdMass(za, zb), kMinMass));
        terms[k] += mass - log_mass[k];
      }
    }
    out[p] = outside ? -kInf : LogSumExp(terms);
  }
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
