#ifndef DLKIT_SERVICES_COMMON_INSTALL_PATHS_H_
#define DLKIT_SERVICES_COMMON_INSTALL_PATHS_H_

// Finding dlkit's own files (dlkit-reporter, the Python packages) from where the running
// binary lives: an installed tree (bin/ beside python/), a Bazel runfiles tree, or
// bazel-bin itself.

#include <string>
#include <vector>

namespace dlkit {

// The folder of the running executable.
std::string ExecutableDirectory();

// The first candidate that exists, among paths relative to the executable's folder (an
// installed tree), $RUNFILES_DIR / $TEST_SRCDIR, and the executable's own runfiles. `runfiles_path`
// is relative to the runfiles root ("dlkit/services/reporter/dlkit-reporter"); `installed_path`
// relative to the executable's folder ("dlkit-reporter"). "" when nothing exists.
std::string FindInstalledFile(const std::vector<std::string>& installed_paths,
                              const std::string& runfiles_path);

// dlkit-reporter and the Python packages local trials need: `given` when set (a flag),
// else where FindInstalledFile finds them ("" when it does not).
std::string ReporterBinary(const std::string& given);
std::string PythonPath(const std::string& given);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_INSTALL_PATHS_H_
