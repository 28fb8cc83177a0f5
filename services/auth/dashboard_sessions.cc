#include "services/auth/dashboard_sessions.h"

#include "services/common/secret_hash.h"

namespace dlkit::auth {

void DashboardSessions::DropExpiredLocked(absl::flat_hash_map<std::string, Grant>& grants,
                                          absl::Time now) {
  absl::erase_if(grants, [now](const auto& entry) { return entry.second.expires <= now; });
}

std::string DashboardSessions::MintLoginCode(Role role) {
  std::string code = RandomSecret(16);
  absl::MutexLock lock(&mu_);
  DropExpiredLocked(codes_, absl::Now());
  codes_[code] = {role, absl::Now() + code_lifetime_};
  return code;
}

absl::StatusOr<Role> DashboardSessions::RedeemLoginCode(const std::string& code) {
  absl::MutexLock lock(&mu_);
  auto it = codes_.find(code);
  if (it == codes_.end() || it->second.expires <= absl::Now()) {
    if (it != codes_.end()) codes_.erase(it);
    return absl::UnauthenticatedError(
        "this login link is spent or expired (each works once, within an hour); "
        "`dlctl daemon status` prints a new one");
  }
  const Role role = it->second.role;
  codes_.erase(it);
  return role;
}

std::string DashboardSessions::OpenSession(Role role) {
  std::string cookie = RandomSecret(32);
  absl::MutexLock lock(&mu_);
  DropExpiredLocked(sessions_, absl::Now());
  sessions_[cookie] = {role, absl::Now() + session_idle_lifetime_};
  return cookie;
}

absl::StatusOr<Role> DashboardSessions::SessionRole(const std::string& cookie) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(cookie);
  const absl::Time now = absl::Now();
  if (cookie.empty() || it == sessions_.end() || it->second.expires <= now) {
    return absl::UnauthenticatedError(
        "not logged in to the dashboard: open the URL that `dlctl daemon status` prints");
  }
  it->second.expires = now + session_idle_lifetime_;
  return it->second.role;
}

}  // namespace dlkit::auth
