#ifndef DLKIT_SERVICES_COMMON_SPAWN_H_
#define DLKIT_SERVICES_COMMON_SPAWN_H_

// Starting a child process from a multi-threaded one. posix_spawn rather than fork: none of
// our code (no signal handler, no lock another thread held) ever runs in the child, every
// signal starts at its default, and it is cheaper.

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dlkit {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::vector<std::string> env;   // the whole environment, "KEY=VALUE"
  // stdout and stderr go to this file (appended), or to this descriptor when >= 0.
  std::string output_path;
  int output_fd = -1;
  std::string working_directory;  // "" = ours
  bool new_process_group = false;
};

// The child's pid; an error naming the program (or the folder) when it cannot start.
absl::StatusOr<pid_t> Spawn(const SpawnOptions& options);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_SPAWN_H_
