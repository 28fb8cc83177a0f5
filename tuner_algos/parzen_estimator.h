#ifndef DLKIT_TUNER_ALGOS_PARZEN_ESTIMATOR_H_
#define DLKIT_TUNER_ALGOS_PARZEN_ESTIMATOR_H_

// TPE's density models (as Optuna 3.1's _ParzenEstimator): a weighted mixture of truncated
// Gaussians over one or more numeric dimensions in the tuner's internal space, with a prior
// kernel, and a weighted categorical mixture for `choice`.

#include <cstddef>
#include <random>
#include <vector>

namespace dlkit::algos {

// One numeric dimension in internal space (log taken for log types).
struct ParzenDim {
  double low = 0;  // truncation bounds; +-infinity for normal-family parameters
  double high = 1;
  double span_low = 0;  // finite range that sets bandwidths and the prior's width
  double span_high = 1;
  double prior_mu = 0.5;
  double prior_sigma = 1;
};

struct ParzenOptions {
  double prior_weight = 1.0;
  bool consider_endpoints = false;
  bool multivariate = false;  // one shared bandwidth per dim instead of neighbour gaps
};

// Optuna's default_weights: flat for the newest 25, a linear ramp-up for older ones.
std::vector<double> DefaultWeights(size_t n);

class ParzenEstimator {
 public:
  // `observations` holds `n` points row-major (point i's dim d at [i * dims.size() + d]),
  // oldest first. Bandwidths: Optuna's neighbour gaps (univariate: the prior's centre counts
  // as a neighbour, as in Optuna 3.1) or its multivariate Scott-like rule; then the magic
  // clip to [span / min(100, n + 2), span].
  ParzenEstimator(const std::vector<ParzenDim>& dims, const double* observations, size_t n,
                  const ParzenOptions& options);
  // The same from one vector per point.
  ParzenEstimator(const std::vector<ParzenDim>& dims,
                  const std::vector<std::vector<double>>& observations,
                  const ParzenOptions& options);

  // A point drawn from the mixture (one kernel, then each dim from it), inside the bounds.
  std::vector<double> Sample(std::mt19937_64& rng) const;

  // Log density of a point whose dim d is the interval [lo[d], hi[d]]: the log probability
  // mass of the interval when lo < hi (a quantised value's bin), the log density when equal.
  double LogPdf(const std::vector<double>& lo, const std::vector<double>& hi) const;

  // TPE's score of `n_points` points (row-major like the observations), written to `out`:
  // LogPdf with every kernel's density at a point (lo == hi) multiplied by its bandwidth,
  // i.e. each kernel weighted by w * sigma. That is what Optuna 3.1 to 3.4 compute (their
  // truncnorm.logpdf omits -log(scale), optuna/optuna#5109); it lends wide kernels (the
  // prior, isolated observations) more say in l(x) / g(x), and on our benchmarks it finds
  // better points than the normalised density. Bins (lo < hi) score their plain mass.
  void LogScores(const double* lo, const double* hi, size_t n_points, double* out) const;

  size_t num_kernels() const { return log_weights_.size(); }

 private:
  void Evaluate(const double* lo, const double* hi, size_t n_points, bool sigma_scaled,
                double* out) const;
  // LogScores of one point x inside the bounds of a one-dim mixture with many kernels: the
  // same value from the wide kernels and the narrow ones within reach of x. `terms` is
  // scratch space.
  double WindowedScore(double x, std::vector<double>& terms) const;

  std::vector<ParzenDim> dims_;
  size_t n_dims_ = 0;
  size_t n_kernels_ = 0;
  std::vector<double> log_weights_;  // per kernel, normalised
  std::vector<double> cumulative_;   // running sums of the weights, to pick a kernel
  // Per dim, then kernel: at [d * n_kernels_ + k].
  std::vector<double> mus_;
  std::vector<double> sigmas_;
  std::vector<double> inv_sigmas_;
  std::vector<double> log_mass_;  // log Z, the kernel's mass inside the bounds
  // One dim, kernels sorted by centre: WindowedScore's bookkeeping.
  bool windowed_ = false;
  double window_sigma_ = 0;   // kernels up to this wide are "narrow"
  std::vector<size_t> wide_;  // the other kernels, in kernel order
  double narrow_cap_ = 0;     // max over narrow kernels of log w - log Z - log sqrt(2 pi)
  double narrow_sigma_ = 0;   // the widest narrow kernel
};

// Optuna's categorical kernels: each observation puts 1 on its option plus
// prior_weight / n_kernels everywhere, the prior kernel is uniform; rows normalised and
// mixed with `DefaultWeights`. Returns log probability per option.
std::vector<double> CategoricalLogProbs(const std::vector<size_t>& observed, size_t n_options,
                                        double prior_weight);

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_PARZEN_ESTIMATOR_H_
