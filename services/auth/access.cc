#include "services/auth/access.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace dlkit::auth {
namespace {

constexpr MethodAccess kRead{false, Role::kRead};
constexpr MethodAccess kWrite{false, Role::kWrite};
constexpr MethodAccess kAdmin{false, Role::kAdmin};
constexpr MethodAccess kOwn{true, Role::kRead};

const absl::flat_hash_map<std::string, MethodAccess>& Table() {
  static const auto* table = new absl::flat_hash_map<std::string, MethodAccess>{
      // Reading state, and checking a config without running it.
      {"dlkit.v1.LauncherService/ValidateExperiment", kRead},
      {"dlkit.v1.LauncherService/ListExperiments", kRead},
      {"dlkit.v1.LauncherService/WatchExperiments", kRead},
      {"dlkit.v1.LauncherService/GetExperiment", kRead},
      {"dlkit.v1.LauncherService/GetDaemonStatus", kRead},
      {"dlkit.v1.ManagerService/GetExperiment", kRead},
      {"dlkit.v1.ManagerService/ListTrials", kRead},
      {"dlkit.v1.ManagerService/GetTrial", kRead},
      {"dlkit.v1.ManagerService/WatchExperiment", kRead},
      {"dlkit.v1.ManagerService/GetExperimentCharts", kRead},
      {"dlkit.v1.ManagerService/ReadTrialLog", kRead},
      // Changing experiments: a submitted trialCommand runs as the daemon's user.
      {"dlkit.v1.LauncherService/SubmitExperiment", kWrite},
      {"dlkit.v1.LauncherService/StopExperiment", kWrite},
      {"dlkit.v1.LauncherService/ResumeExperiment", kWrite},
      {"dlkit.v1.LauncherService/DeleteExperiment", kWrite},
      {"dlkit.v1.ManagerService/StopExperiment", kWrite},
      {"dlkit.v1.ManagerService/ResumeExperiment", kWrite},
      {"dlkit.v1.ManagerService/UpdateExperiment", kWrite},
      {"dlkit.v1.ManagerService/KillTrial", kWrite},
      {"dlkit.v1.ManagerService/AddTrials", kWrite},
      // Ask/tell workers (dlkit.Study) drive trials of their own.
      {"dlkit.v1.ManagerService/AskTrials", kWrite},
      {"dlkit.v1.ManagerService/ReportTrialMetric", kWrite},
      {"dlkit.v1.ManagerService/HeartbeatTrial", kWrite},
      {"dlkit.v1.ManagerService/TellTrial", kWrite},
      // The daemon itself, its tokens, and its Tuner (only the daemon's Managers call it).
      {"dlkit.v1.LauncherService/ShutdownDaemon", kAdmin},
      {"dlkit.v1.LauncherService/CreateToken", kAdmin},
      {"dlkit.v1.LauncherService/ListTokens", kAdmin},
      {"dlkit.v1.LauncherService/RevokeToken", kAdmin},
      {"dlkit.v1.TunerService/Suggest", kAdmin},
      {"dlkit.v1.TunerService/Assess", kAdmin},
      {"dlkit.v1.TunerService/ValidateAlgorithm", kAdmin},
      {"dlkit.v1.TunerService/ReleaseStudy", kAdmin},
      // Trials prove themselves.
      {"dlkit.v1.ManagerService/TrialSession", kOwn},
      {"dlkit.v1.ReporterService/GetParameters", kOwn},
      {"dlkit.v1.ReporterService/Report", kOwn},
      {"dlkit.v1.ReporterService/ShouldStop", kOwn},
  };
  return *table;
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kRead:
      return "read";
    case Role::kWrite:
      return "write";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (Role role : {Role::kRead, Role::kWrite, Role::kAdmin}) {
    if (name == RoleName(role)) return role;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("role \"", name, "\" is not one of admin, write, read"));
}

absl::StatusOr<MethodAccess> AccessFor(absl::string_view full_method) {
  absl::ConsumePrefix(&full_method, "/");
  auto it = Table().find(full_method);
  if (it == Table().end()) {
    return absl::NotFoundError(absl::StrCat("no access rule for ", full_method));
  }
  return it->second;
}

}  // namespace dlkit::auth
