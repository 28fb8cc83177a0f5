#ifndef DLKIT_SERVICES_COMMON_PRIVATE_FILES_H_
#define DLKIT_SERVICES_COMMON_PRIVATE_FILES_H_

// DLKIT_HOME holds the daemon's databases, trial logs and (later) its token: it is the
// user's alone. Folders are 0700 and files 0600, whatever the umask the daemon was started
// with; trials get that umask back for what they write themselves.

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dlkit {

// Creates `path` and its missing parents as 0700. An existing folder that others may enter
// or read is tightened to 0700; the returned text then says so, for a warning ("" when
// nothing needed tightening).
absl::StatusOr<std::string> MakePrivateDirectory(const std::string& path);

// OK when `id` (an experiment's or a trial's, from a request) can name a folder under
// DLKIT_HOME: 1 to 64 letters, digits, '-' or '_'. INVALID_ARGUMENT naming `what` otherwise,
// so that "../.." or "a/b" never reaches a path.
absl::Status CheckPathSafeId(absl::string_view what, absl::string_view id);

// Sets this process's umask to 077, so that every file and folder it creates is private, and
// exports the previous one as DLKIT_USER_UMASK for the trials it starts.
void UsePrivateUmask();

// The umask a trial should run with: DLKIT_USER_UMASK (octal) when set, else the current.
mode_t TrialUmask();

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_PRIVATE_FILES_H_
