#include "services/common/sqlite_db.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "base/status_macros.h"
#include "services/common/sqlite_testing.h"

namespace dlkit {
namespace {

std::unique_ptr<SqliteDb> OpenOrDie(const std::string& path,
                                    SqliteDb::Options options = SqliteDb::Options()) {
  auto db = SqliteDb::Open(path, options);
  DLKIT_REQUIRE_OK(db);
  return std::move(db).value();
}

int64_t QueryInt(SqliteDb& db, const std::string& sql) {
  auto stmt = db.Prepare(sql);
  DLKIT_REQUIRE_OK(stmt);
  auto row = stmt->Step();
  DLKIT_REQUIRE_OK(row);
  REQUIRE(*row);
  return stmt->ColumnInt64(0);
}

std::string QueryText(SqliteDb& db, const std::string& sql) {
  auto stmt = db.Prepare(sql);
  DLKIT_REQUIRE_OK(stmt);
  auto row = stmt->Step();
  DLKIT_REQUIRE_OK(row);
  REQUIRE(*row);
  return stmt->ColumnText(0);
}

TEST_CASE("SqliteDb opens a file in WAL mode with the chosen synchronous level") {
  const std::string path = testing::MakeTempDir() + "/a.db";
  SqliteDb::Options options;
  SECTION("full by default") {
    auto db = OpenOrDie(path);
    CHECK(QueryText(*db, "PRAGMA journal_mode") == "wal");
    CHECK(QueryInt(*db, "PRAGMA synchronous") == 2);
  }
  SECTION("normal on request") {
    options.synchronous = SqliteDb::Synchronous::kNormal;
    auto db = OpenOrDie(path, options);
    CHECK(QueryInt(*db, "PRAGMA synchronous") == 1);
  }
}

TEST_CASE("SqliteDb binds and reads every column type, NaN as NULL") {
  auto db = OpenOrDie(":memory:");
  DLKIT_REQUIRE_OK(db->Exec("CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BLOB)"));
  auto insert = db->Prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
  DLKIT_REQUIRE_OK(insert);
  const std::string blob("a\0b", 3);
  DLKIT_REQUIRE_OK(insert->BindInt64(1, int64_t{1} << 40));
  DLKIT_REQUIRE_OK(insert->BindDouble(2, 2.5));
  DLKIT_REQUIRE_OK(insert->BindText(3, "héllo"));
  DLKIT_REQUIRE_OK(insert->BindBlob(4, blob));
  DLKIT_REQUIRE_OK(insert->Run());
  DLKIT_REQUIRE_OK(insert->BindInt64(1, int64_t{1} << 41));
  DLKIT_REQUIRE_OK(insert->BindDouble(2, std::nan("")));
  DLKIT_REQUIRE_OK(insert->BindText(3, ""));
  DLKIT_REQUIRE_OK(insert->BindBlob(4, ""));
  DLKIT_REQUIRE_OK(insert->Run());
  CHECK(db->Changes() == 1);

  auto select = db->Prepare("SELECT i, d, s, b FROM t ORDER BY i");
  DLKIT_REQUIRE_OK(select);
  auto row = select->Step();
  DLKIT_REQUIRE_OK(row);
  REQUIRE(*row);
  CHECK(select->ColumnInt64(0) == (int64_t{1} << 40));
  CHECK(select->ColumnDouble(1) == 2.5);
  CHECK(select->ColumnText(2) == "héllo");
  CHECK(select->ColumnBlob(3) == blob);
  row = select->Step();
  DLKIT_REQUIRE_OK(row);
  REQUIRE(*row);
  CHECK(select->ColumnIsNull(1));
  CHECK(std::isnan(select->ColumnDouble(1)));
  CHECK(select->ColumnText(2).empty());
  CHECK_FALSE(select->ColumnIsNull(3));  // an empty blob is not NULL
  row = select->Step();
  DLKIT_REQUIRE_OK(row);
  CHECK_FALSE(*row);
}

TEST_CASE("SqliteDb caches statements and resets them on release") {
  auto db = OpenOrDie(":memory:");
  DLKIT_REQUIRE_OK(db->Exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2)"));
  const char* kSql = "SELECT x FROM t ORDER BY x";
  SqliteStatement* first = nullptr;
  {
    auto stmt = db->Cached(kSql);
    DLKIT_REQUIRE_OK(stmt);
    first = &**stmt;
    auto row = (*stmt)->Step();
    DLKIT_REQUIRE_OK(row);
    CHECK((*stmt)->ColumnInt64(0) == 1);
  }
  auto again = db->Cached(kSql);
  DLKIT_REQUIRE_OK(again);
  CHECK(&**again == first);
  auto row = (*again)->Step();
  DLKIT_REQUIRE_OK(row);
  CHECK((*again)->ColumnInt64(0) == 1);  // starts over: it was reset
}

TEST_CASE("SqliteDb transactions roll back when the body fails") {
  auto db = OpenOrDie(":memory:");
  DLKIT_REQUIRE_OK(db->Exec("CREATE TABLE t (x INTEGER PRIMARY KEY)"));
  absl::Status status = db->Transaction([&] {
    DLKIT_RETURN_IF_ERROR(db->Exec("INSERT INTO t VALUES (1)"));
    return absl::AbortedError("changed my mind");
  });
  CHECK(status.code() == absl::StatusCode::kAborted);
  CHECK(QueryInt(*db, "SELECT count(*) FROM t") == 0);

  status = db->Transaction([&] {
    DLKIT_RETURN_IF_ERROR(db->Exec("INSERT INTO t VALUES (2)"));
    return db->Exec("INSERT INTO t VALUES (2)");  // constraint violation
  });
  CHECK(status.code() == absl::StatusCode::kInternal);
  CHECK(absl::StrContains(status.message(), "UNIQUE"));
  CHECK(QueryInt(*db, "SELECT count(*) FROM t") == 0);

  DLKIT_REQUIRE_OK(db->Transaction([&] { return db->Exec("INSERT INTO t VALUES (3)"); }));
  CHECK(QueryInt(*db, "SELECT count(*) FROM t") == 1);
}

TEST_CASE("SqliteDb migrations run in order, once, and are recorded") {
  const std::string path = testing::MakeTempDir() + "/m.db";
  const std::vector<std::string> v1 = {"CREATE TABLE a (x INTEGER)"};
  const std::vector<std::string> v2 = {v1[0], "ALTER TABLE a ADD COLUMN y TEXT"};
  {
    auto db = OpenOrDie(path);
    auto version = db->SchemaVersion();
    DLKIT_REQUIRE_OK(version);
    CHECK(*version == 0);
    DLKIT_REQUIRE_OK(db->Migrate(v1));
    DLKIT_REQUIRE_OK(db->Migrate(v1));  // a second run must not re-create the table
    version = db->SchemaVersion();
    DLKIT_REQUIRE_OK(version);
    CHECK(*version == 1);
  }
  {
    auto db = OpenOrDie(path);
    DLKIT_REQUIRE_OK(db->Migrate(v2));
    DLKIT_REQUIRE_OK(db->Exec("INSERT INTO a (x, y) VALUES (1, 'one')"));
    CHECK(QueryInt(*db, "SELECT count(*) FROM schema_version") == 2);
    CHECK(QueryInt(*db, "SELECT MAX(version) FROM schema_version") == 2);
  }
  {
    auto db = OpenOrDie(path);
    absl::Status status = db->Migrate(v1);  // an older program meets a newer file
    CHECK(status.code() == absl::StatusCode::kFailedPrecondition);
    CHECK(absl::StrContains(status.message(), path));
  }
}

TEST_CASE("SqliteDb a failing migration leaves the previous version") {
  auto db = OpenOrDie(":memory:");
  const std::vector<std::string> migrations = {"CREATE TABLE a (x INTEGER)",
                                               "CREATE TABLE b (y INTEGER); BOGUS SQL"};
  absl::Status status = db->Migrate(migrations);
  CHECK(status.code() == absl::StatusCode::kInternal);
  auto version = db->SchemaVersion();
  DLKIT_REQUIRE_OK(version);
  CHECK(*version == 1);
  CHECK(QueryInt(*db, "SELECT count(*) FROM sqlite_master WHERE name = 'b'") == 0);
}

TEST_CASE("SqliteDb errors name the file") {
  const std::string dir = testing::MakeTempDir();
  SECTION("not a database") {
    const std::string path = dir + "/garbage.db";
    std::ofstream(path) << std::string(4096, 'x');
    auto db = SqliteDb::Open(path);
    REQUIRE_FALSE(db.ok());
    CHECK(db.status().code() == absl::StatusCode::kInternal);
    CHECK(absl::StrContains(db.status().message(), path));
    CHECK(absl::StrContains(db.status().message(), "not a database"));
  }
  SECTION("missing directory") {
    const std::string path = dir + "/no/such/dir/x.db";
    auto db = SqliteDb::Open(path);
    REQUIRE_FALSE(db.ok());
    CHECK(absl::StrContains(db.status().message(), path));
  }
  SECTION("a directory") {
    auto db = SqliteDb::Open(dir);
    REQUIRE_FALSE(db.ok());
    CHECK(absl::StrContains(db.status().message(), dir));
  }
  SECTION("bad SQL") {
    const std::string path = dir + "/ok.db";
    auto db = OpenOrDie(path);
    absl::Status status = db->Exec("SELECT * FROM nowhere");
    CHECK(absl::StrContains(status.message(), path));
    CHECK(absl::StrContains(status.message(), "no such table"));
  }
  SECTION("empty path") {
    CHECK(SqliteDb::Open("").status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("SqliteDb gives up on a lock after its busy timeout") {
  const std::string path = testing::MakeTempDir() + "/busy.db";
  SqliteDb::Options options;
  options.busy_timeout = absl::Milliseconds(50);
  auto holder = OpenOrDie(path, options);
  auto waiter = OpenOrDie(path, options);
  DLKIT_REQUIRE_OK(holder->Exec("CREATE TABLE t (x INTEGER)"));
  DLKIT_REQUIRE_OK(holder->Exec("BEGIN IMMEDIATE"));
  absl::Status status = waiter->Exec("INSERT INTO t VALUES (1)");
  CHECK(status.code() == absl::StatusCode::kInternal);
  CHECK(absl::StrContains(status.message(), "locked"));
  DLKIT_REQUIRE_OK(holder->Exec("COMMIT"));
  DLKIT_REQUIRE_OK(waiter->Exec("INSERT INTO t VALUES (1)"));
  CHECK(QueryInt(*holder, "SELECT count(*) FROM t") == 1);
}

}  // namespace
}  // namespace dlkit
