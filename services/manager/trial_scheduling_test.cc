// The ExperimentManager's scheduling loop: concurrency, limits, retries, an exhausted space.

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "services/manager/experiment_manager.h"
#include "services/manager/manager_test_support.h"

namespace dlkit::testing {
namespace {

TEST_CASE("Trials run at the configured concurrency until maxTrialNumber", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(2, 5));
  f.Launched(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(f.backend->launches().size() == 2);  // concurrency 2: no third yet

  std::vector<std::unique_ptr<RecordingSink>> sinks;
  for (size_t i = 0; i < 5; ++i) {
    REQUIRE(WaitFor([&] { return f.backend->launches().size() > i; }));
    sinks.push_back(std::make_unique<RecordingSink>());
    f.RunTrial(f.backend->launches()[i], sinks.back().get(), 0, {0.1, 0.2},
               0.5 + 0.1 * static_cast<double>(i));
    CHECK(sinks.back()->closed());
  }
  REQUIRE(WaitFor([&] { return f.Experiment().state() == v1::EXPERIMENT_DONE; }));
  v1::Experiment e = f.Experiment();
  CHECK(e.counts().succeeded() == 5);
  CHECK(e.reason().find("maxTrialNumber") != std::string::npos);
  CHECK(e.has_best());
  CHECK(e.best_value() == Approx(0.9));
  CHECK(f.backend->launches().size() == 5);

  auto trial = f.manager->GetTrial(f.backend->launches()[0].trial_id);
  REQUIRE(trial.ok());
  CHECK(trial->state() == v1::SUCCEEDED);
  REQUIRE(trial->intermediate_size() == 2);
  CHECK(trial->intermediate(1).value() == Approx(0.2));
  CHECK(trial->final_value() == Approx(0.5));
}

TEST_CASE("maxFailedTrials fails the experiment with the reason", "[manager]") {
  Fixture f;
  v1::ExperimentSpec spec = BasicSpec(1, 10);
  spec.set_max_failed_trials(2);
  f.Create(spec);
  RecordingSink sinks[2];
  for (int i = 0; i < 2; ++i) {
    REQUIRE(WaitFor([&] { return f.backend->launches().size() > static_cast<size_t>(i); }));
    f.RunTrial(f.backend->launches()[i], &sinks[i], 3, {}, 0);
  }
  REQUIRE(WaitFor([&] { return f.Experiment().state() == v1::EXPERIMENT_FAILED; }));
  CHECK(f.Experiment().reason().find("maxFailedTrials") != std::string::npos);
  CHECK(f.Experiment().reason().find("exited with code 3") != std::string::npos);
  CHECK(f.backend->launches().size() == 2);
}

TEST_CASE("A failed trial is retried with the same parameters", "[manager]") {
  Fixture f;
  v1::ExperimentSpec spec = BasicSpec(1, 1);
  spec.set_trial_retries(1);
  f.Create(spec);
  f.Launched(1);
  RecordingSink first, second;
  f.RunTrial(f.backend->launches()[0], &first, 1, {}, 0);
  f.Launched(2);
  auto original = f.manager->GetTrial(f.backend->launches()[0].trial_id);
  auto retry = f.manager->GetTrial(f.backend->launches()[1].trial_id);
  REQUIRE(original.ok());
  REQUIRE(retry.ok());
  CHECK(retry->attempt() == 1);
  CHECK(retry->parameters().SerializeAsString() == original->parameters().SerializeAsString());
  f.RunTrial(f.backend->launches()[1], &second, 0, {}, 0.7);
  REQUIRE(WaitFor([&] { return f.Experiment().state() == v1::EXPERIMENT_DONE; }));
  CHECK(f.backend->launches().size() == 2);  // the retry does not count against max trials
}

TEST_CASE("GridSearch ends the experiment when the space is exhausted", "[manager]") {
  Fixture f;
  v1::ExperimentSpec spec = BasicSpec(2, 0);
  v1::ParameterSpec* p = spec.mutable_search_space()->mutable_parameters(0);
  p->set_distribution(v1::CHOICE);
  p->clear_args();
  for (int v : {1, 2, 3}) p->add_options()->set_int_value(v);
  spec.mutable_tuner()->set_name("GridSearch");
  f.Create(spec);
  RecordingSink sinks[3];
  for (int i = 0; i < 3; ++i) {
    REQUIRE(WaitFor([&] { return f.backend->launches().size() > static_cast<size_t>(i); }));
    f.RunTrial(f.backend->launches()[i], &sinks[i], 0, {}, i);
  }
  REQUIRE(WaitFor([&] { return f.Experiment().state() == v1::EXPERIMENT_DONE; }));
  CHECK(f.Experiment().reason() == "the search space is exhausted");
  CHECK(f.backend->launches().size() == 3);
}

TEST_CASE("maxExperimentDuration ends the experiment and kills its trials", "[manager]") {
  Fixture f;
  v1::ExperimentSpec spec = BasicSpec(1, 0);
  *spec.mutable_max_experiment_duration() =
      google::protobuf::util::TimeUtil::MillisecondsToDuration(300);
  f.Create(spec);
  f.Launched(1);
  REQUIRE(WaitFor([&] { return f.Experiment().state() == v1::EXPERIMENT_DONE; }, 5));
  CHECK(f.Experiment().reason().find("maxExperimentDuration") != std::string::npos);
  CHECK(f.backend->terminated().size() == 1);  // no session: the backend ends it
}

}  // namespace
}  // namespace dlkit::testing
