#ifndef DLKIT_SERVICES_AUTH_ACCESS_H_
#define DLKIT_SERVICES_AUTH_ACCESS_H_

// Who may call what. A token carries a role; each gRPC method needs one. The table in
// access.cc names every method of every dlkit service, so a method added without an entry
// is refused (and access_test fails) rather than left open.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dlkit::auth {

// Ordered: a role may do what every lower one may.
enum class Role { kRead = 1, kWrite = 2, kAdmin = 3 };

absl::string_view RoleName(Role role);  // "read", "write", "admin"
absl::StatusOr<Role> ParseRole(absl::string_view name);

// What a call needs before its handler runs.
struct MethodAccess {
  // The method proves its caller itself (TrialSession: the trial's session secret; the
  // Reporter's methods: the trial folder's private socket), so it takes no daemon token.
  bool own_credential = false;
  Role role = Role::kAdmin;
};

// `full_method` is "dlkit.v1.LauncherService/SubmitExperiment" (a leading '/' is allowed).
// NOT_FOUND for a method the table does not know.
absl::StatusOr<MethodAccess> AccessFor(absl::string_view full_method);

}  // namespace dlkit::auth

#endif  // DLKIT_SERVICES_AUTH_ACCESS_H_
