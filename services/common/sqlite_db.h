#ifndef DLKIT_SERVICES_COMMON_SQLITE_DB_H_
#define DLKIT_SERVICES_COMMON_SQLITE_DB_H_

// A thin layer over one SQLite connection: opening with dlkit's settings, prepared statements
// with RAII, transactions, ordered schema migrations, and errors as absl::Status that name
// the database file.
//
// Durability. Files are opened in WAL mode. The default is `synchronous=FULL`: every COMMIT
// fsyncs the WAL before it returns, so a committed (and therefore acknowledged) metric
// survives a process kill AND an OS crash or power cut. `synchronous=NORMAL` would survive a
// process kill too (the committed frames are already in the OS page cache) but may lose the
// last transactions on an OS crash; it is offered as an option for data that can be
// rebuilt. The cost of FULL is one fsync per transaction (about 0.5 ms on the development
// machine), which batching metrics into transactions makes negligible.
//
// Not thread-safe: one connection, one thread at a time. Classes that share a SqliteDb
// across threads guard it with their own mutex.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace dlkit {

class SqliteDb;

// One prepared statement; finalized on destruction. Bind indexes are 1-based (SQLite's),
// column indexes 0-based. Move-only; must not outlive its SqliteDb.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  absl::Status BindInt64(int index, int64_t value);
  // NaN binds as NULL (SQLite cannot store NaN); ColumnDouble reads NULL back as NaN.
  absl::Status BindDouble(int index, double value);
  absl::Status BindText(int index, absl::string_view value);
  absl::Status BindBlob(int index, absl::string_view value);
  absl::Status BindNull(int index);

  // Advances one row: true when a row is available, false when the statement is done.
  absl::StatusOr<bool> Step();
  // Steps until done (for statements that return no rows) and resets the statement.
  absl::Status Run();
  // Resets the statement and clears its bindings, ready for reuse.
  void Reset();

  int64_t ColumnInt64(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  friend class SqliteDb;
  SqliteStatement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  absl::Status CheckBind(int rc, int index);

  SqliteDb* db_;
  sqlite3_stmt* stmt_;
};

// A borrowed cached statement (see SqliteDb::Cached); resets the statement on destruction.
class SqliteCachedStatement {
 public:
  explicit SqliteCachedStatement(SqliteStatement* stmt) : stmt_(stmt) {}
  SqliteCachedStatement(SqliteCachedStatement&& other) noexcept : stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  SqliteCachedStatement& operator=(SqliteCachedStatement&&) = delete;
  SqliteCachedStatement(const SqliteCachedStatement&) = delete;
  SqliteCachedStatement& operator=(const SqliteCachedStatement&) = delete;
  ~SqliteCachedStatement() {
    if (stmt_ != nullptr) stmt_->Reset();
  }

  SqliteStatement* operator->() const { return stmt_; }
  SqliteStatement& operator*() const { return *stmt_; }

 private:
  SqliteStatement* stmt_;
};

class SqliteDb {
 public:
  enum class Synchronous { kNormal, kFull };

  struct Options {
    // How long a statement waits for another connection's lock before failing.
    absl::Duration busy_timeout = absl::Seconds(10);
    Synchronous synchronous = Synchronous::kFull;
  };

  // Opens (creating if missing) the database at `path`, or a private in-memory one for
  // ":memory:". The parent directory must exist. Reads the file once, so a file that is not
  // a database fails here, with an INTERNAL status naming it.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                        const Options& options);
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path) {
    return Open(path, Options());
  }
  // Open, then Migrate to `schema_version`, which `migrations` must reach (INTERNAL naming
  // `what` when the two disagree: a programming error).
  static absl::StatusOr<std::unique_ptr<SqliteDb>> OpenAtVersion(
      const std::string& path, const std::vector<std::string>& migrations, int schema_version,
      absl::string_view what);

  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb();

  // Runs one or more statements that return no rows of interest.
  absl::Status Exec(absl::string_view sql);
  // Prepares one statement.
  absl::StatusOr<SqliteStatement> Prepare(absl::string_view sql);
  // A statement prepared once and kept for this connection's lifetime, keyed by its SQL.
  // The handle resets it when it goes out of scope (so no read stays open); do not hold two
  // handles of the same SQL at once.
  absl::StatusOr<SqliteCachedStatement> Cached(absl::string_view sql);

  // Runs `body` between BEGIN IMMEDIATE and COMMIT; rolls back if `body` or COMMIT fails.
  // IMMEDIATE takes the write lock up front, so reads inside `body` see what the write will
  // be based on, even with other connections on the same file.
  absl::Status Transaction(const std::function<absl::Status()>& body);

  // Brings the schema to version `migrations.size()`: migrations[i] turns version i into
  // version i + 1. Each step runs in its own transaction together with its row in the
  // `schema_version` table, so a crash leaves the schema at a whole version. A file at a
  // version newer than `migrations.size()` gives FAILED_PRECONDITION.
  absl::Status Migrate(const std::vector<std::string>& migrations);
  // The highest applied migration (0 for a fresh database).
  absl::StatusOr<int> SchemaVersion();

  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int64_t Changes() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

  // INTERNAL status "<what> failed on <path>: <SQLite's message> (code N)".
  absl::Status Error(absl::string_view what) const;

 private:
  SqliteDb(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

  absl::Status Configure(const Options& options);

  std::string path_;
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<SqliteStatement>> cache_;
};

// Times are stored as integer nanoseconds since the Unix epoch.
inline int64_t ToDbTime(absl::Time t) { return absl::ToUnixNanos(t); }
inline absl::Time FromDbTime(int64_t nanos) { return absl::FromUnixNanos(nanos); }

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_SQLITE_DB_H_
