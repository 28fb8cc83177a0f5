#ifndef DLKIT_CLI_DLCTL_H_
#define DLKIT_CLI_DLCTL_H_

// dlctl as a function: argv in, text out, exit code back. dlctl_main.cc feeds it the real
// process state; tests feed it their own.

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace dlkit::cli {

struct CliEnvironment {
  // Environment variables (DLKIT_ADDRESS, DLKIT_HOME, HOME, DLKIT_DAEMON_BIN, PATH).
  std::function<std::optional<std::string>(const std::string&)> env;
  bool stdout_is_tty = false;
  int terminal_width = 0;
  std::string self_exe;  // this binary (to find dlkitd beside it)
};

// `args` excludes argv[0]. Returns the exit code: 0 ok, 1 error, 2 usage or invalid input.
int RunDlctl(const std::vector<std::string>& args, const CliEnvironment& environment,
             std::ostream& out, std::ostream& err);

}  // namespace dlkit::cli

#endif  // DLKIT_CLI_DLCTL_H_
