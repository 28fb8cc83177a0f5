// ManagerSession against a real gRPC ManagerService that goes away and comes back, as a
// restarting daemon does: what the trainer reported meanwhile is kept (in memory, then in
// the spill file), the trainer is not held up, and every report reaches the next Manager.

#include "services/reporter/manager_session.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <vector>

#include "base/testing/wait_for.h"
#include "services/common/server_runner.h"

namespace dlkit {
namespace {

using testing::WaitFor;

// Sends parameters on hello, acks every metric, closes the stream after the exit.
class AckingManager final : public v1::ManagerService::Service {
 public:
  grpc::Status TrialSession(grpc::ServerContext* context,
                            grpc::ServerReaderWriter<v1::TrialSessionResponse,
                                                     v1::TrialSessionRequest>* stream) override {
    v1::TrialSessionRequest request;
    while (stream->Read(&request)) {
      v1::TrialSessionResponse response;
      if (request.has_hello()) {
        response.mutable_parameters();
        stream->Write(response);
      } else if (request.has_metric()) {
        {
          absl::MutexLock lock(&mu);
          seen.push_back(request.metric().seq());
        }
        response.set_ack_seq(request.metric().seq());
        stream->Write(response);
      } else if (request.has_exit()) {
        absl::MutexLock lock(&mu);
        exited = true;
        return grpc::Status::OK;
      }
    }
    return grpc::Status::OK;
  }

  std::set<int64_t> Distinct() {
    absl::MutexLock lock(&mu);
    return std::set<int64_t>(seen.begin(), seen.end());
  }

  absl::Mutex mu;
  std::vector<int64_t> seen ABSL_GUARDED_BY(mu);
  bool exited ABSL_GUARDED_BY(mu) = false;
};

TEST_CASE("Reports made while the Manager is away are kept, spilled, and delivered") {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("session-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto first = std::make_unique<AckingManager>();
  absl::StatusOr<StartedServer> server = StartServer("127.0.0.1:0", {first.get()});
  REQUIRE(server.ok());
  const int port = server->port;

  ManagerSession::Options options;
  options.manager_address = "127.0.0.1:" + std::to_string(port);
  options.trial_id = "t1";
  options.reconnect_window = absl::Seconds(30);
  options.max_unacked_in_memory = 3;
  options.spill_path = dir + "/spill";
  std::unique_ptr<ManagerSession> session = ManagerSession::Start(options, nullptr);
  for (int i = 0; i < 2; ++i) {
    REQUIRE(session->Report(v1::INTERMEDIATE, i, "default", absl::Seconds(10)).ok());
  }
  CHECK(first->Distinct() == std::set<int64_t>{1, 2});

  server->server->Shutdown(std::chrono::system_clock::now());
  server->server->Wait();
  // The Manager is away: each report is kept here and answered at once.
  for (int i = 2; i < 12; ++i) {
    const absl::Time start = absl::Now();
    REQUIRE(session->Report(v1::INTERMEDIATE, i, "default", absl::Seconds(10)).ok());
    CHECK(absl::Now() - start < absl::Seconds(2));
  }
  CHECK(std::filesystem::file_size(options.spill_path) > 0);  // beyond 3 in memory

  AckingManager second;
  absl::StatusOr<StartedServer> again = StartServer(options.manager_address, {&second});
  REQUIRE(again.ok());
  std::set<int64_t> expected;
  for (int64_t seq = 3; seq <= 12; ++seq) expected.insert(seq);
  REQUIRE(WaitFor([&] { return second.Distinct() == expected; }, 30));
  // Acked, so dropped: the spill file is empty again.
  REQUIRE(WaitFor([&] { return std::filesystem::file_size(options.spill_path) == 0; }, 10));

  v1::TrialExit exit;
  REQUIRE(session->Finish(exit, absl::Seconds(10)).ok());
  {
    absl::MutexLock lock(&second.mu);
    CHECK(second.exited);
  }
  session.reset();
  again->server->Shutdown(std::chrono::system_clock::now());
  std::filesystem::remove_all(dir);
}

TEST_CASE("A session the Manager never took waits for it; it does not keep reports blindly") {
  ManagerSession::Options options;
  options.manager_address = "127.0.0.1:1";  // nothing listens
  options.trial_id = "t1";
  options.reconnect_window = absl::Seconds(30);
  std::unique_ptr<ManagerSession> session = ManagerSession::Start(options, nullptr);
  // Without a Manager that knows the trial, "kept" would promise what nobody may accept.
  CHECK_FALSE(session->Report(v1::INTERMEDIATE, 1, "default", absl::Milliseconds(300)).ok());
}

}  // namespace
}  // namespace dlkit
