#include "services/reporter/trial_process.h"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

namespace dlkit {
namespace {

std::string TempLog() {
  char dir[] = "/tmp/dlkit-tp-test.XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  return std::string(dir) + "/trial.log";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST_CASE("A trial's output goes to its log and its exit code comes back", "[process]") {
  TrialProcess::Options options;
  options.command = "echo out; echo err 1>&2; echo \"$DLKIT_TEST_VALUE\"; exit 3";
  options.extra_env = {"DLKIT_TEST_VALUE=from-env"};
  options.log_path = TempLog();
  std::vector<std::string> lines;
  std::mutex mu;
  options.on_stdout_line = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back(line);
  };
  auto process = TrialProcess::Start(options);
  REQUIRE(process.ok());
  TrialExitInfo info = (*process)->Wait();
  CHECK(info.exit_code == 3);
  CHECK(info.signal == 0);
  std::string log = ReadAll(options.log_path);
  CHECK(log.find("out\n") != std::string::npos);
  CHECK(log.find("err\n") != std::string::npos);
  CHECK(log.find("from-env\n") != std::string::npos);
  CHECK(lines.size() == 3);
}

TEST_CASE("A signal to the group ends the shell and its children", "[process]") {
  TrialProcess::Options options;
  options.command = "sleep 30 & sleep 30; echo never";
  options.log_path = TempLog();
  auto process = TrialProcess::Start(options);
  REQUIRE(process.ok());
  (*process)->SignalGroup(SIGTERM);
  TrialExitInfo info = (*process)->Wait();
  CHECK(info.signal == SIGTERM);
  CHECK(ReadAll(options.log_path).find("never") == std::string::npos);
}

TEST_CASE("The trial runs in its code directory", "[process]") {
  TrialProcess::Options options;
  options.command = "pwd";
  options.working_directory = "/usr";
  options.log_path = TempLog();
  auto process = TrialProcess::Start(options);
  REQUIRE(process.ok());
  CHECK((*process)->Wait().exit_code == 0);
  CHECK(ReadAll(options.log_path) == "/usr\n");
}

TEST_CASE("The log tail keeps the last lines", "[process]") {
  std::string path = TempLog();
  {
    std::ofstream out(path);
    for (int i = 1; i <= 50; ++i) out << "line " << i << "\n";
  }
  std::string tail = ReadLogTail(path, 3, 4096);
  CHECK(tail == "line 48\nline 49\nline 50");
  CHECK(ReadLogTail(path, 100, 20).size() <= 20);
  CHECK(ReadLogTail("/nonexistent/file", 3, 100).empty());
}

TEST_CASE("Metric lines printed by a trial are recognised", "[process]") {
  StdoutMetric metric;
  REQUIRE(ParseStdoutMetric("[dlkit] intermediate_result: 0.93", &metric));
  CHECK(metric.kind == "intermediate_result");
  CHECK(metric.value == Approx(0.93));
  REQUIRE(ParseStdoutMetric("[dlkit] final_result: -1e-3\r", &metric));
  CHECK(metric.kind == "final_result");
  CHECK(metric.value == Approx(-1e-3));
  REQUIRE(ParseStdoutMetric("[dlkit] loss: 2", &metric));
  CHECK(metric.kind == "loss");
  CHECK_FALSE(ParseStdoutMetric("[dlkit] loss: abc", &metric));
  CHECK_FALSE(ParseStdoutMetric("epoch 3 loss: 0.2", &metric));
  CHECK_FALSE(ParseStdoutMetric("[dlkit] accuracy: 0.2", &metric));
}

}  // namespace
}  // namespace dlkit

namespace dlkit {
namespace {

TEST_CASE("A missing code directory is an error that names it", "[process]") {
  TrialProcess::Options options;
  options.command = "true";
  options.working_directory = "/nonexistent/code/dir";
  options.log_path = TempLog();
  auto process = TrialProcess::Start(options);
  REQUIRE_FALSE(process.ok());
  CHECK(std::string(process.status().message()).find("/nonexistent/code/dir") != std::string::npos);
}

TEST_CASE("A signal sent at once after the start still ends the trial", "[process]") {
  // The child must never run with our handlers (Catch2 installs some for SIGTERM).
  for (int i = 0; i < 20; ++i) {
    TrialProcess::Options options;
    options.command = "sleep 30";
    options.log_path = TempLog();
    auto process = TrialProcess::Start(options);
    REQUIRE(process.ok());
    (*process)->SignalGroup(SIGTERM);
    CHECK((*process)->Wait().signal == SIGTERM);
  }
}

}  // namespace
}  // namespace dlkit
