#ifndef DLKIT_SERVICES_MANAGER_EXPERIMENT_STORE_H_
#define DLKIT_SERVICES_MANAGER_EXPERIMENT_STORE_H_

// Durable state of one experiment: its row, its trials, their metric series and every state
// transition. One writer (the experiment's Manager) at a time.
//
// Error codes, for every method: INTERNAL when SQLite fails (message has SQLite's text and
// the file), NOT_FOUND where a method names a missing row, INVALID_ARGUMENT for bad input.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dlkit/v1/types.pb.h"

namespace dlkit {

// One reported measurement. (trial_id, seq) is unique: a row whose pair is already stored
// is ignored, so a retried report is never counted twice.
struct MetricRow {
  std::string trial_id;
  int64_t seq = 0;
  v1::MetricKind kind = v1::METRIC_KIND_UNSPECIFIED;
  int64_t step = 0;  // index within its (trial, kind) series
  double value = 0;
  absl::Time time;
};

// A transition of the experiment (trial_id empty) or of a trial.
struct TransitionRow {
  std::string trial_id;
  std::string state;
  std::string reason;
  absl::Time time;
};

// Changes that belong together, written in ONE transaction (one disk sync), in this order.
struct StoreChanges {
  std::optional<v1::Experiment> experiment;  // saved as SaveExperiment does, if set
  std::vector<v1::Trial> trials;             // saved as SaveTrial does, in order
  std::vector<TransitionRow> transitions;
  std::vector<MetricRow> metrics;  // appended as AppendMetrics does
  // (trial id, SecretHash of its session secret): the secret itself is never stored.
  std::vector<std::pair<std::string, std::string>> secrets;

  bool empty() const {
    return !experiment && trials.empty() && transitions.empty() && metrics.empty() &&
           secrets.empty();
  }

  // Adds `later` after these, as if both had been queued in that order.
  void Append(StoreChanges&& later) {
    if (later.experiment) experiment = std::move(later.experiment);
    for (auto& trial : later.trials) trials.push_back(std::move(trial));
    for (auto& transition : later.transitions) transitions.push_back(std::move(transition));
    for (auto& metric : later.metrics) metrics.push_back(std::move(metric));
    for (auto& secret : later.secrets) secrets.push_back(std::move(secret));
  }
};

class ExperimentStore {
 public:
  virtual ~ExperimentStore() = default;

  // Inserts or replaces the experiment row (the whole message, including spec).
  virtual absl::Status SaveExperiment(const v1::Experiment& experiment) = 0;
  // NOT_FOUND when the store holds no experiment yet.
  virtual absl::StatusOr<v1::Experiment> LoadExperiment() = 0;

  // Inserts or replaces a trial's row. Series (intermediate, loss) and history in the
  // message are ignored: metrics go through AppendMetrics, transitions through
  // RecordTransition.
  virtual absl::Status SaveTrial(const v1::Trial& trial) = 0;
  // Trials in index order. With series, intermediate/loss/history are filled from their
  // tables; without, they are left empty (cheap listing), but last_intermediate is filled.
  virtual absl::StatusOr<std::vector<v1::Trial>> LoadTrials(bool with_series) = 0;
  // NOT_FOUND for an unknown id.
  virtual absl::StatusOr<v1::Trial> LoadTrial(const std::string& trial_id, bool with_series) = 0;

  // Stores all rows in ONE transaction, durably committed before it returns; rows whose
  // (trial_id, seq) exists are skipped. FINAL rows also set the trial's final value.
  virtual absl::Status AppendMetrics(const std::vector<MetricRow>& rows) = 0;
  // Highest stored seq of a trial (0 if none): where a reconnecting Reporter resumes.
  virtual absl::StatusOr<int64_t> MaxMetricSeq(const std::string& trial_id) = 0;
  // The hash of the session secret stored for a trial (StoreChanges::secrets); NOT_FOUND if
  // none.
  virtual absl::StatusOr<std::string> LoadSecret(const std::string& trial_id) = 0;

  // Appends a state transition of the experiment (trial_id empty) or of a trial.
  virtual absl::Status RecordTransition(const std::string& trial_id, const std::string& state,
                                        const std::string& reason, absl::Time time) = 0;

  // All of `changes` or none of them, durably committed before it returns.
  virtual absl::Status Apply(const StoreChanges& changes) = 0;
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_MANAGER_EXPERIMENT_STORE_H_
