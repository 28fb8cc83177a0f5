// The ExperimentManager reopened on its store after a daemon went away.

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "services/manager/experiment_manager.h"
#include "services/manager/manager_test_support.h"

namespace dlkit::testing {
namespace {

TEST_CASE("A manager reopened after the daemon died shows it STOPPED", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(1, 2));
  f.Launched(1);
  RecordingSink sink;
  f.RunTrial(f.backend->launches()[0], &sink, 0, {0.4}, 0.4);
  f.Launched(2);
  f.manager->Shutdown();  // like a daemon that goes away with a trial running
  f.manager.reset();

  auto reopened = ExperimentManager::Open(f.Options());
  REQUIRE(reopened.ok());
  f.manager = std::move(reopened).value();
  v1::Experiment e = f.Experiment();
  CHECK(e.state() == v1::EXPERIMENT_STOPPED);
  CHECK(e.reason().find("daemon") != std::string::npos);
  CHECK(e.counts().succeeded() == 1);
  CHECK(e.counts().killed() == 1);
  auto done = f.manager->GetTrial(f.backend->launches()[0].trial_id);
  REQUIRE(done.ok());
  REQUIRE(done->intermediate_size() == 1);
  CHECK(done->final_value() == Approx(0.4));
}

}  // namespace
}  // namespace dlkit::testing
