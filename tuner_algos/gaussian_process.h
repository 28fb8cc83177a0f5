#ifndef DLKIT_TUNER_ALGOS_GAUSSIAN_PROCESS_H_
#define DLKIT_TUNER_ALGOS_GAUSSIAN_PROCESS_H_

// Gaussian-process regression for the GP tuner: a Matérn 5/2 kernel with one length scale per
// input dimension (ARD), a signal variance and a noise variance, on standardised targets.
// Hyperparameters are fitted by maximising the log marginal likelihood with Adam on the
// log-parameters (analytic gradients), from a default start plus random restarts.

#include <Eigen/Dense>
#include <cstdint>
#include <random>
#include <vector>

namespace dlkit::algos {

// Log-parameters of the kernel, in standardised target units.
struct GpHyperparameters {
  Eigen::VectorXd log_length_scales;  // one per input dimension
  double log_signal_variance = 0;
  double log_noise_variance = 0;
};

struct GpFitOptions {
  int restarts = 2;     // random starts besides the default one
  int iterations = 50;  // Adam steps per start
  double learning_rate = 0.1;
  int max_fit_points = 120;  // hyperparameters are fitted on a random subset of this size
  double min_noise_variance = 1e-6;
};

class GaussianProcess {
 public:
  // Fits hyperparameters on (x: n x d inputs in [0, 1], y: n targets), n >= 1.
  static GaussianProcess Fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                             const GpFitOptions& options, std::mt19937_64& rng);

  // Conditions on (x, y) with the given hyperparameters (no fitting).
  static GaussianProcess WithHyperparameters(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                             const GpHyperparameters& hyper);

  // Posterior mean and variance of the latent function at each row of `points`, in the
  // units of y.
  void Predict(const Eigen::MatrixXd& points, Eigen::VectorXd* mean,
               Eigen::VectorXd* variance) const;

  // Log expected improvement over `best` (log EI, see below) at each row of `points`, or -inf
  // where it is shown to fall short of a bar: bars[i] (when `bars` is not empty) and, when
  // top_k > 0, the top_k-th highest log EI of the points. The expensive part of a variance
  // is a triangular solve against all n training points; the variance given only the first
  // t of them is never smaller, so bounds taken on the way (t = n/8, n/4, n/2) leave the
  // full solve to the points that may clear their bar. The points kept are scored as
  // Predict would score them, up to rounding.
  std::vector<double> LogEiAbove(const Eigen::MatrixXd& points, double best,
                                 const std::vector<double>& bars, size_t top_k) const;

  // Log marginal likelihood of the standardised targets and its gradient with respect to
  // the log-parameters [log length scales..., log signal variance, log noise variance].
  static double LogMarginalLikelihood(const Eigen::MatrixXd& x, const Eigen::VectorXd& y_std,
                                      const GpHyperparameters& hyper, Eigen::VectorXd* gradient);

  const GpHyperparameters& hyperparameters() const { return hyper_; }

 private:
  GaussianProcess() = default;
  void Condition(const Eigen::MatrixXd& x, const Eigen::VectorXd& y);

  GpHyperparameters hyper_;
  Eigen::MatrixXd x_;
  Eigen::MatrixXd chol_;  // lower Cholesky factor of K + noise I (+ jitter)
  Eigen::VectorXd alpha_;
  double y_mean_ = 0;
  double y_scale_ = 1;
};

// K^-1 from the lower Cholesky factor L of a symmetric positive definite K (K = L L^T), as
// LAPACK's potri forms it: L^-1, then L^-T L^-1. A third of the work of solving K X = I.
// Only the lower triangle of `l` is read; `inverse` keeps its storage when it has K's size.
void InverseFromCholesky(const Eigen::MatrixXd& l, Eigen::MatrixXd* inverse);

// log EI(mean, stddev, best) for maximisation: log E[max(f - best, 0)], f ~ N(mean, stddev^2).
// Stable where EI underflows (uses the asymptotic series of the normal tail); -inf only when
// stddev is 0 and mean <= best.
double LogExpectedImprovement(double mean, double stddev, double best);

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_GAUSSIAN_PROCESS_H_
