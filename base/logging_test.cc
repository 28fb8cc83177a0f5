#include "base/logging.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace dlkit {
namespace {

// Runs `body` with stderr sent to a file; returns what it wrote.
template <typename Body>
std::string CaptureStderr(Body body) {
  char path[] = "/tmp/dlkit-logging-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  const int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  body();
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  unlink(path);
  return text.str();
}

TEST_CASE("Log writes one line with the program's name") {
  SetProgramName("dlkit-test");
  const std::string out = CaptureStderr([] { Log() << "cannot open " << 42 << " files"; });
  CHECK(out == "dlkit-test: cannot open 42 files\n");
  CHECK(CaptureStderr([] { Log() << "ends with its own newline\n"; }) ==
        "dlkit-test: ends with its own newline\n");
}

TEST_CASE("Lines from several threads never interleave") {
  SetProgramName("t");
  const std::string line(200, 'x');
  const std::string out = CaptureStderr([&] {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 200; ++i) Log() << line;
      });
    }
    for (std::thread& thread : threads) thread.join();
  });
  std::istringstream lines(out);
  int count = 0;
  for (std::string got; std::getline(lines, got); ++count) REQUIRE(got == "t: " + line);
  CHECK(count == 800);
}

}  // namespace
}  // namespace dlkit
