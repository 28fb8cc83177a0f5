#ifndef DLKIT_SERVICES_LAUNCHER_SQLITE_EXPERIMENT_REGISTRY_H_
#define DLKIT_SERVICES_LAUNCHER_SQLITE_EXPERIMENT_REGISTRY_H_

// ExperimentRegistry in one SQLite file (normally $DLKIT_HOME/registry.db), WAL with
// synchronous=FULL: an experiment the Launcher acknowledged is still listed after a crash.
// Thread-safe; other processes may open the same file (writes take the lock up front and
// wait up to the busy timeout).

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/common/sqlite_db.h"
#include "services/launcher/experiment_registry.h"

namespace dlkit {

class SqliteExperimentRegistry : public ExperimentRegistry {
 public:
  // Opens or creates the registry at `path` (":memory:" for tests). The directory must
  // exist. INTERNAL naming the file when it cannot be used; FAILED_PRECONDITION when a
  // newer dlkit wrote it.
  static absl::StatusOr<std::unique_ptr<SqliteExperimentRegistry>> Open(const std::string& path);

  static constexpr int kSchemaVersion = 1;

  absl::Status Add(const RegistryEntry& entry) override;
  absl::StatusOr<RegistryEntry> Get(const std::string& id) override;
  absl::StatusOr<RegistryEntry> FindByRequestId(const std::string& request_id) override;
  absl::StatusOr<std::vector<RegistryEntry>> List() override;
  absl::Status Remove(const std::string& id) override;

  absl::StatusOr<int> SchemaVersion();
  const std::string& path() const { return path_; }

 private:
  explicit SqliteExperimentRegistry(std::unique_ptr<SqliteDb> db)
      : path_(db->path()), db_(std::move(db)) {}

  // The entry selected by `sql` (whose ?1 is `key`), or NOT_FOUND with `not_found`.
  absl::StatusOr<RegistryEntry> GetOne(const char* sql, const std::string& key,
                                       const std::string& not_found)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  absl::Mutex mu_;
  std::unique_ptr<SqliteDb> db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_LAUNCHER_SQLITE_EXPERIMENT_REGISTRY_H_
