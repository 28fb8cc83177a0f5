#include "services/manager/local_trial_backend.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
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

std::string PidFilePath(const TrialLaunch& launch) {
  return (std::filesystem::path(launch.output_dir) / kReporterPidFile).string();
}

}  // namespace

long long ProcessStartTime(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // "pid (comm) state ppid ..." with comm possibly holding spaces: fields count from ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  std::vector<std::string> rest;
  while (fields >> field) rest.push_back(field);
  // rest[0] is the state (field 3), the start time is field 22.
  if (rest.size() < 20 || rest[0] == "Z" || rest[0] == "X") return -1;
  return std::stoll(rest[19]);
}

LocalTrialBackend::LocalTrialBackend(Options options)
    : options_(std::move(options)), followed_(std::make_shared<Followed>()) {}

LocalTrialBackend::~LocalTrialBackend() {
  bool released;
  {
    absl::MutexLock lock(&followed_->mu);
    released = followed_->released;
  }
  if (!released) TerminateAll();
}

void LocalTrialBackend::ReporterGone(const std::shared_ptr<Followed>& followed,
                                     const std::string& trial_id, const GoneCallback& on_gone,
                                     const std::string& why) {
  {
    absl::MutexLock lock(&followed->mu);
    followed->running.erase(trial_id);
    if (followed->released) {  // its Manager is gone; the next one follows the trial
      --followed->followers;
      return;
    }
    ++followed->callbacks_running;
  }
  if (on_gone) on_gone(trial_id, why);
  absl::MutexLock lock(&followed->mu);
  --followed->callbacks_running;
  --followed->followers;
}

absl::Status LocalTrialBackend::Launch(const TrialLaunch& launch, GoneCallback on_gone) {
  std::error_code ec;
  std::filesystem::create_directories(launch.output_dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create trial folder ", launch.output_dir, ": ", ec.message()));
  }
  std::vector<std::string> args = {options_.reporter_binary};
  ReporterPlaces places = {options_.manager_address, launch.log_path, launch.output_dir,
                           options_.python_path, options_.grace_seconds};
  places.reconnect_window = options_.reconnect_window;
  for (std::string& arg : ReporterArgs(launch, places)) args.push_back(std::move(arg));
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
  // Written after the spawn: a daemon killed in between leaves a Reporter that the next
  // one refuses (a new launch gets a new secret), so the trial runs once either way.
  std::ofstream(PidFilePath(launch)) << pid << " " << ProcessStartTime(pid) << "\n";
  {
    absl::MutexLock lock(&followed_->mu);
    followed_->running[launch.trial_id] = pid;
    ++followed_->followers;
  }
  // One small thread per trial waits for its Reporter; it is detached and counted so that
  // TerminateAll can wait for every callback to have run.
  std::thread([followed = followed_, pid, trial_id = launch.trial_id,
               on_gone = std::move(on_gone)] {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ReporterGone(followed, trial_id, on_gone, DescribeWaitStatus(status));
  }).detach();
  return absl::OkStatus();
}

absl::Status LocalTrialBackend::Adopt(const TrialLaunch& launch, GoneCallback on_gone) {
  pid_t pid = 0;
  long long started = -2;
  std::ifstream(PidFilePath(launch)) >> pid >> started;
  if (pid <= 0) {
    return absl::NotFoundError("its Reporter left no pid file (it was never started)");
  }
  if (ProcessStartTime(pid) != started) {
    return absl::NotFoundError(absl::StrCat("its Reporter (pid ", pid, ") is gone"));
  }
  {
    absl::MutexLock lock(&followed_->mu);
    followed_->running[launch.trial_id] = pid;
    ++followed_->followers;
  }
  // Not a child of this process: it is watched, not waited for.
  std::thread([followed = followed_, pid, started, trial_id = launch.trial_id,
               on_gone = std::move(on_gone)] {
    while (ProcessStartTime(pid) == started) {
      absl::SleepFor(absl::Milliseconds(250));
      absl::MutexLock lock(&followed->mu);
      if (followed->released) {
        --followed->followers;
        return;
      }
    }
    ReporterGone(followed, trial_id, on_gone, "its Reporter exited");
  }).detach();
  return absl::OkStatus();
}

void LocalTrialBackend::Terminate(const std::string& trial_id) {
  absl::MutexLock lock(&followed_->mu);
  auto it = followed_->running.find(trial_id);
  // The Reporter kills its trial's process group when it gets SIGTERM.
  if (it != followed_->running.end()) kill(it->second, SIGTERM);
}

void LocalTrialBackend::TerminateAll() {
  absl::MutexLock lock(&followed_->mu);
  for (const auto& [id, pid] : followed_->running) kill(pid, SIGTERM);
  Followed* followed = followed_.get();
  auto all_gone = [followed]()
                      ABSL_SHARED_LOCKS_REQUIRED(followed->mu) { return followed->followers == 0; };
  followed_->mu.Await(absl::Condition(&all_gone));
}

void LocalTrialBackend::Release() {
  absl::MutexLock lock(&followed_->mu);
  followed_->released = true;
  Followed* followed = followed_.get();
  auto no_callback = [followed]() ABSL_SHARED_LOCKS_REQUIRED(followed->mu) {
    return followed->callbacks_running == 0;
  };
  followed_->mu.Await(absl::Condition(&no_callback));
}

}  // namespace dlkit
