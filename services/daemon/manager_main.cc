// dlkit-manager: the Manager of ONE experiment on its own (cluster mode runs it in the
// experiment's pod beside dlkit-tuner). Opens the experiment in --directory, or creates it
// from --config when the folder holds none yet.

#include <signal.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "base/logging.h"
#include "grpcpp/grpcpp.h"
#include "k8s/client/kube_client.h"
#include "k8s/client/kube_config.h"
#include "services/common/install_paths.h"
#include "services/common/private_files.h"
#include "services/common/server_runner.h"
#include "services/config/experiment_config.h"
#include "services/config/spec_validation.h"
#include "services/kubernetes/kubernetes_trial_backend.h"
#include "services/manager/local_trial_backend.h"
#include "services/manager/manager_service.h"

ABSL_FLAG(std::string, address, "127.0.0.1:9871", "where the Manager service listens");
ABSL_FLAG(std::string, directory, "", "the experiment's folder (store and trial logs)");
ABSL_FLAG(std::string, config, "", "dlkit-tune.json, to create the experiment");
ABSL_FLAG(std::string, experiment_id, "", "the id of an experiment created from --config");
ABSL_FLAG(std::string, tuner_address, "127.0.0.1:9872", "where dlkit-tuner answers");
ABSL_FLAG(std::string, reporter_binary, "", "dlkit-reporter (default: found beside this)");
ABSL_FLAG(std::string, python_path, "", "folder holding the dlkit and nni Python packages");
ABSL_FLAG(std::string, platform, "local",
          "where trials run: local (child processes) or kubernetes (Jobs / PyTorchJobs / "
          "TFJobs, as the spec's trainingService.jobKind says)");
// --platform=kubernetes (the Launcher writes these into the Experiment pod):
ABSL_FLAG(std::string, kubeconfig, "",
          "a kubeconfig for the cluster (default: the pod's service account)");
ABSL_FLAG(std::string, namespace, "", "where trials run (default: the spec's namespace)");
ABSL_FLAG(std::string, service_address, "",
          "host:port the trials' Reporters reach this Manager at (its Service)");
ABSL_FLAG(std::string, owner_name, "",
          "the experiment's root ConfigMap, which owns the trials (deleted with it)");
ABSL_FLAG(std::string, owner_uid, "", "the root ConfigMap's uid");
ABSL_FLAG(absl::Duration, keep_succeeded_trials, absl::ZeroDuration(),
          "how long a succeeded trial's Job stays (0: deleted at once, inf: kept)");
ABSL_FLAG(absl::Duration, keep_failed_trials, absl::InfiniteDuration(),
          "how long a failed trial's Job stays, for its logs (inf: kept)");
ABSL_FLAG(absl::Duration, unschedulable_timeout, absl::Minutes(5),
          "a trial whose pod cannot be scheduled for this long fails and is deleted");

namespace {

int Fail(const std::string& message) {
  dlkit::Log() << message;
  return 1;
}

// The Kubernetes backend from the flags, for an experiment in `spec_namespace`.
absl::StatusOr<std::shared_ptr<dlkit::TrialBackend>> KubernetesBackend(
    const std::string& experiment_id, const std::string& spec_namespace, int grace_seconds) {
  absl::StatusOr<dlkit::k8s::KubeConfig> config =
      absl::GetFlag(FLAGS_kubeconfig).empty()
          ? dlkit::k8s::KubeConfig::FromInCluster()
          : dlkit::k8s::KubeConfig::FromKubeconfig(absl::GetFlag(FLAGS_kubeconfig));
  if (!config.ok()) return config.status();
  absl::StatusOr<std::unique_ptr<dlkit::k8s::KubeClient>> client =
      dlkit::k8s::KubeClient::New(*config);
  if (!client.ok()) return client.status();
  dlkit::KubernetesTrialBackend::Options options;
  options.ns =
      absl::GetFlag(FLAGS_namespace).empty() ? spec_namespace : absl::GetFlag(FLAGS_namespace);
  options.experiment_id = experiment_id;
  options.manager_address = absl::GetFlag(FLAGS_service_address);
  if (options.manager_address.empty()) {
    return absl::InvalidArgumentError("--platform=kubernetes needs --service_address");
  }
  if (!absl::GetFlag(FLAGS_owner_uid).empty()) {
    options.owner = {{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"name", absl::GetFlag(FLAGS_owner_name)},
                     {"uid", absl::GetFlag(FLAGS_owner_uid)},
                     {"controller", true}};
  }
  options.grace_seconds = grace_seconds;
  options.keep_succeeded = absl::GetFlag(FLAGS_keep_succeeded_trials);
  options.keep_failed = absl::GetFlag(FLAGS_keep_failed_trials);
  options.unschedulable_timeout = absl::GetFlag(FLAGS_unschedulable_timeout);
  absl::StatusOr<std::unique_ptr<dlkit::KubernetesTrialBackend>> backend =
      dlkit::KubernetesTrialBackend::New(
          std::shared_ptr<dlkit::k8s::KubeClient>(std::move(client).value()), options);
  if (!backend.ok()) return backend.status();
  return std::shared_ptr<dlkit::TrialBackend>(std::move(backend).value());
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  dlkit::SetProgramName("dlkit-manager");
  // Everything it writes (databases, logs) is private; trials get the user's umask back.
  dlkit::UsePrivateUmask();
  // Debian's Abseil checks every Mutex acquisition for deadlock cycles: ~8% of the metric
  // path (bench/README.md). Tests and debug builds keep the check.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  signal(SIGPIPE, SIG_IGN);
  const std::string directory = absl::GetFlag(FLAGS_directory);
  if (directory.empty()) return Fail("--directory is required");

  auto tuner = dlkit::v1::TunerService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_tuner_address), grpc::InsecureChannelCredentials()));
  dlkit::LocalTrialBackend::Options backend;
  backend.reporter_binary = dlkit::ReporterBinary(absl::GetFlag(FLAGS_reporter_binary));
  backend.python_path = dlkit::PythonPath(absl::GetFlag(FLAGS_python_path));
  backend.manager_address = absl::GetFlag(FLAGS_address);
  dlkit::ExperimentManager::Options options;
  options.directory = directory;
  options.tuner = tuner.get();
  options.backend = std::make_shared<dlkit::LocalTrialBackend>(backend);
  options.manager_address = absl::GetFlag(FLAGS_address);

  const std::string platform = absl::GetFlag(FLAGS_platform);
  if (platform != "local" && platform != "kubernetes") {
    return Fail("--platform must be local or kubernetes, not " + platform);
  }
  // The spec: the config's (a new experiment, or the cluster's Experiment pod, which always
  // passes it), else the store's.
  std::optional<dlkit::v1::ExperimentSpec> spec;
  if (!absl::GetFlag(FLAGS_config).empty()) {
    absl::StatusOr<dlkit::LoadedConfig> loaded =
        dlkit::LoadExperimentConfig(absl::GetFlag(FLAGS_config));
    if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
    dlkit::ApplyExperimentDefaults(&loaded->spec);
    absl::Status valid = dlkit::ValidateExperimentSpec(loaded->spec);
    if (!valid.ok()) return Fail(std::string(valid.message()));
    spec = loaded->spec;
  }
  if (platform == "kubernetes") {
    if (!spec.has_value() || absl::GetFlag(FLAGS_experiment_id).empty()) {
      return Fail("--platform=kubernetes needs --config and --experiment_id");
    }
    absl::StatusOr<std::shared_ptr<dlkit::TrialBackend>> k8s_backend = KubernetesBackend(
        absl::GetFlag(FLAGS_experiment_id), spec->training_service().kubernetes().namespace_(),
        backend.grace_seconds);
    if (!k8s_backend.ok()) return Fail(std::string(k8s_backend.status().message()));
    options.backend = *k8s_backend;
    // Where the experiment's queries go: the Service (Experiment.manager_address).
    options.manager_address = absl::GetFlag(FLAGS_service_address);
  }

  absl::StatusOr<std::unique_ptr<dlkit::ExperimentManager>> manager;
  if (std::filesystem::exists(directory + "/experiment.db")) {
    manager = dlkit::ExperimentManager::Open(options);
  } else {
    if (!spec.has_value() || absl::GetFlag(FLAGS_experiment_id).empty()) {
      return Fail(directory + " holds no experiment: pass --config and --experiment_id");
    }
    manager = dlkit::ExperimentManager::Create(absl::GetFlag(FLAGS_experiment_id), *spec, options);
  }
  // A restarted Experiment pod's Manager (Open) takes back the trials still running as Jobs
  // and carries on; an experiment the user had stopped stays stopped.
  if (!manager.ok()) return Fail(std::string(manager.status().message()));
  std::shared_ptr<dlkit::ExperimentManager> shared = std::move(manager).value();
  dlkit::SingleManagerDirectory single(shared);
  dlkit::ManagerServiceImpl service(&single);
  absl::StatusOr<dlkit::StartedServer> server =
      dlkit::StartServer(absl::GetFlag(FLAGS_address), {&service});
  if (!server.ok()) return Fail(std::string(server.status().message()));
  shared->Start();
  dlkit::Log() << "experiment " << shared->id() << " on " << absl::GetFlag(FLAGS_address);
  dlkit::WaitForShutdown();
  shared->Shutdown();
  server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}
