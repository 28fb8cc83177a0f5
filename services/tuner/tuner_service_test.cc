#include "services/tuner/tuner_service.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <set>

#include "grpcpp/grpcpp.h"
#include "services/common/server_runner.h"
#include "services/tuner/algo_conversion.h"
#include "tuner_algos/sampling.h"

namespace dlkit {
namespace {

v1::StudyConfig RandomStudy() {
  v1::StudyConfig config;
  v1::ParameterSpec* lr = config.mutable_search_space()->add_parameters();
  lr->set_name("lr");
  lr->set_distribution(v1::LOGUNIFORM);
  lr->add_args(1e-4);
  lr->add_args(1e-1);
  v1::ParameterSpec* layers = config.mutable_search_space()->add_parameters();
  layers->set_name("layers");
  layers->set_distribution(v1::RANDINT);
  layers->add_args(1);
  layers->add_args(5);
  config.mutable_tuner()->set_name("Random");
  config.set_seed(7);
  return config;
}

struct TunerFixture {
  TunerFixture() {
    server = StartInProcessServer({&service});
    stub = v1::TunerService::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  }
  ~TunerFixture() { server->Shutdown(); }

  grpc::Status Suggest(const v1::SuggestRequest& request, v1::SuggestResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub->Suggest(&context, request, response);
  }

  TunerServiceImpl service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::TunerService::Stub> stub;
};

TEST_CASE("Suggest returns parameters inside the space", "[tuner]") {
  TunerFixture fixture;
  v1::SuggestRequest request;
  request.set_experiment_id("exp1");
  *request.mutable_config() = RandomStudy();
  request.set_count(4);
  v1::SuggestResponse response;
  grpc::Status status = fixture.Suggest(request, &response);
  REQUIRE(status.ok());
  REQUIRE(response.parameters_size() == 4);
  algos::SearchSpace space = ToAlgoSpace(request.config().search_space());
  std::set<double> learning_rates;
  for (const v1::ParameterSet& p : response.parameters()) {
    CHECK(algos::Contains(space, ToAlgoAssignment(p)));
    learning_rates.insert(p.values().at("lr").double_value());
    CHECK(p.values().at("layers").kind_case() == v1::ParameterValue::kIntValue);
  }
  CHECK(learning_rates.size() == 4);
}

TEST_CASE("A tuner that lost its memory asks for the full history", "[tuner]") {
  TunerFixture fixture;
  v1::SuggestRequest request;
  request.set_experiment_id("exp2");
  *request.mutable_config() = RandomStudy();
  request.set_count(1);
  request.mutable_history()->set_base_version(5);  // the tuner has nothing: a mismatch
  request.mutable_history()->set_new_version(6);
  v1::SuggestResponse response;
  grpc::Status status = fixture.Suggest(request, &response);
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(status.error_message().find("resend the full history") != std::string::npos);

  // The full history from version 0 is accepted, and later updates go on from there.
  request.mutable_history()->set_base_version(0);
  v1::TrialRecord* record = request.mutable_history()->add_records();
  record->set_trial_id("t1");
  record->set_index(1);
  record->set_state(v1::SUCCEEDED);
  (*record->mutable_parameters()->mutable_values())["lr"].set_double_value(0.01);
  (*record->mutable_parameters()->mutable_values())["layers"].set_int_value(2);
  record->set_has_final(true);
  record->set_final_value(0.5);
  REQUIRE(fixture.Suggest(request, &response).ok());
  CHECK(response.known_version() == 6);

  v1::SuggestRequest next = request;
  next.mutable_history()->clear_records();
  next.mutable_history()->set_base_version(6);
  next.mutable_history()->set_new_version(6);
  REQUIRE(fixture.Suggest(next, &response).ok());
  CHECK(response.parameters_size() == 1);
}

TEST_CASE("Unknown tuner names are rejected with the known names", "[tuner]") {
  TunerFixture fixture;
  v1::SuggestRequest request;
  request.set_experiment_id("exp3");
  *request.mutable_config() = RandomStudy();
  request.mutable_config()->mutable_tuner()->set_name("NoSuchTuner");
  request.set_count(1);
  v1::SuggestResponse response;
  grpc::Status status = fixture.Suggest(request, &response);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message().find("NoSuchTuner") != std::string::npos);
  CHECK(status.error_message().find("Random") != std::string::npos);
}

}  // namespace
}  // namespace dlkit

#include "services/config/experiment_config.h"

namespace dlkit {
namespace {

TEST_CASE("The starter config of `dlctl init` names a tuner the Tuner has", "[tuner]") {
  char dir[] = "/tmp/dlkit-starter.XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  absl::StatusOr<LoadedConfig> loaded = ParseExperimentConfig(StarterConfigJson(), dir, false);
  REQUIRE(loaded.ok());
  v1::StudyConfig config;
  *config.mutable_search_space() = loaded->spec.search_space();
  *config.mutable_tuner() = loaded->spec.tuner();
  *config.mutable_objective() = loaded->spec.objective();
  StudyRegistry studies;
  absl::Status valid = studies.Validate(config);
  INFO(valid.message());
  CHECK(valid.ok());
}

}  // namespace
}  // namespace dlkit
