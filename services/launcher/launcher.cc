#include "services/launcher/launcher.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "services/common/grpc_status.h"
#include "services/common/private_files.h"
#include "services/config/experiment_config.h"
#include "services/config/spec_validation.h"
#include "services/launcher/sqlite_experiment_registry.h"
#include "services/manager/local_trial_backend.h"
#include "services/manager/tuner_client.h"

namespace dlkit {

Launcher::Launcher(Options options, std::unique_ptr<ExperimentRegistry> registry)
    : options_(std::move(options)), registry_(std::move(registry)) {}

Launcher::~Launcher() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Launcher>> Launcher::Open(Options options) {
  DLKIT_ASSIGN_OR_RETURN(const std::string tightened, MakePrivateDirectory(options.home));
  if (!tightened.empty()) Log() << "warning: " << tightened;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(options.home) / "experiments", ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create DLKIT_HOME ", options.home, ": ", ec.message()));
  }
  DLKIT_ASSIGN_OR_RETURN(std::unique_ptr<SqliteExperimentRegistry> registry,
                         SqliteExperimentRegistry::Open(RegistryPath(options.home)));
  return std::unique_ptr<Launcher>(new Launcher(std::move(options), std::move(registry)));
}

void Launcher::Start(std::shared_ptr<v1::TunerService::StubInterface> tuner,
                     const std::string& address) {
  absl::MutexLock lock(&mu_);
  tuner_ = std::move(tuner);
  options_.address = address;
  if (options_.cluster != nullptr && !cluster_poller_.joinable() && !closing_) {
    cluster_poller_ = std::thread([this] { PollClusterLoop(); });
  }
  absl::StatusOr<std::vector<RegistryEntry>> entries = registry_->List();
  if (!entries.ok()) {
    dlkit::Log() << "cannot list experiments: " << entries.status();
    started_ = true;
    return;
  }
  for (const RegistryEntry& entry : *entries) {
    if (!ClusterNamespace(entry).empty()) continue;  // its Manager runs in the cluster
    absl::StatusOr<std::unique_ptr<ExperimentManager>> manager =
        ExperimentManager::Open(ManagerOptions(entry.directory));
    if (!manager.ok()) {
      // One damaged experiment must not keep the daemon (and every other one) down.
      dlkit::Log() << "cannot open experiment " << entry.id << ": " << manager.status();
      continue;
    }
    (*manager)->Start();
    managers_[entry.id] = std::move(manager).value();
  }
  started_ = true;
}

ExperimentManager::Options Launcher::ManagerOptions(const std::string& directory) {
  ExperimentManager::Options options;
  options.directory = directory;
  options.tuner = tuner_.get();
  const std::string& trial_address =
      options_.trial_address.empty() ? options_.address : options_.trial_address;
  options.manager_address = trial_address;
  LocalTrialBackend::Options backend;
  backend.reporter_binary = options_.reporter_binary;
  backend.manager_address = trial_address;
  backend.python_path = options_.python_path;
  backend.grace_seconds = options_.grace_seconds;
  backend.reconnect_window = options_.trial_reconnect_window;
  options.backend = std::make_shared<LocalTrialBackend>(backend);
  return options;
}

std::string Launcher::NewExperimentId() {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  while (true) {
    std::string id;
    for (int i = 0; i < 8; ++i) id.push_back(kAlphabet[device() % (sizeof(kAlphabet) - 1)]);
    if (managers_.count(id) == 0 && !registry_->Get(id).ok()) return id;
  }
}

absl::StatusOr<std::vector<std::string>> Launcher::CheckSpec(const v1::ExperimentSpec& spec) {
  DLKIT_RETURN_IF_ERROR(ValidateExperimentSpec(spec));
  std::vector<std::string> warnings;
  const bool cluster = spec.training_service().platform() == v1::KUBERNETES;
  if (cluster && options_.cluster == nullptr) {
    return absl::FailedPreconditionError(
        "trainingService.platform: kubernetes needs a dlkitd connected to a cluster: run it "
        "in the cluster (k8s/README.md: kubectl apply -k k8s/manifests) or start it with "
        "--kubeconfig=PATH; or use platform \"local\"");
  }
  if (cluster && spec.ask_tell()) {
    return absl::InvalidArgumentError(
        "trainingService.platform: kubernetes runs trials; ask/tell experiments are local only");
  }
  // A cluster trial's code directory is a path inside its image or volumes, not here.
  if (!cluster && !spec.ask_tell() && !std::filesystem::is_directory(spec.trial_code_directory())) {
    return absl::InvalidArgumentError(
        absl::StrCat("trialCodeDirectory: ", spec.trial_code_directory(), " is not a directory"));
  }
  // The Tuner checks the algorithm names and classArgs against the space.
  v1::ValidateAlgorithmRequest request;
  *request.mutable_config() = StudyConfigOf(spec);
  v1::ValidateAlgorithmResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  std::shared_ptr<v1::TunerService::StubInterface> tuner;
  {
    absl::MutexLock lock(&mu_);
    tuner = tuner_;
  }
  if (tuner == nullptr) return absl::UnavailableError("the daemon is still starting");
  grpc::Status status = tuner->ValidateAlgorithm(&context, request, &response);
  if (!status.ok()) {
    absl::Status problem = FromGrpcStatus(status);
    if (problem.code() == absl::StatusCode::kInvalidArgument) {
      return absl::InvalidArgumentError(absl::StrCat("tuner: ", problem.message()));
    }
    return problem;
  }
  return warnings;
}

namespace {

// The spec a request carries: as it is, or loaded from a config's text exactly as dlctl
// loads the file, with the loader's warnings.
absl::StatusOr<LoadedConfig> SpecOfRequest(const v1::ExperimentSpec& spec,
                                           const std::string& config_json) {
  if (config_json.empty()) return LoadedConfig{spec, {}};
  const char* home = std::getenv("HOME");
  return ParseExperimentConfig(config_json, home != nullptr ? home : "/", /*yaml=*/false);
}

}  // namespace

absl::StatusOr<v1::ValidateExperimentResponse> Launcher::Validate(
    const v1::ValidateExperimentRequest& request) {
  DLKIT_ASSIGN_OR_RETURN(LoadedConfig loaded, SpecOfRequest(request.spec(), request.config_json()));
  ApplyExperimentDefaults(&loaded.spec);
  DLKIT_ASSIGN_OR_RETURN(std::vector<std::string> warnings, CheckSpec(loaded.spec));
  v1::ValidateExperimentResponse response;
  for (const std::string& w : loaded.warnings) response.add_warnings(w);
  for (const std::string& w : warnings) response.add_warnings(w);
  return response;
}

absl::StatusOr<v1::SubmitExperimentResponse> Launcher::Submit(
    const v1::SubmitExperimentRequest& request) {
  DLKIT_ASSIGN_OR_RETURN(LoadedConfig loaded, SpecOfRequest(request.spec(), request.config_json()));
  v1::ExperimentSpec spec = std::move(loaded.spec);
  ApplyExperimentDefaults(&spec);
  DLKIT_ASSIGN_OR_RETURN(std::vector<std::string> warnings, CheckSpec(spec));
  warnings.insert(warnings.begin(), loaded.warnings.begin(), loaded.warnings.end());
  if (spec.training_service().platform() == v1::KUBERNETES) {
    v1::KubernetesService* k8s = spec.mutable_training_service()->mutable_kubernetes();
    if (k8s->namespace_().empty()) k8s->set_namespace_(options_.cluster->default_namespace());
    return SubmitToCluster(request, spec, std::move(warnings));
  }
  absl::MutexLock lock(&mu_);
  v1::SubmitExperimentResponse response;
  if (!request.request_id().empty()) {
    absl::StatusOr<RegistryEntry> earlier = registry_->FindByRequestId(request.request_id());
    if (earlier.ok() && managers_.count(earlier->id) > 0) {
      *response.mutable_experiment() = managers_[earlier->id]->GetExperiment();
      return response;  // a retried submit: the experiment the first one created
    }
  }
  const std::string id = NewExperimentId();
  const std::string directory =
      (std::filesystem::path(options_.home) / "experiments" / id).string();
  auto cleanup = [&directory] {
    std::error_code ec;
    std::filesystem::remove_all(directory, ec);
  };
  absl::StatusOr<std::unique_ptr<ExperimentManager>> manager =
      ExperimentManager::Create(id, spec, ManagerOptions(directory));
  if (!manager.ok()) {
    cleanup();
    return manager.status();
  }
  RegistryEntry entry;
  entry.id = id;
  entry.name = spec.name();
  entry.directory = directory;
  entry.request_id = request.request_id();
  entry.created = absl::Now();
  absl::Status added = registry_->Add(entry);
  if (!added.ok()) {
    manager->reset();
    cleanup();
    return added;
  }
  std::shared_ptr<ExperimentManager> started = std::move(manager).value();
  started->Start();
  managers_[id] = started;
  for (ExperimentListWatcher* watcher : list_watchers_) watcher->OnManager(started);
  *response.mutable_experiment() = started->GetExperiment();
  for (const std::string& w : warnings) response.add_warnings(w);
  return response;
}

namespace {
constexpr char kClusterPrefix[] = "kubernetes://";
}  // namespace

std::string Launcher::ClusterNamespace(const RegistryEntry& entry) {
  if (entry.directory.rfind(kClusterPrefix, 0) != 0) return "";
  return entry.directory.substr(sizeof(kClusterPrefix) - 1);
}

absl::StatusOr<RegistryEntry> Launcher::ClusterEntry(const std::string& id) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<RegistryEntry> entry = registry_->Get(id);
  if (!entry.ok() || ClusterNamespace(*entry).empty() || options_.cluster == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no experiment \"", id, "\" here (`dlctl list` shows the experiments)"));
  }
  return entry;
}

absl::StatusOr<v1::SubmitExperimentResponse> Launcher::SubmitToCluster(
    const v1::SubmitExperimentRequest& request, const v1::ExperimentSpec& spec,
    std::vector<std::string> warnings) {
  const std::string ns = spec.training_service().kubernetes().namespace_();
  RegistryEntry entry;
  {
    absl::MutexLock lock(&mu_);
    if (!request.request_id().empty()) {
      absl::StatusOr<RegistryEntry> earlier = registry_->FindByRequestId(request.request_id());
      if (earlier.ok()) entry = *earlier;  // a retried submit: finish what it began
    }
    if (entry.id.empty()) {
      entry.id = NewExperimentId();
      entry.name = spec.name();
      entry.directory = kClusterPrefix + ns;
      entry.request_id = request.request_id();
      entry.created = absl::Now();
      DLKIT_RETURN_IF_ERROR(registry_->Add(entry));
    }
  }
  // Idempotent: objects a first attempt made are taken as they are.
  absl::StatusOr<v1::Experiment> experiment = options_.cluster->Submit(entry.id, spec);
  if (!experiment.ok()) {
    absl::MutexLock lock(&mu_);
    registry_->Remove(entry.id).IgnoreError();
    return experiment.status();
  }
  v1::SubmitExperimentResponse response;
  *response.mutable_experiment() = *std::move(experiment);
  for (const std::string& w : warnings) response.add_warnings(w);
  return response;
}

absl::StatusOr<std::shared_ptr<ExperimentManager>> Launcher::FindManager(
    const std::string& experiment_id) {
  DLKIT_RETURN_IF_ERROR(CheckPathSafeId("experiment", experiment_id));
  absl::MutexLock lock(&mu_);
  auto it = managers_.find(experiment_id);
  // A Reporter that comes back before the experiments are open must try again, not give up.
  if (it == managers_.end() && !started_) {
    return absl::UnavailableError("the daemon is starting; try again");
  }
  if (it == managers_.end()) {
    return absl::NotFoundError(absl::StrCat("no experiment \"", experiment_id,
                                            "\" here (`dlctl list` shows the experiments)"));
  }
  return it->second;
}

std::vector<v1::Experiment> Launcher::List() {
  std::vector<std::shared_ptr<ExperimentManager>> managers;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, manager] : managers_) managers.push_back(manager);
  }
  std::vector<v1::Experiment> out;
  for (const auto& manager : managers) out.push_back(manager->GetExperiment());
  for (v1::Experiment& e : ClusterExperiments({})) out.push_back(std::move(e));
  std::sort(out.begin(), out.end(), [](const v1::Experiment& a, const v1::Experiment& b) {
    return a.created().seconds() != b.created().seconds()
               ? a.created().seconds() < b.created().seconds()
               : a.created().nanos() < b.created().nanos();
  });
  return out;
}

std::vector<v1::Experiment> Launcher::ClusterExperiments(const std::set<std::string>& skip) {
  std::vector<v1::Experiment> out;
  if (options_.cluster == nullptr) return out;
  std::vector<RegistryEntry> cluster;
  {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<std::vector<RegistryEntry>> entries = registry_->List();
    if (entries.ok()) {
      for (const RegistryEntry& e : *entries) {
        if (!ClusterNamespace(e).empty() && skip.count(e.id) == 0) cluster.push_back(e);
      }
    }
  }
  for (const RegistryEntry& e : cluster) {
    absl::StatusOr<v1::Experiment> got = options_.cluster->Get(ClusterNamespace(e), e.id);
    if (got.ok()) out.push_back(*std::move(got));
  }
  return out;
}

void Launcher::PollClusterLoop() {
  std::set<std::string> ended;  // DONE or FAILED: they change no more
  absl::MutexLock lock(&mu_);
  while (!closing_) {
    auto wanted = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return closing_ || !list_watchers_.empty();
    };
    mu_.Await(absl::Condition(&wanted));
    if (closing_) break;
    mu_.Unlock();
    std::vector<v1::Experiment> experiments = ClusterExperiments(ended);
    mu_.Lock();
    for (const v1::Experiment& e : experiments) {
      std::string now = e.SerializeAsString();
      std::string& before = cluster_seen_[e.id()];
      if (now == before) continue;
      before = std::move(now);
      if (e.state() == v1::EXPERIMENT_DONE || e.state() == v1::EXPERIMENT_FAILED) {
        ended.insert(e.id());
      }
      for (ExperimentListWatcher* watcher : list_watchers_) watcher->OnClusterExperiment(e);
    }
    auto closing = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return closing_; };
    mu_.AwaitWithTimeout(absl::Condition(&closing), options_.cluster_poll_interval);
  }
}

absl::StatusOr<v1::Experiment> Launcher::Get(const std::string& id) {
  absl::StatusOr<std::shared_ptr<ExperimentManager>> manager = FindManager(id);
  if (manager.ok()) return (*manager)->GetExperiment();
  absl::StatusOr<RegistryEntry> cluster = ClusterEntry(id);
  if (!cluster.ok()) return manager.status();
  return options_.cluster->Get(ClusterNamespace(*cluster), id);
}

absl::StatusOr<v1::Experiment> Launcher::Stop(const std::string& id) {
  if (absl::StatusOr<RegistryEntry> cluster = ClusterEntry(id); cluster.ok()) {
    return options_.cluster->Stop(ClusterNamespace(*cluster), id);
  }
  DLKIT_ASSIGN_OR_RETURN(std::shared_ptr<ExperimentManager> manager, FindManager(id));
  return manager->Stop();
}

absl::StatusOr<v1::Experiment> Launcher::Resume(const std::string& id) {
  if (absl::StatusOr<RegistryEntry> cluster = ClusterEntry(id); cluster.ok()) {
    return options_.cluster->Resume(ClusterNamespace(*cluster), id);
  }
  DLKIT_ASSIGN_OR_RETURN(std::shared_ptr<ExperimentManager> manager, FindManager(id));
  return manager->Resume();
}

absl::Status Launcher::Delete(const std::string& id) {
  DLKIT_RETURN_IF_ERROR(CheckPathSafeId("experiment", id));
  if (absl::StatusOr<RegistryEntry> cluster = ClusterEntry(id); cluster.ok()) {
    // The ConfigMap is the root: its dependents (pod, Service, PVC, trials) follow.
    DLKIT_RETURN_IF_ERROR(options_.cluster->Delete(ClusterNamespace(*cluster), id));
    absl::MutexLock lock(&mu_);
    absl::Status removed = registry_->Remove(id);
    cluster_seen_.erase(id);
    if (removed.ok()) {
      for (ExperimentListWatcher* watcher : list_watchers_) watcher->OnDeleted(id);
    }
    return absl::IsNotFound(removed) ? absl::OkStatus() : removed;
  }
  std::shared_ptr<ExperimentManager> manager;
  std::string directory;
  {
    absl::MutexLock lock(&mu_);
    auto it = managers_.find(id);
    if (it == managers_.end()) return absl::OkStatus();  // already gone: idempotent
    manager = it->second;
    managers_.erase(it);
    absl::StatusOr<RegistryEntry> entry = registry_->Get(id);
    if (entry.ok()) directory = entry->directory;
    DLKIT_RETURN_IF_ERROR(registry_->Remove(id));
    for (ExperimentListWatcher* watcher : list_watchers_) watcher->OnDeleted(id);
  }
  manager->Shutdown();
  if (!directory.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(directory, ec);
  }
  return absl::OkStatus();
}

std::shared_ptr<v1::ManagerService::StubInterface> Launcher::RemoteManager(
    const std::string& experiment_id) {
  {
    absl::MutexLock lock(&mu_);  // local ones first: no registry lookup on their calls
    if (managers_.count(experiment_id) > 0 || options_.cluster == nullptr) return nullptr;
  }
  absl::StatusOr<RegistryEntry> cluster = ClusterEntry(experiment_id);
  if (!cluster.ok()) return nullptr;
  return options_.cluster->ManagerStub(ClusterNamespace(*cluster), experiment_id);
}

void Launcher::WatchList(ExperimentListWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  list_watchers_.insert(watcher);
  for (const auto& [id, manager] : managers_) watcher->OnManager(manager);
}

void Launcher::UnwatchList(ExperimentListWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  list_watchers_.erase(watcher);
}

int Launcher::RunningCount() {
  int running = 0;
  for (const v1::Experiment& e : List()) running += e.state() == v1::EXPERIMENT_RUNNING;
  return running;
}

void Launcher::Shutdown(bool kill_trials) {
  std::map<std::string, std::shared_ptr<ExperimentManager>> managers;
  {
    absl::MutexLock lock(&mu_);
    kill_trials = kill_trials || kill_trials_at_shutdown_;
    closing_ = true;
    managers.swap(managers_);
  }
  if (cluster_poller_.joinable()) cluster_poller_.join();
  for (auto& [id, manager] : managers) manager->Shutdown(kill_trials);
}

}  // namespace dlkit
