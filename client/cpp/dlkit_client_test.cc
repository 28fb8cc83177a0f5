#include "client/cpp/dlkit_client.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"

namespace dlkit::trial {
namespace {

constexpr char kSecret[] = "cc-secret-3";

// A ReporterService that records what arrives, checks the secret, and answers
// should_stop once `stop_after` reports arrived; stands in for the real
// Reporter.
class FakeReporter final : public v1::ReporterService::CallbackService {
 public:
  struct Received {
    v1::MetricKind kind;
    double value;
    std::string metric_name;
  };

  explicit FakeReporter(v1::ParameterSet params, int stop_after = -1, int unavailable_first = 0)
      : params_(std::move(params)), stop_after_(stop_after), unavailable_left_(unavailable_first) {}

  grpc::ServerUnaryReactor* GetParameters(grpc::CallbackServerContext* context,
                                          const v1::GetParametersRequest* request,
                                          v1::GetParametersResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    grpc::Status status = Enter("GetParameters", request->secret());
    if (status.ok()) {
      response->set_trial_id("cc-trial");
      response->set_experiment_id("cc-exp");
      response->set_sequence(12);
      *response->mutable_parameters() = params_;
    }
    reactor->Finish(status);
    return reactor;
  }

  grpc::ServerUnaryReactor* Report(grpc::CallbackServerContext* context,
                                   const v1::ReportRequest* request,
                                   v1::ReportResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    grpc::Status status = Enter("Report", request->secret());
    if (status.ok()) {
      absl::MutexLock lock(&mu_);
      received_.push_back({request->kind(), request->value(), request->metric_name()});
      response->set_should_stop(Stopping());
    }
    reactor->Finish(status);
    return reactor;
  }

  grpc::ServerUnaryReactor* ShouldStop(grpc::CallbackServerContext* context,
                                       const v1::ShouldStopRequest* request,
                                       v1::ShouldStopResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    grpc::Status status = Enter("ShouldStop", request->secret());
    if (status.ok()) {
      absl::MutexLock lock(&mu_);
      response->set_should_stop(Stopping());
    }
    reactor->Finish(status);
    return reactor;
  }

  std::vector<Received> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  int calls(const std::string& method) {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (const std::string& m : calls_) n += m == method;
    return n;
  }
  std::vector<std::string> secrets() {
    absl::MutexLock lock(&mu_);
    return secrets_;
  }

 private:
  grpc::Status Enter(const std::string& method, const std::string& secret) {
    absl::MutexLock lock(&mu_);
    calls_.push_back(method);
    secrets_.push_back(secret);
    if (unavailable_left_ > 0) {
      --unavailable_left_;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "Reporter busy (test)");
    }
    if (secret != kSecret) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "the secret does not belong to this trial");
    }
    return grpc::Status::OK;
  }
  bool Stopping() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_after_ >= 0 && static_cast<int>(received_.size()) >= stop_after_;
  }

  const v1::ParameterSet params_;
  const int stop_after_;
  absl::Mutex mu_;
  int unavailable_left_ ABSL_GUARDED_BY(mu_);
  std::vector<Received> received_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> secrets_ ABSL_GUARDED_BY(mu_);
};

// A fresh short directory under /tmp (unix socket paths are limited to 108
// bytes).
std::string MakeTempDir() {
  char pattern[] = "/tmp/dlkit-cc-XXXXXX";
  const char* dir = mkdtemp(pattern);
  REQUIRE(dir != nullptr);
  return dir;
}

// Serves a FakeReporter on unix://<tmp>/reporter.sock for the test's lifetime.
class ReporterServer {
 public:
  explicit ReporterServer(std::unique_ptr<FakeReporter> fake) : fake_(std::move(fake)) {
    dir_ = MakeTempDir();
    address_ = absl::StrCat("unix://", dir_, "/reporter.sock");
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address_, grpc::InsecureServerCredentials());
    builder.RegisterService(fake_.get());
    server_ = builder.BuildAndStart();
    REQUIRE(server_ != nullptr);
  }
  ~ReporterServer() {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    std::remove(absl::StrCat(dir_, "/reporter.sock").c_str());
    rmdir(dir_.c_str());
  }

  FakeReporter& fake() { return *fake_; }
  const std::string& address() const { return address_; }
  TrialClientOptions Options() const {
    TrialClientOptions options;
    options.reporter_address = address_;
    options.secret = kSecret;
    options.timeout = absl::Seconds(10);
    options.backoff = absl::Milliseconds(10);
    return options;
  }

 private:
  std::unique_ptr<FakeReporter> fake_;
  std::string dir_;
  std::string address_;
  std::unique_ptr<grpc::Server> server_;
};

v1::ParameterSet TestParams() {
  absl::StatusOr<v1::ParameterSet> params = ParameterSetFromJson(
      R"({"lr": 0.003, "batch_size": 64, "optimizer": "adam", "use_bn": true,
          "model": {"_name": "cnn", "channels": 32, "dropout": 0.25}})");
  REQUIRE(params.ok());
  return *params;
}

std::vector<std::tuple<v1::MetricKind, double, std::string>> Flatten(
    const std::vector<FakeReporter::Received>& received) {
  std::vector<std::tuple<v1::MetricKind, double, std::string>> out;
  for (const FakeReporter::Received& r : received) {
    out.emplace_back(r.kind, r.value, r.metric_name);
  }
  return out;
}

TEST_CASE(
    "parameters arrive with their kinds, nested choice included, fetched "
    "once") {
  ReporterServer server(std::make_unique<FakeReporter>(TestParams()));
  TrialClient client(server.Options());
  REQUIRE_FALSE(client.standalone());
  absl::StatusOr<v1::ParameterSet> params = client.GetParameters();
  REQUIRE(params.ok());
  CHECK(GetDouble(*params, "lr", 0) == 0.003);
  CHECK(GetInt(*params, "batch_size", 0) == 64);
  CHECK(params->values().at("batch_size").has_int_value());
  CHECK(GetString(*params, "optimizer", "") == "adam");
  CHECK(GetBool(*params, "use_bn", false));
  const v1::ParameterSet* model = GetNested(*params, "model");
  REQUIRE(model != nullptr);
  CHECK(GetString(*model, "_name", "") == "cnn");
  CHECK(GetInt(*model, "channels", 0) == 32);
  CHECK(GetDouble(*model, "dropout", 0) == 0.25);
  REQUIRE(client.GetParameters().ok());
  CHECK(server.fake().calls("GetParameters") == 1);
  // Ids not in the options are asked from the Reporter (from the cached
  // answer).
  CHECK(client.TrialId() == "cc-trial");
  CHECK(client.ExperimentId() == "cc-exp");
  CHECK(client.SequenceId() == 12);
  CHECK(server.fake().calls("GetParameters") == 1);
}

TEST_CASE("all reports arrive with the secret and the right kinds") {
  ReporterServer server(std::make_unique<FakeReporter>(TestParams()));
  TrialClient client(server.Options());
  REQUIRE(client.ReportIntermediateResult(0.5).ok());
  REQUIRE(client.ReportLoss(1.25).ok());
  REQUIRE(client.ReportFinalResult(0.875).ok());
  using R = std::tuple<v1::MetricKind, double, std::string>;
  CHECK(Flatten(server.fake().received()) == std::vector<R>{R{v1::INTERMEDIATE, 0.5, "default"},
                                                            R{v1::LOSS, 1.25, "default"},
                                                            R{v1::FINAL, 0.875, "default"}});
  CHECK(server.fake().secrets() == std::vector<std::string>(3, kSecret));
}

TEST_CASE("NaN is sent as it is") {
  ReporterServer server(std::make_unique<FakeReporter>(TestParams()));
  TrialClient client(server.Options());
  REQUIRE(client.ReportLoss(std::numeric_limits<double>::quiet_NaN()).ok());
  REQUIRE(server.fake().received().size() == 1);
  CHECK(std::isnan(server.fake().received()[0].value));
}

TEST_CASE("should_stop flips after N reports and stays without asking again") {
  ReporterServer server(std::make_unique<FakeReporter>(TestParams(), /*stop_after=*/2));
  TrialClient client(server.Options());
  std::vector<bool> seen;
  for (int step = 0; step < 4; ++step) {
    seen.push_back(client.ShouldStop());
    REQUIRE(client.ReportIntermediateResult(step).ok());
  }
  seen.push_back(client.ShouldStop());
  CHECK(seen == std::vector<bool>{false, false, true, true, true});
  CHECK(server.fake().calls("ShouldStop") == 2);
}

TEST_CASE("UNAVAILABLE is retried, other errors are not") {
  ReporterServer server(std::make_unique<FakeReporter>(TestParams(), -1, /*unavailable_first=*/2));
  TrialClient client(server.Options());
  REQUIRE(client.ReportFinalResult(0.5).ok());
  CHECK(server.fake().calls("Report") == 3);
  CHECK(server.fake().received().size() == 1);

  TrialClientOptions wrong = server.Options();
  wrong.secret = "not-mine";
  TrialClient intruder(wrong);
  absl::Status status = intruder.ReportFinalResult(1.0);
  CHECK(status.code() == absl::StatusCode::kPermissionDenied);
  CHECK(status.message().find("Report to the Reporter at " + server.address()) !=
        std::string::npos);
  CHECK(server.fake().calls("Report") == 4);
  CHECK_FALSE(intruder.ShouldStop());  // a refused ShouldStop counts as "go on"
}

TEST_CASE("an unreachable Reporter gives up with UNAVAILABLE") {
  TrialClientOptions options;
  options.reporter_address = "unix:///tmp/dlkit-cc-no-such-dir/reporter.sock";
  options.secret = kSecret;
  options.timeout = absl::Seconds(2);
  options.retries = 2;
  options.backoff = absl::Milliseconds(5);
  TrialClient client(options);
  absl::StatusOr<v1::ParameterSet> params = client.GetParameters();
  CHECK(params.status().code() == absl::StatusCode::kUnavailable);
  CHECK(client.TrialId().empty());
}

TEST_CASE("standalone: reports print the exact lines") {
  std::ostringstream out;
  TrialClientOptions options;
  options.out = &out;
  TrialClient client(options);
  REQUIRE(client.standalone());
  REQUIRE(client.ReportIntermediateResult(0.93).ok());
  REQUIRE(client.ReportLoss(0.12).ok());
  REQUIRE(client.ReportFinalResult(0.95).ok());
  REQUIRE(client.ReportIntermediateResult(1).ok());
  CHECK(out.str() ==
        "[dlkit] intermediate_result: 0.93\n[dlkit] loss: 0.12\n"
        "[dlkit] final_result: 0.95\n[dlkit] intermediate_result: 1.0\n");
  CHECK_FALSE(client.ShouldStop());
  CHECK(client.TrialId() == "STANDALONE");
  CHECK(client.ExperimentId() == "STANDALONE");
  CHECK(client.SequenceId() == 0);
  absl::StatusOr<v1::ParameterSet> params = client.GetParameters();
  REQUIRE(params.ok());
  CHECK(params->values().empty());
}

TEST_CASE(
    "standalone: parameters from --dlkit-params, then DLKIT_PARAMS, then the "
    "file") {
  const std::string dir = MakeTempDir();
  const std::string flag_file = dir + "/flag.json";
  const std::string env_file = dir + "/env.json";
  std::ofstream(flag_file) << R"({"from": "flag", "epochs": 3})";
  std::ofstream(env_file) << R"({"from": "file"})";

  TrialClientOptions options;
  options.params_json = R"({"from": "env"})";
  options.params_file = env_file;
  options.argv = {"trial", "--epochs", "3", "--dlkit-params", flag_file};
  CHECK(GetString(*TrialClient(options).GetParameters(), "from", "") == "flag");
  options.argv = {"trial", "--dlkit-params=" + flag_file};
  CHECK(GetInt(*TrialClient(options).GetParameters(), "epochs", 0) == 3);
  options.argv = {"trial"};
  CHECK(GetString(*TrialClient(options).GetParameters(), "from", "") == "env");
  options.params_json.clear();
  CHECK(GetString(*TrialClient(options).GetParameters(), "from", "") == "file");

  options.argv = {"trial", "--dlkit-params", dir + "/missing.json"};
  absl::StatusOr<v1::ParameterSet> missing = TrialClient(options).GetParameters();
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(missing.status().message().find("missing.json") != std::string::npos);
  options.argv = {"trial", "--dlkit-params"};
  CHECK(TrialClient(options).GetParameters().status().code() == absl::StatusCode::kInvalidArgument);

  std::remove(flag_file.c_str());
  std::remove(env_file.c_str());
  rmdir(dir.c_str());
}

TEST_CASE(
    "JSON parameters keep ints, doubles, nesting; lists and bad JSON are "
    "errors") {
  absl::StatusOr<v1::ParameterSet> params =
      ParameterSetFromJson(R"({"a": 2, "b": 2.0, "c": {"_name": "x", "d": [1]}})");
  CHECK(params.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(params.status().message().find("c.d") != std::string::npos);
  params = ParameterSetFromJson(R"({"a": 2, "b": 2.0, "n": {"_name": "x", "k": false}})");
  REQUIRE(params.ok());
  CHECK(params->values().at("a").has_int_value());
  CHECK(params->values().at("b").has_double_value());
  CHECK(GetInt(*params, "b", 0) == 2);  // a double reads as an int when asked
  CHECK(GetDouble(*params, "a", 0) == 2.0);
  CHECK(GetString(*params, "a", "fallback") == "fallback");
  CHECK(GetBool(*GetNested(*params, "n"), "k", true) == false);
  CHECK(GetNested(*params, "a") == nullptr);
  CHECK_FALSE(ParameterSetFromJson("{lr: 1}").ok());
  CHECK_FALSE(ParameterSetFromJson("[1, 2]").ok());
}

TEST_CASE("values print as Python's repr prints them") {
  CHECK(FormatValue(0.93) == "0.93");
  CHECK(FormatValue(1.0) == "1.0");
  CHECK(FormatValue(-2.5) == "-2.5");
  CHECK(FormatValue(0.0) == "0.0");
  CHECK(FormatValue(-0.0) == "-0.0");
  CHECK(FormatValue(1.0 / 3) == "0.3333333333333333");
  CHECK(FormatValue(0.1 + 0.2) == "0.30000000000000004");
  CHECK(FormatValue(123456789.0) == "123456789.0");
  CHECK(FormatValue(1e15) == "1000000000000000.0");
  CHECK(FormatValue(1e16) == "1e+16");
  CHECK(FormatValue(1.5e300) == "1.5e+300");
  CHECK(FormatValue(0.0001) == "0.0001");
  CHECK(FormatValue(0.00001) == "1e-05");
  CHECK(FormatValue(-1.25e-7) == "-1.25e-07");
  CHECK(FormatValue(std::numeric_limits<double>::quiet_NaN()) == "nan");
  CHECK(FormatValue(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(FormatValue(-std::numeric_limits<double>::infinity()) == "-inf");
  for (double v : {0.93, 1e16, 1e-5, 123.456, 2.2250738585072014e-308, 1.7976931348623157e308}) {
    CHECK(std::stod(FormatValue(v)) == v);  // round-trips
  }
}

TEST_CASE("the free functions read the environment a Reporter sets") {
  ReporterServer server(std::make_unique<FakeReporter>(TestParams(), /*stop_after=*/1));
  setenv("DLKIT_REPORTER_ADDRESS", server.address().c_str(), 1);
  setenv("DLKIT_TRIAL_SECRET", kSecret, 1);
  setenv("DLKIT_TRIAL_ID", "env-trial", 1);
  setenv("DLKIT_EXPERIMENT_ID", "env-exp", 1);
  setenv("DLKIT_TRIAL_SEQUENCE", "5", 1);
  TrialClientOptions options = TrialClientOptions::FromEnvironment();
  REQUIRE_FALSE(options.argv.empty());
  CHECK(options.argv[0].find("dlkit_client_test") != std::string::npos);

  CHECK(TrialId() == "env-trial");
  CHECK(ExperimentId() == "env-exp");
  CHECK(SequenceId() == 5);
  absl::StatusOr<v1::ParameterSet> params = GetParameters();
  REQUIRE(params.ok());
  CHECK(GetString(*GetNested(*params, "model"), "_name", "") == "cnn");
  CHECK_FALSE(ShouldStop());
  REQUIRE(ReportLoss(0.25).ok());
  CHECK(ShouldStop());
  REQUIRE(ReportFinalResult(0.75).ok());
  CHECK(server.fake().received().size() == 2);
  CHECK(server.fake().received()[1].kind == v1::FINAL);
}

}  // namespace
}  // namespace dlkit::trial
