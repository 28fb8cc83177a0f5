#ifndef DLKIT_BASE_LOGGING_H_
#define DLKIT_BASE_LOGGING_H_

// One line at a time to stderr, each starting with the program's name, so that the lines of
// dlkitd, dlkit-manager, dlkit-reporter and dlkit-tuner read alike in a shared log:
//
//   SetProgramName("dlkitd");            // once, in main
//   Log() << "cannot open " << path;     // "dlkitd: cannot open /x\n", written in one piece
//
// Threads may log at once: a line is written with a single call, so lines do not interleave.

#include <sstream>
#include <string>

#include "absl/strings/string_view.h"

namespace dlkit {

void SetProgramName(absl::string_view name);
const std::string& ProgramName();

class LogLine {
 public:
  LogLine() = default;
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  ~LogLine();

  template <typename T>
  LogLine& operator<<(const T& value) {
    text_ << value;
    return *this;
  }

 private:
  std::ostringstream text_;
};

// A line that is written when the statement ends.
inline LogLine Log() { return {}; }

}  // namespace dlkit

#endif  // DLKIT_BASE_LOGGING_H_
