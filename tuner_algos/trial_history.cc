#include "tuner_algos/trial_history.h"

#include <algorithm>
#include <cmath>

namespace dlkit::algos {

std::mt19937_64 TrialStream(uint64_t seed, uint64_t index, uint64_t salt) {
  std::seed_seq seq{static_cast<uint32_t>(seed),  static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32),
                    static_cast<uint32_t>(salt),  static_cast<uint32_t>(salt >> 32)};
  return std::mt19937_64(seq);
}

bool Better(double a, double b, Direction direction) {
  return direction == Direction::kMaximize ? a > b : a < b;
}

std::vector<const TrialRecord*> RankedFinished(const History& history, Direction direction) {
  std::vector<const TrialRecord*> finished;
  for (const TrialRecord& trial : history.trials) {
    if (trial.status == TrialStatus::kSucceeded && trial.final_value.has_value() &&
        std::isfinite(*trial.final_value)) {
      finished.push_back(&trial);
    }
  }
  std::stable_sort(finished.begin(), finished.end(),
                   [direction](const TrialRecord* a, const TrialRecord* b) {
                     return Better(*a->final_value, *b->final_value, direction);
                   });
  return finished;
}

std::optional<double> FinishedValue(const TrialRecord& trial) {
  std::optional<double> value;
  if (trial.status == TrialStatus::kSucceeded) value = trial.final_value;
  if (trial.status == TrialStatus::kEarlyStopped) {
    value = trial.intermediate.empty() ? trial.final_value
                                       : std::optional<double>(trial.intermediate.back());
  }
  if (value.has_value() && !std::isfinite(*value)) return std::nullopt;
  return value;
}

bool IsPending(const TrialRecord& trial) {
  return trial.status == TrialStatus::kWaiting || trial.status == TrialStatus::kRunning;
}

double Loss(double value, Direction direction) {
  return direction == Direction::kMaximize ? -value : value;
}

std::unordered_set<std::string> HistoryKeys(const History& history) {
  std::unordered_set<std::string> keys;
  for (const TrialRecord& trial : history.trials) keys.insert(AssignmentKey(trial.parameters));
  return keys;
}

}  // namespace dlkit::algos
