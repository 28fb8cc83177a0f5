#ifndef DLKIT_TUNER_ALGOS_ALGORITHM_H_
#define DLKIT_TUNER_ALGOS_ALGORITHM_H_

// The interfaces every search algorithm (tuner) and early-stopping assessor implements, and
// the history they learn from.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tuner_algos/search_space.h"

namespace dlkit::algos {

enum class TrialStatus { kWaiting, kRunning, kSucceeded, kFailed, kEarlyStopped, kKilled };

enum class Direction { kMaximize, kMinimize };

struct TrialRecord {
  std::string trial_id;
  int64_t index = 0;  // 1-based creation order
  TrialStatus status = TrialStatus::kWaiting;
  Assignment parameters;
  std::optional<double> final_value;
  std::vector<double> intermediate;
};

// All trials the experiment has so far, in creation order. Waiting/running trials are
// included (parameters known, no final value) so tuners can avoid piling onto them.
struct History {
  std::vector<TrialRecord> trials;
};

// classArgs as the user wrote them (numbers, strings, bools).
using ClassArgs = std::map<std::string, std::variant<double, int64_t, std::string, bool>>;

struct AlgorithmOptions {
  SearchSpace space;
  ClassArgs class_args;
  Direction direction = Direction::kMaximize;
  uint64_t seed = 0;
};

struct Suggestions {
  std::vector<Assignment> assignments;  // may hold fewer than asked
  bool exhausted = false;               // the algorithm has nothing more to propose
};

class Tuner {
 public:
  virtual ~Tuner() = default;
  // Proposes up to `count` new assignments given everything so far. Deterministic for the
  // same options (seed), same history and same sequence of calls.
  virtual absl::StatusOr<Suggestions> Suggest(const History& history, int count) = 0;
};

enum class AssessDecision { kContinue, kStop };

class Assessor {
 public:
  virtual ~Assessor() = default;
  virtual absl::StatusOr<AssessDecision> Assess(const TrialRecord& trial,
                                                const History& history) = 0;
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_ALGORITHM_H_
