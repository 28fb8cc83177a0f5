#include "services/common/private_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dlkit {

absl::StatusOr<std::string> MakePrivateDirectory(const std::string& path) {
  const mode_t old_mask = umask(077);  // parents created here are private too
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  umask(old_mask);
  if (ec) {
    return absl::PermissionDeniedError(absl::StrCat("cannot create ", path, ": ", ec.message()));
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::PermissionDeniedError(absl::StrCat("cannot read ", path, ": ", strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a folder"));
  }
  const mode_t mode = st.st_mode & 07777;
  if ((mode & 077) == 0) return std::string();
  if (chmod(path.c_str(), 0700) != 0) {
    return absl::PermissionDeniedError(
        absl::StrFormat("%s is open to other users (mode %04o) and cannot be made private: %s",
                        path, mode, strerror(errno)));
  }
  return absl::StrFormat(
      "%s was open to other users (mode %04o); it is 0700 now, as dlkit keeps its databases, "
      "logs and credentials there",
      path, mode);
}

absl::Status CheckPathSafeId(absl::string_view what, absl::string_view id) {
  bool safe = !id.empty() && id.size() <= 64;
  for (char c : id) {
    safe = safe && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
  }
  if (safe) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, " id \"", absl::CEscape(id.substr(0, 80)), id.size() > 80 ? "..." : "",
                   "\" is not one dlkit gives (1 to 64 letters, digits, '-' and '_')"));
}

void UsePrivateUmask() {
  const mode_t previous = umask(077);
  // Only the first call records the user's own umask (a daemon started by a daemon keeps it).
  setenv("DLKIT_USER_UMASK", absl::StrFormat("%03o", previous).c_str(), /*overwrite=*/0);
}

mode_t TrialUmask() {
  const char* text = std::getenv("DLKIT_USER_UMASK");
  if (text != nullptr && *text != '\0') {
    char* end = nullptr;
    const long value = std::strtol(text, &end, 8);
    if (end != nullptr && *end == '\0' && value >= 0 && value <= 0777) {
      return static_cast<mode_t>(value);
    }
  }
  const mode_t current = umask(0);
  umask(current);
  return current;
}

}  // namespace dlkit
