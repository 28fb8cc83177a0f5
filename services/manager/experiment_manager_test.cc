#include "services/manager/experiment_manager.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include <catch2/catch.hpp>

#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "services/manager/sqlite_experiment_store.h"
#include "services/tuner/tuner_service.h"

namespace dlkit {
namespace {

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

bool WaitFor(const std::function<bool()>& condition, double seconds = 10) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

v1::ExperimentSpec BasicSpec(int concurrency, int max_trials) {
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

struct Fixture {
  Fixture() {
    char dir[] = "/tmp/dlkit-manager-test.XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    directory = dir;
    grpc::ServerBuilder builder;
    builder.RegisterService(&tuner_service);
    server = builder.BuildAndStart();
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

TEST_CASE("Trials run at the configured concurrency until maxTrialNumber", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(2, 5));
  REQUIRE(WaitFor([&] { return f.backend->launches().size() == 2; }));
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

TEST_CASE("A metric sent twice is stored once and acked", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(1, 1));
  REQUIRE(WaitFor([&] { return f.backend->launches().size() == 1; }));
  TrialLaunch launch = f.backend->launches()[0];
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
  REQUIRE(WaitFor([&] { return f.backend->launches().size() == 1; }));
  TrialLaunch launch = f.backend->launches()[0];
  RecordingSink sink;
  v1::TrialHello hello;
  hello.set_trial_id(launch.trial_id);
  hello.set_secret("not-the-secret");
  CHECK(f.manager->AttachSession(hello, &sink).status().code() ==
        absl::StatusCode::kPermissionDenied);
  hello.set_trial_id("nosuch");
  CHECK(f.manager->AttachSession(hello, &sink).status().code() == absl::StatusCode::kNotFound);
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
  REQUIRE(WaitFor([&] { return f.backend->launches().size() == 1; }));
  RecordingSink first, second;
  f.RunTrial(f.backend->launches()[0], &first, 1, {}, 0);
  REQUIRE(WaitFor([&] { return f.backend->launches().size() == 2; }));
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

TEST_CASE("Killing a trial sends a stop on its session and ends it KILLED", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(1, 1));
  REQUIRE(WaitFor([&] { return f.backend->launches().size() == 1; }));
  TrialLaunch launch = f.backend->launches()[0];
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
  REQUIRE(WaitFor([&] { return f.backend->launches().size() == 1; }));
  const std::string id = f.backend->launches()[0].trial_id;
  f.backend->Gone(id, "reporter was killed by signal 9");
  auto trial = f.manager->GetTrial(id);
  REQUIRE(trial.ok());
  CHECK(trial->state() == v1::FAILED);
  CHECK(trial->reason().find("signal 9") != std::string::npos);
}

TEST_CASE("Stop interrupts running trials; resume runs their parameters again", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(2, 3));
  REQUIRE(WaitFor([&] { return f.backend->launches().size() == 2; }));
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
  REQUIRE(WaitFor([&] { return f.backend->launches().size() == 4; }));
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

TEST_CASE("A manager reopened after the daemon died shows it STOPPED", "[manager]") {
  Fixture f;
  f.Create(BasicSpec(1, 2));
  REQUIRE(WaitFor([&] { return f.backend->launches().size() == 1; }));
  RecordingSink sink;
  f.RunTrial(f.backend->launches()[0], &sink, 0, {0.4}, 0.4);
  REQUIRE(WaitFor([&] { return f.backend->launches().size() == 2; }));
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
  REQUIRE(WaitFor([&] { return f.backend->launches().size() == 1; }));
  REQUIRE(WaitFor([&] { return f.Experiment().state() == v1::EXPERIMENT_DONE; }, 5));
  CHECK(f.Experiment().reason().find("maxExperimentDuration") != std::string::npos);
  CHECK(f.backend->terminated().size() == 1);  // no session: the backend ends it
}

}  // namespace
}  // namespace dlkit

namespace dlkit {
namespace {

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
  REQUIRE(WaitFor([&] { return f.backend->launches().size() == 2; }));
  f.RunTrial(f.backend->launches()[1], &sinks[1], 0, {}, 0.2);
  REQUIRE(WaitFor([&] { return f.Experiment().state() == v1::EXPERIMENT_DONE; }));
  CHECK(f.Experiment().counts().succeeded() == 2);  // the user's trial counts too
}

}  // namespace
}  // namespace dlkit

namespace dlkit {
namespace {

v1::ExperimentSpec AskTellSpec(int max_trials) {
  v1::ExperimentSpec spec = BasicSpec(1, max_trials);
  spec.clear_trial_command();
  spec.set_ask_tell(true);
  return spec;
}

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

TEST_CASE("Ask/tell from many threads: a told trial is on disk when the tell returns, and the "
          "counts and best match the trials", "[manager][asktell]") {
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

}  // namespace
}  // namespace dlkit

namespace dlkit {
namespace {

// 40 told trials: trial k (1-based) has x from the tuner and final value k % 7.
std::vector<v1::Trial> TellMany(Fixture& f, int n) {
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

TEST_CASE("Charts are reduced on the server: best-so-far steps, buckets, a sample",
          "[manager]") {
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
}  // namespace dlkit
