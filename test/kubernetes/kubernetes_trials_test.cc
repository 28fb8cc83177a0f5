// The real ExperimentManager and KubernetesTrialBackend against the fake API server, with
// FakeCluster playing the Job controller, the training operator and the kubelet. Real: the
// Manager, the Tuner, the backend's objects, list+watch and deletes, the dlkit-reporter
// processes (started from the Job's own command, args and env) and their TrialSessions over
// gRPC. Played: the controllers' status writes and the pods' fates.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "services/common/server_runner.h"
#include "services/kubernetes/kubernetes_trial_backend.h"
#include "services/manager/experiment_manager.h"
#include "services/manager/manager_directory.h"
#include "services/manager/manager_service.h"
#include "services/manager/manager_test_support.h"
#include "services/tuner/tuner_service.h"
#include "test/kubernetes/cluster_fixture.h"

namespace dlkit::testing {
namespace {

using Json = nlohmann::json;

constexpr char kNamespace[] = "team-a";

v1::ExperimentSpec ClusterSpec(v1::JobKind kind, int replicas, const std::string& command,
                               int concurrency, int max_trials) {
  v1::ExperimentSpec spec = CommandSpec(command, concurrency, max_trials);
  spec.set_name("cluster");
  v1::TrainingService* ts = spec.mutable_training_service();
  ts->set_platform(v1::KUBERNETES);
  v1::KubernetesService* k8s = ts->mutable_kubernetes();
  k8s->set_namespace_(kNamespace);
  k8s->set_image("registry.example/trainer:1");
  k8s->set_job_kind(kind);
  k8s->set_replicas(replicas);
  k8s->mutable_resources()->set_cpu("2");
  k8s->mutable_resources()->set_memory("4Gi");
  k8s->mutable_resources()->set_gpu(1);
  v1::Volume* data = k8s->add_volumes();
  data->set_name("data");
  data->set_mount_path("/data");
  data->set_persistent_volume_claim("datasets");
  v1::Volume* scratch = k8s->add_volumes();
  scratch->set_name("scratch");
  scratch->set_mount_path("/scratch");
  scratch->set_empty_dir(true);
  k8s->set_service_account("trainer");
  (*k8s->mutable_node_selector())["accelerator"] = "a100";
  v1::Toleration* toleration = k8s->add_tolerations();
  toleration->set_key("nvidia.com/gpu");
  toleration->set_operator_("Exists");
  toleration->set_effect("NoSchedule");
  return spec;
}

// One experiment's Manager as the Experiment pod runs it, against the fake cluster.
struct ManagerFixture : KubeFixture {
  explicit ManagerFixture(std::function<TrialFate(int64_t)> fate = nullptr,
                          std::function<void(KubernetesTrialBackend::Options*)> tweak = nullptr) {
    auto started = StartServer("127.0.0.1:0", {&manager_service, &tuner_service});
    REQUIRE(started.ok());
    grpc_server = std::move(started->server);
    address = "127.0.0.1:" + std::to_string(started->port);
    tuner = v1::TunerService::NewStub(grpc_server->InProcessChannel(grpc::ChannelArguments()));
    // The experiment's root object, as the Launcher creates it.
    auto root = client->Create(
        k8s::kConfigMap, kNamespace,
        {{"apiVersion", "v1"},
         {"kind", "ConfigMap"},
         {"metadata",
          {{"name", "dlkit-" + experiment_id}, {"labels", {{kExperimentLabel, experiment_id}}}}},
         {"data", {{"spec.json", "{}"}}}});
    REQUIRE(root.ok());
    root_uid = (*root)["metadata"]["uid"];
    backend_options.ns = kNamespace;
    backend_options.experiment_id = experiment_id;
    backend_options.manager_address = "dlkit-" + experiment_id + "." + kNamespace + ".svc:9871";
    backend_options.owner = {{"apiVersion", "v1"},
                             {"kind", "ConfigMap"},
                             {"name", "dlkit-" + experiment_id},
                             {"uid", root_uid},
                             {"controller", true}};
    backend_options.grace_seconds = 2;
    backend_options.retry_delay = absl::Milliseconds(50);
    backend_options.failure_grace = absl::Seconds(1);
    if (tweak) tweak(&backend_options);
    StartCluster([this] { return address; }, std::move(fate));
  }
  ~ManagerFixture() {
    if (manager) manager->Shutdown();
    directory.Set(nullptr);
    manager.reset();
    grpc_server->Shutdown(std::chrono::system_clock::now());
    std::filesystem::remove_all(work_dir);
  }

  void Create(const v1::ExperimentSpec& spec) {
    auto created = ExperimentManager::Create(experiment_id, spec, ManagerOptions());
    REQUIRE(created.ok());
    manager = std::shared_ptr<ExperimentManager>(std::move(created).value());
    directory.Set(manager);
    manager->Start();
  }

  // As when the Experiment pod's containers restart: the Manager and the Tuner go away with
  // their gRPC server (Reporters see UNAVAILABLE and retry), and new ones open the same
  // store on the same port.
  void RestartPod() {
    manager->Shutdown();
    directory.Set(nullptr);
    manager.reset();
    backend.reset();
    grpc_server->Shutdown(std::chrono::system_clock::now());
    grpc_server.reset();
    tuner.reset();
    restarted_tuner_service = std::make_unique<TunerServiceImpl>();
    auto started = StartServer(address, {&manager_service, restarted_tuner_service.get()});
    REQUIRE(started.ok());
    grpc_server = std::move(started->server);
    tuner = v1::TunerService::NewStub(grpc_server->InProcessChannel(grpc::ChannelArguments()));
    auto opened = ExperimentManager::Open(ManagerOptions());
    REQUIRE(opened.ok());
    manager = std::shared_ptr<ExperimentManager>(std::move(opened).value());
    directory.Set(manager);
    manager->Start();
  }

  ExperimentManager::Options ManagerOptions() {
    auto made = KubernetesTrialBackend::New(client, backend_options);
    REQUIRE(made.ok());
    backend = std::shared_ptr<KubernetesTrialBackend>(std::move(made).value());
    ExperimentManager::Options options;
    options.directory = work_dir + "/experiment";
    options.tuner = tuner.get();
    options.backend = backend;
    options.manager_address = backend_options.manager_address;
    return options;
  }

  std::vector<v1::Trial> Trials() {
    v1::ListTrialsRequest request;
    request.set_experiment_id(experiment_id);
    auto listed = manager->ListTrials(request);
    REQUIRE(listed.ok());
    return {listed->trials().begin(), listed->trials().end()};
  }

  v1::Trial TrialAt(int64_t index) {
    for (const v1::Trial& t : Trials()) {
      if (t.index() == index) return t;
    }
    return v1::Trial();
  }

  bool Ended(int64_t index) {
    const v1::TrialState s = TrialAt(index).state();
    return s == v1::SUCCEEDED || s == v1::FAILED || s == v1::KILLED || s == v1::EARLY_STOPPED;
  }

  std::string TrialName(int64_t index) {
    return "dlkit-" + experiment_id + "-t" + std::to_string(index);
  }

  std::vector<Json> Objects(const std::string& resource) {
    return server->ListObjects(resource, kNamespace,
                               std::string(kExperimentLabel) + "=" + experiment_id);
  }

  std::string experiment_id = "exp1";
  std::string root_uid;
  std::string address;
  SingleManagerDirectory directory;
  ManagerServiceImpl manager_service{&directory};
  TunerServiceImpl tuner_service;
  std::unique_ptr<TunerServiceImpl> restarted_tuner_service;  // a fresh Tuner after RestartPod
  std::unique_ptr<grpc::Server> grpc_server;
  std::unique_ptr<v1::TunerService::Stub> tuner;
  KubernetesTrialBackend::Options backend_options;
  std::shared_ptr<KubernetesTrialBackend> backend;
  std::shared_ptr<ExperimentManager> manager;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The literal value of env var `name`, or nullptr when it has none (or comes from elsewhere).
const Json* FindEnv(const Json& container, const std::string& name) {
  for (const Json& e : container["env"]) {
    if (e["name"] == name && e.contains("value")) return &e["value"];
  }
  return nullptr;
}

const Json* FindEnvEntry(const Json& container, const std::string& name) {
  for (const Json& e : container["env"]) {
    if (e["name"] == name) return &e;
  }
  return nullptr;
}

TEST_CASE("Trials as Jobs: an experiment runs from start to done", "[kubernetes]") {
  ManagerFixture f;
  f.Create(ClusterSpec(v1::JOB, 1,
                       "echo '[dlkit] intermediate_result: 0.25'; "
                       "echo '[dlkit] final_result: 0.5'",
                       2, 4));
  REQUIRE(WaitFor([&] { return f.manager->GetExperiment().state() == v1::EXPERIMENT_DONE; }, 45));
  const v1::Experiment e = f.manager->GetExperiment();
  CHECK(e.counts().succeeded() == 4);
  CHECK(e.best_value() == Approx(0.5));
  for (const v1::Trial& t : f.Trials()) {
    CHECK(t.state() == v1::SUCCEEDED);
    REQUIRE(t.intermediate_size() >= 0);
    CHECK(t.final_value() == Approx(0.5));
    // The log, written in the trial's container, was copied to the Manager's folder.
    CHECK(ReadFile(t.log_path()) ==
          "[dlkit] intermediate_result: 0.25\n[dlkit] final_result: 0.5\n");
  }
  // Succeeded trials' Jobs (and with them their pods) are deleted once done.
  CHECK(WaitFor([&] { return f.Objects("jobs").empty() && f.Objects("pods").empty(); }));
  CHECK(f.cluster->errors().empty());

  // What was created: one Job per trial, as the brief of a Job says.
  const std::vector<Json> jobs = f.cluster->trial_objects();
  REQUIRE(jobs.size() == 4);
  const Json& job = jobs[0];  // as listed: built-ins' items carry no kind/apiVersion
  CHECK(job["metadata"]["name"] == f.TrialName(1));
  CHECK(job["metadata"]["labels"][kExperimentLabel] == "exp1");
  CHECK(job["metadata"]["labels"].contains(kTrialLabel));
  CHECK(job["metadata"]["ownerReferences"][0]["uid"] == f.root_uid);
  CHECK(job["metadata"]["ownerReferences"][0]["kind"] == "ConfigMap");
  CHECK(job["spec"]["backoffLimit"] == 0);
  const Json& pod = job["spec"]["template"]["spec"];
  CHECK(pod["restartPolicy"] == "Never");
  CHECK(pod["serviceAccountName"] == "trainer");
  CHECK(pod["nodeSelector"]["accelerator"] == "a100");
  CHECK(pod["tolerations"][0]["key"] == "nvidia.com/gpu");
  CHECK(pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == "datasets");
  CHECK(pod["volumes"][1]["emptyDir"] == Json::object());
  const Json& container = pod["containers"][0];
  CHECK(container["image"] == "registry.example/trainer:1");
  CHECK(container["command"][0] == "dlkit-reporter");
  CHECK(container["args"][0] == "--manager=dlkit-exp1.team-a.svc:9871");
  CHECK(container["args"].back() == f.manager->GetExperiment().spec().trial_command());
  CHECK(container["resources"]["limits"]["nvidia.com/gpu"] == "1");
  CHECK(container["resources"]["requests"]["memory"] == "4Gi");
  CHECK(container["volumeMounts"][0]["mountPath"] == "/data");
  // The session secret is not in the Job: the pod reads it from the trial's Secret object
  // (the trials succeeded, so it reached their Reporters), deleted with the Job.
  CHECK(FindEnv(container, "DLKIT_TRIAL_SECRET") == nullptr);
  const Json* secret = FindEnvEntry(container, "DLKIT_TRIAL_SECRET");
  REQUIRE(secret != nullptr);
  CHECK((*secret)["valueFrom"]["secretKeyRef"]["name"] == f.TrialName(1) + "-secret");
  CHECK((*secret)["valueFrom"]["secretKeyRef"]["key"] == "session-secret");
  CHECK(WaitFor([&] { return f.Objects("secrets").empty(); }));
  REQUIRE(FindEnv(container, "DLKIT_TRIAL_PARAMETERS") != nullptr);
  CHECK(
      Json::parse(FindEnv(container, "DLKIT_TRIAL_PARAMETERS")->get<std::string>()).contains("x"));
  CHECK(job["spec"]["template"]["metadata"]["labels"][kExperimentLabel] == "exp1");
}

TEST_CASE("Trials as PyTorchJobs: the master reports, the workers are silent", "[kubernetes]") {
  ManagerFixture f;
  // The SDK in the master reports the parameter it got: the real trial path end to end.
  f.Create(ClusterSpec(v1::PYTORCH_JOB, 3,
                       "/usr/bin/python3 -c 'import dlkit; p = dlkit.get_parameter(); "
                       "dlkit.report_intermediate_result(1); "
                       "dlkit.report_final_result(p[\"x\"])'",
                       2, 3));
  REQUIRE(WaitFor([&] { return f.manager->GetExperiment().state() == v1::EXPERIMENT_DONE; }, 45));
  CHECK(f.manager->GetExperiment().counts().succeeded() == 3);
  for (const v1::Trial& t : f.Trials()) {
    CHECK(t.state() == v1::SUCCEEDED);
    CHECK(t.final_value() == Approx(t.parameters().values().at("x").int_value()));
  }
  CHECK(f.cluster->errors().empty());
  const std::vector<Json> jobs = f.cluster->trial_objects();
  REQUIRE(jobs.size() == 3);
  const Json& job = jobs[0];
  CHECK(job["apiVersion"] == "kubeflow.org/v1");
  CHECK(job["kind"] == "PyTorchJob");
  CHECK(job["spec"]["runPolicy"]["backoffLimit"] == 0);
  const Json& master = job["spec"]["pytorchReplicaSpecs"]["Master"];
  const Json& worker = job["spec"]["pytorchReplicaSpecs"]["Worker"];
  CHECK(master["replicas"] == 1);
  CHECK(worker["replicas"] == 2);
  CHECK(master["restartPolicy"] == "Never");
  const Json& master_container = master["template"]["spec"]["containers"][0];
  const Json& worker_container = worker["template"]["spec"]["containers"][0];
  CHECK(master_container["name"] == "pytorch");
  CHECK(worker_container["name"] == "pytorch");
  CHECK(master_container["command"][0] == "dlkit-reporter");
  CHECK(FindEnv(master_container, "DLKIT_REPORT") == nullptr);
  // Workers run the command alone, without the secret, and their SDK does not report.
  CHECK(worker_container["command"][0] == "/bin/sh");
  REQUIRE(FindEnv(worker_container, "DLKIT_REPORT") != nullptr);
  CHECK(*FindEnv(worker_container, "DLKIT_REPORT") == "0");
  CHECK(FindEnvEntry(worker_container, "DLKIT_TRIAL_SECRET") == nullptr);
  CHECK(WaitFor([&] { return f.Objects("pytorchjobs").empty() && f.Objects("pods").empty(); }));
}

TEST_CASE("TFJob trials have a Chief and Workers with a tensorflow container", "[kubernetes]") {
  TrialLaunch launch;
  launch.experiment_id = "e";
  launch.trial_id = "T1";
  launch.index = 1;
  launch.spec = ClusterSpec(v1::TF_JOB, 2, "python train.py", 1, 1);
  KubernetesTrialBackend::Options options;
  options.ns = kNamespace;
  options.manager_address = "m:1";
  const Json job = KubernetesTrialBackend::TrialObject(launch, options, "n");
  CHECK(job["kind"] == "TFJob");
  CHECK(job["spec"]["tfReplicaSpecs"]["Chief"]["replicas"] == 1);
  CHECK(job["spec"]["tfReplicaSpecs"]["Worker"]["replicas"] == 1);
  CHECK(job["spec"]["tfReplicaSpecs"]["Chief"]["template"]["spec"]["containers"][0]["name"] ==
        "tensorflow");
  CHECK(job["metadata"].contains("ownerReferences") == false);  // none given
}

TEST_CASE("A broken watch resumes and a 410 re-lists without losing a trial's end",
          "[kubernetes]") {
  ManagerFixture f([](int64_t) { return TrialFate::kHang; });
  f.Create(ClusterSpec(v1::JOB, 1, "true", 2, 2));
  REQUIRE(WaitFor([&] { return f.Objects("jobs").size() == 2; }));
  REQUIRE(f.server->AwaitOpenWatches(2));  // jobs and pods
  const int lists_before = f.CountCalls("list", "jobs");

  // 1. The stream breaks; the Job fails meanwhile; the watch resumes from its version.
  f.server->BreakWatches();
  REQUIRE(f.server
              ->SetStatus("jobs", kNamespace, f.TrialName(1),
                          {{"failed", 1},
                           {"conditions",
                            {{{"type", "Failed"},
                              {"status", "True"},
                              {"reason", "BackoffLimitExceeded"},
                              {"message", "Job has reached the specified backoff limit"}}}}})
              .ok());
  REQUIRE(WaitFor([&] { return f.Ended(1); }));
  CHECK(f.TrialAt(1).state() == v1::FAILED);
  CHECK(f.TrialAt(1).reason().find("BackoffLimitExceeded") != std::string::npos);
  CHECK(f.CountCalls("list", "jobs") == lists_before);  // resumed, not re-listed

  // 2. The stream breaks and the history is compacted before the Job's end: 410, re-list.
  REQUIRE(f.server->AwaitOpenWatches(2));
  // The reconnections fail for a moment (503, retried): the history is gone by then.
  f.server->FailNext("GET", std::string("/apis/batch/v1/namespaces/") + kNamespace + "/jobs", 503,
                     3);
  f.server->BreakWatches();
  REQUIRE(f.server
              ->SetStatus("jobs", kNamespace, f.TrialName(2),
                          {{"failed", 1},
                           {"conditions",
                            {{{"type", "Failed"},
                              {"status", "True"},
                              {"reason", "DeadlineExceeded"},
                              {"message", "Job was active longer than specified deadline"}}}}})
              .ok());
  f.server->Compact();
  REQUIRE(WaitFor([&] { return f.Ended(2); }));
  CHECK(f.TrialAt(2).state() == v1::FAILED);
  CHECK(f.TrialAt(2).reason().find("activeDeadlineSeconds") != std::string::npos);
  CHECK(f.CountCalls("list", "jobs") > lists_before);
}

TEST_CASE("A name taken by someone else's object: the trial gets another", "[kubernetes]") {
  const v1::JobKind kind = GENERATE(v1::JOB, v1::PYTORCH_JOB, v1::TF_JOB);
  ManagerFixture f;
  // A leftover of an older experiment with the same id, not ours (other labels).
  TrialLaunch other;
  other.experiment_id = "someone-else";
  other.trial_id = "x";
  other.spec = ClusterSpec(kind, 2, "true", 1, 1);
  const k8s::ResourceType& type = KubernetesTrialBackend::TypeOf(kind);
  REQUIRE(f.server
              ->CreateObject(
                  type.plural, kNamespace,
                  KubernetesTrialBackend::TrialObject(other, f.backend_options, f.TrialName(1)))
              .ok());
  f.Create(ClusterSpec(kind, 2, "echo '[dlkit] final_result: 1'", 1, 1));
  REQUIRE(WaitFor([&] { return f.manager->GetExperiment().state() == v1::EXPERIMENT_DONE; }, 30));
  CHECK(f.TrialAt(1).state() == v1::SUCCEEDED);
  // The foreign object is untouched; ours had another name.
  CHECK(f.server->GetObject(type.plural, kNamespace, f.TrialName(1)).has_value());
  bool renamed = false;
  for (const Json& o : f.cluster->trial_objects()) {
    const std::string name = o["metadata"]["name"];
    renamed |= name.rfind(f.TrialName(1) + "-", 0) == 0;
  }
  CHECK(renamed);
  // Ours goes once its trial has succeeded (retention); the foreign one stays.
  CHECK(WaitFor([&] { return f.Objects(type.plural).empty(); }));
  CHECK(f.server->GetObject(type.plural, kNamespace, f.TrialName(1)).has_value());
}

TEST_CASE("Pod failures end trials with a reason a user can act on", "[kubernetes]") {
  ManagerFixture f(
      [](int64_t index) {
        switch (index) {
          case 1:
            return TrialFate::kOomKilled;
          case 2:
            return TrialFate::kUnschedulable;
          case 3:
            return TrialFate::kImagePullBackOff;
          default:
            return TrialFate::kEvicted;
        }
      },
      [](KubernetesTrialBackend::Options* o) { o->unschedulable_timeout = absl::Seconds(1); });
  v1::ExperimentSpec spec = ClusterSpec(v1::JOB, 1, "true", 4, 4);
  f.Create(spec);
  REQUIRE(WaitFor([&] { return f.Ended(1) && f.Ended(2) && f.Ended(3) && f.Ended(4); }, 30));
  const v1::Trial oom = f.TrialAt(1);
  CHECK(oom.state() == v1::FAILED);
  INFO(oom.reason());
  CHECK(oom.reason().find("out of memory") != std::string::npos);
  CHECK(oom.reason().find("resources.memory (now 4Gi)") != std::string::npos);
  const v1::Trial pending = f.TrialAt(2);
  CHECK(pending.state() == v1::FAILED);
  INFO(pending.reason());
  CHECK(pending.reason().find("not schedulable for 1s: 0/3 nodes are available") !=
        std::string::npos);
  const v1::Trial pull = f.TrialAt(3);
  CHECK(pull.state() == v1::FAILED);
  INFO(pull.reason());
  CHECK(pull.reason().find("image registry.example/trainer:1 cannot be pulled") !=
        std::string::npos);
  const v1::Trial evicted = f.TrialAt(4);
  CHECK(evicted.state() == v1::FAILED);
  INFO(evicted.reason());
  CHECK(evicted.reason().find("was evicted: The node was low on resource: memory.") !=
        std::string::npos);
  // The unschedulable and unpullable ones are deleted; the failed ones stay for their logs.
  CHECK(WaitFor([&] { return f.Objects("jobs").size() == 2; }));
  CHECK(f.server->GetObject("jobs", kNamespace, f.TrialName(1)).has_value());
  CHECK(f.server->GetObject("jobs", kNamespace, f.TrialName(4)).has_value());
}

TEST_CASE("A trial that fails fails its pod and Job too, with the trial's exit code",
          "[kubernetes]") {
  ManagerFixture f;
  f.Create(ClusterSpec(v1::JOB, 1, "echo '[dlkit] final_result: 0.5'; exit 3", 1, 1));
  REQUIRE(WaitFor([&] { return f.Ended(1); }, 30));
  const v1::Trial failed = f.TrialAt(1);
  CHECK(failed.state() == v1::FAILED);
  CHECK(failed.reason() == "exited with code 3");  // the Reporter's word, not the Job's
  // The Job stays, for its logs, and says what happened (it is not run again).
  REQUIRE(WaitFor([&] {
    std::optional<Json> job = f.server->GetObject("jobs", kNamespace, f.TrialName(1));
    return job.has_value() && job->contains("status") && (*job)["status"].value("failed", 0) == 1;
  }));
  bool pod_says_3 = false;
  for (const Json& pod : f.Objects("pods")) {
    const Json& state = pod["status"]["containerStatuses"][0]["state"];
    pod_says_3 |= pod["status"]["phase"] == "Failed" && state["terminated"]["exitCode"] == 3;
  }
  CHECK(pod_says_3);
  const std::vector<Json> jobs = f.cluster->trial_objects();
  REQUIRE(!jobs.empty());
  const Json& args = jobs[0]["spec"]["template"]["spec"]["containers"][0]["args"];
  CHECK(std::find(args.begin(), args.end(), Json("--exit_like_trial")) != args.end());
}

TEST_CASE("gitRepository: each trial pod clones the code into trialCodeDirectory first",
          "[kubernetes]") {
  ManagerFixture f;
  v1::ExperimentSpec spec = ClusterSpec(v1::PYTORCH_JOB, 2, "echo '[dlkit] final_result: 1'", 1, 1);
  v1::GitRepository* git =
      spec.mutable_training_service()->mutable_kubernetes()->mutable_git_repository();
  git->set_url("https://git.example/team/model.git");
  git->set_revision("v2");
  f.Create(spec);
  REQUIRE(WaitFor([&] { return !f.cluster->trial_objects().empty(); }, 30));
  const Json object = f.cluster->trial_objects()[0];
  // Master and worker pods alike: the code is there before the trial starts.
  for (const char* replica : {"Master", "Worker"}) {
    INFO(replica);
    const Json& pod = object["spec"]["pytorchReplicaSpecs"][replica]["template"]["spec"];
    REQUIRE(pod.contains("initContainers"));
    const Json& init = pod["initContainers"][0];
    CHECK(init["image"] == "alpine/git:latest");
    CHECK(init["volumeMounts"][0]["mountPath"] == "/tmp");
    std::map<std::string, std::string> env;
    for (const Json& e : init["env"]) env[e["name"]] = e["value"];
    CHECK(env["DLKIT_GIT_URL"] == "https://git.example/team/model.git");
    CHECK(env["DLKIT_GIT_REVISION"] == "v2");
    // The URL is data, never part of the script.
    CHECK(init["command"][2].get<std::string>().find("git.example") == std::string::npos);
    bool code_volume = false;
    for (const Json& v : pod["volumes"])
      code_volume |= v["name"] == "dlkit-code" && v.contains("emptyDir");
    CHECK(code_volume);
    bool mounted = false;
    for (const Json& m : pod["containers"][0]["volumeMounts"]) {
      mounted |= m["name"] == "dlkit-code" && m["mountPath"] == "/tmp";
    }
    CHECK(mounted);
  }
  REQUIRE(WaitFor([&] { return f.Ended(1); }, 30));
  CHECK(f.TrialAt(1).state() == v1::SUCCEEDED);
}

// Runs `command` with /bin/sh; its stdout, or nullopt when it fails.
std::optional<std::string> Shell(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  if (pclose(pipe) != 0) return std::nullopt;
  return out;
}

TEST_CASE(
    "gitRepository: the init container's script clones the pinned revision, with a login "
    "from the Secret for a private repository",
    "[kubernetes]") {
  // A repository with two commits, the first tagged v1; git run for real on the script
  // that goes into the pod (only the clone URL is local).
  const std::string dir = TempDir("dlkit-git-test");
  const std::string git = "HOME=" + dir + " GIT_CONFIG_NOSYSTEM=1 git ";
  REQUIRE(Shell("cd " + dir + " && " + git + "init -q repo && cd repo && " +
                "echo v1 > train.py && " + git + "add train.py && " + git +
                "-c user.name=t -c user.email=t@x commit -q -m one && " + git + "tag v1 && " +
                "echo v2 > train.py && " + git +
                "-c user.name=t -c user.email=t@x commit -q -am two")
              .has_value());
  TrialLaunch launch;
  launch.experiment_id = "e";
  launch.trial_id = "T1";
  launch.index = 1;
  launch.spec = ClusterSpec(v1::JOB, 1, "python train.py", 1, 1);
  launch.spec.set_trial_code_directory("/workspace");
  v1::GitRepository* repo =
      launch.spec.mutable_training_service()->mutable_kubernetes()->mutable_git_repository();
  repo->set_url("file://" + dir + "/repo");
  repo->set_secret_name("model-git");
  KubernetesTrialBackend::Options options;
  options.ns = kNamespace;
  options.manager_address = "m:1";
  const Json init = KubernetesTrialBackend::TrialObject(
      launch, options, "n")["spec"]["template"]["spec"]["initContainers"][0];
  // The login reaches the init container from the Secret, and only it.
  std::map<std::string, Json> env;
  for (const Json& e : init["env"]) env[e["name"]] = e;
  CHECK(env["DLKIT_GIT_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "model-git");
  CHECK(env["DLKIT_GIT_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "password");
  CHECK(env["DLKIT_GIT_USERNAME"]["valueFrom"]["secretKeyRef"]["key"] == "username");
  const std::string script = init["command"][2];
  auto run = [&](const std::string& code, const std::string& revision, const std::string& login) {
    REQUIRE(Shell("mkdir -p " + dir + "/" + code).has_value());
    const std::string quoted = "'" + absl::StrReplaceAll(script, {{"'", "'\\''"}}) + "'";
    return Shell("HOME=" + dir + " GIT_CONFIG_NOSYSTEM=1 DLKIT_GIT_URL=file://" + dir +
                 "/repo DLKIT_GIT_REVISION=" + revision + " DLKIT_CODE_DIR=" + dir + "/" + code +
                 " " + login + " /bin/sh -c " + quoted);
  };
  SECTION("pinned to a tag, with a login") {
    REQUIRE(run("code", "v1", "DLKIT_GIT_USERNAME=alice DLKIT_GIT_PASSWORD=tok3n").has_value());
    CHECK(ReadFile(dir + "/code/train.py") == "v1\n");
    // git asks the helper, which answers from the environment...
    std::optional<std::string> answer = Shell(
        "printf 'protocol=https\\nhost=git.example\\n\\n' | DLKIT_GIT_USERNAME=alice "
        "DLKIT_GIT_PASSWORD=tok3n " +
        git + "-C " + dir + "/code credential fill");
    REQUIRE(answer.has_value());
    CHECK_THAT(*answer, Catch::Contains("username=alice") && Catch::Contains("password=tok3n"));
    // ...and the token is written nowhere in the folder the trial gets.
    CHECK_FALSE(Shell("grep -r tok3n " + dir + "/code").has_value());
  }
  SECTION("the default branch, public") {
    REQUIRE(run("code2", "", "").has_value());
    CHECK(ReadFile(dir + "/code2/train.py") == "v2\n");
    CHECK_FALSE(Shell(git + "-C " + dir + "/code2 config credential.helper").has_value());
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("Launching a trial again finds its own object: no second one", "[kubernetes]") {
  // As after a POST whose answer was lost: 409 AlreadyExists for an object that is ours.
  KubeFixture f;
  KubernetesTrialBackend::Options options;
  options.ns = kNamespace;
  options.experiment_id = "exp9";
  options.manager_address = "dlkit-exp9.team-a.svc:9871";
  auto backend = KubernetesTrialBackend::New(f.client, options);
  REQUIRE(backend.ok());
  TrialLaunch launch;
  launch.experiment_id = "exp9";
  launch.trial_id = "AbC12";
  launch.index = 7;
  launch.secret = "s";
  launch.parameters_json = "{}";
  launch.spec = ClusterSpec(v1::JOB, 1, "true", 1, 1);
  REQUIRE((*backend)->Launch(launch, nullptr).ok());
  REQUIRE((*backend)->Launch(launch, nullptr).ok());
  const std::vector<Json> jobs = f.server->ListObjects("jobs", kNamespace, "dlkit.io/trial=AbC12");
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0]["metadata"]["name"] == "dlkit-exp9-t7");
  (*backend)->TerminateAll();
  CHECK(f.server->ListObjects("jobs", kNamespace).empty());
}

TEST_CASE("A restarted Experiment pod takes back the trials still running as Jobs",
          "[kubernetes]") {
  ManagerFixture f;
  const std::string gate = f.work_dir + "/gate";
  f.Create(ClusterSpec(v1::JOB, 1,
                       "echo '[dlkit] intermediate_result: 0.25'; "
                       "while [ ! -e " +
                           gate +
                           " ]; do sleep 0.05; done; "
                           "echo '[dlkit] intermediate_result: 0.4'; "
                           "echo '[dlkit] final_result: 0.5'",
                       3, 3));
  REQUIRE(WaitFor([&] {
    std::vector<v1::Trial> trials = f.Trials();
    return trials.size() == 3 && std::all_of(trials.begin(), trials.end(), [](const auto& t) {
             return t.state() == v1::RUNNING && t.has_last_intermediate();
           });
  }));
  const std::string first_id = f.TrialAt(1).id();

  f.manager->Shutdown();  // the old pod's Manager leaves its trials running...
  CHECK(f.Objects("jobs").size() == 3);
  CHECK(f.Objects("secrets").size() == 3);  // one per trial, read by its pod
  // ...and while no Manager runs, trial 3's Job is deleted by hand.
  REQUIRE(
      f.client->Delete(k8s::kJob, kNamespace, f.TrialName(3), k8s::PropagationPolicy::kForeground)
          .ok());
  REQUIRE(WaitFor([&] { return f.Objects("jobs").size() == 2; }));
  f.RestartPod();

  v1::Experiment e = f.manager->GetExperiment();
  CHECK(e.state() == v1::EXPERIMENT_RUNNING);
  CHECK_THAT(e.reason(), Catch::Contains("took back 2 running trials"));
  CHECK(f.TrialAt(1).id() == first_id);
  CHECK(f.TrialAt(1).state() == v1::RUNNING);
  CHECK(f.TrialAt(2).state() == v1::RUNNING);
  CHECK(f.TrialAt(3).state() == v1::FAILED);
  CHECK_THAT(f.TrialAt(3).reason(),
             Catch::Contains("lost while the Manager restarted: its Job no longer exists"));

  // The Reporters reconnect with their stored secrets and finish their trials here.
  std::ofstream(gate).put('\n');
  REQUIRE(WaitFor([&] { return f.manager->GetExperiment().state() == v1::EXPERIMENT_DONE; }, 45));
  e = f.manager->GetExperiment();
  CHECK(e.counts().succeeded() == 2);
  CHECK(e.counts().failed() == 1);
  CHECK(f.Trials().size() == 3);  // nothing ran twice
  for (int64_t index : {1, 2}) {
    auto trial = f.manager->GetTrial(f.TrialAt(index).id());
    REQUIRE(trial.ok());
    CHECK(trial->state() == v1::SUCCEEDED);
    CHECK(trial->final_value() == Approx(0.5));
    // One report before the restart and one after, each stored once.
    REQUIRE(trial->intermediate_size() == 2);
    CHECK(trial->intermediate(0).value() == Approx(0.25));
    CHECK(trial->intermediate(1).value() == Approx(0.4));
    // Its log goes on where the old Manager's copy ended: each line once.
    CHECK(ReadFile(trial->log_path()) ==
          "[dlkit] intermediate_result: 0.25\n[dlkit] intermediate_result: 0.4\n"
          "[dlkit] final_result: 0.5\n");
  }
  // The new Manager deletes the succeeded trials' Jobs, as the old one would have.
  CHECK(WaitFor([&] { return f.Objects("jobs").empty(); }));
  CHECK(f.cluster->errors().empty());
}

TEST_CASE("A cluster trial's log reaches the Manager whole and in order", "[kubernetes]") {
  ManagerFixture f;
  // About 1.2 MB, more than one turn of the Reporter's copier.
  f.Create(ClusterSpec(v1::JOB, 1, "seq 1 200000; echo '[dlkit] final_result: 1'", 1, 1));
  REQUIRE(WaitFor([&] { return f.manager->GetExperiment().state() == v1::EXPERIMENT_DONE; }, 45));
  std::string expected;
  for (int i = 1; i <= 200000; ++i) absl::StrAppend(&expected, i, "\n");
  expected += "[dlkit] final_result: 1\n";
  const v1::Trial trial = f.TrialAt(1);
  CHECK(trial.state() == v1::SUCCEEDED);
  const std::string copied = ReadFile(trial.log_path());
  CHECK(copied.size() == expected.size());
  CHECK(copied == expected);
}

TEST_CASE("Killing a trial deletes its Job; deleting the experiment deletes everything",
          "[kubernetes]") {
  ManagerFixture f([](int64_t) { return TrialFate::kHang; });
  f.Create(ClusterSpec(v1::JOB, 1, "true", 2, 2));
  REQUIRE(WaitFor([&] { return f.Objects("pods").size() == 2; }));
  auto killed = f.manager->KillTrial(f.TrialAt(1).id());
  REQUIRE(killed.ok());
  REQUIRE(WaitFor([&] { return f.Ended(1); }));
  CHECK(f.TrialAt(1).state() == v1::KILLED);
  CHECK_FALSE(f.server->GetObject("jobs", kNamespace, f.TrialName(1)).has_value());
  CHECK(f.server->GetObject("jobs", kNamespace, f.TrialName(2)).has_value());

  // The experiment's root goes: its trials and their pods follow (owner references).
  REQUIRE(
      f.client
          ->Delete(k8s::kConfigMap, kNamespace, "dlkit-exp1", k8s::PropagationPolicy::kForeground)
          .ok());
  CHECK(WaitFor([&] { return f.Objects("jobs").empty() && f.Objects("pods").empty(); }));
}

}  // namespace
}  // namespace dlkit::testing
