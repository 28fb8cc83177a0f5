// The command functions against a real gRPC server (FakeDlkitServer on 127.0.0.1:0).

#include "cli/commands.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/dlctl.h"
#include "cli/table.h"
#include "cli/testing/fake_dlkit_server.h"
#include "services/config/experiment_config.h"

namespace dlkit::cli {
namespace {

using testing::FakeDlkitServer;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

v1::Experiment MakeExperiment(const std::string& id, v1::Direction direction) {
  v1::Experiment e;
  e.set_id(id);
  e.mutable_spec()->set_name("mnist");
  e.mutable_spec()->set_max_trial_number(10);
  e.mutable_spec()->set_trial_concurrency(2);
  e.mutable_spec()->mutable_objective()->set_metric("accuracy");
  e.mutable_spec()->mutable_objective()->set_direction(direction);
  v1::ParameterSpec* lr = e.mutable_spec()->mutable_search_space()->add_parameters();
  lr->set_name("lr");
  lr->set_distribution(v1::LOGUNIFORM);
  e.set_state(v1::EXPERIMENT_RUNNING);
  e.mutable_counts()->set_succeeded(3);
  e.mutable_counts()->set_finished(3);
  e.mutable_counts()->set_running(1);
  e.set_dashboard_url("http://127.0.0.1:18080/#/experiments/" + id);
  return e;
}

v1::Trial MakeTrial(const std::string& id, int64_t index, v1::TrialState state,
                    std::optional<double> final_value, double lr) {
  v1::Trial t;
  t.set_id(id);
  t.set_index(index);
  t.set_state(state);
  if (final_value) {
    t.set_has_final(true);
    t.set_final_value(*final_value);
  }
  (*t.mutable_parameters()->mutable_values())["lr"].set_double_value(lr);
  *t.mutable_started() = Ts(kNow - absl::Seconds(100 - index));
  if (state != v1::RUNNING) *t.mutable_ended() = Ts(kNow - absl::Seconds(50));
  t.add_intermediate()->set_value(0.25 * index);
  t.add_loss()->set_value(1.0 / index);
  return t;
}

// Five trials, stored out of order: #1 0.5, #2 0.9, #3 failed, #4 0.7, #5 running.
std::vector<v1::Trial> CannedTrials() {
  return {MakeTrial("t4", 4, v1::SUCCEEDED, 0.7, 0.004),
          MakeTrial("t1", 1, v1::SUCCEEDED, 0.5, 0.001),
          MakeTrial("t3", 3, v1::FAILED, std::nullopt, 0.003),
          MakeTrial("t2", 2, v1::SUCCEEDED, 0.9, 0.002),
          MakeTrial("t5", 5, v1::RUNNING, std::nullopt, 0.005)};
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// A fake daemon and the stubs a command gets.
struct Fixture {
  Fixture() {
    auto started = FakeDlkitServer::Start();
    REQUIRE(started.ok());
    fake = std::move(*started);
    channel = grpc::CreateChannel(fake->address(), grpc::InsecureChannelCredentials());
    launcher = v1::LauncherService::NewStub(channel);
    manager = v1::ManagerService::NewStub(channel);
    ctx.err = &err;
    ctx.address = fake->address();
    ctx.rpc_timeout = absl::Seconds(5);
    ctx.stream_timeout = absl::Seconds(10);
    ctx.clock = [] { return kNow; };
    fake->AddExperiment(MakeExperiment("exp-1", v1::MAXIMIZE));
    fake->SetTrials("exp-1", CannedTrials());
  }

  std::unique_ptr<FakeDlkitServer> fake;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<LauncherStub> launcher;
  std::unique_ptr<ManagerStub> manager;
  CommandContext ctx;
  std::stringstream out;
  std::stringstream err;
};

std::vector<std::string> TrialIdsInTable(const std::string& table) {
  std::vector<std::string> ids;
  std::vector<std::string> lines = Lines(table);
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cells = absl::StrSplit(lines[i], ' ', absl::SkipEmpty());
    ids.push_back(cells.at(1));
  }
  return ids;
}

TEST_CASE("list prints experiments as a table and as JSON") {
  Fixture f;
  REQUIRE(RunList(f.launcher.get(), f.ctx, f.out).ok());
  std::vector<std::string> lines = Lines(f.out.str());
  REQUIRE(lines.size() == 2);
  CHECK(absl::StartsWith(lines[0], "ID"));
  CHECK(absl::StrContains(lines[1], "exp-1"));
  CHECK(absl::StrContains(lines[1], "3/10"));

  std::stringstream json;
  f.ctx.output = OutputFormat::kJson;
  REQUIRE(RunList(f.launcher.get(), f.ctx, json).ok());
  nlohmann::json j = nlohmann::json::parse(json.str());
  REQUIRE(j.is_array());
  CHECK(j[0]["id"] == "exp-1");
  CHECK(j[0]["status"] == "RUNNING");
}

TEST_CASE("status shows one experiment; an unknown id is NOT_FOUND with the server's words") {
  Fixture f;
  REQUIRE(RunStatus(f.launcher.get(), "exp-1", f.ctx, f.out).ok());
  CHECK(absl::StrContains(f.out.str(), "status:"));
  CHECK(absl::StrContains(f.out.str(), "accuracy (maximize)"));
  CHECK(absl::StrContains(f.out.str(), "dashboard:"));
  CHECK(absl::StrContains(f.out.str(), "http://127.0.0.1:18080/#/experiments/exp-1"));

  absl::Status missing = RunStatus(f.launcher.get(), "nope", f.ctx, f.out);
  CHECK(missing.code() == absl::StatusCode::kNotFound);
  CHECK(missing.message() == "cannot get experiment nope: no experiment nope");
  CHECK(ExitCodeFor(missing) == 1);
}

TEST_CASE("trials --sort metric puts the best first per the objective's direction") {
  Fixture f;
  TrialsOptions options;
  options.experiment_id = "exp-1";
  options.sort = TrialSort::kMetric;
  REQUIRE(RunTrials(f.launcher.get(), f.manager.get(), options, f.ctx, f.out).ok());
  CHECK(TrialIdsInTable(f.out.str()) == std::vector<std::string>{"t2", "t4", "t1", "t3", "t5"});
  CHECK(absl::StrContains(Lines(f.out.str())[0], "ACCURACY"));
  std::vector<v1::ListTrialsRequest> requests = f.fake->list_trials_requests();
  REQUIRE(!requests.empty());
  CHECK(requests.back().sort() == v1::SORT_BY_FINAL);
  CHECK_FALSE(requests.back().include_series());

  // The same trials in an experiment that minimizes.
  f.fake->AddExperiment(MakeExperiment("exp-min", v1::MINIMIZE));
  f.fake->SetTrials("exp-min", CannedTrials());
  options.experiment_id = "exp-min";
  std::stringstream out;
  REQUIRE(RunTrials(f.launcher.get(), f.manager.get(), options, f.ctx, out).ok());
  CHECK(TrialIdsInTable(out.str()) == std::vector<std::string>{"t1", "t4", "t2", "t3", "t5"});

  options.reverse = true;
  std::stringstream reversed;
  REQUIRE(RunTrials(f.launcher.get(), f.manager.get(), options, f.ctx, reversed).ok());
  CHECK(TrialIdsInTable(reversed.str()) == std::vector<std::string>{"t2", "t4", "t1", "t3", "t5"});
  CHECK(f.fake->list_trials_requests().back().reverse());
}

TEST_CASE("trials --status filters on the server; --limit keeps the first N after sorting") {
  Fixture f;
  TrialsOptions options;
  options.experiment_id = "exp-1";
  options.states = {v1::SUCCEEDED, v1::RUNNING};
  options.limit = 3;
  REQUIRE(RunTrials(f.launcher.get(), f.manager.get(), options, f.ctx, f.out).ok());
  CHECK(TrialIdsInTable(f.out.str()) == std::vector<std::string>{"t1", "t2", "t4"});
  v1::ListTrialsRequest request = f.fake->list_trials_requests().back();
  REQUIRE(request.states_size() == 2);
  CHECK(request.states(0) == v1::SUCCEEDED);
  CHECK(request.states(1) == v1::RUNNING);

  options.sort = TrialSort::kMetric;
  options.limit = 2;
  std::stringstream best;
  REQUIRE(RunTrials(f.launcher.get(), f.manager.get(), options, f.ctx, best).ok());
  CHECK(TrialIdsInTable(best.str()) == std::vector<std::string>{"t2", "t4"});

  options.states = {v1::KILLED};
  std::stringstream none;
  REQUIRE(RunTrials(f.launcher.get(), f.manager.get(), options, f.ctx, none).ok());
  CHECK(none.str() == "no trials in these states\n");
}

TEST_CASE("trials follows pages until all trials are read") {
  Fixture f;
  v1::ListTrialsRequest request;
  request.set_experiment_id("exp-1");
  request.set_page_size(2);
  // limit 0 = all, in pages of the request's size.
  absl::StatusOr<std::vector<v1::Trial>> all = ListAllTrials(f.manager.get(), request, 0, f.ctx);
  REQUIRE(all.ok());
  CHECK(all->size() == 5);
  CHECK(f.fake->list_trials_requests().size() == 3);
  CHECK(f.fake->list_trials_requests().back().page_token() == "4");
}

TEST_CASE("trials --output json prints the SDK-shaped array with series") {
  Fixture f;
  f.ctx.output = OutputFormat::kJson;
  TrialsOptions options;
  options.experiment_id = "exp-1";
  REQUIRE(RunTrials(f.launcher.get(), f.manager.get(), options, f.ctx, f.out).ok());
  CHECK(f.fake->list_trials_requests().back().include_series());
  nlohmann::json j = nlohmann::json::parse(f.out.str());
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 5);
  CHECK(j[0]["id"] == "t1");  // index order by default
  CHECK(j[0]["index"] == 1);
  CHECK(j[0]["status"] == "SUCCEEDED");
  CHECK(j[0]["final"] == 0.5);
  CHECK(j[0]["parameters"]["lr"] == 0.001);
  CHECK(j[0]["intermediate"] == nlohmann::json({0.25}));
  CHECK(j[0]["loss"] == nlohmann::json({1.0}));
  CHECK(j[0]["ended"].is_string());
  CHECK(j[2]["status"] == "FAILED");
  CHECK(j[2]["final"].is_null());
  CHECK(j[4]["status"] == "RUNNING");
  CHECK(j[4]["ended"].is_null());
  CHECK(j[4]["exit_code"].is_null());
}

TEST_CASE("manager calls go to the daemon even when the experiment's Manager is elsewhere") {
  // A cluster experiment: its Manager's address resolves only inside the cluster, and the
  // daemon passes the calls on to it.
  Fixture f;
  auto other = FakeDlkitServer::Start();
  REQUIRE(other.ok());
  v1::Experiment remote = MakeExperiment("exp-r", v1::MAXIMIZE);
  remote.set_manager_address((*other)->address());
  f.fake->AddExperiment(remote);
  f.fake->SetTrials("exp-r", {MakeTrial("remote-1", 1, v1::SUCCEEDED, 0.3, 0.1)});
  (*other)->AddExperiment(remote);
  TrialsOptions options;
  options.experiment_id = "exp-r";
  REQUIRE(RunTrials(f.launcher.get(), f.manager.get(), options, f.ctx, f.out).ok());
  CHECK(TrialIdsInTable(f.out.str()) == std::vector<std::string>{"remote-1"});
  CHECK(f.fake->list_trials_requests().size() == 1);
  CHECK((*other)->list_trials_requests().empty());
}

TEST_CASE("logs stitches the chunks; TRIAL may be an index") {
  Fixture f;
  std::string text = "epoch 1 loss 0.9\nepoch 2 loss 0.5\nfinal 0.9\n";
  f.fake->SetLog("t2", text);
  LogsOptions options;
  options.experiment_id = "exp-1";
  options.trial = "2";  // not an id: the trial with index 2
  REQUIRE(RunLogs(f.launcher.get(), f.manager.get(), options, f.ctx, f.out).ok());
  CHECK(f.out.str() == text);
  std::vector<v1::ReadTrialLogRequest> requests = f.fake->log_requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].trial_id() == "t2");
  CHECK_FALSE(requests[0].follow());

  options.trial = "t9";
  absl::Status missing = RunLogs(f.launcher.get(), f.manager.get(), options, f.ctx, f.out);
  CHECK(missing.code() == absl::StatusCode::kNotFound);
  options.trial = "9";
  missing = RunLogs(f.launcher.get(), f.manager.get(), options, f.ctx, f.out);
  CHECK(missing.code() == absl::StatusCode::kNotFound);
  CHECK(absl::StrContains(missing.message(), "no trial with id or index 9"));
}

TEST_CASE("kill-trial, stop, resume and update change the experiment") {
  Fixture f;
  REQUIRE(RunKillTrial(f.launcher.get(), f.manager.get(), "exp-1", "t5", f.ctx, f.out).ok());
  CHECK(f.fake->killed() == std::vector<std::string>{"t5"});
  CHECK(absl::StrContains(f.out.str(), "trial t5 (#5) is KILLED"));

  REQUIRE(RunStop(f.launcher.get(), "exp-1", f.ctx, f.out).ok());
  CHECK(f.fake->experiment("exp-1").state() == v1::EXPERIMENT_STOPPED);
  CHECK(absl::StrContains(f.out.str(), "dlctl resume exp-1"));
  REQUIRE(RunResume(f.launcher.get(), "exp-1", f.ctx, f.out).ok());
  CHECK(f.fake->experiment("exp-1").state() == v1::EXPERIMENT_RUNNING);

  UpdateOptions update;
  update.experiment_id = "exp-1";
  update.max_trials = 50;
  update.duration = absl::Minutes(90);
  std::stringstream out;
  REQUIRE(RunUpdate(f.launcher.get(), f.manager.get(), update, f.ctx, out).ok());
  std::vector<v1::UpdateExperimentRequest> updates = f.fake->updates();
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].max_trial_number() == 50);
  CHECK(updates[0].trial_concurrency() == 0);  // unchanged
  CHECK(updates[0].max_experiment_duration().seconds() == 5400);
  CHECK(out.str() ==
        "experiment exp-1 updated: concurrency 2, max trials 50, max duration 1h30m00s\n");
}

TEST_CASE("export writes CSV to a file and JSON to stdout") {
  Fixture f;
  ExportOptions options;
  options.experiment_id = "exp-1";
  options.file = TempDir() + "/export.csv";
  REQUIRE(RunExport(f.launcher.get(), f.manager.get(), options, f.ctx, f.out).ok());
  CHECK(absl::StrContains(f.out.str(), "wrote 5 trials"));
  std::vector<std::string> lines = Lines(ReadFile(options.file));
  REQUIRE(lines.size() == 6);
  CHECK(lines[0] == "id,index,status,lr,final,exit_code,started,ended,duration_s");
  CHECK(absl::StartsWith(lines[1], "t1,1,SUCCEEDED,0.001,0.5,0,"));
  CHECK(absl::StartsWith(lines[5], "t5,5,RUNNING,0.005,,,"));

  options.format = ExportFormat::kJson;
  options.file.clear();
  std::stringstream json;
  REQUIRE(RunExport(f.launcher.get(), f.manager.get(), options, f.ctx, json).ok());
  nlohmann::json j = nlohmann::json::parse(json.str());
  REQUIRE(j.size() == 5);
  CHECK(j[1]["intermediate"] == nlohmann::json({0.5}));
}

TEST_CASE("init writes the starter config and refuses to overwrite without --force") {
  Fixture f;
  InitOptions options;
  options.file = TempDir() + "/init-test.json";
  std::remove(options.file.c_str());
  REQUIRE(RunInit(options, f.ctx, f.out).ok());
  CHECK(ReadFile(options.file) == StarterConfigJson());
  CHECK(LoadExperimentConfig(options.file).ok());

  std::ofstream(options.file) << "{}";
  absl::Status again = RunInit(options, f.ctx, f.out);
  CHECK(again.code() == absl::StatusCode::kAlreadyExists);
  CHECK(ReadFile(options.file) == "{}");
  options.force = true;
  REQUIRE(RunInit(options, f.ctx, f.out).ok());
  CHECK(ReadFile(options.file) == StarterConfigJson());
}

std::string WriteStarterConfig(const std::string& name) {
  std::string path = TempDir() + "/" + name;
  std::ofstream(path) << StarterConfigJson();
  return path;
}

TEST_CASE("submit retries UNAVAILABLE with the same request id and prints how to follow") {
  Fixture f;
  f.fake->FailSubmits(2, grpc::StatusCode::UNAVAILABLE);
  SubmitOptions options;
  options.file = WriteStarterConfig("submit.json");
  REQUIRE(RunSubmit(f.launcher.get(), f.manager.get(), options, f.ctx, f.out).ok());
  std::vector<v1::SubmitExperimentRequest> submits = f.fake->submits();
  REQUIRE(submits.size() == 3);
  CHECK(!submits[0].request_id().empty());
  CHECK(submits[1].request_id() == submits[0].request_id());
  CHECK(submits[2].request_id() == submits[0].request_id());
  CHECK(submits[2].spec().name() == LoadExperimentConfig(options.file)->spec.name());
  std::string out = f.out.str();
  CHECK(absl::StrContains(out, "experiment exp-1 submitted"));
  CHECK(absl::StrContains(out, "http://127.0.0.1:8080/#/experiments/exp-1"));
  CHECK(absl::StrContains(out, "dlctl status exp-1"));
  CHECK(absl::StrContains(out, "dlctl trials exp-1"));
  CHECK(absl::StrContains(f.err.str(), "warning: fake: a server-side warning"));

  // The daemon is ensured before submitting; its failure is the command's.
  absl::Status no_daemon = RunSubmit(f.launcher.get(), f.manager.get(), options, f.ctx, f.out, [] {
    return absl::UnavailableError("no daemon answers at x");
  });
  CHECK(no_daemon.code() == absl::StatusCode::kUnavailable);
  CHECK(f.fake->submits().size() == 3);

  // A second submission is a new experiment: a new request id.
  REQUIRE(RunSubmit(f.launcher.get(), f.manager.get(), options, f.ctx, f.out).ok());
  CHECK(f.fake->submits().back().request_id() != submits[0].request_id());
}

TEST_CASE("submit gives up on errors that are not transient") {
  Fixture f;
  f.fake->FailSubmits(1, grpc::StatusCode::INVALID_ARGUMENT);
  SubmitOptions options;
  options.file = WriteStarterConfig("submit-bad.json");
  absl::Status status = RunSubmit(f.launcher.get(), f.manager.get(), options, f.ctx, f.out);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(f.fake->submits().size() == 1);
}

TEST_CASE("submit of an invalid config prints every problem and exits 2") {
  Fixture f;
  SubmitOptions options;
  options.file = TempDir() + "/invalid.json";
  std::ofstream(options.file)
      << R"({"trialCommand": "python3 t.py", "searchSpace": {"lr": {"_type": "uniform",
            "_value": [1, 0]}}, "trialConcurency": 2})";
  int daemon_starts = 0;
  auto ensure_daemon = [&daemon_starts] {
    ++daemon_starts;
    return absl::OkStatus();
  };
  absl::Status status =
      RunSubmit(f.launcher.get(), f.manager.get(), options, f.ctx, f.out, ensure_daemon);
  CHECK(ExitCodeFor(status) == 2);
  CHECK_FALSE(ShowsUsage(status));
  CHECK(f.fake->submits().empty());
  CHECK(daemon_starts == 0);  // no daemon started for a config that cannot run
  std::vector<std::string> errors = Lines(f.err.str());
  CHECK(errors.size() >= 2);  // the bad range and the misspelt key
  CHECK(absl::StrContains(f.err.str(), "searchSpace.lr"));
  CHECK(absl::StrContains(f.err.str(), "trialConcurency"));
  for (const std::string& line : errors) CHECK(absl::StartsWith(line, "dlctl: "));

  options.file = TempDir() + "/does-not-exist.json";
  status = RunSubmit(f.launcher.get(), f.manager.get(), options, f.ctx, f.out);
  CHECK(ExitCodeFor(status) == 2);
  CHECK(absl::StrContains(status.message(), "dlctl init"));
}

// Snapshot (running, nothing done), trial t1 done, t2 done (best), experiment DONE.
std::vector<v1::WatchExperimentResponse> WatchScript(v1::ExperimentState end_state) {
  v1::Experiment e = MakeExperiment("exp-1", v1::MAXIMIZE);
  e.clear_counts();
  e.mutable_counts()->set_running(2);
  std::vector<v1::WatchExperimentResponse> script(4);
  script[0].set_snapshot(true);
  *script[0].mutable_experiment() = e;
  *script[0].add_trials() = MakeTrial("t1", 1, v1::RUNNING, std::nullopt, 0.001);
  *script[0].add_trials() = MakeTrial("t2", 2, v1::RUNNING, std::nullopt, 0.002);
  *script[1].add_trials() = MakeTrial("t1", 1, v1::SUCCEEDED, 0.5, 0.001);
  *script[2].add_trials() = MakeTrial("t2", 2, v1::SUCCEEDED, 0.8, 0.002);
  e.set_state(end_state);
  e.set_reason(end_state == v1::EXPERIMENT_FAILED ? "too many failed trials" : "max trials");
  e.mutable_counts()->set_running(0);
  e.mutable_counts()->set_succeeded(2);
  e.mutable_counts()->set_finished(2);
  e.set_has_best(true);
  e.set_best_value(0.8);
  e.set_best_trial_id("t2");
  *script[3].mutable_experiment() = e;
  return script;
}

TEST_CASE("watch without a terminal prints progress lines, then the best trial") {
  Fixture f;
  f.fake->SetWatchScript(WatchScript(v1::EXPERIMENT_DONE), absl::Milliseconds(50));
  f.ctx.clock = [] { return absl::Now(); };
  absl::Status status = RunWatch(f.launcher.get(), f.manager.get(), "exp-1", f.ctx, f.out);
  REQUIRE(status.ok());
  std::string out = f.out.str();
  CHECK(out.find("\x1b[") == std::string::npos);  // no ANSI when not a terminal
  std::vector<std::string> progress;
  for (const std::string& line : Lines(out)) {
    if (absl::StrContains(line, " trials | ")) progress.push_back(line);
  }
  // Changes come every 50 ms but lines at most once a second: the first and the last.
  REQUIRE(progress.size() == 2);
  CHECK(absl::StartsWith(progress[0], "[--------------------] 0/10 trials | 2 running"));
  CHECK(absl::StartsWith(progress[1], "[####----------------] 2/10 trials | 0 running"));
  CHECK(absl::StrContains(progress[1], "best 0.8 (#2)"));
  CHECK(absl::StrContains(out, "experiment exp-1 DONE"));
  CHECK(absl::StrContains(out, "best trial t2 (#2): accuracy = 0.8"));
  CHECK(absl::StrContains(out, "\"lr\": 0.002"));
}

TEST_CASE("watch of an experiment that FAILED ends with its reason") {
  Fixture f;
  f.fake->SetWatchScript(WatchScript(v1::EXPERIMENT_FAILED), absl::Milliseconds(1));
  absl::Status status = RunWatch(f.launcher.get(), f.manager.get(), "exp-1", f.ctx, f.out);
  CHECK(status.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(status.message() == "experiment exp-1 failed: too many failed trials");
  CHECK(ExitCodeFor(status) == 1);
}

TEST_CASE("watch on a terminal redraws in place") {
  Fixture f;
  f.fake->SetWatchScript(WatchScript(v1::EXPERIMENT_DONE), absl::Milliseconds(300));
  f.ctx.tty = true;
  f.ctx.terminal_width = 100;
  f.ctx.clock = [] { return absl::Now(); };
  REQUIRE(RunWatch(f.launcher.get(), f.manager.get(), "exp-1", f.ctx, f.out).ok());
  std::string out = f.out.str();
  CHECK(absl::StrContains(out, "\x1b[J"));  // cleared the old block at least once
  CHECK(absl::StrContains(out, "mnist (exp-1)  DONE"));
  CHECK(absl::StrContains(f.err.str(), "Ctrl-C"));
  for (const std::string& line : Lines(out)) CHECK(DisplayWidth(line) < 100 + 8);
}

TEST_CASE("watch reconnects after the stream's deadline") {
  Fixture f;
  std::vector<v1::WatchExperimentResponse> script = WatchScript(v1::EXPERIMENT_DONE);
  // The first call gets the snapshot, then nothing before its 400 ms deadline.
  f.fake->SetWatchScript({script[0], script[3]}, absl::Seconds(2));
  f.ctx.stream_timeout = absl::Milliseconds(400);
  f.ctx.clock = [] { return absl::Now(); };
  // By the time the watcher calls again, the experiment has ended.
  std::thread switcher([&f, script] {
    absl::SleepFor(absl::Milliseconds(200));
    f.fake->SetWatchScript({script[3]}, absl::ZeroDuration());
  });
  absl::Status status = RunWatch(f.launcher.get(), f.manager.get(), "exp-1", f.ctx, f.out);
  switcher.join();
  REQUIRE(status.ok());
  CHECK(f.fake->watch_calls() == 2);
  CHECK(absl::StrContains(f.out.str(), "experiment exp-1 DONE"));
}

TEST_CASE("nothing listening: UNAVAILABLE with the address and a hint") {
  // Bind a port, then free it: nothing answers there.
  std::string address;
  {
    auto gone = FakeDlkitServer::Start();
    REQUIRE(gone.ok());
    address = (*gone)->address();
  }
  auto launcher = v1::LauncherService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  CommandContext ctx;
  std::stringstream out, err;
  ctx.err = &err;
  ctx.address = address;
  ctx.rpc_timeout = absl::Seconds(5);
  absl::Status status = RunList(launcher.get(), ctx, out);
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(status.message(), "nothing answers at " + address));
  CHECK(absl::StrContains(status.message(), "dlctl daemon start"));
}

// ---- the whole CLI, argv to exit code --------------------------------------------------

int Dlctl(const std::vector<std::string>& args, std::string* out, std::string* err) {
  CliEnvironment environment;
  environment.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return TempDir();
    return std::nullopt;
  };
  std::stringstream o, e;
  int code = RunDlctl(args, environment, o, e);
  *out = o.str();
  *err = e.str();
  return code;
}

TEST_CASE("dlctl: data on stdout, one error line with the code name, exit codes") {
  Fixture f;
  std::string out, err;
  REQUIRE(Dlctl({"status", "exp-1", "--address", f.fake->address(), "--output", "json"}, &out,
                &err) == 0);
  CHECK(nlohmann::json::parse(out)["id"] == "exp-1");
  CHECK(err.empty());

  CHECK(Dlctl({"trials", "exp-1", "--address=" + f.fake->address(), "--sort", "metric", "--limit",
               "1"},
              &out, &err) == 0);
  CHECK(TrialIdsInTable(out) == std::vector<std::string>{"t2"});

  CHECK(Dlctl({"status", "nope", "--address", f.fake->address()}, &out, &err) == 1);
  CHECK(err == "dlctl: cannot get experiment nope: no experiment nope (NOT_FOUND)\n");

  CHECK(Dlctl({"trials", "exp-1", "--limit", "none", "--address", f.fake->address()}, &out, &err) ==
        2);
  CHECK(absl::StartsWith(err, "dlctl: invalid --limit \"none\""));
  CHECK(absl::StrContains(err, "(INVALID_ARGUMENT)\n"));
  CHECK(absl::StrContains(err, "usage: dlctl trials ID"));

  CHECK(Dlctl({"sumbit"}, &out, &err) == 2);
  CHECK(absl::StrContains(err, "did you mean \"submit\"?"));

  CHECK(Dlctl({"daemon", "status", "--address", f.fake->address()}, &out, &err) == 0);
  CHECK(absl::StrContains(out, "fake-1.0"));

  CHECK(Dlctl({"help", "logs"}, &out, &err) == 0);
  CHECK(absl::StartsWith(out, "usage: dlctl logs ID TRIAL"));
}

}  // namespace
}  // namespace dlkit::cli
