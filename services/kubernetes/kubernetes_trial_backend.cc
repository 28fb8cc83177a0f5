#include "services/kubernetes/kubernetes_trial_backend.h"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <optional>
#include <random>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "services/kubernetes/kubernetes_config.h"

namespace dlkit {
namespace {

// The init container's: clones $DLKIT_GIT_URL at $DLKIT_GIT_REVISION into $DLKIT_CODE_DIR.
// Values come in as environment variables, never into the script's text. With a password
// (gitRepository.secretName), git asks a credential helper that reads it from the
// environment, so it is written nowhere (the trial container, which shares the folder,
// does not have it).
constexpr char kGitCloneScript[] =
    "set -e; cd \"$DLKIT_CODE_DIR\"; git init -q .; "
    "if [ -n \"${DLKIT_GIT_PASSWORD:-}\" ]; then "
    "git config credential.helper "
    "'!f() { echo \"username=${DLKIT_GIT_USERNAME:-git}\"; echo \"password=$DLKIT_GIT_PASSWORD\"; "
    "}; f'; "
    "fi; "
    "git remote add origin \"$DLKIT_GIT_URL\"; "
    "git fetch -q --depth 1 origin \"${DLKIT_GIT_REVISION:-HEAD}\"; "
    "git checkout -q FETCH_HEAD";

using Json = nlohmann::json;

std::string StringAt(const Json& j, const Json::json_pointer& pointer) {
  if (!j.contains(pointer)) return "";
  const Json& value = j.at(pointer);
  return value.is_string() ? value.get<std::string>() : "";
}

std::string NameOf(const Json& object) { return StringAt(object, "/metadata/name"_json_pointer); }

std::string LabelOf(const Json& object, const std::string& key) {
  const Json* labels = nullptr;
  if (object.contains("metadata") && object["metadata"].contains("labels")) {
    labels = &object["metadata"]["labels"];
  }
  if (labels == nullptr || !labels->is_object() || !labels->contains(key)) return "";
  const Json& value = (*labels)[key];
  return value.is_string() ? value.get<std::string>() : "";
}

// The condition of `type` whose status is "True", or null.
const Json* TrueCondition(const Json& object, const std::string& type) {
  if (!object.contains("status") || !object["status"].contains("conditions")) return nullptr;
  const Json& conditions = object["status"]["conditions"];
  if (!conditions.is_array()) return nullptr;
  for (const Json& c : conditions) {
    if (c.value("type", "") == type && c.value("status", "") == "True") return &c;
  }
  return nullptr;
}

std::string ConditionText(const Json& condition) {
  const std::string reason = condition.value("reason", "");
  const std::string message = condition.value("message", "");
  if (reason.empty()) return message;
  if (message.empty()) return reason;
  return absl::StrCat(reason, ": ", message);
}

// A DNS-1123 label made of `text`: lower case, [-a-z0-9], at most `max` characters.
std::string DnsPart(const std::string& text, size_t max) {
  std::string out;
  for (char c : absl::AsciiStrToLower(text)) {
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
  }
  if (out.size() > max) out.resize(max);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string RandomSuffix() {
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::random_device device;
  std::string s;
  for (int i = 0; i < 5; ++i) s.push_back(kAlphabet[device() % (sizeof(kAlphabet) - 1)]);
  return s;
}

Json Resources(const v1::Resources& r) {
  Json requests = Json::object();
  Json limits = Json::object();
  if (!r.cpu().empty()) requests["cpu"] = limits["cpu"] = r.cpu();
  if (!r.memory().empty()) requests["memory"] = limits["memory"] = r.memory();
  // Extended resources are set as limits (requests default to them and must equal them).
  if (r.gpu() > 0) limits["nvidia.com/gpu"] = std::to_string(r.gpu());
  Json out = Json::object();
  if (!requests.empty()) out["requests"] = std::move(requests);
  if (!limits.empty()) out["limits"] = std::move(limits);
  return out;
}

// The pod template of one replica. `reporter`: this replica runs dlkit-reporter (it is
// the master / rank 0); otherwise the command alone, silenced.
Json PodTemplate(const TrialLaunch& launch, const KubernetesTrialBackend::Options& options,
                 const std::string& container_name, bool reporter) {
  const v1::KubernetesService& k8s = launch.spec.training_service().kubernetes();
  Json env = Json::array();
  auto add_env = [&env](const std::string& name, const std::string& value) {
    env.push_back({{"name", name}, {"value", value}});
  };
  add_env("DLKIT_TRIAL_PARAMETERS", launch.parameters_json);
  add_env("DLKIT_TRIAL_ID", launch.trial_id);
  add_env("DLKIT_EXPERIMENT_ID", launch.experiment_id);
  add_env("DLKIT_TRIAL_SEQUENCE", std::to_string(launch.index));
  Json container = {{"name", container_name}, {"image", k8s.image()}};
  if (reporter) {
    // The secret lets this Reporter, and only it, report for the trial. It comes from the
    // trial's Secret object: whoever may read Jobs and pods does not see it.
    env.push_back({{"name", "DLKIT_TRIAL_SECRET"},
                   {"valueFrom",
                    {{"secretKeyRef",
                      {{"name", KubernetesTrialBackend::SecretName(launch)},
                       {"key", KubernetesTrialBackend::kSecretKey}}}}}});
    container["command"] = Json::array({options.reporter_command});
    // A failed trial fails its pod and Job, as `kubectl get jobs` readers expect (the Jobs
    // have backoffLimit 0: Kubernetes does not run it again). The log is in the container:
    // the Reporter copies it to the Manager, which serves it like a local trial's.
    container["args"] =
        ReporterArgs(launch, {options.manager_address, options.trial_log, options.output_dir,
                              options.python_path, options.grace_seconds,
                              /*exit_like_trial=*/true, /*stream_log=*/true});
  } else {
    add_env("DLKIT_REPORT", "0");
    add_env("PYTHONPATH", options.python_path);
    container["command"] = Json::array({"/bin/sh", "-c", launch.spec.trial_command()});
  }
  for (const auto& [key, value] : launch.spec.trial_env()) add_env(key, value);
  container["env"] = std::move(env);
  if (!launch.spec.trial_code_directory().empty()) {
    container["workingDir"] = launch.spec.trial_code_directory();
  }
  Json resources = Resources(k8s.resources());
  if (!resources.empty()) container["resources"] = std::move(resources);
  Json volumes = Json::array();
  Json mounts = Json::array();
  for (const v1::Volume& v : k8s.volumes()) {
    Json volume = {{"name", v.name()}};
    if (!v.persistent_volume_claim().empty()) {
      volume["persistentVolumeClaim"] = {{"claimName", v.persistent_volume_claim()}};
    } else if (!v.host_path().empty()) {
      volume["hostPath"] = {{"path", v.host_path()}};
    } else {
      volume["emptyDir"] = Json::object();
    }
    volumes.push_back(std::move(volume));
    mounts.push_back({{"name", v.name()}, {"mountPath", v.mount_path()}});
  }
  Json init_containers = Json::array();
  if (k8s.has_git_repository()) {
    // The code: cloned into an emptyDir at trialCodeDirectory by an init container, so the
    // trial starts only once it is there. URL and revision go in as environment variables,
    // never into the script's text.
    const v1::GitRepository& git = k8s.git_repository();
    const std::string code_dir = launch.spec.trial_code_directory();
    volumes.push_back({{"name", "dlkit-code"}, {"emptyDir", Json::object()}});
    mounts.push_back({{"name", "dlkit-code"}, {"mountPath", code_dir}});
    Json env = Json::array({{{"name", "DLKIT_GIT_URL"}, {"value", git.url()}},
                            {{"name", "DLKIT_GIT_REVISION"}, {"value", git.revision()}},
                            {{"name", "DLKIT_CODE_DIR"}, {"value", code_dir}}});
    if (!git.secret_name().empty()) {
      // A private repository: the login comes from the Secret into this container only.
      auto from_secret = [&](const char* name, const char* key, bool optional) {
        return Json{{"name", name},
                    {"valueFrom",
                     {{"secretKeyRef",
                       {{"name", git.secret_name()}, {"key", key}, {"optional", optional}}}}}};
      };
      env.push_back(from_secret("DLKIT_GIT_USERNAME", "username", true));
      env.push_back(from_secret("DLKIT_GIT_PASSWORD", "password", false));
    }
    init_containers.push_back(
        {{"name", "dlkit-code"},
         {"image", git.image().empty() ? options.git_image : git.image()},
         {"command", Json::array({"/bin/sh", "-c", kGitCloneScript})},
         {"env", std::move(env)},
         {"volumeMounts", Json::array({{{"name", "dlkit-code"}, {"mountPath", code_dir}}})}});
  }
  if (!mounts.empty()) container["volumeMounts"] = std::move(mounts);
  Json spec = {{"restartPolicy", "Never"}, {"containers", Json::array({std::move(container)})}};
  if (!init_containers.empty()) spec["initContainers"] = std::move(init_containers);
  if (!volumes.empty()) spec["volumes"] = std::move(volumes);
  if (!k8s.service_account().empty()) spec["serviceAccountName"] = k8s.service_account();
  if (!k8s.node_selector().empty()) {
    spec["nodeSelector"] =
        std::map<std::string, std::string>(k8s.node_selector().begin(), k8s.node_selector().end());
  }
  if (k8s.tolerations_size() > 0) spec["tolerations"] = TolerationsToJson<Json>(k8s.tolerations());
  return {{"metadata", {{"labels", DlkitLabels(launch.experiment_id, "trial", launch.trial_id)}}},
          {"spec", std::move(spec)}};
}

Json ReplicaSpec(int replicas, Json pod_template) {
  return {
      {"replicas", replicas}, {"restartPolicy", "Never"}, {"template", std::move(pod_template)}};
}

// Why a pod's trial cannot go on, or "" while it may. `advice` for the memory limit.
struct PodProblem {
  std::string why;
  bool remove = false;  // the object would hang otherwise: delete it
};

PodProblem PodFailure(const Json& pod, const std::string& memory) {
  const std::string name = NameOf(pod);
  const Json& status = pod.contains("status") ? pod["status"] : Json::object();
  if (status.value("reason", "") == "Evicted") {
    return {absl::StrCat("pod ", name, " was evicted: ", status.value("message", "")), false};
  }
  for (const char* key : {"initContainerStatuses", "containerStatuses"}) {
    if (!status.contains(key) || !status[key].is_array()) continue;
    for (const Json& c : status[key]) {
      const Json state = c.value("state", Json::object());
      if (state.contains("waiting")) {
        const std::string reason = state["waiting"].value("reason", "");
        if (reason == "ImagePullBackOff" || reason == "ErrImagePull" ||
            reason == "InvalidImageName") {
          return {absl::StrCat("image ", c.value("image", ""), " cannot be pulled (", reason,
                               "): ", state["waiting"].value("message", ""),
                               "; check trainingService.image and the registry's pull secret"),
                  true};
        }
      }
      if (state.contains("terminated") && state["terminated"].value("reason", "") == "OOMKilled") {
        return {absl::StrCat("out of memory: container ", c.value("name", ""), " of pod ", name,
                             " was OOMKilled; raise trainingService.resources.memory (now ",
                             memory.empty() ? "unset" : memory, ")"),
                false};
      }
    }
  }
  return {};
}

// The PodScheduled=False/Unschedulable condition's message, or null when schedulable.
std::optional<std::string> Unschedulable(const Json& pod) {
  if (!pod.contains("status") || !pod["status"].contains("conditions")) return std::nullopt;
  for (const Json& c : pod["status"]["conditions"]) {
    if (c.value("type", "") == "PodScheduled" && c.value("status", "") == "False" &&
        c.value("reason", "") == "Unschedulable") {
      return c.value("message", "");
    }
  }
  return std::nullopt;
}

std::string ShortDuration(absl::Duration d) {
  if (d >= absl::Minutes(1) && d % absl::Minutes(1) == absl::ZeroDuration()) {
    return absl::StrCat(absl::ToInt64Minutes(d), "m");
  }
  return absl::FormatDuration(d);
}

}  // namespace

std::string KubernetesTrialBackend::BaseName(const TrialLaunch& launch) {
  return absl::StrCat("dlkit-", DnsPart(launch.experiment_id, 20), "-t", launch.index);
}

std::string KubernetesTrialBackend::SecretName(const TrialLaunch& launch) {
  return BaseName(launch) + "-secret";
}

void KubernetesTrialBackend::Doom(
    const Tracked& tracked, std::vector<std::pair<const k8s::ResourceType*, std::string>>* doomed) {
  doomed->emplace_back(tracked.type, tracked.name);
  if (!tracked.secret.empty()) doomed->emplace_back(&k8s::kSecret, tracked.secret);
}

absl::Status KubernetesTrialBackend::CreateSecret(const TrialLaunch& launch) {
  Json metadata = {{"name", SecretName(launch)},
                   {"namespace", options_.ns},
                   {"labels", DlkitLabels(launch.experiment_id, "trial", launch.trial_id)}};
  // Owned like the trial's object, so that deleting the experiment takes it too.
  if (!options_.owner.is_null()) metadata["ownerReferences"] = Json::array({options_.owner});
  const Json secret = {{"apiVersion", "v1"},
                       {"kind", "Secret"},
                       {"metadata", metadata},
                       {"type", "Opaque"},
                       {"data", {{kSecretKey, absl::Base64Escape(launch.secret)}}}};
  absl::StatusOr<Json> created = client_->Create(k8s::kSecret, options_.ns, secret);
  if (absl::IsAlreadyExists(created.status())) {
    // A launch again after a restart (a new secret), or a first POST whose answer was lost.
    const absl::Status deleted = client_->Delete(k8s::kSecret, options_.ns, SecretName(launch));
    created = deleted.ok() || absl::IsNotFound(deleted)
                  ? client_->Create(k8s::kSecret, options_.ns, secret)
                  : absl::StatusOr<Json>(deleted);
  }
  if (!created.ok()) {
    return absl::Status(created.status().code(),
                        absl::StrCat("cannot create Secret ", SecretName(launch), " in namespace ",
                                     options_.ns, ": ", created.status().message()));
  }
  return absl::OkStatus();
}

const k8s::ResourceType& KubernetesTrialBackend::TypeOf(v1::JobKind kind) {
  switch (kind) {
    case v1::PYTORCH_JOB:
      return k8s::kPyTorchJob;
    case v1::TF_JOB:
      return k8s::kTFJob;
    default:
      return k8s::kJob;
  }
}

Json KubernetesTrialBackend::TrialObject(const TrialLaunch& launch, const Options& options,
                                         const std::string& name) {
  const v1::KubernetesService& k8s = launch.spec.training_service().kubernetes();
  const k8s::ResourceType& type = TypeOf(k8s.job_kind());
  Json metadata = {{"name", name},
                   {"namespace", options.ns},
                   {"labels", DlkitLabels(launch.experiment_id, "trial", launch.trial_id)}};
  if (!options.owner.is_null()) metadata["ownerReferences"] = Json::array({options.owner});
  Json object = {{"apiVersion", type.api_version}, {"kind", type.kind}, {"metadata", metadata}};
  const int replicas = std::max(1, k8s.replicas());
  switch (k8s.job_kind()) {
    case v1::PYTORCH_JOB: {
      Json specs = {{"Master", ReplicaSpec(1, PodTemplate(launch, options, "pytorch", true))}};
      if (replicas > 1) {
        specs["Worker"] = ReplicaSpec(replicas - 1, PodTemplate(launch, options, "pytorch", false));
      }
      object["spec"] = {{"runPolicy", {{"backoffLimit", 0}, {"cleanPodPolicy", "None"}}},
                        {"pytorchReplicaSpecs", std::move(specs)}};
      break;
    }
    case v1::TF_JOB: {
      Json specs = {{"Chief", ReplicaSpec(1, PodTemplate(launch, options, "tensorflow", true))}};
      if (replicas > 1) {
        specs["Worker"] =
            ReplicaSpec(replicas - 1, PodTemplate(launch, options, "tensorflow", false));
      }
      object["spec"] = {{"runPolicy", {{"backoffLimit", 0}, {"cleanPodPolicy", "None"}}},
                        {"tfReplicaSpecs", std::move(specs)}};
      break;
    }
    default:
      object["spec"] = {{"backoffLimit", 0},
                        {"template", PodTemplate(launch, options, "trial", true)}};
      break;
  }
  return object;
}

KubernetesTrialBackend::KubernetesTrialBackend(std::shared_ptr<k8s::KubeClient> client,
                                               Options options)
    : client_(std::move(client)),
      options_(std::move(options)),
      selector_(absl::StrCat(kExperimentLabel, "=", options_.experiment_id)) {}

absl::StatusOr<std::unique_ptr<KubernetesTrialBackend>> KubernetesTrialBackend::New(
    std::shared_ptr<k8s::KubeClient> client, Options options) {
  if (client == nullptr) return absl::InvalidArgumentError("no Kubernetes client");
  if (options.ns.empty() || options.experiment_id.empty() || options.manager_address.empty()) {
    return absl::InvalidArgumentError(
        "the Kubernetes backend needs a namespace, an experiment id and the Manager's address");
  }
  auto backend = std::unique_ptr<KubernetesTrialBackend>(
      new KubernetesTrialBackend(std::move(client), std::move(options)));
  {
    absl::MutexLock lock(&backend->mu_);
    backend->threads_.emplace_back([b = backend.get()] { b->HousekeepingLoop(); });
  }
  return backend;
}

KubernetesTrialBackend::~KubernetesTrialBackend() { StopThreads(); }

void KubernetesTrialBackend::StopThreads() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
    threads.swap(threads_);
  }
  cancel_.Cancel();
  for (std::thread& t : threads) t.join();
}

int KubernetesTrialBackend::tracked_trials() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(trials_.size());
}

void KubernetesTrialBackend::StartWatching(v1::JobKind kind) {
  if (watching_) return;
  watching_ = true;
  const k8s::ResourceType* type = &TypeOf(kind);
  threads_.emplace_back([this, type] { FollowLoop(type, /*pods=*/false); });
  threads_.emplace_back([this] { FollowLoop(&k8s::kPod, /*pods=*/true); });
}

absl::Status KubernetesTrialBackend::Launch(const TrialLaunch& launch, GoneCallback on_gone) {
  const v1::KubernetesService& k8s = launch.spec.training_service().kubernetes();
  const k8s::ResourceType& type = TypeOf(k8s.job_kind());
  {
    absl::MutexLock lock(&mu_);
    if (closing_) return absl::CancelledError("the Manager is shutting down");
    StartWatching(k8s.job_kind());
  }
  DLKIT_RETURN_IF_ERROR(CreateSecret(launch));
  // Stable across a retried POST; the index keeps it unique within the experiment.
  const std::string base = BaseName(launch);
  std::string name = base;
  // Tracked before it exists: its pods' and its own first events may come before Create's
  // answer does.
  auto track = [&] {
    absl::MutexLock lock(&mu_);
    Tracked& tracked = trials_[launch.trial_id];
    tracked.trial_id = launch.trial_id;
    tracked.name = name;
    tracked.type = &type;
    tracked.secret = SecretName(launch);
    tracked.on_gone = on_gone;
    tracked.memory = k8s.resources().memory();
  };
  absl::StatusOr<Json> created;
  for (int attempt = 0; attempt < 3; ++attempt) {
    track();
    created = client_->Create(type, options_.ns, TrialObject(launch, options_, name));
    if (created.ok()) break;
    if (created.status().code() != absl::StatusCode::kAlreadyExists) break;
    // Our own object (the first POST's answer was lost): it is the trial's.
    absl::StatusOr<Json> existing = client_->Get(type, options_.ns, name);
    if (existing.ok() && LabelOf(*existing, kTrialLabel) == launch.trial_id &&
        LabelOf(*existing, kExperimentLabel) == launch.experiment_id) {
      created = std::move(existing);
      break;
    }
    // Someone else's (a deleted experiment's leftover, another tool's): another name.
    name = absl::StrCat(base, "-", RandomSuffix());
  }
  if (!created.ok()) {
    absl::MutexLock lock(&mu_);
    trials_.erase(launch.trial_id);
    return absl::Status(created.status().code(),
                        absl::StrCat("cannot create ", type.kind, " ", name, " in namespace ",
                                     options_.ns, ": ", created.status().message()));
  }
  return absl::OkStatus();
}

void KubernetesTrialBackend::Terminate(const std::string& trial_id) {
  // Called under the Manager's lock: the DELETE goes out from the housekeeping thread.
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(trial_id);
  if (it == trials_.end() || it->second.delete_requested) return;
  it->second.delete_requested = true;
  it->second.delete_at = absl::Now();
  wake_ = true;
}

void KubernetesTrialBackend::TerminateAll() {
  std::vector<std::pair<const k8s::ResourceType*, std::string>> doomed;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, tracked] : trials_) {
      if (tracked.deleted) continue;
      tracked.deleted = tracked.delete_requested = true;
      Doom(tracked, &doomed);
    }
  }
  DeleteObjects(doomed);
  // The Manager is going away: no callback may reach it after this.
  StopThreads();
}

absl::Status KubernetesTrialBackend::Adopt(const TrialLaunch& launch, GoneCallback on_gone) {
  const v1::KubernetesService& k8s = launch.spec.training_service().kubernetes();
  const k8s::ResourceType& type = TypeOf(k8s.job_kind());
  {
    // Tracked before the lookup, with its name left to learn (Launch may have suffixed it),
    // so that the watches' first lists see it whichever comes first.
    absl::MutexLock lock(&mu_);
    if (closing_) return absl::CancelledError("the Manager is shutting down");
    Tracked& tracked = trials_[launch.trial_id];
    tracked.trial_id = launch.trial_id;
    tracked.type = &type;
    tracked.secret = SecretName(launch);
    tracked.on_gone = std::move(on_gone);
    tracked.memory = k8s.resources().memory();
    StartWatching(k8s.job_kind());
  }
  absl::StatusOr<k8s::ObjectList> found = client_->List(
      type, options_.ns, absl::StrCat(selector_, ",", kTrialLabel, "=", launch.trial_id));
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(launch.trial_id);
  if (it == trials_.end()) return absl::NotFoundError(absl::StrCat("its ", type.kind, " is gone"));
  if (found.ok() && !found->items.empty()) {
    // What happened to it while no Manager was looking (it may have ended).
    OnTrialObject(found->items.front(), &deferred_);
    if (!deferred_.empty()) wake_ = true;
  } else if (!it->second.seen) {
    trials_.erase(it);
    if (!found.ok()) {
      return absl::Status(found.status().code(), absl::StrCat("cannot look for its ", type.kind,
                                                              ": ", found.status().message()));
    }
    return absl::NotFoundError(absl::StrCat("its ", type.kind, " no longer exists"));
  }
  return absl::OkStatus();
}

void KubernetesTrialBackend::Release() {
  std::vector<std::pair<const k8s::ResourceType*, std::string>> due;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    for (auto& [id, tracked] : trials_) {
      if (tracked.delete_requested && !tracked.deleted && tracked.delete_at <= now) {
        tracked.deleted = true;
        Doom(tracked, &due);
      }
    }
  }
  DeleteObjects(due);
  StopThreads();
}

std::vector<std::string> KubernetesTrialBackend::DeleteObjects(
    const std::vector<std::pair<const k8s::ResourceType*, std::string>>& doomed) {
  std::vector<std::string> failed;
  for (const auto& [type, name] : doomed) {
    absl::Status deleted = client_->Delete(*type, options_.ns, name);
    if (!deleted.ok() && !absl::IsNotFound(deleted)) {
      dlkit::Log() << "cannot delete " << type->kind << " " << name << ": " << deleted;
      failed.push_back(name);
    }
  }
  return failed;
}

KubernetesTrialBackend::Tracked* KubernetesTrialBackend::FindByObject(const Json& object) {
  auto it = trials_.find(LabelOf(object, kTrialLabel));
  if (it == trials_.end()) return nullptr;
  return &it->second;
}

void KubernetesTrialBackend::Finish(Tracked& tracked, const std::string& why, bool succeeded,
                                    bool remove, std::vector<Notice>* notices) {
  if (!tracked.gone) {
    tracked.gone = true;
    notices->push_back({tracked.on_gone, tracked.trial_id, why});
  }
  if (tracked.delete_requested) return;
  const absl::Duration keep = remove      ? absl::ZeroDuration()
                              : succeeded ? options_.keep_succeeded
                                          : options_.keep_failed;
  if (keep == absl::InfiniteDuration()) return;
  tracked.delete_requested = true;
  tracked.delete_at = absl::Now() + keep;
  wake_ = true;
}

void KubernetesTrialBackend::OnTrialObject(const Json& object, std::vector<Notice>* notices) {
  Tracked* tracked = FindByObject(object);
  if (tracked == nullptr) return;
  if (tracked->name.empty()) tracked->name = NameOf(object);  // adopted: learnt here
  if (NameOf(object) != tracked->name) return;
  tracked->seen = true;
  const std::string what = absl::StrCat(tracked->type->kind, " ", tracked->name);
  if (tracked->type == &k8s::kJob) {
    if (TrueCondition(object, "Complete") != nullptr) {
      Finish(*tracked, what + " completed", true, false, notices);
    } else if (const Json* failed = TrueCondition(object, "Failed")) {
      const std::string reason = failed->value("reason", "");
      std::string why = absl::StrCat(what, " failed (", ConditionText(*failed), ")");
      if (reason == "DeadlineExceeded") {
        why = absl::StrCat(what, " ran past its activeDeadlineSeconds (DeadlineExceeded)");
      }
      FailLater(*tracked, why);
    }
    return;
  }
  if (TrueCondition(object, "Succeeded") != nullptr) {
    Finish(*tracked, what + " succeeded", true, false, notices);
  } else if (const Json* failed = TrueCondition(object, "Failed")) {
    FailLater(*tracked, absl::StrCat(what, " failed (", ConditionText(*failed), ")"));
  }
}

void KubernetesTrialBackend::FailLater(Tracked& tracked, const std::string& why) {
  if (tracked.gone || tracked.pending_at != absl::InfiniteFuture()) return;
  tracked.pending_why = why;
  tracked.pending_at = absl::Now() + options_.failure_grace;
  wake_ = true;
}

void KubernetesTrialBackend::OnTrialObjectDeleted(const Json& object,
                                                  std::vector<Notice>* notices) {
  Tracked* tracked = FindByObject(object);
  if (tracked == nullptr || NameOf(object) != tracked->name) return;
  if (!tracked->gone) {
    tracked->gone = true;
    notices->push_back(
        {tracked->on_gone, tracked->trial_id,
         tracked->delete_requested
             ? absl::StrCat(tracked->type->kind, " ", tracked->name, " was deleted by dlkit")
             : absl::StrCat(tracked->type->kind, " ", tracked->name,
                            " was deleted by someone else")});
  }
  trials_.erase(tracked->trial_id);
}

void KubernetesTrialBackend::OnPod(const Json& pod, std::vector<Notice>* notices) {
  Tracked* tracked = FindByObject(pod);
  if (tracked == nullptr || tracked->gone) return;
  const PodProblem problem = PodFailure(pod, tracked->memory);
  if (!problem.why.empty()) {
    Finish(*tracked, problem.why, false, problem.remove, notices);
    return;
  }
  std::optional<std::string> unschedulable = Unschedulable(pod);
  if (unschedulable.has_value()) {
    if (tracked->unschedulable_since == absl::InfiniteFuture()) {
      tracked->unschedulable_since = absl::Now();
      wake_ = true;  // the housekeeper times it out
    }
    tracked->unschedulable_message = *unschedulable;
  } else {
    tracked->unschedulable_since = absl::InfiniteFuture();
  }
}

void KubernetesTrialBackend::Notify(std::vector<Notice>& notices) {
  for (Notice& n : notices) {
    if (n.callback) n.callback(n.trial_id, n.why);
  }
  notices.clear();
}

void KubernetesTrialBackend::FollowLoop(const k8s::ResourceType* type, bool pods) {
  std::string version;  // empty: list first
  std::vector<Notice> notices;
  while (!cancel_.cancelled()) {
    if (version.empty()) {
      absl::StatusOr<k8s::ObjectList> list = client_->List(*type, options_.ns, selector_);
      if (!list.ok()) {
        dlkit::Log() << "cannot list " << type->plural << ": " << list.status();
        if (cancel_.SleepFor(options_.retry_delay)) return;
        continue;
      }
      {
        absl::MutexLock lock(&mu_);
        std::set<std::string> present;
        for (const Json& item : list->items) {
          if (pods) {
            OnPod(item, &notices);
          } else {
            present.insert(NameOf(item));
            OnTrialObject(item, &notices);
          }
        }
        if (!pods) {
          // Objects seen before and missing now were deleted while no watch was open.
          std::vector<Json> vanished;
          for (const auto& [id, tracked] : trials_) {
            if (tracked.seen && present.count(tracked.name) == 0) {
              vanished.push_back(
                  {{"metadata", {{"name", tracked.name}, {"labels", {{kTrialLabel, id}}}}}});
            }
          }
          for (const Json& v : vanished) OnTrialObjectDeleted(v, &notices);
        }
      }
      Notify(notices);
      version = list->resource_version;
    }
    k8s::WatchOptions watch;
    watch.resource_version = version;
    watch.label_selector = selector_;
    absl::StatusOr<std::string> resumed = client_->Watch(
        *type, options_.ns, watch,
        [&](const k8s::WatchEvent& event) {
          {
            absl::MutexLock lock(&mu_);
            if (event.type == k8s::WatchEventType::kDeleted) {
              if (!pods) OnTrialObjectDeleted(event.object, &notices);
            } else if (event.type != k8s::WatchEventType::kBookmark) {
              if (pods) {
                OnPod(event.object, &notices);
              } else {
                OnTrialObject(event.object, &notices);
              }
            }
          }
          Notify(notices);
          return true;
        },
        &cancel_);
    if (resumed.ok()) {
      if (!resumed->empty()) version = *resumed;  // the stream ended: resume from here
      continue;
    }
    if (absl::IsCancelled(resumed.status())) return;
    if (absl::IsOutOfRange(resumed.status())) {
      version.clear();  // 410 Gone: too old, list again
      continue;
    }
    dlkit::Log() << "watch of " << type->plural << " failed: " << resumed.status();
    if (cancel_.SleepFor(options_.retry_delay)) return;
  }
}

void KubernetesTrialBackend::HousekeepingLoop() {
  std::vector<Notice> notices;
  absl::MutexLock lock(&mu_);
  while (!closing_) {
    const absl::Time now = absl::Now();
    absl::Time next = absl::InfiniteFuture();
    notices.swap(deferred_);  // ends Adopt found, to be told outside every lock
    std::vector<std::pair<const k8s::ResourceType*, std::string>> doomed;
    for (auto& [id, tracked] : trials_) {
      if (!tracked.gone && tracked.pending_at != absl::InfiniteFuture()) {
        if (tracked.pending_at <= now) {
          Finish(tracked, tracked.pending_why, false, false, &notices);
        } else {
          next = std::min(next, tracked.pending_at);
        }
      }
      if (!tracked.gone && tracked.unschedulable_since != absl::InfiniteFuture()) {
        const absl::Time deadline = tracked.unschedulable_since + options_.unschedulable_timeout;
        if (deadline <= now) {
          Finish(tracked,
                 absl::StrCat("not schedulable for ", ShortDuration(options_.unschedulable_timeout),
                              ": ", tracked.unschedulable_message),
                 false, /*remove=*/true, &notices);
        } else {
          next = std::min(next, deadline);
        }
      }
      if (tracked.delete_requested && !tracked.deleted) {
        if (tracked.delete_at <= now) {
          tracked.deleted = true;
          Doom(tracked, &doomed);
        } else {
          next = std::min(next, tracked.delete_at);
        }
      }
    }
    if (!notices.empty() || !doomed.empty()) {
      mu_.Unlock();
      Notify(notices);
      const std::vector<std::string> failed = DeleteObjects(doomed);
      mu_.Lock();
      for (auto& [id, tracked] : trials_) {
        if (std::find(failed.begin(), failed.end(), tracked.name) != failed.end()) {
          tracked.deleted = false;  // try again later
          tracked.delete_at = absl::Now() + options_.retry_delay;
        }
      }
      continue;  // look again: things changed meanwhile
    }
    wake_ = false;
    auto woken = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return wake_ || closing_; };
    if (next == absl::InfiniteFuture()) {
      mu_.Await(absl::Condition(&woken));
    } else {
      mu_.AwaitWithDeadline(absl::Condition(&woken), next);
    }
  }
}

}  // namespace dlkit
