#include "services/common/install_paths.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace dlkit {

std::string ExecutableDirectory() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "." : exe.parent_path().string();
}

std::string FindInstalledFile(const std::vector<std::string>& installed_paths,
                              const std::string& runfiles_path) {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  const fs::path dir = ExecutableDirectory();
  for (const std::string& p : installed_paths) candidates.push_back(dir / p);
  // A runfiles tree named by the environment (a test's own, stable one) comes before the
  // binary's shared one in bazel-out, which a concurrent build may be rewriting.
  for (const char* var : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    const char* root = std::getenv(var);
    if (root != nullptr && *root != '\0') candidates.push_back(fs::path(root) / runfiles_path);
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(fs::path(exe.string() + ".runfiles") / runfiles_path);
  for (const fs::path& candidate : candidates) {
    if (fs::exists(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
  }
  return "";
}

std::string ReporterBinary(const std::string& given) {
  if (!given.empty()) return given;
  return FindInstalledFile({"dlkit-reporter"}, "dlkit/services/reporter/dlkit-reporter");
}

std::string PythonPath(const std::string& given) {
  if (!given.empty()) return given;
  return FindInstalledFile({"../python"}, "dlkit/client/python");
}

}  // namespace dlkit
