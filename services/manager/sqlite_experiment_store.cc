#include "services/manager/sqlite_experiment_store.h"

#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "google/protobuf/timestamp.pb.h"

namespace dlkit {
namespace {

// Ordered migrations: kMigrations[i] takes the schema from version i to i + 1. Never edit a
// released step; append a new one.
const std::vector<std::string>& Migrations() {
  static const auto* const kMigrations = new std::vector<std::string>{
      // v1
      R"sql(
      -- The one experiment of this file: its whole message plus columns worth querying.
      CREATE TABLE experiment (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        state INTEGER NOT NULL,
        created_ns INTEGER NOT NULL,
        updated_ns INTEGER NOT NULL,
        data BLOB NOT NULL
      );

      -- data: v1.Trial without intermediate, loss and history (they have their own tables).
      -- final_seq / last_step are set from metrics; while NULL, has_final/final_value and
      -- has_last/last_value come from the saved message. A NULL value with its flag set is
      -- NaN (SQLite stores NaN as NULL).
      CREATE TABLE trials (
        id TEXT PRIMARY KEY NOT NULL,
        idx INTEGER NOT NULL,
        state INTEGER NOT NULL,
        created_ns INTEGER NOT NULL,
        updated_ns INTEGER NOT NULL,
        data BLOB NOT NULL,
        has_final INTEGER NOT NULL DEFAULT 0,
        final_value REAL,
        final_seq INTEGER,
        has_last INTEGER NOT NULL DEFAULT 0,
        last_value REAL,
        last_step INTEGER,
        last_seq INTEGER
      );
      CREATE INDEX trials_by_index ON trials (idx, id);

      -- Every reported measurement; (trial_id, seq) makes a retried report a no-op.
      CREATE TABLE metrics (
        trial_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        kind INTEGER NOT NULL,
        step INTEGER NOT NULL,
        value REAL,
        time_ns INTEGER NOT NULL,
        PRIMARY KEY (trial_id, seq)
      ) WITHOUT ROWID;

      -- State changes of the experiment (trial_id '') and of its trials, in insertion order.
      CREATE TABLE transitions (
        id INTEGER PRIMARY KEY,
        trial_id TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT NOT NULL,
        time_ns INTEGER NOT NULL
      );
      CREATE INDEX transitions_by_trial ON transitions (trial_id, id);
      )sql",
      // v2
      R"sql(
      -- Each trial's session secret (its SHA-256 since the secrets are hashed; the Manager
      -- hashes a 32-digit plain one an older dlkit wrote), apart from the trial's message,
      -- so that a restarted Manager can take back trials that outlived it (cluster Jobs).
      CREATE TABLE trial_secrets (
        trial_id TEXT PRIMARY KEY NOT NULL,
        secret TEXT NOT NULL
      ) WITHOUT ROWID;
      )sql",
  };
  return *kMigrations;
}

constexpr char kTrialColumns[] = "data, has_final, final_value, has_last, last_value";

constexpr int64_t kNanosPerSecond = 1000000000;

int64_t TimestampToNanos(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * kNanosPerSecond + ts.nanos();
}

void NanosToTimestamp(int64_t nanos, google::protobuf::Timestamp* ts) {
  int64_t seconds = nanos / kNanosPerSecond;
  int64_t rest = nanos % kNanosPerSecond;
  if (rest < 0) {
    rest += kNanosPerSecond;
    --seconds;
  }
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(rest));
}

absl::Status ValidateRow(const MetricRow& row) {
  if (row.trial_id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("metric seq ", row.seq, " has no trial id"));
  }
  if (row.seq < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("metric of trial ", row.trial_id, " has seq ", row.seq, "; seqs start at 1"));
  }
  if (row.kind != v1::INTERMEDIATE && row.kind != v1::LOSS && row.kind != v1::FINAL) {
    return absl::InvalidArgumentError(
        absl::StrCat("metric seq ", row.seq, " of trial ", row.trial_id, " has no valid kind"));
  }
  if (row.step < 0) {
    return absl::InvalidArgumentError(absl::StrCat("metric seq ", row.seq, " of trial ",
                                                   row.trial_id, " has negative step ", row.step));
  }
  return absl::OkStatus();
}

// What one AppendMetrics batch changes in a trial's derived columns.
struct DerivedUpdate {
  bool has_final = false;
  int64_t final_seq = 0;
  double final_value = 0;
  bool has_last = false;
  int64_t last_step = 0;
  int64_t last_seq = 0;
  double last_value = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteExperimentStore>> SqliteExperimentStore::Open(
    const std::string& path) {
  DLKIT_ASSIGN_OR_RETURN(
      std::unique_ptr<SqliteDb> db,
      SqliteDb::OpenAtVersion(path, Migrations(), kSchemaVersion, "experiment store"));
  return std::unique_ptr<SqliteExperimentStore>(new SqliteExperimentStore(std::move(db)));
}

absl::StatusOr<int> SqliteExperimentStore::SchemaVersion() {
  absl::MutexLock lock(&mu_);
  return db_->SchemaVersion();
}

// ---------------------------------------------------------------------------------------
// Experiment

absl::Status SqliteExperimentStore::SaveExperiment(const v1::Experiment& experiment) {
  StoreChanges changes;
  changes.experiment = experiment;
  return Apply(changes);
}

absl::Status SqliteExperimentStore::SaveExperimentLocked(const v1::Experiment& experiment) {
  if (experiment.id().empty()) {
    return absl::InvalidArgumentError("cannot save an experiment without id");
  }
  {
    DLKIT_ASSIGN_OR_RETURN(auto existing,
                           db_->Cached("SELECT id FROM experiment WHERE singleton = 1"));
    DLKIT_ASSIGN_OR_RETURN(bool found, existing->Step());
    if (found && existing->ColumnText(0) != experiment.id()) {
      return absl::InvalidArgumentError(absl::StrCat("store ", path_, " holds experiment ",
                                                     existing->ColumnText(0), ", not ",
                                                     experiment.id()));
    }
    DLKIT_ASSIGN_OR_RETURN(auto insert,
                           db_->Cached("INSERT OR REPLACE INTO experiment "
                                       "(singleton, id, name, state, created_ns, updated_ns, data) "
                                       "VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)"));
    DLKIT_RETURN_IF_ERROR(insert->BindText(1, experiment.id()));
    DLKIT_RETURN_IF_ERROR(insert->BindText(2, experiment.spec().name()));
    DLKIT_RETURN_IF_ERROR(insert->BindInt64(3, experiment.state()));
    DLKIT_RETURN_IF_ERROR(insert->BindInt64(4, TimestampToNanos(experiment.created())));
    DLKIT_RETURN_IF_ERROR(insert->BindInt64(5, ToDbTime(absl::Now())));
    DLKIT_RETURN_IF_ERROR(insert->BindBlob(6, experiment.SerializeAsString()));
    return insert->Run();
  }
}

absl::StatusOr<v1::Experiment> SqliteExperimentStore::LoadExperiment() {
  absl::MutexLock lock(&mu_);
  DLKIT_ASSIGN_OR_RETURN(auto select,
                         db_->Cached("SELECT data FROM experiment WHERE singleton = 1"));
  DLKIT_ASSIGN_OR_RETURN(bool found, select->Step());
  if (!found) {
    return absl::NotFoundError(absl::StrCat("store ", path_, " holds no experiment yet"));
  }
  v1::Experiment experiment;
  if (!experiment.ParseFromString(select->ColumnBlob(0))) {
    return absl::DataLossError(
        absl::StrCat("experiment row of ", path_, " does not parse as v1.Experiment"));
  }
  return experiment;
}

// ---------------------------------------------------------------------------------------
// Trials

absl::Status SqliteExperimentStore::SaveTrial(const v1::Trial& trial) {
  StoreChanges changes;
  changes.trials.push_back(trial);
  return Apply(changes);
}

absl::Status SqliteExperimentStore::SaveTrialLocked(const v1::Trial& trial) {
  if (trial.id().empty()) return absl::InvalidArgumentError("cannot save a trial without id");
  v1::Trial stored = trial;
  stored.clear_intermediate();
  stored.clear_loss();
  stored.clear_history();
  const std::string data = stored.SerializeAsString();
  {
    // The derived columns keep values set by metrics (final_seq / last_step not NULL).
    DLKIT_ASSIGN_OR_RETURN(
        auto upsert,
        db_->Cached(
            "INSERT INTO trials (id, idx, state, created_ns, updated_ns, data, "
            "has_final, final_value, has_last, last_value) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
            "ON CONFLICT (id) DO UPDATE SET "
            "idx = excluded.idx, state = excluded.state, created_ns = excluded.created_ns, "
            "updated_ns = excluded.updated_ns, data = excluded.data, "
            "has_final = CASE WHEN final_seq IS NULL THEN excluded.has_final "
            "ELSE has_final END, "
            "final_value = CASE WHEN final_seq IS NULL THEN excluded.final_value "
            "ELSE final_value END, "
            "has_last = CASE WHEN last_step IS NULL THEN excluded.has_last ELSE has_last END, "
            "last_value = CASE WHEN last_step IS NULL THEN excluded.last_value "
            "ELSE last_value END"));
    DLKIT_ASSIGN_OR_RETURN(auto exists, db_->Cached("SELECT 1 FROM trials WHERE id = ?1"));
    DLKIT_RETURN_IF_ERROR(exists->BindText(1, trial.id()));
    DLKIT_ASSIGN_OR_RETURN(bool existed, exists->Step());
    exists->Reset();

    DLKIT_RETURN_IF_ERROR(upsert->BindText(1, trial.id()));
    DLKIT_RETURN_IF_ERROR(upsert->BindInt64(2, trial.index()));
    DLKIT_RETURN_IF_ERROR(upsert->BindInt64(3, trial.state()));
    DLKIT_RETURN_IF_ERROR(upsert->BindInt64(4, TimestampToNanos(trial.created())));
    DLKIT_RETURN_IF_ERROR(upsert->BindInt64(5, ToDbTime(absl::Now())));
    DLKIT_RETURN_IF_ERROR(upsert->BindBlob(6, data));
    DLKIT_RETURN_IF_ERROR(upsert->BindInt64(7, trial.has_final() ? 1 : 0));
    DLKIT_RETURN_IF_ERROR(upsert->BindDouble(8, trial.final_value()));
    DLKIT_RETURN_IF_ERROR(upsert->BindInt64(9, trial.has_last_intermediate() ? 1 : 0));
    DLKIT_RETURN_IF_ERROR(upsert->BindDouble(10, trial.last_intermediate()));
    DLKIT_RETURN_IF_ERROR(upsert->Run());
    if (existed) return absl::OkStatus();
    return DeriveFromStoredMetrics(trial.id());
  }
}

absl::Status SqliteExperimentStore::DeriveFromStoredMetrics(const std::string& trial_id) {
  DLKIT_ASSIGN_OR_RETURN(
      auto final_row, db_->Cached("SELECT seq, value FROM metrics "
                                  "WHERE trial_id = ?1 AND kind = ?2 ORDER BY seq DESC LIMIT 1"));
  DLKIT_RETURN_IF_ERROR(final_row->BindText(1, trial_id));
  DLKIT_RETURN_IF_ERROR(final_row->BindInt64(2, v1::FINAL));
  DLKIT_ASSIGN_OR_RETURN(bool has_final, final_row->Step());
  if (has_final) {
    DLKIT_ASSIGN_OR_RETURN(auto update,
                           db_->Cached("UPDATE trials SET has_final = 1, final_seq = ?2, "
                                       "final_value = ?3 WHERE id = ?1"));
    DLKIT_RETURN_IF_ERROR(update->BindText(1, trial_id));
    DLKIT_RETURN_IF_ERROR(update->BindInt64(2, final_row->ColumnInt64(0)));
    DLKIT_RETURN_IF_ERROR(update->BindDouble(3, final_row->ColumnDouble(1)));
    DLKIT_RETURN_IF_ERROR(update->Run());
  }
  DLKIT_ASSIGN_OR_RETURN(
      auto last_row,
      db_->Cached("SELECT step, seq, value FROM metrics WHERE trial_id = ?1 AND kind = ?2 "
                  "ORDER BY step DESC, seq DESC LIMIT 1"));
  DLKIT_RETURN_IF_ERROR(last_row->BindText(1, trial_id));
  DLKIT_RETURN_IF_ERROR(last_row->BindInt64(2, v1::INTERMEDIATE));
  DLKIT_ASSIGN_OR_RETURN(bool has_last, last_row->Step());
  if (has_last) {
    DLKIT_ASSIGN_OR_RETURN(auto update,
                           db_->Cached("UPDATE trials SET has_last = 1, last_step = ?2, "
                                       "last_seq = ?3, last_value = ?4 WHERE id = ?1"));
    DLKIT_RETURN_IF_ERROR(update->BindText(1, trial_id));
    DLKIT_RETURN_IF_ERROR(update->BindInt64(2, last_row->ColumnInt64(0)));
    DLKIT_RETURN_IF_ERROR(update->BindInt64(3, last_row->ColumnInt64(1)));
    DLKIT_RETURN_IF_ERROR(update->BindDouble(4, last_row->ColumnDouble(2)));
    DLKIT_RETURN_IF_ERROR(update->Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Trial> SqliteExperimentStore::TrialFromRow(const SqliteStatement& stmt) {
  v1::Trial trial;
  if (!trial.ParseFromString(stmt.ColumnBlob(0))) {
    return absl::DataLossError(
        absl::StrCat("a trial row of ", path_, " does not parse as v1.Trial"));
  }
  trial.set_has_final(stmt.ColumnInt64(1) != 0);
  trial.set_final_value(trial.has_final() ? stmt.ColumnDouble(2) : 0);
  trial.set_has_last_intermediate(stmt.ColumnInt64(3) != 0);
  trial.set_last_intermediate(trial.has_last_intermediate() ? stmt.ColumnDouble(4) : 0);
  return trial;
}

absl::Status SqliteExperimentStore::FillSeries(v1::Trial& trial) {
  DLKIT_ASSIGN_OR_RETURN(
      auto series,
      db_->Cached("SELECT kind, step, value, time_ns FROM metrics "
                  "WHERE trial_id = ?1 AND kind IN (?2, ?3) ORDER BY kind, step, seq"));
  DLKIT_RETURN_IF_ERROR(series->BindText(1, trial.id()));
  DLKIT_RETURN_IF_ERROR(series->BindInt64(2, v1::INTERMEDIATE));
  DLKIT_RETURN_IF_ERROR(series->BindInt64(3, v1::LOSS));
  for (;;) {
    DLKIT_ASSIGN_OR_RETURN(bool row, series->Step());
    if (!row) break;
    v1::Measurement* m =
        series->ColumnInt64(0) == v1::INTERMEDIATE ? trial.add_intermediate() : trial.add_loss();
    m->set_step(series->ColumnInt64(1));
    m->set_value(series->ColumnDouble(2));
    NanosToTimestamp(series->ColumnInt64(3), m->mutable_time());
  }
  DLKIT_ASSIGN_OR_RETURN(std::vector<v1::StateChange> history, LoadTransitionsLocked(trial.id()));
  for (v1::StateChange& change : history) *trial.add_history() = std::move(change);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Trial>> SqliteExperimentStore::LoadTrials(bool with_series) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Trial> trials;
  {
    DLKIT_ASSIGN_OR_RETURN(auto select, db_->Cached(absl::StrCat("SELECT ", kTrialColumns,
                                                                 " FROM trials ORDER BY idx, id")));
    for (;;) {
      DLKIT_ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      DLKIT_ASSIGN_OR_RETURN(v1::Trial trial, TrialFromRow(*select));
      trials.push_back(std::move(trial));
    }
  }
  if (with_series) {
    for (v1::Trial& trial : trials) DLKIT_RETURN_IF_ERROR(FillSeries(trial));
  }
  return trials;
}

absl::StatusOr<v1::Trial> SqliteExperimentStore::LoadTrial(const std::string& trial_id,
                                                           bool with_series) {
  absl::MutexLock lock(&mu_);
  v1::Trial trial;
  {
    DLKIT_ASSIGN_OR_RETURN(auto select, db_->Cached(absl::StrCat("SELECT ", kTrialColumns,
                                                                 " FROM trials WHERE id = ?1")));
    DLKIT_RETURN_IF_ERROR(select->BindText(1, trial_id));
    DLKIT_ASSIGN_OR_RETURN(bool found, select->Step());
    if (!found) {
      return absl::NotFoundError(absl::StrCat("no trial ", trial_id, " in store ", path_));
    }
    DLKIT_ASSIGN_OR_RETURN(trial, TrialFromRow(*select));
  }
  if (with_series) DLKIT_RETURN_IF_ERROR(FillSeries(trial));
  return trial;
}

// ---------------------------------------------------------------------------------------
// Metrics

absl::Status SqliteExperimentStore::AppendMetrics(const std::vector<MetricRow>& rows) {
  if (rows.empty()) {
    return absl::OkStatus();
  }
  StoreChanges changes;
  changes.metrics = rows;
  return Apply(changes);
}

absl::Status SqliteExperimentStore::AppendMetricsLocked(const std::vector<MetricRow>& rows) {
  if (rows.empty()) return absl::OkStatus();
  DLKIT_ASSIGN_OR_RETURN(
      auto insert,
      db_->Cached("INSERT OR IGNORE INTO metrics (trial_id, seq, kind, step, value, time_ns) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  std::unordered_map<std::string, DerivedUpdate> derived;
  for (const MetricRow& row : rows) {
    DLKIT_RETURN_IF_ERROR(insert->BindText(1, row.trial_id));
    DLKIT_RETURN_IF_ERROR(insert->BindInt64(2, row.seq));
    DLKIT_RETURN_IF_ERROR(insert->BindInt64(3, row.kind));
    DLKIT_RETURN_IF_ERROR(insert->BindInt64(4, row.step));
    DLKIT_RETURN_IF_ERROR(insert->BindDouble(5, row.value));
    DLKIT_RETURN_IF_ERROR(insert->BindInt64(6, ToDbTime(row.time)));
    DLKIT_RETURN_IF_ERROR(insert->Run());
    if (db_->Changes() == 0) continue;  // a retried row, already counted

    if (row.kind == v1::FINAL) {
      DerivedUpdate& d = derived[row.trial_id];
      if (!d.has_final || row.seq > d.final_seq) {
        d.has_final = true;
        d.final_seq = row.seq;
        d.final_value = row.value;
      }
    } else if (row.kind == v1::INTERMEDIATE) {
      DerivedUpdate& d = derived[row.trial_id];
      if (!d.has_last || row.step > d.last_step ||
          (row.step == d.last_step && row.seq > d.last_seq)) {
        d.has_last = true;
        d.last_step = row.step;
        d.last_seq = row.seq;
        d.last_value = row.value;
      }
    }
  }
  // One update per trial and batch; a trial without a row yet gets these on SaveTrial.
  for (const auto& [trial_id, d] : derived) {
    if (d.has_final) {
      DLKIT_ASSIGN_OR_RETURN(
          auto update,
          db_->Cached("UPDATE trials SET has_final = 1, final_seq = ?2, final_value = ?3 "
                      "WHERE id = ?1 AND (final_seq IS NULL OR final_seq < ?2)"));
      DLKIT_RETURN_IF_ERROR(update->BindText(1, trial_id));
      DLKIT_RETURN_IF_ERROR(update->BindInt64(2, d.final_seq));
      DLKIT_RETURN_IF_ERROR(update->BindDouble(3, d.final_value));
      DLKIT_RETURN_IF_ERROR(update->Run());
    }
    if (d.has_last) {
      DLKIT_ASSIGN_OR_RETURN(
          auto update, db_->Cached("UPDATE trials SET has_last = 1, last_step = ?2, last_seq = ?3, "
                                   "last_value = ?4 WHERE id = ?1 AND (last_step IS NULL OR "
                                   "last_step < ?2 OR (last_step = ?2 AND last_seq < ?3))"));
      DLKIT_RETURN_IF_ERROR(update->BindText(1, trial_id));
      DLKIT_RETURN_IF_ERROR(update->BindInt64(2, d.last_step));
      DLKIT_RETURN_IF_ERROR(update->BindInt64(3, d.last_seq));
      DLKIT_RETURN_IF_ERROR(update->BindDouble(4, d.last_value));
      DLKIT_RETURN_IF_ERROR(update->Run());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SqliteExperimentStore::MaxMetricSeq(const std::string& trial_id) {
  absl::MutexLock lock(&mu_);
  DLKIT_ASSIGN_OR_RETURN(
      auto select, db_->Cached("SELECT COALESCE(MAX(seq), 0) FROM metrics WHERE trial_id = ?1"));
  DLKIT_RETURN_IF_ERROR(select->BindText(1, trial_id));
  DLKIT_ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return 0;
  return select->ColumnInt64(0);
}

absl::StatusOr<std::string> SqliteExperimentStore::LoadSecret(const std::string& trial_id) {
  absl::MutexLock lock(&mu_);
  DLKIT_ASSIGN_OR_RETURN(auto select,
                         db_->Cached("SELECT secret FROM trial_secrets WHERE trial_id = ?1"));
  DLKIT_RETURN_IF_ERROR(select->BindText(1, trial_id));
  DLKIT_ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no session secret for trial ", trial_id));
  return select->ColumnText(0);
}

// ---------------------------------------------------------------------------------------
// Transitions

absl::Status SqliteExperimentStore::RecordTransition(const std::string& trial_id,
                                                     const std::string& state,
                                                     const std::string& reason, absl::Time time) {
  StoreChanges changes;
  changes.transitions.push_back({trial_id, state, reason, time});
  return Apply(changes);
}

absl::Status SqliteExperimentStore::Apply(const StoreChanges& changes) {
  // The metrics are checked first: the changes are stored entirely or not at all.
  for (const MetricRow& row : changes.metrics) DLKIT_RETURN_IF_ERROR(ValidateRow(row));
  absl::MutexLock lock(&mu_);
  return db_->Transaction([&]() -> absl::Status {
    if (changes.experiment) DLKIT_RETURN_IF_ERROR(SaveExperimentLocked(*changes.experiment));
    for (const v1::Trial& trial : changes.trials) DLKIT_RETURN_IF_ERROR(SaveTrialLocked(trial));
    for (const TransitionRow& t : changes.transitions) {
      DLKIT_RETURN_IF_ERROR(RecordTransitionLocked(t.trial_id, t.state, t.reason, t.time));
    }
    for (const auto& [trial_id, secret] : changes.secrets) {
      DLKIT_ASSIGN_OR_RETURN(
          auto insert,
          db_->Cached("INSERT OR REPLACE INTO trial_secrets (trial_id, secret) VALUES (?1, ?2)"));
      DLKIT_RETURN_IF_ERROR(insert->BindText(1, trial_id));
      DLKIT_RETURN_IF_ERROR(insert->BindText(2, secret));
      DLKIT_RETURN_IF_ERROR(insert->Run());
    }
    return AppendMetricsLocked(changes.metrics);
  });
}

absl::Status SqliteExperimentStore::RecordTransitionLocked(const std::string& trial_id,
                                                           const std::string& state,
                                                           const std::string& reason,
                                                           absl::Time time) {
  if (state.empty()) return absl::InvalidArgumentError("a transition needs a state");
  DLKIT_ASSIGN_OR_RETURN(auto insert,
                         db_->Cached("INSERT INTO transitions (trial_id, state, reason, time_ns) "
                                     "VALUES (?1, ?2, ?3, ?4)"));
  DLKIT_RETURN_IF_ERROR(insert->BindText(1, trial_id));
  DLKIT_RETURN_IF_ERROR(insert->BindText(2, state));
  DLKIT_RETURN_IF_ERROR(insert->BindText(3, reason));
  DLKIT_RETURN_IF_ERROR(insert->BindInt64(4, ToDbTime(time)));
  return insert->Run();
}

absl::StatusOr<std::vector<v1::StateChange>> SqliteExperimentStore::LoadTransitions(
    const std::string& trial_id) {
  absl::MutexLock lock(&mu_);
  return LoadTransitionsLocked(trial_id);
}

absl::StatusOr<std::vector<v1::StateChange>> SqliteExperimentStore::LoadTransitionsLocked(
    const std::string& trial_id) {
  DLKIT_ASSIGN_OR_RETURN(auto select, db_->Cached("SELECT state, reason, time_ns FROM transitions "
                                                  "WHERE trial_id = ?1 ORDER BY id"));
  DLKIT_RETURN_IF_ERROR(select->BindText(1, trial_id));
  std::vector<v1::StateChange> changes;
  for (;;) {
    DLKIT_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    v1::StateChange& change = changes.emplace_back();
    change.set_state(select->ColumnText(0));
    change.set_reason(select->ColumnText(1));
    NanosToTimestamp(select->ColumnInt64(2), change.mutable_time());
  }
  return changes;
}

}  // namespace dlkit
