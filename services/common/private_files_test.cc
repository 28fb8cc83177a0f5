#include "services/common/private_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"

namespace dlkit {
namespace {

mode_t ModeOf(const std::string& path) {
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string TempDir() {
  char pattern[] = "/tmp/dlkit-private-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  return pattern;
}

TEST_CASE("A new home and its missing parents are created private") {
  const std::string base = TempDir();
  const std::string home = base + "/a/b/home";
  const mode_t old_mask = umask(022);
  absl::StatusOr<std::string> made = MakePrivateDirectory(home);
  umask(old_mask);
  REQUIRE(made.ok());
  CHECK(made->empty());
  CHECK(ModeOf(home) == 0700);
  CHECK(ModeOf(base + "/a") == 0700);
  std::filesystem::remove_all(base);
}

TEST_CASE("An existing home open to others is tightened, with a warning naming it") {
  const std::string home = TempDir();
  REQUIRE(chmod(home.c_str(), 0755) == 0);
  absl::StatusOr<std::string> made = MakePrivateDirectory(home);
  REQUIRE(made.ok());
  CHECK(absl::StrContains(*made, home));
  CHECK(absl::StrContains(*made, "0755"));
  CHECK(ModeOf(home) == 0700);
  // Already private: nothing to say.
  made = MakePrivateDirectory(home);
  REQUIRE(made.ok());
  CHECK(made->empty());
  std::filesystem::remove_all(home);
}

TEST_CASE("A file where the home should be is refused") {
  const std::string base = TempDir();
  const std::string file = base + "/file";
  FILE* f = fopen(file.c_str(), "w");
  REQUIRE(f != nullptr);
  fclose(f);
  absl::StatusOr<std::string> made = MakePrivateDirectory(file);
  CHECK_FALSE(made.ok());
  std::filesystem::remove_all(base);
}

TEST_CASE("The private umask hides new files; trials get the user's umask back") {
  unsetenv("DLKIT_USER_UMASK");
  const mode_t user = umask(027);
  UsePrivateUmask();
  const mode_t now = umask(0);
  umask(now);
  CHECK(now == 077);
  CHECK(std::string(std::getenv("DLKIT_USER_UMASK")) == "027");
  CHECK(TrialUmask() == 027);
  setenv("DLKIT_USER_UMASK", "not octal", 1);
  CHECK(TrialUmask() == 077);  // falls back to the current one
  unsetenv("DLKIT_USER_UMASK");
  umask(user);
}

TEST_CASE("Only ids that name a plain folder pass") {
  CHECK(CheckPathSafeId("experiment", "aB3-x_9").ok());
  CHECK(CheckPathSafeId("trial", std::string(64, 'a')).ok());
  for (const std::string& bad : std::vector<std::string>{"", "..", "../../etc", "a/b", "/etc",
                                                         "a b", "id\n2", std::string(65, 'a')}) {
    INFO(bad);
    absl::Status status = CheckPathSafeId("experiment", bad);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(status.message(), "experiment id"));
  }
}

}  // namespace
}  // namespace dlkit
