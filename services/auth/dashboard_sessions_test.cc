#include "services/auth/dashboard_sessions.h"

#include <catch2/catch.hpp>

namespace dlkit::auth {
namespace {

TEST_CASE("a login code works once and opens a session of its role") {
  DashboardSessions sessions;
  const std::string code = sessions.MintLoginCode(Role::kRead);
  absl::StatusOr<Role> role = sessions.RedeemLoginCode(code);
  REQUIRE(role.ok());
  CHECK(*role == Role::kRead);
  CHECK(sessions.RedeemLoginCode(code).status().code() == absl::StatusCode::kUnauthenticated);
  const std::string cookie = sessions.OpenSession(*role);
  CHECK(*sessions.SessionRole(cookie) == Role::kRead);
  CHECK_FALSE(sessions.SessionRole("forged").ok());
  CHECK_FALSE(sessions.SessionRole("").ok());
}

TEST_CASE("codes and idle sessions expire") {
  DashboardSessions sessions(absl::ZeroDuration(), absl::ZeroDuration());
  CHECK_FALSE(sessions.RedeemLoginCode(sessions.MintLoginCode(Role::kAdmin)).ok());
  CHECK_FALSE(sessions.SessionRole(sessions.OpenSession(Role::kAdmin)).ok());
}

}  // namespace
}  // namespace dlkit::auth
