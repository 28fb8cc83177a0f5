// dlkit-manager: the Manager of ONE experiment on its own (cluster mode runs it in the
// experiment's pod beside dlkit-tuner). Opens the experiment in --directory, or creates it
// from --config when the folder holds none yet.

#include <signal.h>

#include <filesystem>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "services/common/experiment_config.h"
#include "services/common/server_runner.h"
#include "services/common/spec_validation.h"
#include "services/daemon/install_paths.h"
#include "services/manager/local_trial_backend.h"
#include "services/manager/manager_service.h"

ABSL_FLAG(std::string, address, "127.0.0.1:9871", "where the Manager service listens");
ABSL_FLAG(std::string, directory, "", "the experiment's folder (store and trial logs)");
ABSL_FLAG(std::string, config, "", "dlkit-tune.json, to create the experiment");
ABSL_FLAG(std::string, experiment_id, "", "the id of an experiment created from --config");
ABSL_FLAG(std::string, tuner_address, "127.0.0.1:9872", "where dlkit-tuner answers");
ABSL_FLAG(std::string, reporter_binary, "", "dlkit-reporter (default: found beside this)");
ABSL_FLAG(std::string, python_path, "", "folder holding the dlkit and nni Python packages");

namespace {

// This process serves exactly one experiment.
class SingleManagerDirectory final : public dlkit::ManagerDirectory {
 public:
  explicit SingleManagerDirectory(std::shared_ptr<dlkit::ExperimentManager> manager)
      : manager_(std::move(manager)) {}
  absl::StatusOr<std::shared_ptr<dlkit::ExperimentManager>> FindManager(
      const std::string& id) override {
    if (id != manager_->id()) {
      return absl::NotFoundError("this Manager serves experiment " + manager_->id() +
                                 ", not " + id);
    }
    return manager_;
  }

 private:
  std::shared_ptr<dlkit::ExperimentManager> manager_;
};

int Fail(const std::string& message) {
  std::cerr << "dlkit-manager: " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil checks every Mutex acquisition for deadlock cycles: ~8% of the metric
  // path (bench/README.md). Tests and debug builds keep the check.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  signal(SIGPIPE, SIG_IGN);
  const std::string directory = absl::GetFlag(FLAGS_directory);
  if (directory.empty()) return Fail("--directory is required");

  auto tuner = dlkit::v1::TunerService::NewStub(grpc::CreateChannel(
      absl::GetFlag(FLAGS_tuner_address), grpc::InsecureChannelCredentials()));
  dlkit::LocalTrialBackend::Options backend;
  backend.reporter_binary = absl::GetFlag(FLAGS_reporter_binary);
  if (backend.reporter_binary.empty()) {
    backend.reporter_binary = dlkit::FindInstalledFile(
        {"dlkit-reporter"},
        "dlkit/services/reporter/dlkit-reporter");
  }
  backend.python_path = absl::GetFlag(FLAGS_python_path);
  if (backend.python_path.empty()) {
    backend.python_path = dlkit::FindInstalledFile({"../python"}, "dlkit/client/python");
  }
  backend.manager_address = absl::GetFlag(FLAGS_address);
  dlkit::ExperimentManager::Options options;
  options.directory = directory;
  options.tuner = tuner.get();
  options.backend = std::make_shared<dlkit::LocalTrialBackend>(backend);
  options.manager_address = absl::GetFlag(FLAGS_address);

  absl::StatusOr<std::unique_ptr<dlkit::ExperimentManager>> manager;
  if (std::filesystem::exists(directory + "/experiment.db")) {
    manager = dlkit::ExperimentManager::Open(options);
  } else {
    if (absl::GetFlag(FLAGS_config).empty() || absl::GetFlag(FLAGS_experiment_id).empty()) {
      return Fail(directory + " holds no experiment: pass --config and --experiment_id");
    }
    absl::StatusOr<dlkit::LoadedConfig> loaded =
        dlkit::LoadExperimentConfig(absl::GetFlag(FLAGS_config));
    if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
    dlkit::ApplyExperimentDefaults(&loaded->spec);
    absl::Status valid = dlkit::ValidateExperimentSpec(loaded->spec);
    if (!valid.ok()) return Fail(std::string(valid.message()));
    manager = dlkit::ExperimentManager::Create(absl::GetFlag(FLAGS_experiment_id),
                                               loaded->spec, options);
  }
  if (!manager.ok()) return Fail(std::string(manager.status().message()));
  std::shared_ptr<dlkit::ExperimentManager> shared = std::move(manager).value();
  SingleManagerDirectory single(shared);
  dlkit::ManagerServiceImpl service(&single);
  absl::StatusOr<dlkit::StartedServer> server =
      dlkit::StartServer(absl::GetFlag(FLAGS_address), {&service});
  if (!server.ok()) return Fail(std::string(server.status().message()));
  shared->Start();
  std::cerr << "dlkit-manager: experiment " << shared->id() << " on "
            << absl::GetFlag(FLAGS_address) << std::endl;
  dlkit::WaitForShutdown();
  shared->Shutdown();
  server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}
