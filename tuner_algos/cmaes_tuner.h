#ifndef DLKIT_TUNER_ALGOS_CMAES_TUNER_H_
#define DLKIT_TUNER_ALGOS_CMAES_TUNER_H_

// CMA-ES (Hansen's (mu/mu_w, lambda) with rank-one and rank-mu covariance updates and CSA
// step-size control) with the semantics of Optuna 3.1's CmaEsSampler / the `cmaes` library.
//
// The search runs over the top-level numeric parameters, each encoded into [0, 1]: linear for
// uniform/quniform, log for (q)loguniform, the cell [lower, upper) for randint, the CDF for
// (q)(log)normal types; a point is decoded through RawFromUnit/Quantize (rounding for q-types
// and randint). Like Optuna's independent sampling of parameters outside the relative search
// space, `choice` parameters (and everything nested under them) are drawn at random.
//
// The state is not kept between calls: it is replayed from the history on every Suggest, so
// a restarted tuner told the same history continues identically. Trials before
// n_startup_trials are random and not learned from. After them, finished trials in index order
// form generations of popsize each; the finished trials past the last full generation plus the
// waiting/running ones are the pending members of the current generation, and Suggest returns
// at most the free slots of that generation (the rest wait until it completes).

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"

namespace dlkit::algos {

struct CmaesConfig {
  Direction direction = Direction::kMaximize;
  uint64_t seed = 0;
  double sigma0 = 0.3;  // initial step size in unit space
  int64_t popsize = 0;  // 0: 4 + floor(3 ln n)
  int64_t n_startup_trials = 0;
  std::string restart_strategy;  // "" or "ipop" (restart with doubled popsize on convergence)
};

class CmaesTuner : public Tuner {
 public:
  // classArgs: optimize_mode, seed, sigma0, popsize, n_startup_trials, restart_strategy.
  static absl::StatusOr<std::unique_ptr<Tuner>> Create(const AlgorithmOptions& options);

  // Deterministic in the seed and the history. Succeeded trials count with their final value,
  // early-stopped ones with their last intermediate value; failed/killed trials are ignored.
  absl::StatusOr<Suggestions> Suggest(const History& history, int count) override;

 private:
  CmaesTuner(SearchSpace space, CmaesConfig config)
      : space_(std::move(space)), config_(std::move(config)) {}

  SearchSpace space_;
  CmaesConfig config_;
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_CMAES_TUNER_H_
