#include "base/logging.h"

#include <unistd.h>

#include <cerrno>

namespace dlkit {
namespace {

std::string& Name() {
  static std::string* name = new std::string("dlkit");
  return *name;
}

}  // namespace

void SetProgramName(absl::string_view name) { Name() = std::string(name); }

const std::string& ProgramName() { return Name(); }

LogLine::~LogLine() {
  std::string line = Name() + ": " + text_.str();
  if (line.empty() || line.back() != '\n') line.push_back('\n');
  // One write(2): lines from several threads never interleave.
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace dlkit
