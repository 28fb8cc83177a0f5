// What every TrialBackend must do, run against each one: the local backend (dlkit-reporter
// children of this process) and the Kubernetes backend (Jobs on the fake API server, whose
// pods FakeCluster runs as real dlkit-reporter processes). A new backend is added by giving
// it a Harness below and making this suite pass.
//
// Each case runs a real ExperimentManager with the backend, a real Tuner and the Manager's
// gRPC service on a loopback port, which the trials' Reporters call.

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "services/common/server_runner.h"
#include "services/kubernetes/kubernetes_trial_backend.h"
#include "services/manager/experiment_manager.h"
#include "services/manager/local_trial_backend.h"
#include "services/manager/manager_directory.h"
#include "services/manager/manager_service.h"
#include "services/manager/manager_test_support.h"
#include "services/tuner/tuner_service.h"
#include "test/kubernetes/cluster_fixture.h"

namespace dlkit::testing {
namespace {

constexpr char kExperimentId[] = "conformance";
constexpr char kNamespace[] = "conformance";

// Trials as children of this process.
struct LocalHarness {
  static constexpr const char* kName = "local";
  explicit LocalHarness(const std::string& manager_address) {
    LocalTrialBackend::Options options;
    options.reporter_binary = Runfile("services/reporter/dlkit-reporter");
    options.python_path = Runfile("client/python");
    options.manager_address = manager_address;
    options.grace_seconds = 2;
    backend_options = options;
  }
  void AdjustSpec(v1::ExperimentSpec* spec) {
    spec->mutable_training_service()->set_platform(v1::LOCAL);
  }
  std::shared_ptr<TrialBackend> NewBackend() {
    return std::make_shared<LocalTrialBackend>(backend_options);
  }
  LocalTrialBackend::Options backend_options;
};

// Trials as Jobs; the fake cluster runs their pods here.
struct KubernetesHarness : KubeFixture {
  static constexpr const char* kName = "kubernetes";
  explicit KubernetesHarness(const std::string& manager_address) {
    auto root = client->Create(k8s::kConfigMap, kNamespace,
                               {{"apiVersion", "v1"},
                                {"kind", "ConfigMap"},
                                {"metadata",
                                 {{"name", std::string("dlkit-") + kExperimentId},
                                  {"labels", {{kExperimentLabel, kExperimentId}}}}},
                                {"data", {{"spec.json", "{}"}}}});
    REQUIRE(root.ok());
    options.ns = kNamespace;
    options.experiment_id = kExperimentId;
    options.manager_address =
        std::string("dlkit-") + kExperimentId + "." + kNamespace + ".svc:9871";
    options.owner = {{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"name", std::string("dlkit-") + kExperimentId},
                     {"uid", (*root)["metadata"]["uid"]},
                     {"controller", true}};
    options.grace_seconds = 2;
    options.retry_delay = absl::Milliseconds(50);
    options.failure_grace = absl::Seconds(1);
    StartCluster([manager_address] { return manager_address; });
  }
  void AdjustSpec(v1::ExperimentSpec* spec) {
    v1::TrainingService* ts = spec->mutable_training_service();
    ts->set_platform(v1::KUBERNETES);
    ts->mutable_kubernetes()->set_namespace_(kNamespace);
    ts->mutable_kubernetes()->set_image("trainer:1");
    ts->mutable_kubernetes()->set_job_kind(v1::JOB);
    ts->mutable_kubernetes()->set_replicas(1);
  }
  std::shared_ptr<TrialBackend> NewBackend() {
    auto made = KubernetesTrialBackend::New(client, options);
    REQUIRE(made.ok());
    return std::shared_ptr<TrialBackend>(std::move(made).value());
  }
  KubernetesTrialBackend::Options options;
};

// A Manager with the harness's backend, serving its trials' Reporters on a loopback port.
template <typename Harness>
struct Conformance {
  Conformance() {
    auto started = StartServer("127.0.0.1:0", {&manager_service, &tuner_service});
    REQUIRE(started.ok());
    server = std::move(started->server);
    address = "127.0.0.1:" + std::to_string(started->port);
    tuner = v1::TunerService::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
    harness = std::make_unique<Harness>(address);
    directory_path = TempDir("dlkit-conformance");
  }
  ~Conformance() {
    if (manager) manager->Shutdown();
    directory.Set(nullptr);
    manager.reset();
    harness.reset();
    server->Shutdown(std::chrono::system_clock::now());
    std::filesystem::remove_all(directory_path);
  }

  v1::ExperimentSpec Spec(const std::string& command, int concurrency, int max_trials) {
    v1::ExperimentSpec spec = BasicSpec(concurrency, max_trials);
    spec.set_trial_command(command);
    harness->AdjustSpec(&spec);
    return spec;
  }

  ExperimentManager::Options Options() {
    ExperimentManager::Options options;
    options.directory = directory_path + "/experiment";
    options.tuner = tuner.get();
    options.backend = harness->NewBackend();
    options.manager_address = address;
    return options;
  }

  void Create(const v1::ExperimentSpec& spec) {
    auto created = ExperimentManager::Create(kExperimentId, spec, Options());
    REQUIRE(created.ok());
    Use(std::move(created).value());
  }
  bool TrialsOutliveManager() { return harness->NewBackend()->TrialsOutliveManager(); }
  // As a daemon (or Experiment pod) that restarts: the Manager and the Tuner go with their
  // server (Reporters see UNAVAILABLE), and new ones open the same store on the same port.
  void RestartManager() {
    manager->Shutdown();
    // The server goes before the directory forgets the Manager: a Reporter calling in
    // between would be told NOT_FOUND, which no restarted daemon says of its experiments.
    server->Shutdown(std::chrono::system_clock::now());
    server.reset();
    directory.Set(nullptr);
    manager.reset();
    tuner.reset();
    restarted_tuner_service = std::make_unique<TunerServiceImpl>();
    auto started = StartServer(address, {&manager_service, restarted_tuner_service.get()});
    REQUIRE(started.ok());
    server = std::move(started->server);
    tuner = v1::TunerService::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
    auto opened = ExperimentManager::Open(Options());
    REQUIRE(opened.ok());
    Use(std::move(opened).value());
  }
  void Use(std::unique_ptr<ExperimentManager> made) {
    manager = std::shared_ptr<ExperimentManager>(std::move(made));
    directory.Set(manager);
    manager->Start();
  }

  std::vector<v1::Trial> Trials() {
    v1::ListTrialsRequest request;
    auto listed = manager->ListTrials(request);
    REQUIRE(listed.ok());
    return {listed->trials().begin(), listed->trials().end()};
  }
  v1::ExperimentState State() { return manager->GetExperiment().state(); }
  int Running() { return manager->GetExperiment().counts().running(); }

  std::unique_ptr<Harness> harness;
  SingleManagerDirectory directory;
  ManagerServiceImpl manager_service{&directory};
  TunerServiceImpl tuner_service;
  std::unique_ptr<TunerServiceImpl> restarted_tuner_service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::TunerService::Stub> tuner;
  std::string address;
  std::string directory_path;
  std::shared_ptr<ExperimentManager> manager;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEMPLATE_TEST_CASE("A backend runs each trial's command, and its metrics reach the Manager",
                   "[conformance]", LocalHarness, KubernetesHarness) {
  Conformance<TestType> f;
  f.Create(
      f.Spec("/usr/bin/python3 -c 'import dlkit; p = dlkit.get_parameter(); "
             "dlkit.report_intermediate_result(p[\"x\"] / 2); print(\"hello from\", 7 * 6); "
             "dlkit.report_final_result(p[\"x\"])'",
             2, 3));
  INFO(TestType::kName);
  REQUIRE(WaitFor([&] { return f.State() == v1::EXPERIMENT_DONE; }, 60));
  const std::vector<v1::Trial> trials = f.Trials();
  REQUIRE(trials.size() == 3);
  for (const v1::Trial& t : trials) {
    CHECK(t.state() == v1::SUCCEEDED);
    const double x = t.parameters().values().at("x").double_value();
    CHECK(t.final_value() == Approx(x));
    CHECK(t.last_intermediate() == Approx(x / 2));
    CHECK(absl::StrContains(ReadFile(t.log_path()), "hello from 42"));
  }
}

TEMPLATE_TEST_CASE("A trial whose command fails ends FAILED with its exit code", "[conformance]",
                   LocalHarness, KubernetesHarness) {
  Conformance<TestType> f;
  f.Create(f.Spec("echo broken >&2; exit 3", 1, 1));
  INFO(TestType::kName);
  REQUIRE(WaitFor([&] { return f.State() == v1::EXPERIMENT_DONE; }, 60));
  const std::vector<v1::Trial> trials = f.Trials();
  REQUIRE(trials.size() == 1);
  CHECK(trials[0].state() == v1::FAILED);
  CHECK(trials[0].exit_code() == 3);
  CHECK(absl::StrContains(trials[0].reason(), "code 3"));
}

TEMPLATE_TEST_CASE("Killing a running trial ends it KILLED and stops its process", "[conformance]",
                   LocalHarness, KubernetesHarness) {
  Conformance<TestType> f;
  f.Create(f.Spec("sleep 120", 1, 1));
  INFO(TestType::kName);
  REQUIRE(WaitFor([&] { return f.Running() == 1; }, 30));
  REQUIRE(f.manager->KillTrial(f.Trials()[0].id()).ok());
  REQUIRE(WaitFor([&] { return f.Trials()[0].state() == v1::KILLED; }, 30));
  CHECK(f.Trials()[0].reason() == "killed by the user");
  CHECK(WaitFor([&] { return f.State() == v1::EXPERIMENT_DONE; }, 10));
}

TEMPLATE_TEST_CASE("A Manager that restarts finds its running trials as the backend promises",
                   "[conformance]", LocalHarness, KubernetesHarness) {
  Conformance<TestType> f;
  const std::string flag = f.directory_path + "/go";
  // The trial waits for the test's word, then reports: it must outlive the restart to do so.
  f.Create(f.Spec("echo '[dlkit] intermediate_result: 1'; while [ ! -e " + flag +
                      " ]; do sleep 0.05; done; "
                      "echo '[dlkit] final_result: 7'",
                  1, 1));
  INFO(TestType::kName);
  // Once its Reporter has a session (its first report is stored).
  REQUIRE(WaitFor(
      [&] {
        const std::vector<v1::Trial> trials = f.Trials();
        return !trials.empty() && trials[0].has_last_intermediate();
      },
      30));
  f.RestartManager();
  std::ofstream(flag).put('\n');
  const v1::Trial first = f.Trials()[0];
  if (f.TrialsOutliveManager()) {
    // Taken back: it runs on and ends as if nothing had happened.
    REQUIRE(WaitFor([&] { return f.State() == v1::EXPERIMENT_DONE; }, 60));
    CHECK(f.Trials().size() == 1);
    INFO(f.Trials()[0].reason());
    CHECK(f.Trials()[0].state() == v1::SUCCEEDED);
    CHECK(f.Trials()[0].final_value() == 7);
  } else {
    // Ended with the Manager, and said so; the experiment waits for a resume.
    CHECK(first.state() == v1::KILLED);
    CHECK(first.interrupted());
    CHECK(f.State() == v1::EXPERIMENT_STOPPED);
  }
}

}  // namespace
}  // namespace dlkit::testing
