#include "services/manager/tuner_client.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "services/common/server_runner.h"

namespace dlkit {
namespace {

// A Tuner that records what it was sent and, once, says it lost its memory.
class RecordingTuner final : public v1::TunerService::Service {
 public:
  grpc::Status Suggest(grpc::ServerContext*, const v1::SuggestRequest* request,
                       v1::SuggestResponse* response) override {
    updates.push_back(request->history());
    if (!fail_with.ok()) return fail_with;
    if (forget_next) {
      forget_next = false;
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "restarted");
    }
    for (int i = 0; i < request->count(); ++i) response->add_parameters();
    return grpc::Status::OK;
  }
  grpc::Status Assess(grpc::ServerContext*, const v1::AssessRequest* request,
                      v1::AssessResponse* response) override {
    updates.push_back(request->history());
    response->set_decision(request->trial_id() == "stop-me" ? v1::STOP : v1::CONTINUE);
    return grpc::Status::OK;
  }

  std::vector<v1::HistoryUpdate> updates;
  bool forget_next = false;
  grpc::Status fail_with = grpc::Status::OK;
};

std::vector<std::string> Ids(const v1::HistoryUpdate& update) {
  std::vector<std::string> ids;
  for (const v1::TrialRecord& r : update.records()) ids.push_back(r.trial_id());
  return ids;
}

struct Fixture {
  Fixture() {
    server = StartInProcessServer({&tuner});
    stub = v1::TunerService::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
    client = std::make_unique<TunerClient>(
        "exp", stub.get(),
        [this](const std::string& id, v1::TrialRecord* record) {
          record->set_final_value(finals[id]);
        },
        [this] {
          std::vector<std::string> ids;
          for (const auto& [id, value] : finals) ids.push_back(id);
          return ids;
        });
  }
  ~Fixture() { server->Shutdown(); }
  void Add(const std::string& id, double value) {
    finals[id] = value;
    client->MarkChanged(id);
  }

  RecordingTuner tuner;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::TunerService::Stub> stub;
  std::map<std::string, double> finals;
  std::unique_ptr<TunerClient> client;
};

TEST_CASE("Each call sends only what changed since the Tuner's last answer") {
  Fixture f;
  f.Add("a", 1);
  f.Add("b", 2);
  REQUIRE(f.client->Suggest(v1::StudyConfig(), 2, nullptr).ok());
  REQUIRE(f.client->Suggest(v1::StudyConfig(), 1, nullptr).ok());
  f.Add("c", 3);
  f.Add("a", 4);
  absl::StatusOr<v1::AssessResponse> assessed =
      f.client->Assess(v1::StudyConfig(), "stop-me", nullptr);
  REQUIRE(assessed.ok());
  CHECK(assessed->decision() == v1::STOP);
  REQUIRE(f.tuner.updates.size() == 3);
  CHECK(Ids(f.tuner.updates[0]) == std::vector<std::string>{"a", "b"});
  CHECK(f.tuner.updates[0].base_version() == 0);
  CHECK(Ids(f.tuner.updates[1]).empty());  // nothing changed
  CHECK(f.tuner.updates[1].base_version() == f.tuner.updates[0].new_version());
  CHECK(Ids(f.tuner.updates[2]) == std::vector<std::string>{"a", "c"});
  CHECK(f.tuner.updates[2].records(0).final_value() == 4);  // as the trial is now
}

TEST_CASE("A Tuner that lost its memory gets the whole history once") {
  Fixture f;
  f.Add("a", 1);
  REQUIRE(f.client->Suggest(v1::StudyConfig(), 1, nullptr).ok());
  f.Add("b", 2);
  f.tuner.forget_next = true;
  absl::StatusOr<v1::SuggestResponse> suggested = f.client->Suggest(v1::StudyConfig(), 3, nullptr);
  REQUIRE(suggested.ok());
  CHECK(suggested->parameters_size() == 3);
  REQUIRE(f.tuner.updates.size() == 3);
  CHECK(Ids(f.tuner.updates[1]) == std::vector<std::string>{"b"});  // refused
  CHECK(f.tuner.updates[2].base_version() == 0);
  CHECK(Ids(f.tuner.updates[2]) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("Errors other than a lost memory come back as they are, and nothing is dropped") {
  Fixture f;
  f.Add("a", 1);
  f.tuner.fail_with = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unknown tuner \"TPF\"");
  absl::StatusOr<v1::SuggestResponse> failed = f.client->Suggest(v1::StudyConfig(), 1, nullptr);
  CHECK(failed.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(failed.status().message() == "unknown tuner \"TPF\"");
  f.tuner.fail_with = grpc::Status::OK;
  REQUIRE(f.client->Suggest(v1::StudyConfig(), 1, nullptr).ok());
  REQUIRE(f.tuner.updates.size() == 2);
  CHECK(Ids(f.tuner.updates[1]) == std::vector<std::string>{"a"});  // sent again
}

TEST_CASE("StudyConfigOf carries the spec's space, algorithms, objective and seed") {
  v1::ExperimentSpec spec;
  spec.mutable_search_space()->add_parameters()->set_name("lr");
  spec.mutable_tuner()->set_name("TPE");
  spec.mutable_assessor()->set_name("Medianstop");
  spec.mutable_objective()->set_metric("acc");
  spec.set_seed(7);
  spec.set_trial_command("python3 train.py");
  const v1::StudyConfig config = StudyConfigOf(spec);
  CHECK(config.search_space().parameters(0).name() == "lr");
  CHECK(config.tuner().name() == "TPE");
  CHECK(config.assessor().name() == "Medianstop");
  CHECK(config.objective().metric() == "acc");
  CHECK(config.seed() == 7);
}

}  // namespace
}  // namespace dlkit
