#include "tuner_algos/cmaes_tuner.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "tuner_algos/class_args.h"
#include "tuner_algos/math_util.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/trial_history.h"

namespace dlkit::algos {
namespace {

constexpr double kNormalUnitEps = 1e-9;  // keeps a normal type's quantile finite
constexpr int kMaxResample = 100;        // as `cmaes`: resample out-of-bounds draws, then clip
constexpr int kMaxDuplicateRetries = 100;
constexpr double kTolFun = 1e-12;
constexpr double kTolXFactor = 1e-12;  // times sigma0
constexpr double kMaxCondition = 1e14;

// A parameter's value as a point of [0, 1] (the inverse of Decode up to rounding).
std::optional<double> Encode(const ParamSpec& spec, const Value& value) {
  std::optional<double> v = AsNumber(value);
  if (!v.has_value()) return std::nullopt;
  const Distribution d = spec.distribution;
  double u;
  if (d == Distribution::kRandint) {
    const double lower = static_cast<double>(RandintLower(spec));
    const double upper = static_cast<double>(RandintUpper(spec));
    u = (*v - lower + 0.5) / (upper - lower);
  } else {
    const double x = IsLogType(d) ? std::log(*v) : *v;
    if (IsNormalType(d)) {
      u = std::isfinite(x) ? NormalCdf((x - spec.args[0]) / spec.args[1]) : 0.0;
    } else {
      const double low = IsLogType(d) ? std::log(spec.args[0]) : spec.args[0];
      const double high = IsLogType(d) ? std::log(spec.args[1]) : spec.args[1];
      u = (x - low) / (high - low);
    }
  }
  if (!std::isfinite(u)) return std::nullopt;
  return std::clamp(u, 0.0, 1.0);
}

Value Decode(const ParamSpec& spec, double u) {
  u = std::clamp(u, 0.0, 1.0);
  if (spec.distribution == Distribution::kRandint) {
    const int64_t lower = RandintLower(spec);
    const int64_t upper = RandintUpper(spec);
    const auto i = static_cast<int64_t>(std::floor(u * static_cast<double>(upper - lower)));
    return Value{std::clamp(lower + i, lower, upper - 1)};
  }
  if (IsNormalType(spec.distribution)) u = std::clamp(u, kNormalUnitEps, 1 - kNormalUnitEps);
  double v = Quantize(spec, RawFromUnit(spec, u));
  if (spec.distribution == Distribution::kUniform) v = std::clamp(v, spec.args[0], spec.args[1]);
  return Value{v};
}

std::mt19937_64 StreamFor(uint64_t seed, uint64_t a, uint64_t b, uint32_t salt) {
  std::seed_seq seq{static_cast<uint32_t>(seed),
                    static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(a),
                    static_cast<uint32_t>(a >> 32),
                    static_cast<uint32_t>(b),
                    static_cast<uint32_t>(b >> 32),
                    salt};
  return std::mt19937_64(seq);
}

// One run of CMA-ES in [0, 1]^n (Hansen, "The CMA Evolution Strategy: A Tutorial").
class Cma {
 public:
  Cma(int n, int lambda, Eigen::VectorXd mean, double sigma)
      : n_(n), lambda_(lambda), mean_(std::move(mean)), sigma_(sigma), sigma0_(sigma) {
    const int mu = lambda / 2;
    weights_.resize(mu);
    for (int i = 0; i < mu; ++i) weights_[i] = std::log((lambda + 1) / 2.0) - std::log(i + 1.0);
    weights_ /= weights_.sum();
    mueff_ = 1.0 / weights_.squaredNorm();
    const double nd = n;
    cc_ = (4 + mueff_ / nd) / (nd + 4 + 2 * mueff_ / nd);
    cs_ = (mueff_ + 2) / (nd + mueff_ + 5);
    c1_ = 2 / ((nd + 1.3) * (nd + 1.3) + mueff_);
    cmu_ = std::min(1 - c1_, 2 * (mueff_ - 2 + 1 / mueff_) / ((nd + 2) * (nd + 2) + mueff_));
    damps_ = 1 + 2 * std::max(0.0, std::sqrt((mueff_ - 1) / (nd + 1)) - 1) + cs_;
    chi_n_ = std::sqrt(nd) * (1 - 1 / (4 * nd) + 1 / (21 * nd * nd));
    pc_ = Eigen::VectorXd::Zero(n);
    ps_ = Eigen::VectorXd::Zero(n);
    c_ = Eigen::MatrixXd::Identity(n, n);
    b_ = Eigen::MatrixXd::Identity(n, n);
    d_ = Eigen::VectorXd::Ones(n);
  }

  int lambda() const { return lambda_; }

  // A draw from N(mean, sigma^2 C), resampled while outside [0, 1]^n, then clipped.
  Eigen::VectorXd Sample(std::mt19937_64& rng) const {
    std::normal_distribution<double> normal;
    Eigen::VectorXd x(n_);
    for (int attempt = 0; attempt < kMaxResample; ++attempt) {
      Eigen::VectorXd z(n_);
      for (int i = 0; i < n_; ++i) z[i] = normal(rng);
      x = mean_ + sigma_ * (b_ * d_.asDiagonal() * z);
      if ((x.array() >= 0).all() && (x.array() <= 1).all()) return x;
    }
    return x.cwiseMax(0.0).cwiseMin(1.0);
  }

  // One generation: `solutions` are (loss, point), exactly lambda of them.
  void Tell(std::vector<std::pair<double, Eigen::VectorXd>> solutions) {
    std::stable_sort(solutions.begin(), solutions.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    ++generation_;
    const int mu = static_cast<int>(weights_.size());
    std::vector<Eigen::VectorXd> y(mu);
    Eigen::VectorXd y_w = Eigen::VectorXd::Zero(n_);
    for (int i = 0; i < mu; ++i) {
      y[i] = (solutions[i].second - mean_) / sigma_;
      y_w += weights_[i] * y[i];
    }
    mean_ += sigma_ * y_w;
    // C^{-1/2} y_w = B D^{-1} B^T y_w.
    const Eigen::VectorXd c_inv_sqrt_y = b_ * (b_.transpose() * y_w).cwiseQuotient(d_);
    ps_ = (1 - cs_) * ps_ + std::sqrt(cs_ * (2 - cs_) * mueff_) * c_inv_sqrt_y;
    const double ps_norm = ps_.norm();
    const bool hsig = ps_norm / std::sqrt(1 - std::pow(1 - cs_, 2.0 * generation_)) <
                      (1.4 + 2.0 / (n_ + 1)) * chi_n_;
    pc_ = (1 - cc_) * pc_ + (hsig ? std::sqrt(cc_ * (2 - cc_) * mueff_) : 0.0) * y_w;
    Eigen::MatrixXd rank_mu = Eigen::MatrixXd::Zero(n_, n_);
    for (int i = 0; i < mu; ++i) rank_mu += weights_[i] * y[i] * y[i].transpose();
    const double delta_hsig = hsig ? 0.0 : c1_ * cc_ * (2 - cc_);
    c_ = (1 - c1_ - cmu_ + delta_hsig) * c_ + c1_ * pc_ * pc_.transpose() + cmu_ * rank_mu;
    c_ = 0.5 * (c_ + c_.transpose());
    sigma_ *= std::exp(std::min(1.0, (cs_ / damps_) * (ps_norm / chi_n_ - 1)));
    sigma_ = std::min(sigma_, 1e3);  // unit space: larger steps only clip
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(c_);
    b_ = eigen.eigenvectors();
    d_ = eigen.eigenvalues().cwiseMax(1e-30).cwiseSqrt();
    const double best = solutions.front().first;
    const double worst = solutions.back().first;
    best_history_.push_back(best);
    const size_t funhist = 10 + static_cast<size_t>(std::ceil(30.0 * n_ / lambda_));
    while (best_history_.size() > funhist) best_history_.pop_front();
    stagnant_ =
        generation_ >= static_cast<int64_t>(funhist) &&
        std::max(worst, *std::max_element(best_history_.begin(), best_history_.end())) -
                std::min(best, *std::min_element(best_history_.begin(), best_history_.end())) <
            kTolFun;
    bool all_same = true;
    for (const auto& s : solutions) all_same = all_same && s.second == solutions[0].second;
    stagnant_ = stagnant_ || all_same;
  }

  // The `cmaes` library's stop conditions that matter here: flat values (tolfun), a
  // collapsed step (tolx), an ill-conditioned C; plus a generation that decoded to one point.
  bool ShouldStop() const {
    if (stagnant_) return true;
    const double spread =
        sigma_ * std::max(pc_.cwiseAbs().maxCoeff(), c_.diagonal().cwiseSqrt().maxCoeff());
    if (spread < kTolXFactor * sigma0_) return true;
    return d_.maxCoeff() * d_.maxCoeff() > kMaxCondition * d_.minCoeff() * d_.minCoeff();
  }

 private:
  int n_;
  int lambda_;
  Eigen::VectorXd mean_;
  double sigma_;
  double sigma0_;
  Eigen::VectorXd weights_;
  double mueff_, cc_, cs_, c1_, cmu_, damps_, chi_n_;
  Eigen::VectorXd pc_, ps_, d_;
  Eigen::MatrixXd c_, b_;
  int64_t generation_ = 0;
  std::deque<double> best_history_;
  bool stagnant_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Tuner>> CmaesTuner::Create(const AlgorithmOptions& options) {
  const ClassArgs& args = options.class_args;
  DLKIT_RETURN_IF_ERROR(CheckKnownArgs(
      args, {"optimize_mode", "seed", "sigma0", "popsize", "n_startup_trials", "restart_strategy"},
      "CMAES"));
  CmaesConfig config;
  DLKIT_ASSIGN_OR_RETURN(config.direction, DirectionArg(args, options.direction));
  DLKIT_ASSIGN_OR_RETURN(config.seed, SeedArg(args, options.seed));
  DLKIT_ASSIGN_OR_RETURN(config.sigma0, DoubleArg(args, "sigma0", config.sigma0, 0, 1e3));
  if (config.sigma0 <= 0) return absl::InvalidArgumentError("classArg \"sigma0\" must be > 0");
  DLKIT_ASSIGN_OR_RETURN(config.popsize, IntArg(args, "popsize", 0, 2, 100000));
  DLKIT_ASSIGN_OR_RETURN(config.n_startup_trials,
                         IntArg(args, "n_startup_trials", config.n_startup_trials, 0, 1000000));
  if (auto it = args.find("restart_strategy"); it != args.end()) {
    const auto* s = std::get_if<std::string>(&it->second);
    if (s == nullptr || (!s->empty() && *s != "ipop")) {
      return absl::InvalidArgumentError("classArg \"restart_strategy\" must be \"\" or \"ipop\"");
    }
    config.restart_strategy = *s;
  }
  DLKIT_RETURN_IF_ERROR(ValidateSearchSpace(options.space));
  return std::unique_ptr<Tuner>(new CmaesTuner(options.space, config));
}

absl::StatusOr<Suggestions> CmaesTuner::Suggest(const History& history, int count) {
  if (count < 0) return absl::InvalidArgumentError("count must be >= 0");
  std::vector<const ParamSpec*> numeric;
  for (const ParamSpec& spec : space_.params) {
    if (spec.distribution != Distribution::kChoice) numeric.push_back(&spec);
  }
  const int n = static_cast<int>(numeric.size());
  const uint64_t first = history.trials.size();
  const auto startup = static_cast<uint64_t>(config_.n_startup_trials);
  Suggestions out;
  if (n == 0) {  // nothing for CMA-ES to model: random, as Optuna's independent sampler
    for (int i = 0; i < count; ++i) {
      std::mt19937_64 stream = StreamFor(config_.seed, first + i, 0, 0);
      out.assignments.push_back(SampleAssignment(space_, stream));
    }
    return out;
  }

  // Finished trials after startup as (loss, point), in index order; pending ones counted.
  std::vector<std::pair<double, Eigen::VectorXd>> finished;
  int pending = 0;
  std::set<std::string> taken;
  for (size_t i = 0; i < history.trials.size(); ++i) {
    const TrialRecord& trial = history.trials[i];
    taken.insert(AssignmentKey(trial.parameters));
    if (i < startup) continue;
    if (IsPending(trial)) {
      ++pending;
      continue;
    }
    std::optional<double> value = FinishedValue(trial);
    if (!value.has_value()) continue;
    Eigen::VectorXd x(n);
    bool ok = true;
    for (int d = 0; d < n && ok; ++d) {
      auto it = trial.parameters.find(numeric[d]->name);
      std::optional<double> u;
      if (it != trial.parameters.end()) u = Encode(*numeric[d], it->second);
      ok = u.has_value();
      if (ok) x[d] = *u;
    }
    if (!ok) continue;  // e.g. an imported trial from another space
    finished.emplace_back(Loss(*value, config_.direction), x);
  }

  // Replay: every popsize finished trials make one generation.
  const int default_lambda = 4 + static_cast<int>(std::floor(3 * std::log(n)));
  int lambda = config_.popsize > 0 ? static_cast<int>(config_.popsize) : default_lambda;
  Cma cma(n, lambda, Eigen::VectorXd::Constant(n, 0.5), config_.sigma0);
  uint64_t generation = 0;
  uint64_t restarts = 0;
  size_t pos = 0;
  while (finished.size() - pos >= static_cast<size_t>(cma.lambda())) {
    cma.Tell(std::vector<std::pair<double, Eigen::VectorXd>>(
        finished.begin() + pos, finished.begin() + pos + cma.lambda()));
    pos += cma.lambda();
    ++generation;
    if (config_.restart_strategy == "ipop" && cma.ShouldStop()) {
      // As `cmaes`' IPOP: double the population, restart from a uniform random mean.
      ++restarts;
      lambda *= 2;
      std::mt19937_64 rng = StreamFor(config_.seed, restarts, 0, 0x1b0b);
      std::uniform_real_distribution<double> uniform(0, 1);
      Eigen::VectorXd mean(n);
      for (int d = 0; d < n; ++d) mean[d] = uniform(rng);
      cma = Cma(n, lambda, mean, config_.sigma0);
    }
  }

  int slot = static_cast<int>(finished.size() - pos) + pending;
  for (int i = 0; i < count; ++i) {
    if (first + i < startup) {
      std::mt19937_64 stream = StreamFor(config_.seed, first + i, 0, 0);
      out.assignments.push_back(SampleAssignment(space_, stream));
      taken.insert(AssignmentKey(out.assignments.back()));
      continue;
    }
    if (slot >= cma.lambda()) break;  // the rest wait for this generation to finish
    // One stream per (generation, slot): the same history gives the same draws.
    std::mt19937_64 rng = StreamFor(config_.seed, generation, slot, 0xc3a);
    Assignment assignment;
    for (int attempt = 0; attempt <= kMaxDuplicateRetries; ++attempt) {
      const Eigen::VectorXd x = cma.Sample(rng);
      assignment.clear();
      int d = 0;
      for (const ParamSpec& spec : space_.params) {
        if (spec.distribution == Distribution::kChoice) {
          assignment[spec.name] = SampleValue(spec, rng);
        } else {
          assignment[spec.name] = Decode(spec, x[d++]);
        }
      }
      if (taken.count(AssignmentKey(assignment)) == 0) break;
    }
    taken.insert(AssignmentKey(assignment));
    out.assignments.push_back(std::move(assignment));
    ++slot;
  }
  return out;
}

}  // namespace dlkit::algos
