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
  // `observations[i]` is one point (a value per dim), oldest first. Bandwidths: Optuna's
  // neighbour gaps (univariate, one dim) or its multivariate Scott-like rule.
  ParzenEstimator(const std::vector<ParzenDim>& dims,
                  const std::vector<std::vector<double>>& observations,
                  const ParzenOptions& options);

  // A point drawn from the mixture (one kernel, then each dim from it), inside the bounds.
  std::vector<double> Sample(std::mt19937_64& rng) const;

  // Log density of a point whose dim d is the interval [lo[d], hi[d]]: the log probability
  // mass of the interval when lo < hi (a quantised value's bin), the log density when equal.
  double LogPdf(const std::vector<double>& lo, const std::vector<double>& hi) const;

 private:
  std::vector<ParzenDim> dims_;
  std::vector<double> weights_;  // per kernel, normalised
  std::vector<double> log_weights_;
  std::vector<std::vector<double>> mus_;       // [dim][kernel]
  std::vector<std::vector<double>> sigmas_;    // [dim][kernel]
  std::vector<std::vector<double>> log_norm_;  // [dim][kernel]: log(sigma * Z) + log sqrt(2 pi)
  std::vector<std::vector<double>> log_mass_;  // [dim][kernel]: log Z, mass inside the bounds
  std::vector<double> cumulative_;             // running sums of weights_, to pick a kernel
};

// Optuna's categorical kernels: each observation puts 1 on its option plus
// prior_weight / n_kernels everywhere, the prior kernel is uniform; rows normalised and
// mixed with `DefaultWeights`. Returns log probability per option.
std::vector<double> CategoricalLogProbs(const std::vector<size_t>& observed, size_t n_options,
                                        double prior_weight);

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_PARZEN_ESTIMATOR_H_
