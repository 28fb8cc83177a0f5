#ifndef DLKIT_SERVICES_LAUNCHER_EXPERIMENT_REGISTRY_H_
#define DLKIT_SERVICES_LAUNCHER_EXPERIMENT_REGISTRY_H_

// The Launcher's list of experiments: which ids exist, where each one's directory (and
// store) lives, and which submit request created it. Per-experiment state lives in the
// experiment's own store, not here.
//
// Error codes, for every method: INTERNAL when the storage fails (message names the file),
// plus the codes listed per method.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dlkit {

struct RegistryEntry {
  std::string id;
  std::string name;
  std::string directory;   // the experiment's directory under $DLKIT_HOME
  std::string request_id;  // the client's idempotency key of the submit; may be empty
  absl::Time created;
};

class ExperimentRegistry {
 public:
  virtual ~ExperimentRegistry() = default;

  // ALREADY_EXISTS when the id, or a non-empty request_id, is registered already (a retried
  // submit: look it up with FindByRequestId); INVALID_ARGUMENT for an empty id or directory.
  virtual absl::Status Add(const RegistryEntry& entry) = 0;
  // NOT_FOUND for an unknown id.
  virtual absl::StatusOr<RegistryEntry> Get(const std::string& id) = 0;
  // The entry a submit with this request id created. NOT_FOUND when none did;
  // INVALID_ARGUMENT for an empty request id.
  virtual absl::StatusOr<RegistryEntry> FindByRequestId(const std::string& request_id) = 0;
  // Every entry, oldest first (ties by id).
  virtual absl::StatusOr<std::vector<RegistryEntry>> List() = 0;
  // NOT_FOUND for an unknown id (a retried delete can treat it as done).
  virtual absl::Status Remove(const std::string& id) = 0;
};

// The registry's file in a dlkit home directory: "<dlkit_home>/registry.db".
std::string RegistryPath(absl::string_view dlkit_home);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_LAUNCHER_EXPERIMENT_REGISTRY_H_
