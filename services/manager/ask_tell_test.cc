// The ExperimentManager in ask/tell mode.

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "services/manager/experiment_manager.h"
#include "services/manager/manager_test_support.h"

namespace dlkit::testing {
namespace {

TEST_CASE("Ask/tell: asked trials run nowhere and end when told", "[manager][asktell]") {
  Fixture f;
  f.Create(AskTellSpec(3));
  auto asked = f.manager->AskTrials(2);
  REQUIRE(asked.ok());
  REQUIRE(asked->size() == 2);
  CHECK(f.backend->launches().empty());  // nothing is launched in ask/tell mode
  for (const v1::Trial& t : *asked) {
    CHECK(t.state() == v1::RUNNING);
    CHECK(t.parameters().values().count("x") == 1);
  }
  const std::string first = (*asked)[0].id();
  auto stop = f.manager->ReportTrialMetric(first, v1::INTERMEDIATE, 0.2, 1);
  REQUIRE(stop.ok());
  CHECK_FALSE(*stop);
  REQUIRE(f.manager->ReportTrialMetric(first, v1::INTERMEDIATE, 0.2, 1).ok());  // a retry
  v1::TellTrialRequest tell;
  tell.set_trial_id(first);
  tell.set_value(0.7);
  auto told = f.manager->TellTrial(tell);
  REQUIRE(told.ok());
  CHECK(told->state() == v1::SUCCEEDED);
  REQUIRE(f.manager->TellTrial(tell).ok());  // idempotent
  CHECK(f.manager->ReportTrialMetric(first, v1::INTERMEDIATE, 0.3, 2).status().code() ==
        absl::StatusCode::kFailedPrecondition);

  v1::TellTrialRequest failed;
  failed.set_trial_id((*asked)[1].id());
  failed.set_failed(true);
  failed.set_reason("diverged");
  auto failed_trial = f.manager->TellTrial(failed);
  REQUIRE(failed_trial.ok());
  CHECK(failed_trial->state() == v1::FAILED);
  CHECK(failed_trial->reason() == "diverged");

  // The last of maxTrialNumber, then no more.
  auto last = f.manager->AskTrials(5);
  REQUIRE(last.ok());
  REQUIRE(last->size() == 1);
  CHECK(f.manager->AskTrials(1).status().code() == absl::StatusCode::kOutOfRange);
  tell.set_trial_id((*last)[0].id());
  REQUIRE(f.manager->TellTrial(tell).ok());
  REQUIRE(WaitFor([&] { return f.Experiment().state() == v1::EXPERIMENT_DONE; }));
  CHECK(f.Experiment().best_value() == Approx(0.7));
  auto stored = f.manager->GetTrial(first);
  REQUIRE(stored.ok());
  REQUIRE(stored->intermediate_size() == 1);  // the retried report counted once
  CHECK(stored->final_value() == Approx(0.7));
}

TEST_CASE(
    "Ask/tell from many threads: a told trial is on disk when the tell returns, and the "
    "counts and best match the trials",
    "[manager][asktell]") {
  Fixture f;
  constexpr int kThreads = 8, kEach = 12;
  f.Create(AskTellSpec(kThreads * kEach));
  // A second connection to the same file sees only what is committed.
  auto reader = SqliteExperimentStore::Open(f.directory + "/exp/experiment.db");
  REQUIRE(reader.ok());
  std::atomic<int> not_on_disk{0}, errors{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kThreads; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        auto asked = f.manager->AskTrials(1);
        if (!asked.ok() || asked->size() != 1) {
          ++errors;
          return;
        }
        const std::string id = (*asked)[0].id();
        if (!(*reader)->LoadTrial(id, false).ok()) ++not_on_disk;
        if (!f.manager->ReportTrialMetric(id, v1::INTERMEDIATE, 0.5, 1).ok()) ++errors;
        v1::TellTrialRequest tell;
        tell.set_trial_id(id);
        // Every third trial of a worker fails; the values differ across all trials.
        tell.set_failed(i % 3 == 2);
        tell.set_value(w * 100 + i);
        if (!f.manager->TellTrial(tell).ok()) ++errors;
        auto stored = (*reader)->LoadTrial(id, false);
        if (!stored.ok() || stored->state() != (i % 3 == 2 ? v1::FAILED : v1::SUCCEEDED)) {
          ++not_on_disk;
        }
      }
    });
  }
  for (std::thread& t : workers) t.join();
  CHECK(errors == 0);
  CHECK(not_on_disk == 0);
  REQUIRE(WaitFor([&] { return f.Experiment().state() == v1::EXPERIMENT_DONE; }));
  v1::ListTrialsRequest list;
  list.set_page_size(1000);
  auto trials = f.manager->ListTrials(list);
  REQUIRE(trials.ok());
  REQUIRE(trials->trials_size() == kThreads * kEach);
  std::map<v1::TrialState, int> by_state;
  double best = -1;
  for (const v1::Trial& t : trials->trials()) {
    ++by_state[t.state()];
    if (t.has_final()) best = std::max(best, t.final_value());
  }
  const v1::Experiment e = f.Experiment();
  CHECK(e.counts().succeeded() == by_state[v1::SUCCEEDED]);
  CHECK(e.counts().failed() == by_state[v1::FAILED]);
  CHECK(e.counts().failed() == kThreads * (kEach / 3));
  CHECK(e.counts().running() == 0);
  CHECK(e.best_value() == best);
  CHECK(e.best_value() == (kThreads - 1) * 100 + (kEach - 2));  // the last success of the last
}

TEST_CASE("Ask/tell calls are refused on experiments that run their own trials",
          "[manager][asktell]") {
  Fixture f;
  f.Create(BasicSpec(1, 1));
  CHECK(f.manager->AskTrials(1).status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("An ask retried with its request id gets the same trials, not new ones",
          "[manager][asktell]") {
  Fixture f;
  f.Create(AskTellSpec(10));
  auto first = f.manager->AskTrials(2, "req-1");
  REQUIRE(first.ok());
  REQUIRE(first->size() == 2);
  auto again = f.manager->AskTrials(2, "req-1");  // the answer was lost: the client retries
  REQUIRE(again.ok());
  REQUIRE(again->size() == 2);
  CHECK((*again)[0].id() == (*first)[0].id());
  CHECK((*again)[1].id() == (*first)[1].id());
  CHECK(f.Experiment().counts().running() == 2);
  auto other = f.manager->AskTrials(1, "req-2");
  REQUIRE(other.ok());
  REQUIRE(other->size() == 1);
  CHECK((*other)[0].id() != (*first)[0].id());
  CHECK((*other)[0].id() != (*first)[1].id());
  CHECK(f.Experiment().counts().running() == 3);
  // Without an id every ask is a new one.
  REQUIRE(f.manager->AskTrials(1).ok());
  REQUIRE(f.manager->AskTrials(1).ok());
  CHECK(f.Experiment().counts().running() == 5);
}

TEST_CASE("An asked trial whose worker falls silent past its lease ends FAILED, worker lost",
          "[manager][asktell]") {
  Fixture f;
  v1::ExperimentSpec spec = AskTellSpec(10);
  spec.mutable_ask_lease()->set_nanos(300 * 1000 * 1000);  // 300 ms
  f.Create(spec);
  auto asked = f.manager->AskTrials(3);
  REQUIRE(asked.ok());
  REQUIRE(asked->size() == 3);
  const std::string beating = (*asked)[0].id();
  const std::string reporting = (*asked)[1].id();
  const std::string silent = (*asked)[2].id();
  // Twice the lease: one worker sends heartbeats, one reports, one says nothing.
  for (int i = 1; i <= 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto stop = f.manager->HeartbeatTrial(beating);
    REQUIRE(stop.ok());
    CHECK_FALSE(*stop);
    REQUIRE(f.manager->ReportTrialMetric(reporting, v1::INTERMEDIATE, 0.1 * i, i).ok());
  }
  REQUIRE(WaitFor([&] { return f.manager->TrialEnded(silent); }));
  auto lost = f.manager->GetTrial(silent);
  REQUIRE(lost.ok());
  CHECK(lost->state() == v1::FAILED);
  CHECK_THAT(lost->reason(), Catch::Contains("worker lost: no report or heartbeat for 300ms"));
  CHECK_FALSE(f.manager->TrialEnded(beating));
  CHECK_FALSE(f.manager->TrialEnded(reporting));
  // The lost worker hears why when it comes back.
  auto late = f.manager->HeartbeatTrial(silent);
  CHECK(late.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(late.status().message()), Catch::Contains("worker lost"));
  auto told = f.Tell(beating, 0.5);
  REQUIRE(told.ok());
  CHECK(told->state() == v1::SUCCEEDED);
}

}  // namespace
}  // namespace dlkit::testing
