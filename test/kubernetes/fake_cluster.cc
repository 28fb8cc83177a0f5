#include "test/kubernetes/fake_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/spawn.h"

namespace dlkit::testing {
namespace {

using Json = nlohmann::json;

const char* const kTrialResources[] = {"jobs", "pytorchjobs", "tfjobs"};

int64_t TrialIndex(const std::string& name) {
  const size_t t = name.rfind("-t");
  int64_t index = 0;
  if (t == std::string::npos) return 0;
  std::string digits = name.substr(t + 2);
  digits = digits.substr(0, digits.find('-'));
  return absl::SimpleAtoi(digits, &index) ? index : 0;
}

Json Now() { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()); }

Json Condition(const std::string& type, const std::string& status, const std::string& reason,
               const std::string& message) {
  return {{"type", type},
          {"status", status},
          {"reason", reason},
          {"message", message},
          {"lastTransitionTime", Now()}};
}

// The replica templates of a trial object: (replica type, replicas, template).
struct Replica {
  std::string type;  // "" for a Job
  int count;
  Json pod_template;
};

std::vector<Replica> Replicas(const std::string& resource, const Json& object) {
  std::vector<Replica> out;
  if (resource == "jobs") {
    out.push_back({"", 1, object["spec"]["template"]});
    return out;
  }
  const char* key = resource == "pytorchjobs" ? "pytorchReplicaSpecs" : "tfReplicaSpecs";
  // The master (Master / Chief) first.
  for (const char* type : {"Master", "Chief", "Worker", "PS", "Evaluator"}) {
    if (object["spec"][key].contains(type)) {
      const Json& spec = object["spec"][key][type];
      out.push_back({type, spec.value("replicas", 1), spec["template"]});
    }
  }
  return out;
}

// A free loopback port (free now; tests accept the small race).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

std::string FakeCluster::Endpoint(const std::string& service_address) {
  absl::MutexLock lock(&mu_);
  std::string& endpoint = endpoints_[service_address];
  if (endpoint.empty()) endpoint = absl::StrCat("127.0.0.1:", FreePort());
  return endpoint;
}

FakeCluster::FakeCluster(fake_kube::FakeKubeApiServer* server, Options options)
    : server_(server), options_(std::move(options)), thread_([this] { Loop(); }) {}

FakeCluster::~FakeCluster() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
  for (const Process& p : processes_) {
    kill(p.pid, SIGKILL);
    int status = 0;
    waitpid(p.pid, &status, 0);
  }
}

std::vector<std::string> FakeCluster::errors() {
  absl::MutexLock lock(&mu_);
  return errors_;
}

std::vector<Json> FakeCluster::trial_objects() {
  absl::MutexLock lock(&mu_);
  return objects_;
}

int FakeCluster::running_processes() {
  absl::MutexLock lock(&mu_);
  return running_;
}

void FakeCluster::SetStatus(const std::string& resource, const std::string& ns,
                            const std::string& name, const Json& status) {
  absl::Status set = server_->SetStatus(resource, ns, name, status);
  if (!set.ok() && !absl::IsNotFound(set)) {
    Error(absl::StrCat(resource, " ", name, " status: ", set.message()));
  }
}

void FakeCluster::Error(const std::string& message) {
  absl::MutexLock lock(&mu_);
  errors_.push_back(message);
}

void FakeCluster::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopped = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stop_; };
      // A controller's resync period, short.
      if (mu_.AwaitWithTimeout(absl::Condition(&stopped), absl::Milliseconds(20))) return;
    }
    Step();
  }
}

void FakeCluster::Step() {
  for (const char* resource : kTrialResources) {
    for (const Json& object : server_->ListObjects(resource, "")) {
      const std::string uid = object["metadata"].value("uid", "");
      if (handled_.insert(uid).second) {
        {
          absl::MutexLock lock(&mu_);
          objects_.push_back(object);
        }
        StartPods(resource, object);
      }
    }
  }
  if (!options_.manager_binary.empty()) {
    for (const Json& pod : server_->ListObjects("pods", "", "dlkit.io/component=experiment")) {
      if (handled_.insert(pod["metadata"].value("uid", "")).second) RunExperimentPod(pod);
    }
  }
  // Reap exited processes; kill those whose pod was deleted.
  for (auto it = processes_.begin(); it != processes_.end();) {
    int status = 0;
    const pid_t done = waitpid(it->pid, &status, WNOHANG);
    if (done == it->pid) {
      Finished(*it, status);
      it = processes_.erase(it);
      absl::MutexLock lock(&mu_);
      --running_;
      continue;
    }
    const std::string ns = "";
    bool pod_exists = false;
    for (const Json& pod : server_->ListObjects("pods", "")) {
      if (pod["metadata"].value("name", "") == it->pod) pod_exists = true;
    }
    if (!pod_exists) kill(it->pid, SIGTERM);  // the kubelet stops a deleted pod's containers
    ++it;
  }
}

void FakeCluster::StartPods(const std::string& resource, const Json& object) {
  const std::string name = object["metadata"]["name"];
  const std::string ns = object["metadata"]["namespace"];
  const std::string uid = object["metadata"]["uid"];
  const TrialFate fate = options_.fate(TrialIndex(name));
  Json master_pod;
  std::vector<std::string> workers;
  for (const Replica& replica : Replicas(resource, object)) {
    for (int i = 0; i < replica.count; ++i) {
      Json labels = replica.pod_template["metadata"].value("labels", Json::object());
      std::string pod_name;
      if (resource == "jobs") {
        labels["job-name"] = name;
        labels["controller-uid"] = uid;
        pod_name = absl::StrCat(name, "-", uid.substr(0, 5));
      } else {
        std::string type = replica.type;
        for (char& c : type) c = static_cast<char>(std::tolower(c));
        labels["training.kubeflow.org/job-name"] = name;
        labels["training.kubeflow.org/replica-type"] = type;
        labels["training.kubeflow.org/replica-index"] = std::to_string(i);
        pod_name = absl::StrCat(name, "-", type, "-", i);
      }
      Json spec = replica.pod_template["spec"];
      if (resource == "pytorchjobs") {  // the operator's rendezvous variables
        const int rank = replica.type == "Master" ? 0 : i + 1;
        for (Json& c : spec["containers"]) {
          c["env"].push_back({{"name", "RANK"}, {"value", std::to_string(rank)}});
        }
      }
      Json pod = {
          {"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata",
           {{"name", pod_name},
            {"namespace", ns},
            {"labels", labels},
            {"ownerReferences",
             Json::array({{{"apiVersion", resource == "jobs" ? "batch/v1" : "kubeflow.org/v1"},
                           {"kind", resource == "jobs"          ? "Job"
                                    : resource == "pytorchjobs" ? "PyTorchJob"
                                                                : "TFJob"},
                           {"name", name},
                           {"uid", uid},
                           {"controller", true},
                           {"blockOwnerDeletion", true}}})}}},
          {"spec", spec}};
      absl::StatusOr<Json> created = server_->CreateObject("pods", ns, pod);
      if (!created.ok()) {
        Error(absl::StrCat("cannot create pod ", pod_name, ": ", created.status().message()));
        return;
      }
      if (master_pod.is_null()) {
        master_pod = *created;
      } else {
        workers.push_back(pod_name);
      }
    }
  }
  const std::string master = master_pod["metadata"]["name"];
  const std::string container = master_pod["spec"]["containers"][0].value("name", "");
  const std::string image = master_pod["spec"]["containers"][0].value("image", "");
  auto set_pod = [&](const std::string& pod, const Json& status) {
    absl::Status set = server_->SetStatus("pods", ns, pod, status);
    if (!set.ok()) Error(absl::StrCat("pod ", pod, " status: ", set.message()));
  };
  auto set_object = [&](const Json& status) {
    absl::Status set = server_->SetStatus(resource, ns, name, status);
    if (!set.ok()) Error(absl::StrCat(resource, " ", name, " status: ", set.message()));
  };
  const Json scheduled = Json::array({Condition("PodScheduled", "True", "", "")});
  switch (fate) {
    case TrialFate::kRun:
      RunContainer(resource, object, master_pod, workers);
      return;
    case TrialFate::kHang:
      set_pod(master, {{"phase", "Running"}, {"conditions", scheduled}});
      if (resource == "jobs") set_object({{"active", 1}, {"startTime", Now()}});
      return;
    case TrialFate::kOomKilled: {
      set_pod(
          master,
          {{"phase", "Failed"},
           {"conditions", scheduled},
           {"containerStatuses",
            Json::array(
                {{{"name", container},
                  {"image", image},
                  {"state", {{"terminated", {{"reason", "OOMKilled"}, {"exitCode", 137}}}}}}})}});
      if (resource == "jobs") {
        set_object({{"failed", 1},
                    {"conditions", Json::array({Condition("Failed", "True", "BackoffLimitExceeded",
                                                          "Job has reached the specified backoff "
                                                          "limit")})}});
      } else {
        set_object({{"conditions",
                     Json::array({Condition("Failed", "True", "JobFailed", "job failed")})}});
      }
      return;
    }
    case TrialFate::kUnschedulable:
      set_pod(master,
              {{"phase", "Pending"},
               {"conditions", Json::array({Condition("PodScheduled", "False", "Unschedulable",
                                                     "0/3 nodes are available: 3 Insufficient "
                                                     "nvidia.com/gpu.")})}});
      return;
    case TrialFate::kEvicted:
      set_pod(master, {{"phase", "Failed"},
                       {"reason", "Evicted"},
                       {"message", "The node was low on resource: memory."},
                       {"conditions", scheduled}});
      return;
    case TrialFate::kImagePullBackOff:
      set_pod(master,
              {{"phase", "Pending"},
               {"conditions", scheduled},
               {"containerStatuses",
                Json::array({{{"name", container},
                              {"image", image},
                              {"state",
                               {{"waiting",
                                 {{"reason", "ImagePullBackOff"},
                                  {"message", "Back-off pulling image \"" + image + "\""}}}}}}})}});
      return;
  }
}

void FakeCluster::RunContainer(const std::string& resource, const Json& object, const Json& pod,
                               std::vector<std::string> workers) {
  const std::string pod_name = pod["metadata"]["name"];
  const std::string ns = pod["metadata"]["namespace"];
  const Json& container = pod["spec"]["containers"][0];
  const std::string folder = absl::StrCat(options_.work_dir, "/", pod_name);
  std::filesystem::create_directories(folder);
  std::vector<std::string> argv;
  for (const Json& word : container.value("command", Json::array())) {
    argv.push_back(word == "dlkit-reporter" ? options_.reporter_binary : word.get<std::string>());
  }
  for (const Json& word : container.value("args", Json::array())) {
    std::string arg = word;
    // What the image and the cluster's DNS provide, here.
    if (absl::StartsWith(arg, "--manager=")) {
      std::string service = arg.substr(strlen("--manager="));
      bool known = false;
      {
        absl::MutexLock lock(&mu_);
        known = endpoints_.count(service) > 0;
      }
      arg = "--manager=" +
            (known || !options_.manager_address ? Endpoint(service) : options_.manager_address());
    }
    if (absl::StartsWith(arg, "--log=")) arg = "--log=" + folder + "/trial.log";
    if (absl::StartsWith(arg, "--output_dir=")) arg = "--output_dir=" + folder;
    if (absl::StartsWith(arg, "--python_path=")) arg = "--python_path=" + options_.python_path;
    argv.push_back(arg);
  }
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + folder};
  for (const Json& e : container.value("env", Json::array())) {
    std::string value = e.value("value", "");
    // As the kubelet does: a value from a Secret is read when the container starts; a
    // required one that is missing keeps the container from starting.
    if (e.contains("valueFrom") && e["valueFrom"].contains("secretKeyRef")) {
      const Json& ref = e["valueFrom"]["secretKeyRef"];
      std::optional<Json> secret = server_->GetObject("secrets", ns, ref.value("name", ""));
      const std::string key = ref.value("key", "");
      if (secret && secret->contains("data") && (*secret)["data"].contains(key)) {
        absl::Base64Unescape((*secret)["data"][key].get<std::string>(), &value);
      } else if (!ref.value("optional", false)) {
        Error(absl::StrCat("pod ", pod_name, ": CreateContainerConfigError: secret \"",
                           ref.value("name", ""), "\" (key ", key, ") not found"));
        return;
      } else {
        continue;
      }
    }
    env.push_back(absl::StrCat(e.value("name", ""), "=", value));
  }
  SpawnOptions spawn;
  spawn.argv = argv;
  spawn.env = env;
  spawn.output_path = folder + "/container.log";
  spawn.working_directory = container.value("workingDir", "");
  absl::StatusOr<pid_t> pid = Spawn(spawn);
  if (!pid.ok()) {
    Error(absl::StrCat("cannot run pod ", pod_name, ": ", pid.status().message()));
    return;
  }
  Json running = {
      {"phase", "Running"},
      {"conditions", Json::array({Condition("PodScheduled", "True", "", "")})},
      {"containerStatuses", Json::array({{{"name", container.value("name", "")},
                                          {"image", container.value("image", "")},
                                          {"state", {{"running", {{"startedAt", Now()}}}}}}})}};
  SetStatus("pods", ns, pod_name, running);
  for (const std::string& w : workers) SetStatus("pods", ns, w, running);
  if (resource == "jobs") {
    SetStatus(resource, ns, object["metadata"]["name"], {{"active", 1}, {"startTime", Now()}});
  } else {
    SetStatus(resource, ns, object["metadata"]["name"],
              {{"conditions", Json::array({Condition("Created", "True", "JobCreated", ""),
                                           Condition("Running", "True", "JobRunning", "")})}});
  }
  processes_.push_back({*pid, pod_name, resource, object["metadata"]["name"], workers});
  absl::MutexLock lock(&mu_);
  ++running_;
}

void FakeCluster::RunExperimentPod(const Json& pod) {
  const std::string pod_name = pod["metadata"]["name"];
  const std::string ns = pod["metadata"]["namespace"];
  const std::string folder = absl::StrCat(options_.work_dir, "/", pod_name);
  std::filesystem::create_directories(folder);
  // The kubelet mounts the ConfigMap volume; here it is a file.
  std::string config_map;
  for (const Json& volume : pod["spec"]["volumes"]) {
    if (volume.contains("configMap")) config_map = volume["configMap"]["name"];
  }
  std::optional<Json> spec = server_->GetObject("configmaps", ns, config_map);
  if (!spec.has_value()) {
    Error("no ConfigMap " + config_map + " for pod " + pod_name);
    return;
  }
  std::ofstream(folder + "/spec.json") << (*spec)["data"].value("spec.json", "");
  // The pod's own API access: a kubeconfig for this server instead of its service account.
  std::ofstream(folder + "/kubeconfig")
      << "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
      << "clusters: [{name: fake, cluster: {server: '" << server_->url() << "'}}]\n"
      << "users: [{name: u, user: {token: pod-token}}]\n"
      << "contexts: [{name: c, context: {cluster: fake, user: u, namespace: " << ns << "}}]\n";
  const std::string tuner = absl::StrCat("127.0.0.1:", FreePort());
  std::string manager;
  for (const Json& container : pod["spec"]["containers"]) {
    std::vector<std::string> argv;
    for (const Json& word : container["command"]) {
      std::string arg = word;
      if (arg == "dlkit-manager") arg = options_.manager_binary;
      if (arg == "dlkit-tuner") arg = options_.tuner_binary;
      if (absl::StartsWith(arg, "--config=")) arg = "--config=" + folder + "/spec.json";
      if (absl::StartsWith(arg, "--directory=")) arg = "--directory=" + folder + "/store";
      if (absl::StartsWith(arg, "--tuner_address=")) arg = "--tuner_address=" + tuner;
      if (absl::StartsWith(arg, "--service_address=")) {
        manager = Endpoint(arg.substr(strlen("--service_address=")));
      }
      argv.push_back(arg);
    }
    const bool is_manager = container["name"] == "manager";
    for (std::string& arg : argv) {
      if (absl::StartsWith(arg, "--address=")) arg = "--address=" + (is_manager ? manager : tuner);
    }
    if (is_manager) argv.push_back("--kubeconfig=" + folder + "/kubeconfig");
    SpawnOptions spawn;
    spawn.argv = argv;
    spawn.env = {"PATH=/usr/bin:/bin", "HOME=" + folder};
    spawn.output_path = absl::StrCat(folder, "/", container.value("name", ""), ".log");
    absl::StatusOr<pid_t> pid = Spawn(spawn);
    if (!pid.ok()) {
      Error(absl::StrCat("cannot run ", pod_name, ": ", pid.status().message()));
      continue;
    }
    Process process{*pid, pod_name, "", "", {}};
    process.experiment_pod = true;
    processes_.push_back(process);
    absl::MutexLock lock(&mu_);
    ++running_;
  }
  SetStatus("pods", ns, pod_name,
            {{"phase", "Running"},
             {"conditions", Json::array({Condition("PodScheduled", "True", "", "")})}});
}

void FakeCluster::Finished(const Process& process, int wait_status) {
  if (process.experiment_pod) {
    if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
      // Killed by us (deleted pod) is fine; anything else is worth a look.
      if (!(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGTERM)) {
        Error(absl::StrCat("a container of ", process.pod, " ended with status ", wait_status,
                           " (see its log under ", options_.work_dir, ")"));
      }
    }
    return;
  }
  const bool ok = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  const int code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  std::optional<Json> pod = server_->GetObject("pods", "", process.pod);
  // Pods are namespaced: find it by listing.
  std::string ns;
  for (const Json& p : server_->ListObjects("pods", "")) {
    if (p["metadata"].value("name", "") == process.pod) ns = p["metadata"]["namespace"];
  }
  if (ns.empty()) return;  // deleted meanwhile: nothing to write
  const Json terminated = {
      {"phase", ok ? "Succeeded" : "Failed"},
      {"conditions", Json::array({Condition("PodScheduled", "True", "", "")})},
      {"containerStatuses",
       Json::array(
           {{{"name", "trial"},
             {"state",
              {{"terminated", {{"reason", ok ? "Completed" : "Error"}, {"exitCode", code}}}}}}})}};
  SetStatus("pods", ns, process.pod, terminated);
  for (const std::string& w : process.worker_pods) {
    SetStatus("pods", ns, w, terminated);
  }
  Json status;
  if (process.owner_resource == "jobs") {
    status = ok ? Json{{"succeeded", 1},
                       {"completionTime", Now()},
                       {"conditions", Json::array({Condition("Complete", "True", "", "")})}}
                : Json{{"failed", 1},
                       {"conditions",
                        Json::array({Condition("Failed", "True", "BackoffLimitExceeded",
                                               "Job has reached the specified backoff limit")})}};
  } else {
    status = {
        {"conditions", Json::array({Condition("Created", "True", "JobCreated", ""),
                                    ok ? Condition("Succeeded", "True", "JobSucceeded", "succeeded")
                                       : Condition("Failed", "True", "JobFailed", "failed")})}};
  }
  absl::Status set = server_->SetStatus(process.owner_resource, ns, process.owner_name, status);
  if (!set.ok() && !absl::IsNotFound(set)) {
    Error(absl::StrCat(process.owner_name, " status: ", set.message()));
  }
}

// Kept here so that every binary with KubeFixture links, whether or not it checks the RBAC.
std::vector<fake_kube::ApiCall>& RecordedCalls() {
  static auto* calls = new std::vector<fake_kube::ApiCall>;
  return *calls;
}

}  // namespace dlkit::testing
