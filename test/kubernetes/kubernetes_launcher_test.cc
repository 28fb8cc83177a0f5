// The real Launcher in cluster mode against the fake API server: submit creates the
// experiment's objects; FakeCluster plays the kubelet and runs the Experiment pod's
// containers as they are written (the real dlkit-manager --platform=kubernetes and
// dlkit-tuner binaries, with a kubeconfig for the fake server) and the trials' master
// containers (real dlkit-reporter processes). Get answers through the Manager at its
// Service address (the fake DNS: FakeCluster::Endpoint); Delete removes everything.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "services/common/server_runner.h"
#include "services/kubernetes/kubernetes_experiments.h"
#include "services/kubernetes/kubernetes_trial_backend.h"
#include "services/launcher/launcher.h"
#include "services/manager/experiment_manager.h"
#include "services/manager/manager_directory.h"
#include "services/manager/manager_service.h"
#include "services/tuner/tuner_service.h"
#include "test/kubernetes/cluster_fixture.h"

namespace dlkit::testing {
namespace {

using Json = nlohmann::json;

std::string Flag(const Json& command, const std::string& name) {
  for (const Json& word : command) {
    const std::string w = word;
    if (absl::StartsWith(w, "--" + name + "=")) return w.substr(name.size() + 3);
  }
  return "";
}

// The daemon's directory is its Launcher, which exists only once the server runs.
struct LateDirectory : ManagerDirectory {
  absl::StatusOr<std::shared_ptr<ExperimentManager>> FindManager(const std::string& id) override {
    return launcher->FindManager(id);
  }
  std::shared_ptr<v1::ManagerService::StubInterface> RemoteManager(const std::string& id) override {
    return launcher->RemoteManager(id);
  }
  Launcher* launcher = nullptr;
};

// What a list watcher (the dashboard's experiments page) is told.
struct RecordingListWatcher : ExperimentListWatcher {
  void OnManager(const std::shared_ptr<ExperimentManager>&) override {}
  void OnClusterExperiment(const v1::Experiment& experiment) override {
    absl::MutexLock lock(&mu);
    seen.push_back(experiment);
  }
  void OnDeleted(const std::string& id) override {
    absl::MutexLock lock(&mu);
    deleted.push_back(id);
  }
  std::vector<v1::Experiment> Seen() {
    absl::MutexLock lock(&mu);
    return seen;
  }
  absl::Mutex mu;
  std::vector<v1::Experiment> seen;
  std::vector<std::string> deleted;
};

struct LauncherFixture : KubeFixture {
  LauncherFixture() {
    home = TempDir("dlkit-k8s-launcher");
    auto started = StartServer("127.0.0.1:0", {&tuner_service, &manager_service});
    REQUIRE(started.ok());
    grpc_server = std::move(started->server);
    KubernetesExperiments::Options k8s_options;
    k8s_options.image = "registry.example/dlkit:0.1.0";
    k8s_options.manager_timeout = absl::Seconds(2);
    // The cluster's DNS: a Service address leads where FakeCluster runs its Manager.
    k8s_options.manager_stub = [this](const std::string& service) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
      return std::shared_ptr<v1::ManagerService::StubInterface>(
          v1::ManagerService::NewStub(grpc::CreateCustomChannel(
              cluster->Endpoint(service), grpc::InsecureChannelCredentials(), args)));
    };
    Launcher::Options options;
    options.home = home;
    options.cluster = std::make_shared<KubernetesExperiments>(client, k8s_options);
    options.cluster_poll_interval = absl::Milliseconds(100);
    auto opened = Launcher::Open(options);
    REQUIRE(opened.ok());
    launcher = std::move(opened).value();
    directory.launcher = launcher.get();
    address = "127.0.0.1:" + std::to_string(started->port);
    // The Launcher's own Tuner only validates specs; Experiment pods run their own.
    launcher->Start(
        v1::TunerService::NewStub(grpc_server->InProcessChannel(grpc::ChannelArguments())),
        "127.0.0.1:" + std::to_string(started->port));
    StartCluster(nullptr);
  }
  ~LauncherFixture() {
    cluster.reset();  // stops the Experiment pods' processes
    launcher->Shutdown();
    grpc_server->Shutdown(std::chrono::system_clock::now());
    std::filesystem::remove_all(home);
    std::filesystem::remove_all(work_dir);
  }

  std::vector<Json> Objects(const std::string& resource, const std::string& id) {
    return server->ListObjects(resource, "", std::string(kExperimentLabel) + "=" + id);
  }

  std::string home;
  std::string address;  // the daemon's services: Tuner and Manager
  TunerServiceImpl tuner_service;
  LateDirectory directory;
  ManagerServiceImpl manager_service{&directory};
  std::unique_ptr<grpc::Server> grpc_server;
  std::unique_ptr<Launcher> launcher;
};

constexpr char kConfig[] = R"({
  "experimentName": "on-the-cluster",
  "searchSpace": {"x": {"_type": "randint", "_value": [0, 10]}},
  "trialCommand": "echo '[dlkit] final_result: 2'",
  "trialCodeDirectory": "/tmp",
  "trialConcurrency": 2,
  "maxTrialNumber": 3,
  "trainingService": {
    "platform": "kubernetes", "namespace": "ml", "image": "registry.example/trainer:1",
    "jobKind": "Job", "resources": {"cpu": "1", "memory": "2Gi"}, "storageSize": "2Gi"
  }
})";

TEST_CASE("Cluster mode: submit creates the experiment's objects, runs it, delete removes all",
          "[kubernetes][launcher]") {
  LauncherFixture f;
  RecordingListWatcher list;
  f.launcher->WatchList(&list);
  v1::SubmitExperimentRequest request;
  request.set_config_json(kConfig);
  request.set_request_id("submit-1");
  auto submitted = f.launcher->Submit(request);
  REQUIRE(submitted.ok());
  const std::string id = submitted->experiment().id();
  CHECK(submitted->experiment().manager_address() == "dlkit-" + id + ".ml.svc:9871");
  // A retried submit: the same experiment, nothing new.
  auto again = f.launcher->Submit(request);
  REQUIRE(again.ok());
  CHECK(again->experiment().id() == id);

  // What the Launcher created, all owned by the ConfigMap.
  std::optional<Json> root = f.server->GetObject("configmaps", "ml", "dlkit-" + id);
  REQUIRE(root.has_value());
  const std::string uid = (*root)["metadata"]["uid"];
  const Json spec = Json::parse((*root)["data"]["spec.json"].get<std::string>());
  CHECK(spec["trainingService"]["image"] == "registry.example/trainer:1");
  std::optional<Json> claim =
      f.server->GetObject("persistentvolumeclaims", "ml", "dlkit-" + id + "-store");
  REQUIRE(claim.has_value());
  CHECK((*claim)["spec"]["resources"]["requests"]["storage"] == "2Gi");
  std::optional<Json> service = f.server->GetObject("services", "ml", "dlkit-" + id);
  REQUIRE(service.has_value());
  CHECK((*service)["spec"]["ports"][0]["port"] == 9871);
  std::optional<Json> pod = f.server->GetObject("pods", "ml", "dlkit-" + id);
  REQUIRE(pod.has_value());
  for (const Json* o : {&*claim, &*service, &*pod}) {
    CHECK((*o)["metadata"]["ownerReferences"][0]["uid"] == uid);
  }
  // The Service selects the Experiment pod.
  for (const auto& [key, value] : (*service)["spec"]["selector"].items()) {
    CHECK((*pod)["metadata"]["labels"][key] == value);
  }
  const Json& containers = (*pod)["spec"]["containers"];
  REQUIRE(containers.size() == 2);
  CHECK(containers[0]["name"] == "manager");
  CHECK(containers[0]["image"] == "registry.example/dlkit:0.1.0");
  CHECK(containers[1]["name"] == "tuner");
  CHECK(containers[1]["command"][0] == "dlkit-tuner");
  CHECK(Flag(containers[0]["command"], "owner_uid") == uid);
  CHECK((*pod)["spec"]["volumes"][1]["persistentVolumeClaim"]["claimName"] ==
        "dlkit-" + id + "-store");

  // Before the pod runs, Get answers from the ConfigMap.
  auto early = f.launcher->Get(id);
  REQUIRE(early.ok());
  CHECK(early->state() == v1::EXPERIMENT_RUNNING);
  CHECK(early->spec().name() == "on-the-cluster");

  REQUIRE(WaitFor(
      [&] {
        auto got = f.launcher->Get(id);
        return got.ok() && got->state() == v1::EXPERIMENT_DONE;
      },
      45));
  auto done = f.launcher->Get(id);
  REQUIRE(done.ok());
  CHECK(done->counts().succeeded() == 3);
  CHECK(done->best_value() == Approx(2));
  CHECK(done->manager_address() == "dlkit-" + id + ".ml.svc:9871");
  REQUIRE(f.launcher->List().size() == 1);
  CHECK(f.launcher->List()[0].id() == id);
  CHECK(f.launcher->Stop(id).status().code() == absl::StatusCode::kFailedPrecondition);

  // The experiments list followed it as it ran: its progress only went up, to DONE.
  REQUIRE(WaitFor([&] {
    const std::vector<v1::Experiment> seen = list.Seen();
    return !seen.empty() && seen.back().state() == v1::EXPERIMENT_DONE;
  }));
  const std::vector<v1::Experiment> seen = list.Seen();
  int last_finished = 0;
  bool saw_running = false;
  for (const v1::Experiment& e : seen) {
    CHECK(e.id() == id);
    CHECK(e.counts().finished() >= last_finished);
    last_finished = e.counts().finished();
    saw_running |= e.state() == v1::EXPERIMENT_RUNNING;
  }
  CHECK(saw_running);
  CHECK(last_finished == 3);

  // Deleting the experiment deletes everything it created, through owner references.
  REQUIRE(f.launcher->Delete(id).ok());
  for (const char* resource :
       {"configmaps", "pods", "services", "persistentvolumeclaims", "jobs"}) {
    INFO(resource);
    CHECK(WaitFor([&] { return f.Objects(resource, id).empty(); }));
  }
  CHECK(f.launcher->List().empty());
  {
    absl::MutexLock lock(&list.mu);
    CHECK(list.deleted == std::vector<std::string>{id});
  }
  f.launcher->UnwatchList(&list);
  CHECK(f.launcher->Get(id).status().code() == absl::StatusCode::kNotFound);
  CHECK(f.launcher->Delete(id).ok());  // idempotent
  CHECK(f.cluster->errors().empty());
}

TEST_CASE("Cluster mode: stop and resume go to the experiment's own Manager",
          "[kubernetes][launcher]") {
  LauncherFixture f;
  std::string config = kConfig;
  config.replace(config.find("echo '[dlkit] final_result: 2'"),
                 std::string("echo '[dlkit] final_result: 2'").size(),
                 "sleep 2; echo '[dlkit] final_result: 2'");
  config.replace(config.find("\"trialConcurrency\": 2"),
                 std::string("\"trialConcurrency\": 2").size(), "\"trialConcurrency\": 1");
  v1::SubmitExperimentRequest request;
  request.set_config_json(config);
  auto submitted = f.launcher->Submit(request);
  REQUIRE(submitted.ok());
  const std::string id = submitted->experiment().id();
  // Until its pod runs, the Manager cannot be asked: UNAVAILABLE, saying where it should be.
  auto early = f.launcher->Stop(id);
  if (!early.ok()) {
    CHECK(early.status().code() == absl::StatusCode::kUnavailable);
    CHECK(early.status().message().find("dlkit-" + id + ".ml.svc:9871") != std::string::npos);
  }
  REQUIRE(WaitFor(
      [&] {
        auto got = f.launcher->Get(id);
        return got.ok() && got->counts().running() == 1;
      },
      45));
  auto stopped = f.launcher->Stop(id);
  REQUIRE(stopped.ok());
  CHECK(stopped->state() == v1::EXPERIMENT_STOPPED);
  CHECK(stopped->manager_address() == "dlkit-" + id + ".ml.svc:9871");
  REQUIRE(WaitFor([&] {
    auto got = f.launcher->Get(id);
    return got.ok() && got->counts().running() == 0 && got->counts().killed() == 1;
  }));
  CHECK(f.launcher->Get(id)->state() == v1::EXPERIMENT_STOPPED);

  auto resumed = f.launcher->Resume(id);
  REQUIRE(resumed.ok());
  CHECK(resumed->state() == v1::EXPERIMENT_RUNNING);
  REQUIRE(WaitFor(
      [&] {
        auto got = f.launcher->Get(id);
        return got.ok() && got->state() == v1::EXPERIMENT_DONE;
      },
      60));
  const v1::Experiment done = *f.launcher->Get(id);
  CHECK(done.counts().succeeded() == 3);  // the interrupted trial ran again
  CHECK(done.counts().finished() == 3);
  REQUIRE(f.launcher->Delete(id).ok());
  CHECK(f.cluster->errors().empty());
}

TEST_CASE("Cluster mode: the daemon passes ManagerService calls on to the experiment's pod",
          "[kubernetes][launcher]") {
  LauncherFixture f;
  v1::SubmitExperimentRequest request;
  request.set_config_json(kConfig);
  auto submitted = f.launcher->Submit(request);
  REQUIRE(submitted.ok());
  const std::string id = submitted->experiment().id();
  REQUIRE(WaitFor(
      [&] {
        auto got = f.launcher->Get(id);
        return got.ok() && got->state() == v1::EXPERIMENT_DONE;
      },
      45));
  // What the dashboard asks the daemon, answered by the Manager in the experiment's pod.
  auto daemon = v1::ManagerService::NewStub(
      grpc::CreateChannel(f.address, grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext context;
    v1::ListTrialsRequest list;
    list.set_experiment_id(id);
    list.set_sort(v1::SORT_BY_FINAL);
    v1::ListTrialsResponse trials;
    REQUIRE(daemon->ListTrials(&context, list, &trials).ok());
    CHECK(trials.total() == 3);
    REQUIRE(trials.trials_size() == 3);
    CHECK(trials.trials(0).final_value() == Approx(2));
  }
  {
    grpc::ClientContext context;
    v1::GetExperimentChartsRequest charts_request;
    charts_request.set_experiment_id(id);
    v1::GetExperimentChartsResponse charts;
    REQUIRE(daemon->GetExperimentCharts(&context, charts_request, &charts).ok());
    CHECK(charts.finished() == 3);
  }
  {
    // A stream: the snapshot, then (the experiment has ended) the end, status and all.
    grpc::ClientContext context;
    v1::WatchExperimentRequest watch;
    watch.set_experiment_id(id);
    auto reader = daemon->WatchExperiment(&context, watch);
    v1::WatchExperimentResponse message;
    REQUIRE(reader->Read(&message));
    CHECK(message.snapshot());
    CHECK(message.experiment().state() == v1::EXPERIMENT_DONE);
    CHECK(message.trials_size() == 3);
    while (reader->Read(&message)) {
    }
    CHECK(reader->Finish().ok());
  }
  {
    // An error there is the error here.
    grpc::ClientContext context;
    v1::GetTrialRequest get;
    get.set_experiment_id(id);
    get.set_trial_id("nosuch");
    v1::GetTrialResponse trial;
    CHECK(daemon->GetTrial(&context, get, &trial).error_code() == grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    v1::ManagerGetExperimentRequest get;
    get.set_experiment_id("unknown");
    v1::ManagerGetExperimentResponse experiment;
    CHECK(daemon->GetExperiment(&context, get, &experiment).error_code() ==
          grpc::StatusCode::NOT_FOUND);
  }
  REQUIRE(f.launcher->Delete(id).ok());
}

TEST_CASE("Cluster mode: storage emptyDir makes no claim", "[kubernetes][launcher]") {
  LauncherFixture f;
  Json config = Json::parse(kConfig);
  config["trainingService"].erase("storageSize");
  config["trainingService"].erase("namespace");  // the Launcher's own
  config["trainingService"]["storage"] = "emptyDir";
  config["trainingService"]["jobKind"] = "PyTorchJob";
  config["trainingService"]["replicas"] = 2;
  v1::SubmitExperimentRequest request;
  request.set_config_json(config.dump());
  auto submitted = f.launcher->Submit(request);
  REQUIRE(submitted.ok());
  const std::string id = submitted->experiment().id();
  CHECK(f.Objects("persistentvolumeclaims", id).empty());
  CHECK(submitted->experiment().spec().training_service().kubernetes().namespace_() == "default");
  std::optional<Json> pod = f.server->GetObject("pods", "default", "dlkit-" + id);
  REQUIRE(pod.has_value());
  CHECK((*pod)["spec"]["volumes"][1]["emptyDir"] == Json::object());
  REQUIRE(f.launcher->Delete(id).ok());
  CHECK(WaitFor([&] { return f.Objects("pods", id).empty(); }));
}

}  // namespace
}  // namespace dlkit::testing
