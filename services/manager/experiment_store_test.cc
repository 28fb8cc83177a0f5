// Conformance tests of ExperimentStore, run against every implementation, plus the
// file-only properties of SqliteExperimentStore (durability, errors, crash safety).

#include "services/manager/experiment_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "dlkit/v1/types.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/common/sqlite_db.h"
#include "services/common/sqlite_testing.h"
#include "services/manager/sqlite_experiment_store.h"

namespace dlkit {
namespace {

using google::protobuf::util::MessageDifferencer;

// ---------------------------------------------------------------------------------------
// Implementations under test. Each provides Open() for a fresh, empty store.

struct FileStore {
  static std::unique_ptr<ExperimentStore> Open() {
    auto store = SqliteExperimentStore::Open(testing::MakeTempDir() + "/experiment.db");
    DLKIT_REQUIRE_OK(store);
    return std::move(store).value();
  }
};

struct MemoryStore {
  static std::unique_ptr<ExperimentStore> Open() {
    auto store = SqliteExperimentStore::Open(":memory:");
    DLKIT_REQUIRE_OK(store);
    return std::move(store).value();
  }
};

// ---------------------------------------------------------------------------------------
// Builders.

absl::Time T(int64_t millis) { return absl::FromUnixMillis(1700000000000 + millis); }

int64_t Nanos(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000000 + ts.nanos();
}

v1::Experiment MakeExperiment(const std::string& id) {
  v1::Experiment e;
  e.set_id(id);
  e.set_state(v1::EXPERIMENT_RUNNING);
  e.mutable_created()->set_seconds(1700000000);
  e.mutable_created()->set_nanos(123456789);
  v1::ExperimentSpec* spec = e.mutable_spec();
  spec->set_name("mnist-lr");
  spec->set_trial_command("python3 train.py");
  spec->set_trial_concurrency(4);
  spec->set_max_trial_number(20);
  spec->mutable_tuner()->set_name("TPE");
  (*spec->mutable_tuner()->mutable_class_args())["optimize_mode"].set_string_value("maximize");
  (*spec->mutable_trial_env())["CUDA_VISIBLE_DEVICES"] = "0";
  v1::ParameterSpec* lr = spec->mutable_search_space()->add_parameters();
  lr->set_name("lr");
  lr->set_distribution(v1::LOGUNIFORM);
  lr->add_args(1e-4);
  lr->add_args(1e-1);
  spec->mutable_objective()->set_direction(v1::MAXIMIZE);
  e.mutable_counts()->set_running(2);
  return e;
}

v1::Trial MakeTrial(const std::string& id, int64_t index, v1::TrialState state = v1::WAITING) {
  v1::Trial t;
  t.set_id(id);
  t.set_experiment_id("exp1");
  t.set_index(index);
  t.set_state(state);
  (*t.mutable_parameters()->mutable_values())["lr"].set_double_value(0.01 * index);
  v1::ParameterValue& model = (*t.mutable_parameters()->mutable_values())["model"];
  (*model.mutable_nested()->mutable_values())["_name"].set_string_value("cnn");
  (*model.mutable_nested()->mutable_values())["layers"].set_int_value(index);
  t.mutable_created()->set_seconds(1700000000 + index);
  t.set_log_path(absl::StrCat("/logs/", id, ".log"));
  return t;
}

MetricRow Row(const std::string& trial_id, int64_t seq, v1::MetricKind kind, int64_t step,
              double value) {
  MetricRow row;
  row.trial_id = trial_id;
  row.seq = seq;
  row.kind = kind;
  row.step = step;
  row.value = value;
  row.time = T(seq * 1000 + 7);
  return row;
}

std::vector<int64_t> Steps(const google::protobuf::RepeatedPtrField<v1::Measurement>& series) {
  std::vector<int64_t> steps;
  for (const v1::Measurement& m : series) steps.push_back(m.step());
  return steps;
}

std::vector<double> Values(const google::protobuf::RepeatedPtrField<v1::Measurement>& series) {
  std::vector<double> values;
  for (const v1::Measurement& m : series) values.push_back(m.value());
  return values;
}

std::vector<std::string> Ids(const std::vector<v1::Trial>& trials) {
  std::vector<std::string> ids;
  for (const v1::Trial& t : trials) ids.push_back(t.id());
  return ids;
}

v1::Trial LoadOrDie(ExperimentStore& store, const std::string& id, bool with_series) {
  auto trial = store.LoadTrial(id, with_series);
  DLKIT_REQUIRE_OK(trial);
  return *trial;
}

// ---------------------------------------------------------------------------------------
// Conformance cases.

TEMPLATE_TEST_CASE("store saves and loads the experiment", "[store]", FileStore, MemoryStore) {
  auto store = TestType::Open();
  DLKIT_REQUIRE_CODE(store->LoadExperiment(), absl::StatusCode::kNotFound);

  v1::Experiment experiment = MakeExperiment("exp1");
  DLKIT_REQUIRE_OK(store->SaveExperiment(experiment));
  auto loaded = store->LoadExperiment();
  DLKIT_REQUIRE_OK(loaded);
  CHECK(MessageDifferencer::Equals(*loaded, experiment));

  experiment.set_state(v1::EXPERIMENT_DONE);
  experiment.set_reason("max trial number reached");
  DLKIT_REQUIRE_OK(store->SaveExperiment(experiment));
  loaded = store->LoadExperiment();
  DLKIT_REQUIRE_OK(loaded);
  CHECK(MessageDifferencer::Equals(*loaded, experiment));

  DLKIT_REQUIRE_CODE(store->SaveExperiment(MakeExperiment("other")),
                     absl::StatusCode::kInvalidArgument);
  DLKIT_REQUIRE_CODE(store->SaveExperiment(v1::Experiment()), absl::StatusCode::kInvalidArgument);
  loaded = store->LoadExperiment();
  DLKIT_REQUIRE_OK(loaded);
  CHECK(loaded->id() == "exp1");
  CHECK(loaded->state() == v1::EXPERIMENT_DONE);
}

TEMPLATE_TEST_CASE("store upserts trials and lists them in index order", "[store]", FileStore,
                   MemoryStore) {
  auto store = TestType::Open();
  DLKIT_REQUIRE_OK(store->SaveTrial(MakeTrial("c", 3)));
  DLKIT_REQUIRE_OK(store->SaveTrial(MakeTrial("a", 1)));
  DLKIT_REQUIRE_OK(store->SaveTrial(MakeTrial("b", 2)));

  auto trials = store->LoadTrials(false);
  DLKIT_REQUIRE_OK(trials);
  CHECK(Ids(*trials) == std::vector<std::string>{"a", "b", "c"});
  CHECK(MessageDifferencer::Equals((*trials)[1], MakeTrial("b", 2)));

  v1::Trial b = MakeTrial("b", 2, v1::RUNNING);
  b.mutable_started()->set_seconds(1700000100);
  b.set_attempt(1);
  DLKIT_REQUIRE_OK(store->SaveTrial(b));
  trials = store->LoadTrials(false);
  DLKIT_REQUIRE_OK(trials);
  REQUIRE(trials->size() == 3);
  CHECK(MessageDifferencer::Equals((*trials)[1], b));
  CHECK(MessageDifferencer::Equals(LoadOrDie(*store, "b", false), b));

  DLKIT_REQUIRE_CODE(store->LoadTrial("nope", false), absl::StatusCode::kNotFound);
  DLKIT_REQUIRE_CODE(store->LoadTrial("nope", true), absl::StatusCode::kNotFound);
  DLKIT_REQUIRE_CODE(store->SaveTrial(v1::Trial()), absl::StatusCode::kInvalidArgument);
}

TEMPLATE_TEST_CASE("store ignores series and history inside a saved trial", "[store]", FileStore,
                   MemoryStore) {
  auto store = TestType::Open();
  v1::Trial t = MakeTrial("a", 1);
  t.add_intermediate()->set_value(1);
  t.add_loss()->set_value(2);
  t.add_history()->set_state("RUNNING");
  DLKIT_REQUIRE_OK(store->SaveTrial(t));
  v1::Trial loaded = LoadOrDie(*store, "a", true);
  CHECK(loaded.intermediate_size() == 0);
  CHECK(loaded.loss_size() == 0);
  CHECK(loaded.history_size() == 0);
}

TEMPLATE_TEST_CASE("store counts a metric seq once", "[store]", FileStore, MemoryStore) {
  auto store = TestType::Open();
  DLKIT_REQUIRE_OK(store->SaveTrial(MakeTrial("a", 1)));
  auto max = store->MaxMetricSeq("a");
  DLKIT_REQUIRE_OK(max);
  CHECK(*max == 0);

  DLKIT_REQUIRE_OK(store->AppendMetrics({Row("a", 1, v1::INTERMEDIATE, 0, 0.1),
                                         Row("a", 2, v1::INTERMEDIATE, 1, 0.2),
                                         Row("a", 3, v1::INTERMEDIATE, 2, 0.3)}));
  // A retry of seqs 2 and 3 (with different values: the first ones stay) plus a new one.
  DLKIT_REQUIRE_OK(store->AppendMetrics({Row("a", 2, v1::INTERMEDIATE, 1, 9.0),
                                         Row("a", 3, v1::INTERMEDIATE, 2, 9.0),
                                         Row("a", 4, v1::INTERMEDIATE, 3, 0.4)}));
  // The same seq twice inside one batch.
  DLKIT_REQUIRE_OK(store->AppendMetrics(
      {Row("a", 5, v1::INTERMEDIATE, 4, 0.5), Row("a", 5, v1::INTERMEDIATE, 4, 0.5)}));

  v1::Trial a = LoadOrDie(*store, "a", true);
  CHECK(Steps(a.intermediate()) == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(Values(a.intermediate()) == std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5});
  max = store->MaxMetricSeq("a");
  DLKIT_REQUIRE_OK(max);
  CHECK(*max == 5);
  max = store->MaxMetricSeq("unknown");
  DLKIT_REQUIRE_OK(max);
  CHECK(*max == 0);
  DLKIT_REQUIRE_OK(store->AppendMetrics({}));
}

TEMPLATE_TEST_CASE("store returns series in step order with their times", "[store]", FileStore,
                   MemoryStore) {
  auto store = TestType::Open();
  DLKIT_REQUIRE_OK(store->SaveTrial(MakeTrial("a", 1)));
  DLKIT_REQUIRE_OK(store->SaveTrial(MakeTrial("b", 2)));
  // Steps arrive out of order, interleaved with loss rows and another trial's rows.
  DLKIT_REQUIRE_OK(store->AppendMetrics(
      {Row("a", 1, v1::INTERMEDIATE, 2, 0.72), Row("a", 2, v1::LOSS, 1, 1.5),
       Row("b", 1, v1::INTERMEDIATE, 0, 0.33), Row("a", 3, v1::INTERMEDIATE, 0, 0.50)}));
  DLKIT_REQUIRE_OK(store->AppendMetrics(
      {Row("a", 4, v1::LOSS, 0, 2.5), Row("a", 5, v1::INTERMEDIATE, 1, 0.61)}));

  v1::Trial a = LoadOrDie(*store, "a", true);
  CHECK(Steps(a.intermediate()) == std::vector<int64_t>{0, 1, 2});
  CHECK(Values(a.intermediate()) == std::vector<double>{0.50, 0.61, 0.72});
  CHECK(Steps(a.loss()) == std::vector<int64_t>{0, 1});
  CHECK(Values(a.loss()) == std::vector<double>{2.5, 1.5});
  // Step 0 of the intermediate series was seq 3.
  CHECK(Nanos(a.intermediate(0).time()) == absl::ToUnixNanos(T(3 * 1000 + 7)));
  // The latest intermediate is the highest step (seq 1), not the latest seq.
  CHECK(a.has_last_intermediate());
  CHECK(a.last_intermediate() == 0.72);

  v1::Trial listed = LoadOrDie(*store, "a", false);
  CHECK(listed.intermediate_size() == 0);
  CHECK(listed.loss_size() == 0);
  CHECK(listed.has_last_intermediate());
  CHECK(listed.last_intermediate() == 0.72);

  auto all = store->LoadTrials(false);
  DLKIT_REQUIRE_OK(all);
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].last_intermediate() == 0.72);
  CHECK((*all)[1].last_intermediate() == 0.33);
  CHECK((*all)[1].intermediate_size() == 0);

  auto full = store->LoadTrials(true);
  DLKIT_REQUIRE_OK(full);
  REQUIRE(full->size() == 2);
  CHECK(MessageDifferencer::Equals((*full)[0], a));
  CHECK(Values((*full)[1].intermediate()) == std::vector<double>{0.33});
  CHECK((*full)[1].loss_size() == 0);
}

TEMPLATE_TEST_CASE("store sets the final value from FINAL rows", "[store]", FileStore,
                   MemoryStore) {
  auto store = TestType::Open();
  v1::Trial a = MakeTrial("a", 1, v1::RUNNING);
  DLKIT_REQUIRE_OK(store->SaveTrial(a));
  CHECK_FALSE(LoadOrDie(*store, "a", false).has_final());

  DLKIT_REQUIRE_OK(store->AppendMetrics(
      {Row("a", 1, v1::INTERMEDIATE, 0, 0.5), Row("a", 2, v1::FINAL, 0, 0.9)}));
  v1::Trial loaded = LoadOrDie(*store, "a", false);
  CHECK(loaded.has_final());
  CHECK(loaded.final_value() == 0.9);

  // The Manager saves its (stale) copy: the reported final value survives.
  a.set_state(v1::SUCCEEDED);
  DLKIT_REQUIRE_OK(store->SaveTrial(a));
  loaded = LoadOrDie(*store, "a", false);
  CHECK(loaded.state() == v1::SUCCEEDED);
  CHECK(loaded.has_final());
  CHECK(loaded.final_value() == 0.9);
  CHECK(loaded.last_intermediate() == 0.5);

  // A later FINAL wins; a retried earlier one changes nothing.
  DLKIT_REQUIRE_OK(store->AppendMetrics({Row("a", 3, v1::FINAL, 0, 0.95)}));
  DLKIT_REQUIRE_OK(store->AppendMetrics({Row("a", 2, v1::FINAL, 0, 0.1)}));
  CHECK(LoadOrDie(*store, "a", true).final_value() == 0.95);

  // Without FINAL rows the saved message's final value is kept.
  v1::Trial b = MakeTrial("b", 2, v1::SUCCEEDED);
  b.set_has_final(true);
  b.set_final_value(0.42);
  DLKIT_REQUIRE_OK(store->SaveTrial(b));
  loaded = LoadOrDie(*store, "b", false);
  CHECK(loaded.has_final());
  CHECK(loaded.final_value() == 0.42);
}

TEMPLATE_TEST_CASE("store applies metrics that arrive before their trial's row", "[store]",
                   FileStore, MemoryStore) {
  auto store = TestType::Open();
  DLKIT_REQUIRE_OK(store->AppendMetrics({Row("early", 1, v1::INTERMEDIATE, 0, 0.25),
                                         Row("early", 2, v1::INTERMEDIATE, 1, 0.35),
                                         Row("early", 3, v1::FINAL, 0, 0.4)}));
  auto trials = store->LoadTrials(false);
  DLKIT_REQUIRE_OK(trials);
  CHECK(trials->empty());  // metrics alone do not make a trial

  DLKIT_REQUIRE_OK(store->SaveTrial(MakeTrial("early", 1)));
  v1::Trial loaded = LoadOrDie(*store, "early", true);
  CHECK(loaded.has_final());
  CHECK(loaded.final_value() == 0.4);
  CHECK(loaded.has_last_intermediate());
  CHECK(loaded.last_intermediate() == 0.35);
  CHECK(loaded.intermediate_size() == 2);
}

TEMPLATE_TEST_CASE("store keeps NaN and infinite values", "[store]", FileStore, MemoryStore) {
  auto store = TestType::Open();
  DLKIT_REQUIRE_OK(store->SaveTrial(MakeTrial("a", 1)));
  const double inf = std::numeric_limits<double>::infinity();
  DLKIT_REQUIRE_OK(store->AppendMetrics(
      {Row("a", 1, v1::LOSS, 0, std::nan("")), Row("a", 2, v1::LOSS, 1, inf),
       Row("a", 3, v1::INTERMEDIATE, 0, std::nan("")), Row("a", 4, v1::FINAL, 0, -inf)}));
  v1::Trial a = LoadOrDie(*store, "a", true);
  REQUIRE(a.loss_size() == 2);
  CHECK(std::isnan(a.loss(0).value()));
  CHECK(a.loss(1).value() == inf);
  CHECK(a.has_last_intermediate());
  CHECK(std::isnan(a.last_intermediate()));
  CHECK(a.has_final());
  CHECK(a.final_value() == -inf);
}

TEMPLATE_TEST_CASE("store rejects a bad metric batch as a whole", "[store]", FileStore,
                   MemoryStore) {
  auto store = TestType::Open();
  DLKIT_REQUIRE_OK(store->SaveTrial(MakeTrial("a", 1)));
  MetricRow bad = Row("a", 2, v1::INTERMEDIATE, 1, 0.2);
  SECTION("seq 0") { bad.seq = 0; }
  SECTION("no trial id") { bad.trial_id.clear(); }
  SECTION("no kind") { bad.kind = v1::METRIC_KIND_UNSPECIFIED; }
  SECTION("negative step") { bad.step = -1; }
  DLKIT_REQUIRE_CODE(store->AppendMetrics({Row("a", 1, v1::INTERMEDIATE, 0, 0.1), bad}),
                     absl::StatusCode::kInvalidArgument);
  auto max = store->MaxMetricSeq("a");
  DLKIT_REQUIRE_OK(max);
  CHECK(*max == 0);
}

TEMPLATE_TEST_CASE("store records transitions in order", "[store]", FileStore, MemoryStore) {
  auto store = TestType::Open();
  DLKIT_REQUIRE_OK(store->SaveTrial(MakeTrial("a", 1)));
  DLKIT_REQUIRE_OK(store->RecordTransition("", "RUNNING", "submitted", T(0)));
  DLKIT_REQUIRE_OK(store->RecordTransition("a", "WAITING", "suggested by TPE", T(1)));
  DLKIT_REQUIRE_OK(store->RecordTransition("a", "RUNNING", "", T(2)));
  DLKIT_REQUIRE_OK(store->RecordTransition("a", "FAILED", "exit code 1", T(3)));
  DLKIT_REQUIRE_CODE(store->RecordTransition("a", "", "no state", T(4)),
                     absl::StatusCode::kInvalidArgument);

  v1::Trial a = LoadOrDie(*store, "a", true);
  REQUIRE(a.history_size() == 3);
  CHECK(a.history(0).state() == "WAITING");
  CHECK(a.history(0).reason() == "suggested by TPE");
  CHECK(a.history(1).state() == "RUNNING");
  CHECK(a.history(2).state() == "FAILED");
  CHECK(a.history(2).reason() == "exit code 1");
  CHECK(Nanos(a.history(2).time()) == absl::ToUnixNanos(T(3)));
  CHECK(LoadOrDie(*store, "a", false).history_size() == 0);

  auto* sqlite = dynamic_cast<SqliteExperimentStore*>(store.get());
  REQUIRE(sqlite != nullptr);
  auto experiment_history = sqlite->LoadTransitions("");
  DLKIT_REQUIRE_OK(experiment_history);
  REQUIRE(experiment_history->size() == 1);
  CHECK((*experiment_history)[0].state() == "RUNNING");
  CHECK((*experiment_history)[0].reason() == "submitted");
}

TEMPLATE_TEST_CASE("store records its schema version", "[store]", FileStore, MemoryStore) {
  auto store = TestType::Open();
  auto* sqlite = dynamic_cast<SqliteExperimentStore*>(store.get());
  REQUIRE(sqlite != nullptr);
  auto version = sqlite->SchemaVersion();
  DLKIT_REQUIRE_OK(version);
  CHECK(*version == SqliteExperimentStore::kSchemaVersion);
}

TEMPLATE_TEST_CASE("store keeps trials' session secrets apart from their messages", "[store]",
                   FileStore, MemoryStore) {
  auto store = TestType::Open();
  DLKIT_REQUIRE_CODE(store->LoadSecret("a"), absl::StatusCode::kNotFound);
  StoreChanges changes;
  changes.trials.push_back(MakeTrial("a", 1));
  changes.secrets.emplace_back("a", "s3cr3t");
  DLKIT_REQUIRE_OK(store->Apply(changes));
  auto secret = store->LoadSecret("a");
  DLKIT_REQUIRE_OK(secret);
  CHECK(*secret == "s3cr3t");
  auto trial = store->LoadTrial("a", true);
  DLKIT_REQUIRE_OK(trial);
  CHECK_FALSE(absl::StrContains(trial->DebugString(), "s3cr3t"));  // the API serves trials
  changes = StoreChanges();
  changes.secrets.emplace_back("a", "another");  // a new one replaces the old
  DLKIT_REQUIRE_OK(store->Apply(changes));
  CHECK(*store->LoadSecret("a") == "another");
}

TEMPLATE_TEST_CASE("store serialises concurrent writers", "[store]", FileStore, MemoryStore) {
  auto store = TestType::Open();
  constexpr int kBatches = 20;
  constexpr int kRows = 50;
  std::vector<absl::Status> results(2);
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      const std::string id = absl::StrCat("t", w);
      absl::Status status = store->SaveTrial(MakeTrial(id, w + 1));
      for (int b = 0; b < kBatches && status.ok(); ++b) {
        std::vector<MetricRow> rows;
        for (int i = 0; i < kRows; ++i) {
          const int64_t seq = b * kRows + i + 1;
          rows.push_back(Row(id, seq, v1::INTERMEDIATE, seq - 1, seq));
        }
        status = store->AppendMetrics(rows);
      }
      results[w] = status;
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& status : results) DLKIT_REQUIRE_OK(status);
  for (int w = 0; w < 2; ++w) {
    v1::Trial t = LoadOrDie(*store, absl::StrCat("t", w), true);
    CHECK(t.intermediate_size() == kBatches * kRows);
    CHECK(t.last_intermediate() == kBatches * kRows);
  }
}

// ---------------------------------------------------------------------------------------
// File-backed store only.

// Writes one of everything.
void Populate(ExperimentStore& store) {
  DLKIT_REQUIRE_OK(store.SaveExperiment(MakeExperiment("exp1")));
  DLKIT_REQUIRE_OK(store.SaveTrial(MakeTrial("a", 1, v1::SUCCEEDED)));
  DLKIT_REQUIRE_OK(store.SaveTrial(MakeTrial("b", 2, v1::RUNNING)));
  DLKIT_REQUIRE_OK(
      store.AppendMetrics({Row("a", 1, v1::INTERMEDIATE, 0, 0.5), Row("a", 2, v1::LOSS, 0, 1.25),
                           Row("a", 3, v1::FINAL, 0, 0.8), Row("b", 1, v1::INTERMEDIATE, 0, 0.3)}));
  DLKIT_REQUIRE_OK(store.RecordTransition("", "RUNNING", "submitted", T(0)));
  DLKIT_REQUIRE_OK(store.RecordTransition("a", "RUNNING", "", T(1)));
  DLKIT_REQUIRE_OK(store.RecordTransition("a", "SUCCEEDED", "exit code 0", T(2)));
}

TEST_CASE("file store keeps everything across close and reopen", "[store][file]") {
  const std::string path = testing::MakeTempDir() + "/experiment.db";
  std::vector<v1::Trial> before;
  {
    auto store = SqliteExperimentStore::Open(path);
    DLKIT_REQUIRE_OK(store);
    Populate(**store);
    auto trials = (*store)->LoadTrials(true);
    DLKIT_REQUIRE_OK(trials);
    before = *trials;
  }
  auto store = SqliteExperimentStore::Open(path);
  DLKIT_REQUIRE_OK(store);
  auto experiment = (*store)->LoadExperiment();
  DLKIT_REQUIRE_OK(experiment);
  CHECK(MessageDifferencer::Equals(*experiment, MakeExperiment("exp1")));
  auto after = (*store)->LoadTrials(true);
  DLKIT_REQUIRE_OK(after);
  REQUIRE(after->size() == 2);
  REQUIRE(before.size() == 2);
  for (size_t i = 0; i < before.size(); ++i) {
    CHECK(MessageDifferencer::Equals(before[i], (*after)[i]));
  }
  // And the content is what was written, not merely equal to itself.
  CHECK((*after)[0].final_value() == 0.8);
  CHECK((*after)[0].loss_size() == 1);
  CHECK((*after)[0].history_size() == 2);
  auto max = (*store)->MaxMetricSeq("a");
  DLKIT_REQUIRE_OK(max);
  CHECK(*max == 3);
  auto history = (*store)->LoadTransitions("");
  DLKIT_REQUIRE_OK(history);
  CHECK(history->size() == 1);
}

TEST_CASE("file store records the migration in the file", "[store][file]") {
  const std::string path = testing::MakeTempDir() + "/experiment.db";
  { DLKIT_REQUIRE_OK(SqliteExperimentStore::Open(path)); }
  { DLKIT_REQUIRE_OK(SqliteExperimentStore::Open(path)); }  // reopening applies nothing
  auto db = SqliteDb::Open(path);
  DLKIT_REQUIRE_OK(db);
  auto select = (*db)->Prepare("SELECT version, applied_ns FROM schema_version");
  DLKIT_REQUIRE_OK(select);
  for (int version = 1; version <= SqliteExperimentStore::kSchemaVersion; ++version) {
    auto row = select->Step();
    DLKIT_REQUIRE_OK(row);
    REQUIRE(*row);
    CHECK(select->ColumnInt64(0) == version);
    CHECK(select->ColumnInt64(1) > 0);
  }
  auto row = select->Step();
  DLKIT_REQUIRE_OK(row);
  CHECK_FALSE(*row);  // each migration applied once
}

TEST_CASE("file store refuses a file from a newer schema", "[store][file]") {
  const std::string path = testing::MakeTempDir() + "/experiment.db";
  { DLKIT_REQUIRE_OK(SqliteExperimentStore::Open(path)); }
  {
    auto db = SqliteDb::Open(path);
    DLKIT_REQUIRE_OK(db);
    DLKIT_REQUIRE_OK((*db)->Exec("INSERT INTO schema_version VALUES (99, 0)"));
  }
  auto store = SqliteExperimentStore::Open(path);
  DLKIT_REQUIRE_CODE(store, absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(store.status().message(), path));
}

TEST_CASE("file store names the file it cannot use", "[store][file]") {
  const std::string dir = testing::MakeTempDir();
  std::string path;
  SECTION("corrupted file") {
    path = dir + "/corrupt.db";
    std::ofstream(path) << "SQLite format 2\n" << std::string(8192, '\x5a');
  }
  SECTION("missing directory") { path = dir + "/missing/experiment.db"; }
  SECTION("a directory") { path = dir; }
  auto store = SqliteExperimentStore::Open(path);
  REQUIRE_FALSE(store.ok());
  INFO(store.status().ToString());
  CHECK(store.status().code() == absl::StatusCode::kInternal);
  CHECK(absl::StrContains(store.status().message(), path));
}

TEST_CASE("file store loses nothing when its process is killed after AppendMetrics",
          "[store][file]") {
  const std::string path = testing::MakeTempDir() + "/experiment.db";
  constexpr int kBatch = 1000;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Child: no Catch2 here, only _exit.
    close(fds[0]);
    auto store = SqliteExperimentStore::Open(path);
    if (!store.ok() || !(*store)->SaveTrial(MakeTrial("a", 1, v1::RUNNING)).ok()) _exit(2);
    int64_t seq = 0;
    for (int batch = 0; batch < 100000; ++batch) {
      std::vector<MetricRow> rows;
      for (int i = 0; i < kBatch; ++i) {
        ++seq;
        rows.push_back(Row("a", seq, i + 1 == kBatch ? v1::FINAL : v1::INTERMEDIATE, seq,
                           static_cast<double>(seq)));
      }
      if (!(*store)->AppendMetrics(rows).ok()) _exit(3);
      // Keeps writing after "ok": the kill lands in the middle of a later batch.
      if (batch == 0 && write(fds[1], "ok", 2) != 2) _exit(4);
    }
    _exit(0);
  }
  close(fds[1]);
  char reply[2] = {0, 0};
  const ssize_t n = read(fds[0], reply, 2);
  // Let it write a few more batches, so the kill most likely lands inside one.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(pid, SIGKILL);
  int wait_status = 0;
  REQUIRE(waitpid(pid, &wait_status, 0) == pid);
  close(fds[0]);
  REQUIRE(n == 2);
  REQUIRE(std::string(reply, 2) == "ok");
  CHECK(WIFSIGNALED(wait_status));

  auto store = SqliteExperimentStore::Open(path);
  DLKIT_REQUIRE_OK(store);
  auto max = (*store)->MaxMetricSeq("a");
  DLKIT_REQUIRE_OK(max);
  CHECK(*max >= kBatch);
  CHECK(*max % kBatch == 0);  // a batch is all or nothing
  v1::Trial a = LoadOrDie(**store, "a", true);
  CHECK(a.has_final());
  CHECK(a.final_value() == static_cast<double>(*max));  // the last stored batch's FINAL
  CHECK(a.intermediate_size() == *max - *max / kBatch);
  std::printf("killed writer had committed %lld metric rows\n", static_cast<long long>(*max));
}

TEST_CASE("file store AppendMetrics throughput (prints, does not assert)", "[store][file][perf]") {
  auto store = SqliteExperimentStore::Open(testing::MakeTempDir() + "/experiment.db");
  DLKIT_REQUIRE_OK(store);
  constexpr int kTrials = 10;
  constexpr int kBatches = 100;
  constexpr int kBatch = 1000;
  for (int t = 0; t < kTrials; ++t) {
    DLKIT_REQUIRE_OK((*store)->SaveTrial(MakeTrial(absl::StrCat("trial-", t), t + 1)));
  }
  std::vector<std::vector<MetricRow>> batches;
  std::vector<int64_t> seqs(kTrials, 0);
  for (int b = 0; b < kBatches; ++b) {
    std::vector<MetricRow>& rows = batches.emplace_back();
    for (int i = 0; i < kBatch; ++i) {
      const int t = (b * kBatch + i) % kTrials;
      const int64_t seq = ++seqs[t];
      rows.push_back(Row(absl::StrCat("trial-", t), seq, seq % 2 == 0 ? v1::LOSS : v1::INTERMEDIATE,
                         seq / 2, 1.0 / seq));
    }
  }
  const auto start = std::chrono::steady_clock::now();
  for (const std::vector<MetricRow>& rows : batches)
    DLKIT_REQUIRE_OK((*store)->AppendMetrics(rows));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("AppendMetrics: %d rows in batches of %d, synchronous=FULL: %.3f s, %.0f rows/s\n",
              kBatches * kBatch, kBatch, seconds, kBatches * kBatch / seconds);
  auto max = (*store)->MaxMetricSeq("trial-0");
  DLKIT_REQUIRE_OK(max);
  CHECK(*max == kBatches * kBatch / kTrials);
}

}  // namespace
}  // namespace dlkit
