#ifndef DLKIT_SERVICES_COMMON_SQLITE_TESTING_H_
#define DLKIT_SERVICES_COMMON_SQLITE_TESTING_H_

// Helpers for Catch2 tests of SQLite-backed classes: a fresh temporary directory and
// status assertions that print the status when they fail.

#include <stdlib.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dlkit {
namespace testing {

inline const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// A new empty directory under Bazel's TEST_TMPDIR (or /tmp outside Bazel).
inline std::string MakeTempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/sqlite_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) abort();
  return pattern;
}

}  // namespace testing
}  // namespace dlkit

#define DLKIT_REQUIRE_OK(expr)                                                  \
  do {                                                                          \
    const ::absl::Status dlkit_test_status_ = ::dlkit::testing::StatusOf(expr); \
    INFO(dlkit_test_status_.ToString());                                        \
    REQUIRE(dlkit_test_status_.ok());                                           \
  } while (0)

#define DLKIT_REQUIRE_CODE(expr, expected_code)                                 \
  do {                                                                          \
    const ::absl::Status dlkit_test_status_ = ::dlkit::testing::StatusOf(expr); \
    INFO(dlkit_test_status_.ToString());                                        \
    REQUIRE(dlkit_test_status_.code() == (expected_code));                      \
  } while (0)

#endif  // DLKIT_SERVICES_COMMON_SQLITE_TESTING_H_
