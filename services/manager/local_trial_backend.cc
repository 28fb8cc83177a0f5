#include "services/manager/local_trial_backend.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/spawn.h"

extern char** environ;

namespace dlkit {
namespace {

std::string DescribeWaitStatus(int status) {
  if (WIFSIGNALED(status)) {
    return absl::StrCat("reporter was killed by signal ", WTERMSIG(status));
  }
  return absl::StrCat("reporter exited with code ", WEXITSTATUS(status));
}

}  // namespace

absl::Status LocalTrialBackend::Launch(const TrialLaunch& launch, GoneCallback on_gone) {
  std::error_code ec;
  std::filesystem::create_directories(launch.output_dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create trial folder ", launch.output_dir, ": ", ec.message()));
  }
  std::vector<std::string> args = {options_.reporter_binary};
  for (std::string& arg :
       ReporterArgs(launch, {options_.manager_address, launch.log_path, launch.output_dir,
                             options_.python_path, options_.grace_seconds})) {
    args.push_back(std::move(arg));
  }
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (strncmp(*e, "DLKIT_TRIAL_", 12) != 0) env.emplace_back(*e);
  }
  env.push_back("DLKIT_TRIAL_SECRET=" + launch.secret);
  // Inherited by the trial: the SDK reads its parameters without a call.
  env.push_back("DLKIT_TRIAL_PARAMETERS=" + launch.parameters_json);
  for (const auto& [key, value] : launch.spec.trial_env()) env.push_back(key + "=" + value);
  SpawnOptions spawn;
  spawn.argv = std::move(args);
  spawn.env = std::move(env);
  spawn.output_path = launch.log_path;  // the Reporter's own complaints land where users look
  absl::StatusOr<pid_t> spawned = Spawn(spawn);
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = *spawned;
  absl::MutexLock lock(&mu_);
  running_[launch.trial_id] = pid;
  ++active_waiters_;
  std::string trial_id = launch.trial_id;
  // One small thread per trial waits for its Reporter; it is detached and counted so that
  // TerminateAll can wait for every callback to have run.
  std::thread([this, pid, trial_id, on_gone = std::move(on_gone)] {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    {
      absl::MutexLock lock(&mu_);
      running_.erase(trial_id);
    }
    if (on_gone) on_gone(trial_id, DescribeWaitStatus(status));
    absl::MutexLock lock(&mu_);
    --active_waiters_;
  }).detach();
  return absl::OkStatus();
}

void LocalTrialBackend::Terminate(const std::string& trial_id) {
  absl::MutexLock lock(&mu_);
  auto it = running_.find(trial_id);
  // The Reporter kills its trial's process group when it gets SIGTERM.
  if (it != running_.end()) kill(it->second, SIGTERM);
}

void LocalTrialBackend::TerminateAll() {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, pid] : running_) kill(pid, SIGTERM);
  auto all_gone = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return active_waiters_ == 0; };
  mu_.Await(absl::Condition(&all_gone));
}

}  // namespace dlkit
