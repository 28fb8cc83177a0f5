// The Launcher, Manager and Tuner services in-process, over a real gRPC server, with real
// dlkit-reporter processes running small shell trials.

#include "services/launcher/launcher.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>

#include "base/testing/wait_for.h"
#include "grpcpp/grpcpp.h"
#include "services/common/server_runner.h"
#include "services/launcher/launcher_service.h"
#include "services/manager/manager_service.h"
#include "services/manager/manager_test_support.h"
#include "services/tuner/tuner_service.h"

namespace dlkit {
namespace {

std::string Runfile(const std::string& path) {
  const char* root = std::getenv("TEST_SRCDIR");
  REQUIRE(root != nullptr);
  return std::string(root) + "/dlkit/" + path;
}

using testing::WaitFor;

template <typename Stub>
std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return context;
}

// A daemon in the test process: the three services on 127.0.0.1:0.
struct Daemon {
  // port 0: any free one. A restart takes the port of the daemon before it, where that
  // one's trials come back.
  explicit Daemon(const std::string& home, int port = 0) {
    Launcher::Options options;
    options.home = home;
    options.reporter_binary = Runfile("services/reporter/dlkit-reporter");
    options.python_path = Runfile("client/python");
    options.grace_seconds = 2;
    auto opened = Launcher::Open(options);
    REQUIRE(opened.ok());
    launcher = std::move(opened).value();
    manager_service = std::make_unique<ManagerServiceImpl>(launcher.get());
    launcher_service = std::make_unique<LauncherServiceImpl>(launcher.get(), "test");
    auto started = StartServer("127.0.0.1:" + std::to_string(port),
                               {launcher_service.get(), manager_service.get(), &tuner_service});
    REQUIRE(started.ok());
    server = std::move(started->server);
    this->port = started->port;
    const std::string address = "127.0.0.1:" + std::to_string(started->port);
    launcher->Start(v1::TunerService::NewStub(server->InProcessChannel(grpc::ChannelArguments())),
                    address);
    auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    stub = v1::LauncherService::NewStub(channel);
    manager = v1::ManagerService::NewStub(channel);
  }
  ~Daemon() {
    launcher->Shutdown(kill_trials);
    server->Shutdown(std::chrono::system_clock::now());
  }

  v1::Experiment Get(const std::string& id) {
    v1::GetExperimentRequest request;
    request.set_experiment_id(id);
    v1::GetExperimentResponse response;
    auto context = Context<v1::LauncherService>();
    REQUIRE(stub->GetExperiment(context.get(), request, &response).ok());
    return response.experiment();
  }

  int port = 0;
  bool kill_trials = false;  // at the end, as `dlctl daemon stop --kill-trials`
  TunerServiceImpl tuner_service;
  std::unique_ptr<Launcher> launcher;
  std::unique_ptr<ManagerServiceImpl> manager_service;
  std::unique_ptr<LauncherServiceImpl> launcher_service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::LauncherService::Stub> stub;
  std::unique_ptr<v1::ManagerService::Stub> manager;
};

std::string TempHome() {
  char dir[] = "/tmp/dlkit-launcher-test.XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  return dir;
}

v1::ExperimentSpec ShellSpec(const std::string& command, int max_trials) {
  v1::ExperimentSpec spec = testing::CommandSpec(command, 2, max_trials);
  spec.set_name("shell");
  return spec;
}

TEST_CASE("A submitted experiment runs real trials and stores what they print", "[launcher]") {
  const std::string home = TempHome();
  Daemon daemon(home);
  v1::SubmitExperimentRequest request;
  // No SDK: the Reporter collects "[dlkit] ..." lines from stdout.
  *request.mutable_spec() =
      ShellSpec("echo '[dlkit] intermediate_result: 0.25'; echo '[dlkit] final_result: 0.5'", 3);
  request.set_request_id("req-1");
  v1::SubmitExperimentResponse response;
  auto context = Context<v1::LauncherService>();
  grpc::Status status = daemon.stub->SubmitExperiment(context.get(), request, &response);
  REQUIRE(status.ok());
  const std::string id = response.experiment().id();
  REQUIRE(WaitFor([&] { return daemon.Get(id).state() == v1::EXPERIMENT_DONE; }));
  v1::Experiment experiment = daemon.Get(id);
  CHECK(experiment.counts().succeeded() == 3);
  CHECK(experiment.best_value() == Approx(0.5));

  v1::ListTrialsRequest list;
  list.set_experiment_id(id);
  list.set_include_series(true);
  v1::ListTrialsResponse trials;
  auto list_context = Context<v1::ManagerService>();
  REQUIRE(daemon.manager->ListTrials(list_context.get(), list, &trials).ok());
  REQUIRE(trials.trials_size() == 3);
  for (const v1::Trial& t : trials.trials()) {
    CHECK(t.state() == v1::SUCCEEDED);
    REQUIRE(t.intermediate_size() == 1);
    CHECK(t.intermediate(0).value() == Approx(0.25));
    CHECK(t.final_value() == Approx(0.5));
  }

  // The same request id again: the same experiment, not a second one.
  v1::SubmitExperimentResponse again;
  auto again_context = Context<v1::LauncherService>();
  REQUIRE(daemon.stub->SubmitExperiment(again_context.get(), request, &again).ok());
  CHECK(again.experiment().id() == id);
  CHECK(daemon.launcher->List().size() == 1);
  std::filesystem::remove_all(home);
}

TEST_CASE("Invalid submissions name the problem and create nothing", "[launcher]") {
  const std::string home = TempHome();
  Daemon daemon(home);
  struct Case {
    std::function<void(v1::ExperimentSpec*)> breaker;
    grpc::StatusCode code;
    std::string fragment;
  };
  std::vector<Case> cases = {
      {[](v1::ExperimentSpec* s) {
         s->mutable_search_space()->mutable_parameters(0)->set_args(1, -5);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "searchSpace.x"},
      {[](v1::ExperimentSpec* s) { s->clear_trial_command(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "trialCommand"},
      {[](v1::ExperimentSpec* s) { s->mutable_tuner()->set_name("NoSuchTuner"); },
       grpc::StatusCode::INVALID_ARGUMENT, "NoSuchTuner"},
      {[](v1::ExperimentSpec* s) { s->set_trial_code_directory("/nonexistent/dir"); },
       grpc::StatusCode::INVALID_ARGUMENT, "/nonexistent/dir"},
      {[](v1::ExperimentSpec* s) {
         s->mutable_training_service()->set_platform(v1::KUBERNETES);
         s->mutable_training_service()->mutable_kubernetes()->set_image("img");
       },
       // No cluster configured: the message says how to give one.
       grpc::StatusCode::FAILED_PRECONDITION, "--kubeconfig"},
  };
  for (const Case& c : cases) {
    v1::SubmitExperimentRequest request;
    *request.mutable_spec() = ShellSpec("true", 1);
    c.breaker(request.mutable_spec());
    v1::SubmitExperimentResponse response;
    auto context = Context<v1::LauncherService>();
    grpc::Status status = daemon.stub->SubmitExperiment(context.get(), request, &response);
    INFO(status.error_message());
    CHECK(status.error_code() == c.code);
    CHECK(status.error_message().find(c.fragment) != std::string::npos);
  }
  CHECK(daemon.launcher->List().empty());
  CHECK(std::filesystem::is_empty(home + "/experiments"));
  std::filesystem::remove_all(home);
}

TEST_CASE("A config's text (the dashboard's form) is loaded as dlctl loads the file",
          "[launcher]") {
  const std::string home = TempHome();
  Daemon daemon(home);
  v1::ValidateExperimentRequest validate;
  validate.set_config_json(R"({"searchSpace": {"x": {"_type": "uniform", "_value": [2, 1]}},
    "trialCommand": "true", "trialCodeDirectory": "/tmp", "maxTrialNumbr": 3})");
  v1::ValidateExperimentResponse validated;
  auto context = Context<v1::LauncherService>();
  grpc::Status status = daemon.stub->ValidateExperiment(context.get(), validate, &validated);
  INFO(status.error_message());
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  // Every problem, each with the path of the key to fix.
  CHECK(status.error_message().find("searchSpace.x") != std::string::npos);
  CHECK(status.error_message().find("maxTrialNumbr") != std::string::npos);
  CHECK(status.error_message().find("maxTrialNumber") != std::string::npos);  // suggested

  v1::SubmitExperimentRequest submit;
  submit.set_config_json(R"({"experimentName": "from-text",
    "searchSpace": {"x": {"_type": "randint", "_value": [0, 10]}},
    "trialCommand": "echo '[dlkit] final_result: 1'", "trialCodeDirectory": "/tmp",
    "maxTrialNumber": 2, "trialGpuNumber": 0})");
  v1::SubmitExperimentResponse submitted;
  auto submit_context = Context<v1::LauncherService>();
  REQUIRE(daemon.stub->SubmitExperiment(submit_context.get(), submit, &submitted).ok());
  CHECK(submitted.experiment().spec().name() == "from-text");
  CHECK(submitted.experiment().spec().max_trial_number() == 2);
  REQUIRE(submitted.warnings_size() >= 1);  // trialGpuNumber means nothing to dlkit
  CHECK(submitted.warnings(0).find("trialGpuNumber") != std::string::npos);
  const std::string id = submitted.experiment().id();
  REQUIRE(WaitFor([&] { return daemon.Get(id).state() == v1::EXPERIMENT_DONE; }));
  CHECK(daemon.Get(id).counts().succeeded() == 2);
  std::filesystem::remove_all(home);
}

TEST_CASE("Running trials outlive the daemon; --kill-trials ends them; resume, delete",
          "[launcher]") {
  const std::string home = TempHome();
  std::string id;
  int port = 0;
  {
    Daemon daemon(home);
    port = daemon.port;
    v1::SubmitExperimentRequest request;
    *request.mutable_spec() = ShellSpec("sleep 30", 4);
    v1::SubmitExperimentResponse response;
    auto context = Context<v1::LauncherService>();
    REQUIRE(daemon.stub->SubmitExperiment(context.get(), request, &response).ok());
    id = response.experiment().id();
    REQUIRE(WaitFor([&] { return daemon.Get(id).counts().running() == 2; }));
  }  // the daemon goes away with two trials running, and they run on
  {
    Daemon daemon(home, port);
    v1::Experiment e = daemon.Get(id);
    CHECK(e.state() == v1::EXPERIMENT_RUNNING);
    CHECK(e.reason().find("took back 2 running trials") != std::string::npos);
    CHECK(e.counts().running() == 2);
    CHECK(e.counts().killed() + e.counts().failed() == 0);
    daemon.kill_trials = true;
  }
  {
    Daemon daemon(home, port);
    v1::Experiment e = daemon.Get(id);
    CHECK(e.state() == v1::EXPERIMENT_STOPPED);
    CHECK(e.reason().find("--kill-trials") != std::string::npos);
    CHECK(e.counts().killed() == 2);
    CHECK(e.counts().running() == 0);

    v1::ResumeExperimentRequest resume;
    resume.set_experiment_id(id);
    v1::ResumeExperimentResponse resumed;
    auto context = Context<v1::LauncherService>();
    REQUIRE(daemon.stub->ResumeExperiment(context.get(), resume, &resumed).ok());
    REQUIRE(WaitFor([&] { return daemon.Get(id).counts().running() == 2; }));

    v1::StopExperimentRequest stop;
    stop.set_experiment_id(id);
    v1::StopExperimentResponse stopped;
    auto stop_context = Context<v1::LauncherService>();
    REQUIRE(daemon.stub->StopExperiment(stop_context.get(), stop, &stopped).ok());
    CHECK(stopped.experiment().state() == v1::EXPERIMENT_STOPPED);
    REQUIRE(WaitFor([&] { return daemon.Get(id).counts().running() == 0; }));

    v1::DeleteExperimentRequest remove;
    remove.set_experiment_id(id);
    v1::DeleteExperimentResponse removed;
    auto delete_context = Context<v1::LauncherService>();
    REQUIRE(daemon.stub->DeleteExperiment(delete_context.get(), remove, &removed).ok());
    CHECK(daemon.launcher->List().empty());
    CHECK_FALSE(std::filesystem::exists(home + "/experiments/" + id));
  }
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace dlkit

namespace dlkit {
namespace {

TEST_CASE("Concurrent asks on several ask/tell studies all get answers", "[launcher]") {
  // Asking waits on the in-process Tuner; done on gRPC's callback threads, a handful of
  // concurrent asks once held every thread the Tuner needed, and all of them hung.
  const std::string home = TempHome();
  Daemon daemon(home);
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    v1::SubmitExperimentRequest request;
    *request.mutable_spec() = ShellSpec("", 0);
    request.mutable_spec()->set_ask_tell(true);
    request.mutable_spec()->mutable_tuner()->set_name("GP");
    v1::SubmitExperimentResponse response;
    auto context = Context<v1::LauncherService>();
    grpc::Status status = daemon.stub->SubmitExperiment(context.get(), request, &response);
    REQUIRE(status.ok());
    ids.push_back(response.experiment().id());
  }
  constexpr int kWorkers = 8, kAsksEach = 3;
  std::vector<std::thread> workers;
  std::vector<int> answered(kWorkers, 0);
  std::vector<std::string> errors(kWorkers);
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      for (int k = 0; k < kAsksEach; ++k) {
        v1::AskTrialsRequest ask;
        ask.set_experiment_id(ids[w % ids.size()]);
        v1::AskTrialsResponse asked;
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        grpc::Status status = daemon.manager->AskTrials(&context, ask, &asked);
        if (!status.ok()) {
          errors[w] = status.error_message();
          return;
        }
        v1::TellTrialRequest tell;
        tell.set_experiment_id(ask.experiment_id());
        tell.set_trial_id(asked.trials(0).id());
        tell.set_value(asked.trials(0).parameters().values().at("x").int_value());
        v1::TellTrialResponse told;
        grpc::ClientContext tell_context;
        tell_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        if (!daemon.manager->TellTrial(&tell_context, tell, &told).ok()) return;
        ++answered[w];
      }
    });
  }
  for (std::thread& t : workers) t.join();
  for (int w = 0; w < kWorkers; ++w) {
    INFO("worker " << w << ": " << errors[w]);
    CHECK(answered[w] == kAsksEach);
  }
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace dlkit
