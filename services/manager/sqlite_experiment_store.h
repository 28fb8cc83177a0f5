#ifndef DLKIT_SERVICES_MANAGER_SQLITE_EXPERIMENT_STORE_H_
#define DLKIT_SERVICES_MANAGER_SQLITE_EXPERIMENT_STORE_H_

// ExperimentStore in one SQLite file per experiment (WAL, synchronous=FULL: see
// services/common/sqlite_db.h for why a returned AppendMetrics survives a kill or a crash).
//
// Derived values are kept in the trial's row as metrics arrive, so listing trials never
// scans the metric table: the latest FINAL value and the intermediate value at the highest
// step. They win over the same fields of a saved trial message, so a Manager that saves a
// stale copy of a trial cannot erase a reported final value.
//
// Thread-safe: calls are serialised on one connection.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dlkit/v1/types.pb.h"
#include "services/common/sqlite_db.h"
#include "services/manager/experiment_store.h"

namespace dlkit {

class SqliteExperimentStore : public ExperimentStore {
 public:
  // Opens or creates the store at `path` (":memory:" for a private in-memory store) and
  // brings its schema up to date. INTERNAL naming the file when it cannot be opened or is
  // not a database; FAILED_PRECONDITION when a newer dlkit wrote it.
  static absl::StatusOr<std::unique_ptr<SqliteExperimentStore>> Open(const std::string& path);

  // Schema version this code writes.
  static constexpr int kSchemaVersion = 2;

  absl::Status SaveExperiment(const v1::Experiment& experiment) override;
  absl::StatusOr<v1::Experiment> LoadExperiment() override;

  absl::Status SaveTrial(const v1::Trial& trial) override;
  absl::StatusOr<std::vector<v1::Trial>> LoadTrials(bool with_series) override;
  absl::StatusOr<v1::Trial> LoadTrial(const std::string& trial_id, bool with_series) override;

  absl::Status AppendMetrics(const std::vector<MetricRow>& rows) override;
  absl::StatusOr<int64_t> MaxMetricSeq(const std::string& trial_id) override;
  absl::StatusOr<std::string> LoadSecret(const std::string& trial_id) override;

  absl::Status RecordTransition(const std::string& trial_id, const std::string& state,
                                const std::string& reason, absl::Time time) override;
  absl::Status Apply(const StoreChanges& changes) override;

  // Not part of ExperimentStore: the transitions of the experiment (trial_id empty) or of
  // one trial, in the order they were recorded.
  absl::StatusOr<std::vector<v1::StateChange>> LoadTransitions(const std::string& trial_id);
  // The schema version recorded in the file.
  absl::StatusOr<int> SchemaVersion();

  const std::string& path() const { return path_; }

 private:
  explicit SqliteExperimentStore(std::unique_ptr<SqliteDb> db)
      : path_(db->path()), db_(std::move(db)) {}

  // A trial from a row selected with kTrialColumns: its stored message with the derived
  // columns laid over it.
  absl::StatusOr<v1::Trial> TrialFromRow(const SqliteStatement& stmt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fills intermediate, loss and history from their tables.
  absl::Status FillSeries(v1::Trial& trial) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Recomputes a new trial's derived columns from metrics that arrived before its row.
  absl::Status DeriveFromStoredMetrics(const std::string& trial_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<v1::StateChange>> LoadTransitionsLocked(const std::string& trial_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The writes of Apply, inside its transaction.
  absl::Status SaveExperimentLocked(const v1::Experiment& experiment)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SaveTrialLocked(const v1::Trial& trial) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AppendMetricsLocked(const std::vector<MetricRow>& rows)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RecordTransitionLocked(const std::string& trial_id, const std::string& state,
                                      const std::string& reason, absl::Time time)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  absl::Mutex mu_;
  std::unique_ptr<SqliteDb> db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_MANAGER_SQLITE_EXPERIMENT_STORE_H_
