#include "services/launcher/experiment_registry.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace dlkit {

std::string RegistryPath(absl::string_view dlkit_home) {
  if (dlkit_home.empty()) return "registry.db";
  return absl::StrCat(dlkit_home, absl::EndsWith(dlkit_home, "/") ? "" : "/", "registry.db");
}

}  // namespace dlkit
