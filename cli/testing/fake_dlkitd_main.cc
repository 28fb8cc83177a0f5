// Stands in for dlkitd in dlctl's daemon tests: serves FakeDlkitServer on --address and
// exits when ShutdownDaemon arrives. Prints one line so tests can find it in daemon.log.

#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "cli/testing/fake_dlkit_server.h"

namespace {

// For trying `dlctl submit --watch` by hand: exp-1 runs 12 trials, two at a time.
std::vector<dlkit::v1::WatchExperimentResponse> DemoScript() {
  using dlkit::v1::Trial;
  std::vector<dlkit::v1::WatchExperimentResponse> script;
  dlkit::v1::Experiment e;
  e.set_id("exp-1");
  e.mutable_spec()->set_name("demo");
  e.mutable_spec()->set_max_trial_number(12);
  e.mutable_spec()->mutable_objective()->set_direction(dlkit::v1::MAXIMIZE);
  e.set_state(dlkit::v1::EXPERIMENT_RUNNING);
  dlkit::v1::WatchExperimentResponse snapshot;
  snapshot.set_snapshot(true);
  *snapshot.mutable_experiment() = e;
  script.push_back(snapshot);
  for (int i = 1; i <= 12; ++i) {
    Trial t;
    t.set_id(absl::StrCat("trial-", i));
    t.set_index(i);
    t.set_state(dlkit::v1::RUNNING);
    (*t.mutable_parameters()->mutable_values())["lr"].set_double_value(0.001 * i);
    (*t.mutable_parameters()->mutable_values())["batch_size"].set_int_value(16 << (i % 4));
    t.mutable_started()->set_seconds(absl::ToUnixSeconds(absl::Now()) + i);
    dlkit::v1::WatchExperimentResponse started;
    *started.add_trials() = t;
    script.push_back(started);
    t.set_state(i % 5 == 0 ? dlkit::v1::FAILED : dlkit::v1::SUCCEEDED);
    if (i % 5 != 0) {
      t.set_has_final(true);
      t.set_final_value(0.5 + 0.04 * ((i * 7) % 11));
    }
    t.mutable_ended()->set_seconds(t.started().seconds() + 3);
    dlkit::v1::WatchExperimentResponse ended;
    *ended.add_trials() = t;
    script.push_back(ended);
  }
  e.set_state(dlkit::v1::EXPERIMENT_DONE);
  e.set_reason("maxTrialNumber reached");
  e.mutable_counts()->set_succeeded(10);
  e.mutable_counts()->set_failed(2);
  e.mutable_counts()->set_finished(12);
  e.set_has_best(true);
  e.set_best_value(0.9);
  e.set_best_trial_id("trial-10");
  e.mutable_elapsed()->set_seconds(40);
  dlkit::v1::WatchExperimentResponse done;
  *done.mutable_experiment() = e;
  script.push_back(done);
  return script;
}

}  // namespace

int main(int argc, char** argv) {
  std::string address = "127.0.0.1:0";
  std::string home;
  bool demo = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--demo") demo = true;
    if (absl::StartsWith(arg, "--address=")) address = arg.substr(10);
    if (absl::StartsWith(arg, "--home=")) home = arg.substr(7);
  }
  auto server = dlkit::cli::testing::FakeDlkitServer::Start(address);
  if (!server.ok()) {
    std::cerr << "fake_dlkitd: " << server.status() << std::endl;
    return 1;
  }
  if (demo) (*server)->SetWatchScript(DemoScript(), absl::Milliseconds(400));
  absl::Notification stop;
  (*server)->OnShutdown([&stop] {
    if (!stop.HasBeenNotified()) stop.Notify();
  });
  std::cout << "fake_dlkitd listening on " << (*server)->address() << " home " << home << std::endl;
  stop.WaitForNotification();
  // Let the ShutdownDaemon reply go out before the server goes away.
  absl::SleepFor(absl::Milliseconds(100));
  (*server)->Shutdown();
  std::cout << "fake_dlkitd stopped" << std::endl;
  return 0;
}
