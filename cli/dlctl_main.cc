// dlctl: the command-line client of the dlkit daemon. See `dlctl help`.

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "cli/dlctl.h"

int main(int argc, char** argv) {
  dlkit::cli::CliEnvironment environment;
  environment.env = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  environment.stdout_is_tty = isatty(STDOUT_FILENO) == 1;
  struct winsize size {};
  if (environment.stdout_is_tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0) {
    environment.terminal_width = size.ws_col;
  }
  std::error_code ec;
  environment.self_exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  std::vector<std::string> args(argv + 1, argv + argc);
  return dlkit::cli::RunDlctl(args, environment, std::cout, std::cerr);
}
