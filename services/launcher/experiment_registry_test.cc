// Conformance tests of ExperimentRegistry, run against every implementation, plus the
// file-only properties of SqliteExperimentRegistry.

#include "services/launcher/experiment_registry.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "services/common/sqlite_testing.h"
#include "services/launcher/sqlite_experiment_registry.h"

namespace dlkit {
namespace {

struct FileRegistry {
  static std::unique_ptr<ExperimentRegistry> Open() {
    auto registry = SqliteExperimentRegistry::Open(RegistryPath(testing::MakeTempDir()));
    DLKIT_REQUIRE_OK(registry);
    return std::move(registry).value();
  }
};

struct MemoryRegistry {
  static std::unique_ptr<ExperimentRegistry> Open() {
    auto registry = SqliteExperimentRegistry::Open(":memory:");
    DLKIT_REQUIRE_OK(registry);
    return std::move(registry).value();
  }
};

RegistryEntry Entry(const std::string& id, int64_t created_ms, const std::string& request_id = "") {
  RegistryEntry e;
  e.id = id;
  e.name = "exp " + id;
  e.directory = "/home/u/.dlkit/experiments/" + id;
  e.request_id = request_id;
  e.created = absl::FromUnixMillis(1700000000000 + created_ms) + absl::Nanoseconds(17);
  return e;
}

bool Same(const RegistryEntry& a, const RegistryEntry& b) {
  return a.id == b.id && a.name == b.name && a.directory == b.directory &&
         a.request_id == b.request_id && a.created == b.created;
}

std::vector<std::string> Ids(const std::vector<RegistryEntry>& entries) {
  std::vector<std::string> ids;
  for (const RegistryEntry& e : entries) ids.push_back(e.id);
  return ids;
}

TEMPLATE_TEST_CASE("registry adds and gets entries", "[registry]", FileRegistry, MemoryRegistry) {
  auto registry = TestType::Open();
  DLKIT_REQUIRE_CODE(registry->Get("e1"), absl::StatusCode::kNotFound);
  const RegistryEntry e1 = Entry("e1", 0, "req-1");
  DLKIT_REQUIRE_OK(registry->Add(e1));
  auto got = registry->Get("e1");
  DLKIT_REQUIRE_OK(got);
  CHECK(Same(*got, e1));

  RegistryEntry bad = Entry("", 1);
  DLKIT_REQUIRE_CODE(registry->Add(bad), absl::StatusCode::kInvalidArgument);
  bad = Entry("e9", 1);
  bad.directory.clear();
  DLKIT_REQUIRE_CODE(registry->Add(bad), absl::StatusCode::kInvalidArgument);
}

TEMPLATE_TEST_CASE("registry refuses a duplicate id or request id", "[registry]", FileRegistry,
                   MemoryRegistry) {
  auto registry = TestType::Open();
  DLKIT_REQUIRE_OK(registry->Add(Entry("e1", 0, "req-1")));
  DLKIT_REQUIRE_CODE(registry->Add(Entry("e1", 5, "req-2")), absl::StatusCode::kAlreadyExists);
  absl::Status status = registry->Add(Entry("e2", 5, "req-1"));
  CHECK(status.code() == absl::StatusCode::kAlreadyExists);
  CHECK(absl::StrContains(status.message(), "e1"));  // names the experiment it made
  // Entries without a request id do not collide with each other.
  DLKIT_REQUIRE_OK(registry->Add(Entry("e3", 6)));
  DLKIT_REQUIRE_OK(registry->Add(Entry("e4", 7)));
  auto all = registry->List();
  DLKIT_REQUIRE_OK(all);
  CHECK(Ids(*all) == std::vector<std::string>{"e1", "e3", "e4"});
  auto got = registry->Get("e1");
  DLKIT_REQUIRE_OK(got);
  CHECK(got->request_id == "req-1");  // the failed Add changed nothing
}

TEMPLATE_TEST_CASE("registry finds an experiment by its submit request", "[registry]", FileRegistry,
                   MemoryRegistry) {
  auto registry = TestType::Open();
  DLKIT_REQUIRE_OK(registry->Add(Entry("e1", 0, "req-1")));
  DLKIT_REQUIRE_OK(registry->Add(Entry("e2", 1, "req-2")));
  auto found = registry->FindByRequestId("req-2");
  DLKIT_REQUIRE_OK(found);
  CHECK(Same(*found, Entry("e2", 1, "req-2")));
  DLKIT_REQUIRE_CODE(registry->FindByRequestId("req-3"), absl::StatusCode::kNotFound);
  DLKIT_REQUIRE_CODE(registry->FindByRequestId(""), absl::StatusCode::kInvalidArgument);
}

TEMPLATE_TEST_CASE("registry lists by creation time", "[registry]", FileRegistry, MemoryRegistry) {
  auto registry = TestType::Open();
  auto empty = registry->List();
  DLKIT_REQUIRE_OK(empty);
  CHECK(empty->empty());
  DLKIT_REQUIRE_OK(registry->Add(Entry("c", 30)));
  DLKIT_REQUIRE_OK(registry->Add(Entry("a", 10)));
  DLKIT_REQUIRE_OK(registry->Add(Entry("z", 20)));
  DLKIT_REQUIRE_OK(registry->Add(Entry("b", 20)));  // same time as z: by id
  auto all = registry->List();
  DLKIT_REQUIRE_OK(all);
  CHECK(Ids(*all) == std::vector<std::string>{"a", "b", "z", "c"});
  CHECK(Same((*all)[3], Entry("c", 30)));
}

TEMPLATE_TEST_CASE("registry removes entries", "[registry]", FileRegistry, MemoryRegistry) {
  auto registry = TestType::Open();
  DLKIT_REQUIRE_OK(registry->Add(Entry("e1", 0, "req-1")));
  DLKIT_REQUIRE_OK(registry->Add(Entry("e2", 1)));
  DLKIT_REQUIRE_OK(registry->Remove("e1"));
  DLKIT_REQUIRE_CODE(registry->Get("e1"), absl::StatusCode::kNotFound);
  DLKIT_REQUIRE_CODE(registry->FindByRequestId("req-1"), absl::StatusCode::kNotFound);
  DLKIT_REQUIRE_CODE(registry->Remove("e1"), absl::StatusCode::kNotFound);
  auto all = registry->List();
  DLKIT_REQUIRE_OK(all);
  CHECK(Ids(*all) == std::vector<std::string>{"e2"});
  // The id and the request id are free again.
  DLKIT_REQUIRE_OK(registry->Add(Entry("e1", 2, "req-1")));
}

TEST_CASE("registry file keeps entries across reopen", "[registry][file]") {
  const std::string path = RegistryPath(testing::MakeTempDir());
  CHECK(absl::EndsWith(path, "/registry.db"));
  {
    auto registry = SqliteExperimentRegistry::Open(path);
    DLKIT_REQUIRE_OK(registry);
    DLKIT_REQUIRE_OK((*registry)->Add(Entry("e1", 0, "req-1")));
    DLKIT_REQUIRE_OK((*registry)->Add(Entry("e2", 1)));
    DLKIT_REQUIRE_OK((*registry)->Remove("e2"));
  }
  auto registry = SqliteExperimentRegistry::Open(path);
  DLKIT_REQUIRE_OK(registry);
  auto all = (*registry)->List();
  DLKIT_REQUIRE_OK(all);
  REQUIRE(all->size() == 1);
  CHECK(Same((*all)[0], Entry("e1", 0, "req-1")));
  auto version = (*registry)->SchemaVersion();
  DLKIT_REQUIRE_OK(version);
  CHECK(*version == SqliteExperimentRegistry::kSchemaVersion);
}

TEST_CASE("registry sees entries added by another connection", "[registry][file]") {
  // dlctl or a second daemon may open the same file.
  const std::string path = RegistryPath(testing::MakeTempDir());
  auto first = SqliteExperimentRegistry::Open(path);
  auto second = SqliteExperimentRegistry::Open(path);
  DLKIT_REQUIRE_OK(first);
  DLKIT_REQUIRE_OK(second);
  DLKIT_REQUIRE_OK((*first)->Add(Entry("e1", 0, "req-1")));
  DLKIT_REQUIRE_CODE((*second)->Add(Entry("e2", 1, "req-1")), absl::StatusCode::kAlreadyExists);
  auto found = (*second)->FindByRequestId("req-1");
  DLKIT_REQUIRE_OK(found);
  CHECK(found->id == "e1");
}

TEST_CASE("registry names the file it cannot use", "[registry][file]") {
  const std::string dir = testing::MakeTempDir();
  std::string path;
  SECTION("corrupted file") {
    path = dir + "/registry.db";
    std::ofstream(path) << std::string(8192, '\x01');
  }
  SECTION("missing directory") { path = RegistryPath(dir + "/missing"); }
  auto registry = SqliteExperimentRegistry::Open(path);
  REQUIRE_FALSE(registry.ok());
  INFO(registry.status().ToString());
  CHECK(registry.status().code() == absl::StatusCode::kInternal);
  CHECK(absl::StrContains(registry.status().message(), path));
}

TEST_CASE("RegistryPath joins the home directory") {
  CHECK(RegistryPath("/home/u/.dlkit") == "/home/u/.dlkit/registry.db");
  CHECK(RegistryPath("/home/u/.dlkit/") == "/home/u/.dlkit/registry.db");
}

}  // namespace
}  // namespace dlkit
