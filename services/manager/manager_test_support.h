#ifndef DLKIT_SERVICES_MANAGER_MANAGER_TEST_SUPPORT_H_
#define DLKIT_SERVICES_MANAGER_MANAGER_TEST_SUPPORT_H_

// What the ExperimentManager's tests share: a backend that records launches, a session
// sink that records what the Manager sent, and a fixture with a real Tuner in-process and a
// real store in a temporary folder. The test plays the Reporters.

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "base/testing/wait_for.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "services/common/server_runner.h"
#include "services/manager/experiment_manager.h"
#include "services/manager/sqlite_experiment_store.h"
#include "services/tuner/tuner_service.h"

namespace dlkit::testing {

// Records launches; the test plays the Reporter through the manager's session calls.
class FakeBackend final : public TrialBackend {
 public:
  absl::Status Launch(const TrialLaunch& launch, GoneCallback on_gone) override {
    absl::MutexLock lock(&mu_);
    launches_.push_back(launch);
    on_gone_[launch.trial_id] = std::move(on_gone);
    return absl::OkStatus();
  }
  void Terminate(const std::string& trial_id) override {
    absl::MutexLock lock(&mu_);
    terminated_.push_back(trial_id);
  }
  void TerminateAll() override {}

  std::vector<TrialLaunch> launches() {
    absl::MutexLock lock(&mu_);
    return launches_;
  }
  std::vector<std::string> terminated() {
    absl::MutexLock lock(&mu_);
    return terminated_;
  }
  // What the local backend does when a Reporter process exits.
  void Gone(const std::string& trial_id, const std::string& why) {
    GoneCallback callback;
    {
      absl::MutexLock lock(&mu_);
      callback = on_gone_[trial_id];
    }
    callback(trial_id, why);
  }

 private:
  absl::Mutex mu_;
  std::vector<TrialLaunch> launches_;
  std::map<std::string, GoneCallback> on_gone_;
  std::vector<std::string> terminated_;
};

class RecordingSink final : public TrialSessionSink {
 public:
  void SendAck(int64_t seq) override {
    absl::MutexLock lock(&mu_);
    acked_ = std::max(acked_, seq);
  }
  void SendStop(const v1::StopCommand& stop) override {
    absl::MutexLock lock(&mu_);
    stops_.push_back(stop);
  }
  void SendLogOffset(int64_t /*offset*/) override {}
  void Close() override {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  int64_t acked() {
    absl::MutexLock lock(&mu_);
    return acked_;
  }
  size_t stops() {
    absl::MutexLock lock(&mu_);
    return stops_.size();
  }
  bool closed() {
    absl::MutexLock lock(&mu_);
    return closed_;
  }

 private:
  absl::Mutex mu_;
  int64_t acked_ = 0;
  std::vector<v1::StopCommand> stops_;
  bool closed_ = false;
};

inline v1::ExperimentSpec BasicSpec(int concurrency, int max_trials) {
  v1::ExperimentSpec spec;
  spec.set_name("unit");
  v1::ParameterSpec* x = spec.mutable_search_space()->add_parameters();
  x->set_name("x");
  x->set_distribution(v1::UNIFORM);
  x->add_args(0);
  x->add_args(1);
  spec.set_trial_command("true");
  spec.set_trial_code_directory("/tmp");
  spec.set_trial_concurrency(concurrency);
  spec.set_max_trial_number(max_trials);
  spec.mutable_tuner()->set_name("Random");
  spec.mutable_objective()->set_metric("default");
  spec.mutable_objective()->set_direction(v1::MAXIMIZE);
  spec.set_seed(3);
  return spec;
}

// A spec whose trials run `command`, with an integer parameter x in [0, 100), unseeded.
inline v1::ExperimentSpec CommandSpec(const std::string& command, int concurrency, int max_trials) {
  v1::ExperimentSpec spec = BasicSpec(concurrency, max_trials);
  v1::ParameterSpec* x = spec.mutable_search_space()->mutable_parameters(0);
  x->set_distribution(v1::RANDINT);
  x->set_args(1, 100);
  spec.set_trial_command(command);
  spec.clear_seed();
  return spec;
}

struct Fixture {
  Fixture() {
    char dir[] = "/tmp/dlkit-manager-test.XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    directory = dir;
    server = StartInProcessServer({&tuner_service});
    tuner = v1::TunerService::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  }
  ~Fixture() {
    manager.reset();
    server->Shutdown();
    std::filesystem::remove_all(directory);
  }
  ExperimentManager::Options Options() {
    ExperimentManager::Options options;
    options.directory = directory + "/exp";
    options.tuner = tuner.get();
    options.backend = backend;
    options.manager_address = "test";
    return options;
  }
  void Create(const v1::ExperimentSpec& spec) {
    auto created = ExperimentManager::Create("exp1", spec, Options());
    REQUIRE(created.ok());
    manager = std::move(created).value();
    manager->Start();
  }
  v1::Experiment Experiment() { return manager->GetExperiment(); }
  // Tells an asked trial its final value.
  absl::StatusOr<v1::Trial> Tell(const std::string& trial_id, double value) {
    v1::TellTrialRequest tell;
    tell.set_trial_id(trial_id);
    tell.set_value(value);
    return manager->TellTrial(tell);
  }
  // Waits until the backend was asked to launch `n` trials; returns the n-th launch.
  TrialLaunch Launched(size_t n) {
    REQUIRE(WaitFor([&] { return backend->launches().size() >= n; }));
    return backend->launches()[n - 1];
  }
  // Plays one whole trial: session, metrics, exit.
  void RunTrial(const TrialLaunch& launch, RecordingSink* sink, int exit_code,
                std::vector<double> intermediate, double final_value) {
    v1::TrialHello hello;
    hello.set_trial_id(launch.trial_id);
    hello.set_secret(launch.secret);
    REQUIRE(manager->AttachSession(hello, sink).ok());
    int64_t seq = 0;
    for (double v : intermediate) {
      v1::MetricReport m;
      m.set_seq(++seq);
      m.set_kind(v1::INTERMEDIATE);
      m.set_value(v);
      manager->OnMetric(launch.trial_id, m);
    }
    v1::MetricReport final_metric;
    final_metric.set_seq(++seq);
    final_metric.set_kind(v1::FINAL);
    final_metric.set_value(final_value);
    manager->OnMetric(launch.trial_id, final_metric);
    REQUIRE(WaitFor([&] { return sink->acked() == seq; }));
    v1::TrialExit exit;
    exit.set_exit_code(exit_code);
    manager->OnTrialExit(launch.trial_id, exit);
    // As a Reporter does: the session ends once the exit is stored.
    REQUIRE(WaitFor([&] { return sink->closed(); }));
  }

  std::string directory;
  TunerServiceImpl tuner_service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::TunerService::Stub> tuner;
  std::shared_ptr<FakeBackend> backend = std::make_shared<FakeBackend>();
  std::unique_ptr<ExperimentManager> manager;
};

inline v1::ExperimentSpec AskTellSpec(int max_trials) {
  v1::ExperimentSpec spec = BasicSpec(1, max_trials);
  spec.clear_trial_command();
  spec.set_ask_tell(true);
  return spec;
}

// 40 told trials: trial k (1-based) has x from the tuner and final value k % 7.
inline std::vector<v1::Trial> TellMany(Fixture& f, int n) {
  std::vector<v1::Trial> told;
  for (int k = 1; k <= n; ++k) {
    auto asked = f.manager->AskTrials(1);
    REQUIRE(asked.ok());
    v1::TellTrialRequest tell;
    tell.set_trial_id((*asked)[0].id());
    tell.set_value(k % 7);
    auto t = f.manager->TellTrial(tell);
    REQUIRE(t.ok());
    told.push_back(*t);
  }
  return told;
}

}  // namespace dlkit::testing

#endif  // DLKIT_SERVICES_MANAGER_MANAGER_TEST_SUPPORT_H_
