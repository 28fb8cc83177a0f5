#ifndef DLKIT_TUNER_ALGOS_TRIAL_HISTORY_H_
#define DLKIT_TUNER_ALGOS_TRIAL_HISTORY_H_

// Helpers the model-based tuners (Evolution, Anneal, Sobol, TPE, GP, CMA-ES) share for
// reading a History.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "tuner_algos/algorithm.h"

namespace dlkit::algos {

// An independent random stream per (seed, trial index): the i-th suggestion then depends
// only on the seed, i and the history, not on earlier calls (restart-safe).
std::mt19937_64 TrialStream(uint64_t seed, uint64_t index, uint64_t salt = 0);

// Succeeded trials with a finite final value, best first for `direction` (ties: older
// first).
std::vector<const TrialRecord*> RankedFinished(const History& history, Direction direction);

// True when `a` is strictly better than `b` for `direction`.
bool Better(double a, double b, Direction direction);

// A finished trial's objective value, if it has a finite one to learn from: a succeeded
// trial's final value, an early-stopped one's last intermediate (its final value if none).
std::optional<double> FinishedValue(const TrialRecord& trial);

// True while the trial waits or runs (no result yet; tuners treat it as a pending point).
bool IsPending(const TrialRecord& trial);

// `value` as a loss, smaller is better: negated when maximising.
double Loss(double value, Direction direction);

// AssignmentKey of every trial in the history (running ones too).
std::unordered_set<std::string> HistoryKeys(const History& history);

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_TRIAL_HISTORY_H_
