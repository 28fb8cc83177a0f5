// The ExperimentManager's side of the trials' sessions: secrets, metrics, kills, lost Reporters.

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "services/common/secret_hash.h"
#include "services/common/sqlite_db.h"
#include "services/manager/experiment_manager.h"
#include "services/manager/manager_test_support.h"

namespace dlkit::testing {
namespace {

TEST_CASE("A metric sent twice is stored once and acked", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(1, 1));
  TrialLaunch launch = f.Launched(1);
  RecordingSink sink;
  v1::TrialHello hello;
  hello.set_trial_id(launch.trial_id);
  hello.set_secret(launch.secret);
  REQUIRE(f.manager->AttachSession(hello, &sink).ok());
  v1::MetricReport m;
  m.set_seq(1);
  m.set_kind(v1::INTERMEDIATE);
  m.set_value(0.3);
  f.manager->OnMetric(launch.trial_id, m);
  f.manager->OnMetric(launch.trial_id, m);  // a resend after a reconnect
  REQUIRE(WaitFor([&] { return sink.acked() == 1; }));
  f.manager->OnMetric(launch.trial_id, m);  // once more, after it is stored
  auto trial = f.manager->GetTrial(launch.trial_id);
  REQUIRE(trial.ok());
  CHECK(trial->intermediate_size() == 1);
}

TEST_CASE("Sessions need the trial's own secret", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(1, 1));
  TrialLaunch launch = f.Launched(1);
  RecordingSink sink;
  v1::TrialHello hello;
  hello.set_trial_id(launch.trial_id);
  hello.set_secret("not-the-secret");
  CHECK(f.manager->AttachSession(hello, &sink).status().code() ==
        absl::StatusCode::kPermissionDenied);
  hello.set_trial_id("nosuch");
  CHECK(f.manager->AttachSession(hello, &sink).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("Killing a trial sends a stop on its session and ends it KILLED", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(1, 1));
  TrialLaunch launch = f.Launched(1);
  RecordingSink sink;
  v1::TrialHello hello;
  hello.set_trial_id(launch.trial_id);
  hello.set_secret(launch.secret);
  REQUIRE(f.manager->AttachSession(hello, &sink).ok());
  REQUIRE(f.manager->KillTrial(launch.trial_id).ok());
  CHECK(sink.stops() == 1);
  REQUIRE(f.manager->KillTrial(launch.trial_id).ok());  // idempotent
  CHECK(sink.stops() == 1);
  v1::TrialExit exit;
  exit.set_signal(15);
  exit.set_exit_code(143);
  f.manager->OnTrialExit(launch.trial_id, exit);
  CHECK(WaitFor([&] { return sink.closed(); }));
  auto trial = f.manager->GetTrial(launch.trial_id);
  REQUIRE(trial.ok());
  CHECK(trial->state() == v1::KILLED);
  CHECK(trial->reason() == "killed by the user");
}

TEST_CASE("A trial whose Reporter vanishes is FAILED as lost", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(1, 1));
  f.Launched(1);
  const std::string id = f.backend->launches()[0].trial_id;
  f.backend->Gone(id, "reporter was killed by signal 9");
  auto trial = f.manager->GetTrial(id);
  REQUIRE(trial.ok());
  CHECK(trial->state() == v1::FAILED);
  CHECK(trial->reason().find("signal 9") != std::string::npos);
}

TEST_CASE("The store keeps only a hash of each session secret", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(1, 1));
  const TrialLaunch launch = f.Launched(1);
  REQUIRE(launch.secret.size() == 32);
  f.manager->Shutdown();  // everything queued is on disk
  absl::StatusOr<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(f.directory + "/exp/experiment.db");
  REQUIRE(db.ok());
  absl::StatusOr<SqliteStatement> select =
      (*db)->Prepare("SELECT secret FROM trial_secrets WHERE trial_id = ?1");
  REQUIRE(select.ok());
  REQUIRE(select->BindText(1, launch.trial_id).ok());
  REQUIRE(*select->Step());
  const std::string stored = select->ColumnText(0);
  CHECK(stored != launch.secret);
  CHECK(stored == SecretHash(launch.secret));
}

}  // namespace
}  // namespace dlkit::testing
