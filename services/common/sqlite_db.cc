#include "services/common/sqlite_db.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace dlkit {
namespace {

// SQL is quoted in error messages; long statements (migrations) are cut.
std::string Abbreviate(absl::string_view sql) {
  constexpr size_t kMax = 120;
  if (sql.size() <= kMax) return std::string(sql);
  return absl::StrCat(sql.substr(0, kMax), "...");
}

}  // namespace

// ---------------------------------------------------------------------------------------
// SqliteStatement

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

absl::Status SqliteStatement::CheckBind(int rc, int index) {
  if (rc == SQLITE_OK) return absl::OkStatus();
  return db_->Error(
      absl::StrCat("binding parameter ", index, " of '", Abbreviate(sqlite3_sql(stmt_)), "'"));
}

absl::Status SqliteStatement::BindInt64(int index, int64_t value) {
  return CheckBind(sqlite3_bind_int64(stmt_, index, value), index);
}

absl::Status SqliteStatement::BindDouble(int index, double value) {
  if (std::isnan(value)) return BindNull(index);
  return CheckBind(sqlite3_bind_double(stmt_, index, value), index);
}

absl::Status SqliteStatement::BindText(int index, absl::string_view value) {
  return CheckBind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
}

absl::Status SqliteStatement::BindBlob(int index, absl::string_view value) {
  // A zero-length blob must still bind as a blob, not NULL: data() may be null for "".
  static const char kEmpty = 0;
  const char* data = value.empty() ? &kEmpty : value.data();
  return CheckBind(sqlite3_bind_blob64(stmt_, index, data, value.size(), SQLITE_TRANSIENT), index);
}

absl::Status SqliteStatement::BindNull(int index) {
  return CheckBind(sqlite3_bind_null(stmt_, index), index);
}

absl::StatusOr<bool> SqliteStatement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  absl::Status error = db_->Error(absl::StrCat("executing '", Abbreviate(sqlite3_sql(stmt_)), "'"));
  sqlite3_reset(stmt_);
  return error;
}

absl::Status SqliteStatement::Run() {
  absl::StatusOr<bool> row;
  do {
    row = Step();
  } while (row.ok() && *row);
  Reset();
  return row.status();
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t SqliteStatement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double SqliteStatement::ColumnDouble(int column) const {
  if (ColumnIsNull(column)) return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(stmt_, column);
}

std::string SqliteStatement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string SqliteStatement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  if (blob == nullptr) return "";
  return std::string(static_cast<const char*>(blob),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool SqliteStatement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

// ---------------------------------------------------------------------------------------
// SqliteDb

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path,
                                                         const Options& options) {
  if (path.empty()) {
    // SQLite would silently open an anonymous temporary file.
    return absl::InvalidArgumentError("SQLite database path is empty");
  }
  sqlite3* handle = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    sqlite3_close_v2(handle);
    return absl::InternalError(
        absl::StrCat("cannot open SQLite database ", path, ": ", message, " (code ", rc, ")"));
  }
  sqlite3_extended_result_codes(handle, 1);
  std::unique_ptr<SqliteDb> db(new SqliteDb(path, handle));
  DLKIT_RETURN_IF_ERROR(db->Configure(options));
  return db;
}

absl::Status SqliteDb::Configure(const Options& options) {
  const int64_t busy_ms = absl::ToInt64Milliseconds(options.busy_timeout);
  sqlite3_busy_timeout(
      db_, static_cast<int>(std::min<int64_t>(busy_ms, std::numeric_limits<int>::max())));
  // Reading the journal mode touches the file: a non-database fails here, not later.
  // An in-memory database answers "memory"; a file system without shared memory support
  // leaves the old mode, which is still durable, only slower for concurrent readers.
  DLKIT_RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
  DLKIT_RETURN_IF_ERROR(Exec(options.synchronous == Synchronous::kFull
                                 ? "PRAGMA synchronous=FULL"
                                 : "PRAGMA synchronous=NORMAL"));
  return Exec("SELECT count(*) FROM sqlite_master");
}

SqliteDb::~SqliteDb() {
  cache_.clear();  // statements first: close_v2 would otherwise defer the close
  sqlite3_close_v2(db_);
}

absl::Status SqliteDb::Error(absl::string_view what) const {
  return absl::InternalError(absl::StrCat(what, " failed on SQLite database ", path_, ": ",
                                          sqlite3_errmsg(db_), " (code ",
                                          sqlite3_extended_errcode(db_), ")"));
}

absl::Status SqliteDb::Exec(absl::string_view sql) {
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error(absl::StrCat("executing '", Abbreviate(sql), "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SqliteStatement> SqliteDb::Prepare(absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(absl::StrCat("preparing '", Abbreviate(sql), "'"));
  }
  if (stmt == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("no SQL statement in '", Abbreviate(sql), "'"));
  }
  return SqliteStatement(this, stmt);
}

absl::StatusOr<SqliteCachedStatement> SqliteDb::Cached(absl::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    DLKIT_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
    it = cache_.emplace(std::move(key), std::make_unique<SqliteStatement>(std::move(stmt))).first;
  }
  it->second->Reset();
  return SqliteCachedStatement(it->second.get());
}

absl::Status SqliteDb::Transaction(const std::function<absl::Status()>& body) {
  DLKIT_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  absl::Status status = body();
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok() && sqlite3_get_autocommit(db_) == 0) {
    // The first error is the one worth reporting; a failed rollback adds nothing to it.
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return status;
}

absl::StatusOr<int> SqliteDb::SchemaVersion() {
  DLKIT_ASSIGN_OR_RETURN(
      SqliteStatement exists,
      Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"));
  DLKIT_ASSIGN_OR_RETURN(bool has_table, exists.Step());
  if (!has_table) return 0;
  DLKIT_ASSIGN_OR_RETURN(SqliteStatement max,
                         Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  DLKIT_ASSIGN_OR_RETURN(bool row, max.Step());
  if (!row) return 0;
  return static_cast<int>(max.ColumnInt64(0));
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::OpenAtVersion(
    const std::string& path, const std::vector<std::string>& migrations, int schema_version,
    absl::string_view what) {
  if (schema_version < 1 || migrations.size() != static_cast<size_t>(schema_version)) {
    return absl::InternalError(absl::StrCat(what, " migrations do not match its schema version"));
  }
  DLKIT_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, Open(path));
  DLKIT_RETURN_IF_ERROR(db->Migrate(migrations));
  return db;
}

absl::Status SqliteDb::Migrate(const std::vector<std::string>& migrations) {
  DLKIT_RETURN_IF_ERROR(
      Exec("CREATE TABLE IF NOT EXISTS schema_version ("
           "version INTEGER PRIMARY KEY, applied_ns INTEGER NOT NULL)"));
  const int target = static_cast<int>(migrations.size());
  bool done = false;
  while (!done) {
    // The version is read inside the write transaction: two processes opening the same
    // file at once apply each step once.
    DLKIT_RETURN_IF_ERROR(Transaction([&]() -> absl::Status {
      DLKIT_ASSIGN_OR_RETURN(int version, SchemaVersion());
      if (version > target) {
        return absl::FailedPreconditionError(
            absl::StrCat("SQLite database ", path_, " has schema version ", version,
                         ", newer than this program knows (", target, "); upgrade dlkit"));
      }
      if (version == target) {
        done = true;
        return absl::OkStatus();
      }
      DLKIT_RETURN_IF_ERROR(Exec(migrations[version]));
      DLKIT_ASSIGN_OR_RETURN(
          SqliteStatement record,
          Prepare("INSERT INTO schema_version (version, applied_ns) VALUES (?1, ?2)"));
      DLKIT_RETURN_IF_ERROR(record.BindInt64(1, version + 1));
      DLKIT_RETURN_IF_ERROR(record.BindInt64(2, ToDbTime(absl::Now())));
      return record.Run();
    }));
  }
  return absl::OkStatus();
}

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

}  // namespace dlkit
