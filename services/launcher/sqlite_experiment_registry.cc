#include "services/launcher/sqlite_experiment_registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace dlkit {
namespace {

// Ordered migrations: kMigrations[i] takes the schema from version i to i + 1.
const std::vector<std::string>& Migrations() {
  static const auto* const kMigrations = new std::vector<std::string>{
      // v1
      R"sql(
      CREATE TABLE experiments (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        directory TEXT NOT NULL,
        request_id TEXT NOT NULL,
        created_ns INTEGER NOT NULL
      );
      -- A request id names at most one experiment: two racing submits cannot both win.
      CREATE UNIQUE INDEX experiments_by_request ON experiments (request_id)
        WHERE request_id <> '';
      CREATE INDEX experiments_by_created ON experiments (created_ns, id);
      )sql",
  };
  return *kMigrations;
}

constexpr char kColumns[] = "id, name, directory, request_id, created_ns";

RegistryEntry EntryFromRow(const SqliteStatement& stmt) {
  RegistryEntry entry;
  entry.id = stmt.ColumnText(0);
  entry.name = stmt.ColumnText(1);
  entry.directory = stmt.ColumnText(2);
  entry.request_id = stmt.ColumnText(3);
  entry.created = FromDbTime(stmt.ColumnInt64(4));
  return entry;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteExperimentRegistry>> SqliteExperimentRegistry::Open(
    const std::string& path) {
  DLKIT_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db,
                         SqliteDb::OpenAtVersion(path, Migrations(), kSchemaVersion, "registry"));
  return std::unique_ptr<SqliteExperimentRegistry>(new SqliteExperimentRegistry(std::move(db)));
}

absl::StatusOr<int> SqliteExperimentRegistry::SchemaVersion() {
  absl::MutexLock lock(&mu_);
  return db_->SchemaVersion();
}

absl::Status SqliteExperimentRegistry::Add(const RegistryEntry& entry) {
  if (entry.id.empty()) return absl::InvalidArgumentError("experiment id is empty");
  if (entry.directory.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("experiment ", entry.id, " has no directory"));
  }
  absl::MutexLock lock(&mu_);
  // The checks and the insert share one write transaction, so another process cannot
  // register the same id or request in between.
  return db_->Transaction([&]() -> absl::Status {
    {
      DLKIT_ASSIGN_OR_RETURN(auto by_id, db_->Cached("SELECT 1 FROM experiments WHERE id = ?1"));
      DLKIT_RETURN_IF_ERROR(by_id->BindText(1, entry.id));
      DLKIT_ASSIGN_OR_RETURN(bool exists, by_id->Step());
      if (exists) {
        return absl::AlreadyExistsError(
            absl::StrCat("experiment ", entry.id, " is already registered"));
      }
    }
    if (!entry.request_id.empty()) {
      DLKIT_ASSIGN_OR_RETURN(auto by_request,
                             db_->Cached("SELECT id FROM experiments WHERE request_id = ?1"));
      DLKIT_RETURN_IF_ERROR(by_request->BindText(1, entry.request_id));
      DLKIT_ASSIGN_OR_RETURN(bool exists, by_request->Step());
      if (exists) {
        return absl::AlreadyExistsError(absl::StrCat("submit request ", entry.request_id,
                                                     " already created experiment ",
                                                     by_request->ColumnText(0)));
      }
    }
    DLKIT_ASSIGN_OR_RETURN(auto insert,
                           db_->Cached(absl::StrCat("INSERT INTO experiments (", kColumns,
                                                    ") VALUES (?1, ?2, ?3, ?4, ?5)")));
    DLKIT_RETURN_IF_ERROR(insert->BindText(1, entry.id));
    DLKIT_RETURN_IF_ERROR(insert->BindText(2, entry.name));
    DLKIT_RETURN_IF_ERROR(insert->BindText(3, entry.directory));
    DLKIT_RETURN_IF_ERROR(insert->BindText(4, entry.request_id));
    DLKIT_RETURN_IF_ERROR(insert->BindInt64(5, ToDbTime(entry.created)));
    return insert->Run();
  });
}

absl::StatusOr<RegistryEntry> SqliteExperimentRegistry::GetOne(const char* sql,
                                                               const std::string& key,
                                                               const std::string& not_found) {
  DLKIT_ASSIGN_OR_RETURN(auto select, db_->Cached(sql));
  DLKIT_RETURN_IF_ERROR(select->BindText(1, key));
  DLKIT_ASSIGN_OR_RETURN(bool found, select->Step());
  if (!found) return absl::NotFoundError(not_found);
  return EntryFromRow(*select);
}

absl::StatusOr<RegistryEntry> SqliteExperimentRegistry::Get(const std::string& id) {
  static const std::string* const kSql =
      new std::string(absl::StrCat("SELECT ", kColumns, " FROM experiments WHERE id = ?1"));
  absl::MutexLock lock(&mu_);
  return GetOne(kSql->c_str(), id, absl::StrCat("no experiment ", id, " is registered"));
}

absl::StatusOr<RegistryEntry> SqliteExperimentRegistry::FindByRequestId(
    const std::string& request_id) {
  if (request_id.empty()) return absl::InvalidArgumentError("request id is empty");
  static const std::string* const kSql =
      new std::string(absl::StrCat("SELECT ", kColumns, " FROM experiments WHERE request_id = ?1"));
  absl::MutexLock lock(&mu_);
  return GetOne(kSql->c_str(), request_id,
                absl::StrCat("no experiment was created by submit request ", request_id));
}

absl::StatusOr<std::vector<RegistryEntry>> SqliteExperimentRegistry::List() {
  absl::MutexLock lock(&mu_);
  DLKIT_ASSIGN_OR_RETURN(
      auto select,
      db_->Cached(absl::StrCat("SELECT ", kColumns, " FROM experiments ORDER BY created_ns, id")));
  std::vector<RegistryEntry> entries;
  for (;;) {
    DLKIT_ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    entries.push_back(EntryFromRow(*select));
  }
  return entries;
}

absl::Status SqliteExperimentRegistry::Remove(const std::string& id) {
  absl::MutexLock lock(&mu_);
  DLKIT_ASSIGN_OR_RETURN(auto remove, db_->Cached("DELETE FROM experiments WHERE id = ?1"));
  DLKIT_RETURN_IF_ERROR(remove->BindText(1, id));
  DLKIT_RETURN_IF_ERROR(remove->Run());
  if (db_->Changes() == 0) {
    return absl::NotFoundError(absl::StrCat("no experiment ", id, " is registered"));
  }
  return absl::OkStatus();
}

}  // namespace dlkit
