#include "services/auth/token_store.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

namespace dlkit::auth {
namespace {

std::string TempHome() {
  std::string pattern = "/tmp/dlkit-tokens-XXXXXX";
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

TEST_CASE("the admin token is made once, private, and kept across restarts") {
  const std::string home = TempHome();
  auto first = TokenStore::Open(home);
  REQUIRE(first.ok());
  const std::string token = (*first)->admin_token();
  CHECK(token.size() == 64);
  CHECK(ModeOf(home + "/token") == 0600);
  CHECK(*(*first)->RoleOf(token) == Role::kAdmin);
  CHECK((*first)->RoleOf("wrong").status().code() == absl::StatusCode::kUnauthenticated);
  CHECK((*first)->RoleOf("").status().code() == absl::StatusCode::kUnauthenticated);
  auto second = TokenStore::Open(home);
  REQUIRE(second.ok());
  CHECK((*second)->admin_token() == token);
}

TEST_CASE("created tokens keep their role, are stored as hashes, and can be revoked") {
  const std::string home = TempHome();
  auto store = TokenStore::Open(home);
  REQUIRE(store.ok());
  absl::StatusOr<std::string> reader = (*store)->Create("ci-reader", Role::kRead);
  REQUIRE(reader.ok());
  CHECK(*(*store)->RoleOf(*reader) == Role::kRead);
  CHECK((*store)->Create("ci-reader", Role::kWrite).status().code() ==
        absl::StatusCode::kAlreadyExists);
  CHECK((*store)->Create("../x", Role::kWrite).status().code() ==
        absl::StatusCode::kInvalidArgument);
  std::ifstream file(home + "/tokens");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  CHECK(text.find(*reader) == std::string::npos);  // only its hash is on disk
  CHECK(ModeOf(home + "/tokens") == 0600);

  auto reopened = TokenStore::Open(home);
  REQUIRE(reopened.ok());
  CHECK(*(*reopened)->RoleOf(*reader) == Role::kRead);
  CHECK((*reopened)->List().size() == 2);
  REQUIRE((*reopened)->Revoke("ci-reader").ok());
  CHECK_FALSE((*reopened)->RoleOf(*reader).ok());
  CHECK((*reopened)->Revoke("ci-reader").code() == absl::StatusCode::kNotFound);
  CHECK((*reopened)->Revoke("admin").code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a hand-broken tokens file is an error naming its line") {
  const std::string home = TempHome();
  std::ofstream(home + "/tokens") << "read ok " << std::string(64, 'a') << "\nsuperuser x y\n";
  auto store = TokenStore::Open(home);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().message().find("line 2") != std::string::npos);
}

}  // namespace
}  // namespace dlkit::auth
