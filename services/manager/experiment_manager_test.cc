// The ExperimentManager's user calls: stop and resume, user-added trials, queries and charts.

#include "services/manager/experiment_manager.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "services/manager/manager_test_support.h"

namespace dlkit::testing {
namespace {

TEST_CASE("Stop interrupts running trials; resume runs their parameters again", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(2, 3));
  f.Launched(2);
  RecordingSink sinks[2];
  for (int i = 0; i < 2; ++i) {
    v1::TrialHello hello;
    hello.set_trial_id(f.backend->launches()[i].trial_id);
    hello.set_secret(f.backend->launches()[i].secret);
    REQUIRE(f.manager->AttachSession(hello, &sinks[i]).ok());
  }
  auto stopped = f.manager->Stop();
  REQUIRE(stopped.ok());
  CHECK(stopped->state() == v1::EXPERIMENT_STOPPED);
  CHECK(sinks[0].stops() == 1);
  CHECK(sinks[1].stops() == 1);
  for (int i = 0; i < 2; ++i) {
    v1::TrialExit exit;
    exit.set_signal(15);
    f.manager->OnTrialExit(f.backend->launches()[i].trial_id, exit);
  }
  const v1::ParameterSet first_parameters =
      f.manager->GetTrial(f.backend->launches()[0].trial_id)->parameters();
  CHECK(f.manager->GetTrial(f.backend->launches()[0].trial_id)->interrupted());

  REQUIRE(f.manager->Resume().ok());
  f.Launched(4);
  CHECK(f.backend->launches()[2].index == 3);  // numbering goes on
  auto rerun = f.manager->GetTrial(f.backend->launches()[2].trial_id);
  REQUIRE(rerun.ok());
  CHECK(rerun->parameters().SerializeAsString() == first_parameters.SerializeAsString());
  RecordingSink more[3];
  for (int i = 2; i < 5; ++i) {
    REQUIRE(WaitFor([&] { return f.backend->launches().size() > static_cast<size_t>(i); }));
    f.RunTrial(f.backend->launches()[i], &more[i - 2], 0, {}, 0.1);
  }
  REQUIRE(WaitFor([&] { return f.Experiment().state() == v1::EXPERIMENT_DONE; }));
  CHECK(f.Experiment().counts().succeeded() == 3);  // interrupted ones are not counted
  CHECK(f.backend->launches().size() == 5);
}

TEST_CASE("User-added trials run first and are checked against the space", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(1, 2));
  v1::ParameterSet bad;
  (*bad.mutable_values())["x"].set_double_value(7);  // outside [0, 1]
  auto rejected = f.manager->AddTrials({bad});
  CHECK(rejected.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(rejected.status().message()).find("parameters[0]") != std::string::npos);

  v1::ParameterSet good;
  (*good.mutable_values())["x"].set_double_value(0.25);
  auto added = f.manager->AddTrials({good});
  REQUIRE(added.ok());
  REQUIRE(added->size() == 1);
  CHECK((*added)[0].user_added());
  REQUIRE(WaitFor([&] { return f.backend->launches().size() >= 1; }));
  RecordingSink sinks[2];
  f.RunTrial(f.backend->launches()[0], &sinks[0], 0, {}, 0.1);
  f.Launched(2);
  f.RunTrial(f.backend->launches()[1], &sinks[1], 0, {}, 0.2);
  REQUIRE(WaitFor([&] { return f.Experiment().state() == v1::EXPERIMENT_DONE; }));
  CHECK(f.Experiment().counts().succeeded() == 2);  // the user's trial counts too
}

TEST_CASE("ListTrials filters by parameter range, choice and metric range", "[manager]") {
  Fixture f;
  f.Create(AskTellSpec(40));
  std::vector<v1::Trial> told = TellMany(f, 40);
  v1::ListTrialsRequest request;
  v1::ParameterFilter* x = request.add_parameter_filters();
  x->set_name("x");
  x->set_min(0.25);
  x->set_max(0.5);
  request.set_final_min(2);
  request.set_final_max(4);
  auto listed = f.manager->ListTrials(request);
  REQUIRE(listed.ok());
  int expected = 0;
  for (const v1::Trial& t : told) {
    const double xv = t.parameters().values().at("x").double_value();
    if (xv >= 0.25 && xv <= 0.5 && t.final_value() >= 2 && t.final_value() <= 4) ++expected;
  }
  CHECK(listed->total() == expected);
  for (const v1::Trial& t : listed->trials()) {
    CHECK(t.parameters().values().at("x").double_value() >= 0.25);
    CHECK(t.parameters().values().at("x").double_value() <= 0.5);
    CHECK(t.final_value() >= 2);
    CHECK(t.final_value() <= 4);
  }
  v1::ListTrialsRequest missing;
  missing.add_parameter_filters()->set_name("no_such_parameter");
  CHECK(f.manager->ListTrials(missing)->total() == 0);
  v1::ListTrialsRequest by_text;
  v1::ParameterFilter* exact = by_text.add_parameter_filters();
  exact->set_name("x");
  exact->add_one_of(absl::StrCat(told[3].parameters().values().at("x").double_value()));
  CHECK(f.manager->ListTrials(by_text)->total() == 1);
}

TEST_CASE("Charts are reduced on the server: best-so-far steps, buckets, a sample", "[manager]") {
  Fixture f;
  f.Create(AskTellSpec(40));
  TellMany(f, 40);  // values 1..6,0,1..6,0,...: improvements at trials 1..6 only (maximize)
  v1::GetExperimentChartsResponse charts = f.manager->GetCharts(10);
  CHECK(charts.finished() == 40);
  std::vector<double> steps;
  for (const v1::BestSoFarPoint& p : charts.best_so_far()) steps.push_back(p.value());
  // Six improvements (1..6), then the line carried to the last trial's end.
  CHECK(steps == std::vector<double>{1, 2, 3, 4, 5, 6, 6});
  CHECK(charts.best_so_far(6).trial_index() == 6);
  REQUIRE(charts.durations_size() == 10);  // 40 trials in buckets of 4
  CHECK(charts.durations(0).first_index() == 1);
  CHECK(charts.durations(0).last_index() == 4);
  CHECK(charts.durations(9).last_index() == 40);
  REQUIRE(charts.sample_size() == 10);
  CHECK(charts.sample(0).final_value() == 6);  // the best tenth first
  for (const v1::Trial& t : charts.sample()) CHECK(t.parameters().values().count("x") == 1);
  // The overview asks without the sample: the same lines, no sample.
  v1::GetExperimentChartsResponse lines = f.manager->GetCharts(10, /*with_sample=*/false);
  CHECK(lines.sample_size() == 0);
  CHECK(lines.best_so_far_size() == charts.best_so_far_size());
  CHECK(lines.durations_size() == charts.durations_size());
}

}  // namespace
}  // namespace dlkit::testing
