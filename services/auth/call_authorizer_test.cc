#include "services/auth/call_authorizer.h"

#include <catch2/catch.hpp>
#include <cstdlib>

namespace dlkit::auth {
namespace {

TEST_CASE("a call needs a token of this daemon with a role high enough") {
  std::string home = "/tmp/dlkit-authorizer-XXXXXX";
  REQUIRE(mkdtemp(home.data()) != nullptr);
  auto tokens = TokenStore::Open(home);
  REQUIRE(tokens.ok());
  const std::string reader = *(*tokens)->Create("reader", Role::kRead);
  const CallAuthorizer authorizer(tokens->get());
  const std::string submit = "dlkit.v1.LauncherService/SubmitExperiment";

  absl::Status none = authorizer.CheckToken("", submit);
  CHECK(none.code() == absl::StatusCode::kUnauthenticated);
  CHECK(none.message().find("DLKIT_TOKEN") != std::string::npos);  // says where to look
  CHECK(authorizer.CheckToken("bogus", submit).code() == absl::StatusCode::kUnauthenticated);
  absl::Status low = authorizer.CheckToken(reader, submit);
  CHECK(low.code() == absl::StatusCode::kPermissionDenied);
  CHECK(low.message() == "a read token may not call SubmitExperiment, which needs a write token");
  CHECK(authorizer.CheckToken(reader, "dlkit.v1.LauncherService/ListExperiments").ok());
  CHECK(authorizer.CheckToken((*tokens)->admin_token(), submit).ok());
  CHECK(authorizer.CheckToken("", "dlkit.v1.ManagerService/TrialSession").ok());
  CHECK(authorizer.CheckToken((*tokens)->admin_token(), "dlkit.v1.Other/Method").code() ==
        absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace dlkit::auth
