#ifndef DLKIT_SERVICES_AUTH_DASHBOARD_SESSIONS_H_
#define DLKIT_SERVICES_AUTH_DASHBOARD_SESSIONS_H_

// Browsers log in as Jupyter's do: dlctl prints a dashboard URL carrying a one-time login
// code, minted for the role of the token dlctl used; the gateway swaps the code for a session
// cookie (HttpOnly, SameSite=Strict) that the browser then sends on every request. Sessions
// live in memory: a restarted daemon asks for a new URL (dlctl daemon status prints one).

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/auth/access.h"

namespace dlkit::auth {

inline constexpr char kLoginQueryKey[] = "login";
inline constexpr char kSessionCookieName[] = "dlkit_session";

class DashboardSessions {
 public:
  explicit DashboardSessions(absl::Duration code_lifetime = absl::Hours(1),
                             absl::Duration session_idle_lifetime = absl::Hours(24 * 7))
      : code_lifetime_(code_lifetime), session_idle_lifetime_(session_idle_lifetime) {}

  // A code good for one login within the code lifetime.
  std::string MintLoginCode(Role role);
  // The code's role, and the code is spent. UNAUTHENTICATED when unknown, spent or old.
  absl::StatusOr<Role> RedeemLoginCode(const std::string& code);

  std::string OpenSession(Role role);  // the cookie's value
  // UNAUTHENTICATED for an unknown or idle-expired session; a use extends it.
  absl::StatusOr<Role> SessionRole(const std::string& cookie);

 private:
  struct Grant {
    Role role;
    absl::Time expires;
  };
  static void DropExpiredLocked(absl::flat_hash_map<std::string, Grant>& grants, absl::Time now);

  const absl::Duration code_lifetime_;
  const absl::Duration session_idle_lifetime_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Grant> codes_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Grant> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dlkit::auth

#endif  // DLKIT_SERVICES_AUTH_DASHBOARD_SESSIONS_H_
