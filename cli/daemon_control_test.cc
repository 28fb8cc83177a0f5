// Finding and starting the daemon, with fake_dlkitd (a real process serving the fake) and
// small shell scripts standing in for a broken dlkitd.

#include "cli/daemon_control.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/testing/fake_dlkit_server.h"

namespace dlkit::cli {
namespace {

namespace fs = std::filesystem;

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// A fresh folder under the test's temp dir.
std::string NewDir(const std::string& name) {
  std::string dir = absl::StrCat(TempDir(), "/", name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string WriteScript(const std::string& path, const std::string& body) {
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  chmod(path.c_str(), 0755);
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An address nothing listens on: bind a port, then free it.
std::string FreeAddress() {
  auto server = testing::FakeDlkitServer::Start();
  REQUIRE(server.ok());
  return (*server)->address();
}

std::function<std::optional<std::string>(const std::string&)> Env(
    std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::unique_ptr<LauncherStub> LauncherAt(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  return v1::LauncherService::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
}

// The pid in "started dlkitd (pid N, ...".
int StartedPid(const std::string& err) {
  size_t at = err.find("(pid ");
  if (at == std::string::npos) return 0;
  int pid = 0;
  std::string digits;
  for (size_t i = at + 5; i < err.size() && isdigit(err[i]); ++i) digits += err[i];
  return absl::SimpleAtoi(digits, &pid) ? pid : 0;
}

TEST_CASE("IsLocalAddress") {
  CHECK(IsLocalAddress("127.0.0.1:9870"));
  CHECK(IsLocalAddress("localhost:1"));
  CHECK(IsLocalAddress("[::1]:9870"));
  CHECK(IsLocalAddress("ipv4:127.0.0.2:5"));
  CHECK(IsLocalAddress("unix:/tmp/sock"));
  CHECK_FALSE(IsLocalAddress("10.0.0.5:9870"));
  CHECK_FALSE(IsLocalAddress("dlkit.example.com:443"));
}

TEST_CASE("TailFile keeps the last lines") {
  std::string path = TempDir() + "/tail.log";
  std::ofstream(path) << "one\ntwo\nthree\nfour\n";
  CHECK(TailFile(path, 2) == "three\nfour\n");
  CHECK(TailFile(path, 10) == "one\ntwo\nthree\nfour\n");
  CHECK(TailFile(TempDir() + "/missing.log", 3).empty());
}

TEST_CASE("FindDaemonBinary: env, beside dlctl, runfiles, PATH, in that order") {
  std::string dir = NewDir("find");
  std::string self = dir + "/bin/dlctl";
  fs::create_directories(dir + "/bin");
  fs::create_directories(self + ".runfiles/dlkit/services/daemon");
  fs::create_directories(dir + "/path");
  std::string in_path = WriteScript(dir + "/path/dlkitd", "exit 0");
  std::string in_runfiles = WriteScript(self + ".runfiles/dlkit/services/daemon/dlkitd", "exit 0");
  std::string beside = WriteScript(dir + "/bin/dlkitd", "exit 0");
  std::string from_env = WriteScript(dir + "/custom-daemon", "exit 0");

  DaemonOptions options;
  options.self_exe = self;
  options.env = Env({{"DLKIT_DAEMON_BIN", from_env}, {"PATH", "/nowhere:" + dir + "/path"}});
  CHECK(*FindDaemonBinary(options) == from_env);
  options.env = Env({{"PATH", "/nowhere:" + dir + "/path"}});
  CHECK(*FindDaemonBinary(options) == beside);
  fs::remove(beside);
  CHECK(*FindDaemonBinary(options) == in_runfiles);
  fs::remove(in_runfiles);
  CHECK(*FindDaemonBinary(options) == in_path);
  fs::remove(in_path);
  absl::StatusOr<std::string> none = FindDaemonBinary(options);
  CHECK(none.status().code() == absl::StatusCode::kNotFound);
  CHECK(absl::StrContains(none.status().message(), dir + "/bin/dlkitd"));
  CHECK(absl::StrContains(none.status().message(), "DLKIT_DAEMON_BIN"));

  // A DLKIT_DAEMON_BIN that is not executable is an error, not skipped.
  std::ofstream(dir + "/not-exec") << "x";
  options.env = Env({{"DLKIT_DAEMON_BIN", dir + "/not-exec"}});
  CHECK(FindDaemonBinary(options).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("EnsureDaemon starts dlkitd detached, finds it running the second time; stop ends it") {
  std::string home = NewDir("home-ok");
  std::string address = FreeAddress();
  std::string binary = fs::absolute("cli/fake_dlkitd").string();
  REQUIRE(fs::exists(binary));
  DaemonOptions options;
  options.address = address;
  options.home = home;
  options.env = Env({{"DLKIT_DAEMON_BIN", binary}});
  options.start_timeout = absl::Seconds(20);
  std::unique_ptr<LauncherStub> launcher = LauncherAt(address);

  std::stringstream err;
  absl::StatusOr<v1::GetDaemonStatusResponse> status = EnsureDaemon(launcher.get(), options, err);
  REQUIRE(status.ok());
  int pid = static_cast<int>(status->pid());
  CHECK(pid != getpid());
  CHECK(StartedPid(err.str()) == pid);
  CHECK(getsid(pid) == pid);  // leads its own session
  std::string log = ReadFile(home + "/daemon.log");
  CHECK(absl::StrContains(log, "--home=" + home));
  CHECK(absl::StrContains(log, "fake_dlkitd listening on " + address));

  std::stringstream again;
  absl::StatusOr<v1::GetDaemonStatusResponse> second = EnsureDaemon(launcher.get(), options, again);
  REQUIRE(second.ok());
  CHECK(second->pid() == pid);
  CHECK(again.str().empty());

  CommandContext ctx;
  ctx.err = &err;
  ctx.address = address;
  ctx.rpc_timeout = absl::Seconds(5);
  std::stringstream out;
  REQUIRE(RunDaemon(launcher.get(), DaemonAction::kStatus, options, ctx, out).ok());
  CHECK(absl::StrContains(out.str(), absl::StrCat(pid, "\n")));
  CHECK(absl::StrContains(out.str(), "fake-1.0"));
  REQUIRE(RunDaemon(launcher.get(), DaemonAction::kStop, options, ctx, out).ok());
  CHECK(absl::StrContains(out.str(), "stopped"));
  int wstatus = 0;
  REQUIRE(waitpid(pid, &wstatus, 0) == pid);
  CHECK(WIFEXITED(wstatus));
  CHECK(WEXITSTATUS(wstatus) == 0);

  absl::Status gone = RunDaemon(launcher.get(), DaemonAction::kStatus, options, ctx, out);
  CHECK(gone.code() == absl::StatusCode::kUnavailable);
  CHECK(gone.message() == "no daemon answers at " + address);
  std::stringstream stop_again;
  REQUIRE(RunDaemon(launcher.get(), DaemonAction::kStop, options, ctx, stop_again).ok());
  CHECK(absl::StrContains(stop_again.str(), "nothing to stop"));
}

TEST_CASE("a dlkitd that exits at once: the error says so and shows its log") {
  std::string home = NewDir("home-crash");
  DaemonOptions options;
  options.address = FreeAddress();
  options.home = home;
  options.env = Env(
      {{"DLKIT_DAEMON_BIN", WriteScript(home + "/crash", "echo \"boom: bad flag $1\"; exit 3")}});
  std::unique_ptr<LauncherStub> launcher = LauncherAt(options.address);
  std::stringstream err;
  absl::Time start = absl::Now();
  absl::StatusOr<v1::GetDaemonStatusResponse> status = EnsureDaemon(launcher.get(), options, err);
  CHECK(absl::Now() - start < absl::Seconds(10));  // noticed the exit, did not wait it out
  CHECK(status.status().code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(status.status().message(), "exited with code 3"));
  CHECK(absl::StrContains(err.str(), "boom: bad flag --home=" + home));
}

TEST_CASE("a dlkitd that never answers: DEADLINE_EXCEEDED after start_timeout, with its log") {
  std::string home = NewDir("home-hang");
  DaemonOptions options;
  options.address = FreeAddress();
  options.home = home;
  options.start_timeout = absl::Seconds(1);
  options.env = Env(
      {{"DLKIT_DAEMON_BIN", WriteScript(home + "/hang", "echo still starting; exec sleep 30")}});
  std::unique_ptr<LauncherStub> launcher = LauncherAt(options.address);
  std::stringstream err;
  absl::StatusOr<v1::GetDaemonStatusResponse> status = EnsureDaemon(launcher.get(), options, err);
  int pid = StartedPid(err.str());
  REQUIRE(pid > 0);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  CHECK(status.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(absl::StrContains(status.status().message(), "did not answer at " + options.address));
  CHECK(absl::StrContains(err.str(), "still starting"));
}

TEST_CASE("no daemon is started for a remote address") {
  DaemonOptions options;
  options.address = "192.0.2.1:9870";  // TEST-NET-1: never answers
  options.home = NewDir("home-remote");
  options.probe_timeout = absl::Milliseconds(300);
  options.env = Env({{"DLKIT_DAEMON_BIN", "/bin/true"}});
  std::unique_ptr<LauncherStub> launcher = LauncherAt(options.address);
  std::stringstream err;
  absl::StatusOr<v1::GetDaemonStatusResponse> status = EnsureDaemon(launcher.get(), options, err);
  CHECK(status.status().code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(status.status().message(), "not a local address"));
  CHECK_FALSE(fs::exists(options.home + "/daemon.log"));
}

}  // namespace
}  // namespace dlkit::cli
