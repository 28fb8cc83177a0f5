// ingest_bench: how many metric reports per second one Manager accepts, stores durably
// (committed before it acks) and serves back.
//
// One process hosts a real gRPC server on 127.0.0.1:0 (ManagerServiceImpl + TunerServiceImpl)
// with one ExperimentManager (real SQLite store in a temp folder) whose TrialBackend launches
// nothing but records each TrialLaunch. For every launch a client thread opens TrialSession
// over its own TCP channel, as a Reporter would, sends hello, then streams --reports metric
// reports (seq 1..N, at most --window unacked) and waits for the ack of the last one.
// rate = all reports / (first report sent .. last ack received over all sessions).
// Then GetTrial and ListTrials(include_series) must return every value, and a baseline
// appends the same number of rows straight into SqliteExperimentStore in batches.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "dlkit/v1/manager.grpc.pb.h"
#include "dlkit/v1/tuner.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "services/common/grpc_status.h"
#include "services/common/server_runner.h"
#include "services/config/experiment_config.h"
#include "services/manager/experiment_manager.h"
#include "services/manager/manager_directory.h"
#include "services/manager/manager_service.h"
#include "services/manager/sqlite_experiment_store.h"
#include "services/manager/trial_backend.h"
#include "services/tuner/tuner_service.h"

ABSL_FLAG(int32_t, sessions, 16, "concurrent trial sessions (trials)");
ABSL_FLAG(int64_t, reports, 20000, "metric reports per session");
ABSL_FLAG(int32_t, window, 1000, "most unacked reports per session");
ABSL_FLAG(int32_t, baseline_batch, 1000, "rows per AppendMetrics call in the baseline");
ABSL_FLAG(bool, shared_channel, false,
          "all sessions on one channel (one TCP connection) instead of one each");
ABSL_FLAG(bool, deadlock_detection, true,
          "keep Abseil's Mutex deadlock detection on (Debian's Abseil enables it, and dlkitd "
          "runs with it); false measures what turning it off would gain");
ABSL_FLAG(std::string, dir, "",
          "folder for the SQLite files (default: a new folder under $TMPDIR or /tmp, "
          "removed at the end)");

namespace dlkit {
namespace {

constexpr char kExperimentId[] = "ingestbench";
constexpr auto kCallTimeout = std::chrono::seconds(120);

struct BenchOptions {
  int sessions = 16;
  int64_t reports = 20000;
  int window = 1000;
  int baseline_batch = 1000;
  bool shared_channel = false;
  std::string dir;
};

// The value of report `seq` of the trial launched as `index`: exact in a double, and
// different for every (trial, seq), so the read-back check sees any mix-up.
double ValueOf(int64_t index, int64_t seq) { return static_cast<double>(index * 10000000 + seq); }

// Odd seqs are intermediate results, even ones losses: one of each per "epoch".
v1::MetricKind KindOf(int64_t seq) { return seq % 2 == 1 ? v1::INTERMEDIATE : v1::LOSS; }

class SingleManagerDirectory : public ManagerDirectory {
 public:
  explicit SingleManagerDirectory(std::shared_ptr<ExperimentManager> manager)
      : manager_(std::move(manager)) {}
  absl::StatusOr<std::shared_ptr<ExperimentManager>> FindManager(
      const std::string& experiment_id) override {
    if (experiment_id != manager_->id()) {
      return absl::NotFoundError(absl::StrCat("no experiment ", experiment_id));
    }
    return manager_;
  }

 private:
  const std::shared_ptr<ExperimentManager> manager_;
};

// Starts nothing: the bench plays each trial's Reporter itself.
class RecordingBackend : public TrialBackend {
 public:
  absl::Status Launch(const TrialLaunch& launch, GoneCallback on_gone) override {
    absl::MutexLock lock(&mu_);
    launches_.push_back(launch);
    return absl::OkStatus();
  }
  void Terminate(const std::string& trial_id) override {}
  void TerminateAll() override {}

  // The first `n` launches, once there are that many; DEADLINE_EXCEEDED after `timeout`.
  absl::StatusOr<std::vector<TrialLaunch>> WaitForLaunches(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return launches_.size() >= n; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&enough), timeout)) {
      return absl::DeadlineExceededError(
          absl::StrCat("the manager launched ", launches_.size(), " of ", n, " trials"));
    }
    return std::vector<TrialLaunch>(launches_.begin(), launches_.begin() + n);
  }

 private:
  absl::Mutex mu_;
  std::vector<TrialLaunch> launches_ ABSL_GUARDED_BY(mu_);
};

struct SessionResult {
  absl::Status status;
  absl::Time last_ack;        // when the ack covering the last report arrived
  int64_t acks_received = 0;  // ack messages: about one per writer commit holding this trial
};

// One trial's Reporter: hello, wait for the start signal, stream the reports pipelined,
// wait for the final ack, report the exit, end the stream.
class SessionClient {
 public:
  SessionClient(std::shared_ptr<grpc::Channel> channel, TrialLaunch launch,
                const BenchOptions& options)
      : stub_(v1::ManagerService::NewStub(std::move(channel))),
        launch_(std::move(launch)),
        options_(options) {}

  SessionResult Run(absl::BlockingCounter* ready, absl::Notification* go) {
    SessionResult result;
    result.status = RunStream(ready, go, result);
    if (!ready_signalled_) ready->DecrementCount();  // never leave main waiting
    return result;
  }

 private:
  absl::Status RunStream(absl::BlockingCounter* ready, absl::Notification* go,
                         SessionResult& result) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(30));
    std::unique_ptr<grpc::ClientReaderWriter<v1::TrialSessionRequest, v1::TrialSessionResponse>>
        stream = stub_->TrialSession(&context);

    v1::TrialSessionRequest hello;
    hello.mutable_hello()->set_trial_id(launch_.trial_id);
    hello.mutable_hello()->set_secret(launch_.secret);
    hello.mutable_hello()->set_experiment_id(launch_.experiment_id);
    hello.mutable_hello()->set_pid(getpid());
    hello.mutable_hello()->set_hostname("ingest-bench");
    v1::TrialSessionResponse response;
    // As a Reporter does: the parameters may come after the Manager's log offset.
    bool open = stream->Write(hello);
    while (open && (open = stream->Read(&response)) && !response.has_parameters()) {
      if (response.kind_case() != v1::TrialSessionResponse::kLogOffset) open = false;
    }
    if (!open) {
      context.TryCancel();  // Finish must not wait for a Manager that keeps the stream
      stream->WritesDone();
      return absl::InternalError(absl::StrCat("trial ", launch_.trial_id, ": no parameters: ",
                                              FromGrpcStatus(stream->Finish()).ToString()));
    }
    v1::TrialSessionRequest started;
    started.set_started(true);
    stream->Write(started);

    ready_signalled_ = true;
    ready->DecrementCount();
    go->WaitForNotification();

    std::thread reader([&] {
      v1::TrialSessionResponse in;
      while (stream->Read(&in)) {
        if (in.kind_case() != v1::TrialSessionResponse::kAckSeq) continue;
        absl::MutexLock lock(&mu_);
        ++result.acks_received;
        if (in.ack_seq() > acked_) {
          acked_ = in.ack_seq();
          if (acked_ >= options_.reports) result.last_ack = absl::Now();
        }
      }
      absl::MutexLock lock(&mu_);
      read_closed_ = true;
    });

    bool write_ok = true;
    v1::TrialSessionRequest request;
    v1::MetricReport* metric = request.mutable_metric();
    metric->set_metric_name("default");
    for (int64_t seq = 1; seq <= options_.reports && write_ok; ++seq) {
      {
        absl::MutexLock lock(&mu_);
        auto room = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          return seq - acked_ <= options_.window || read_closed_;
        };
        mu_.Await(absl::Condition(&room));
        if (read_closed_) break;
      }
      metric->set_seq(seq);
      metric->set_kind(KindOf(seq));
      metric->set_value(ValueOf(launch_.index, seq));
      write_ok = stream->Write(request);
    }
    {
      absl::MutexLock lock(&mu_);
      auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return acked_ >= options_.reports || read_closed_;
      };
      mu_.Await(absl::Condition(&done));
    }
    // The trial ends: the Manager stores the exit and closes the session.
    v1::TrialSessionRequest exit;
    exit.mutable_exit()->set_exit_code(0);
    stream->Write(exit);
    stream->WritesDone();
    reader.join();
    grpc::Status status = stream->Finish();
    absl::MutexLock lock(&mu_);
    if (acked_ < options_.reports) {
      return absl::InternalError(absl::StrCat("trial ", launch_.trial_id, ": only ", acked_, " of ",
                                              options_.reports, " reports acked (",
                                              FromGrpcStatus(status).ToString(), ")"));
    }
    return FromGrpcStatus(status);
  }

  std::unique_ptr<v1::ManagerService::Stub> stub_;
  const TrialLaunch launch_;
  const BenchOptions& options_;
  bool ready_signalled_ = false;
  absl::Mutex mu_;
  int64_t acked_ ABSL_GUARDED_BY(mu_) = 0;
  bool read_closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Every report of the trial launched as `index` is in `trial`'s series, in order.
absl::Status CheckSeries(const v1::Trial& trial, int64_t index, int64_t reports) {
  const int64_t want_intermediate = (reports + 1) / 2;
  const int64_t want_loss = reports / 2;
  if (trial.intermediate_size() != want_intermediate || trial.loss_size() != want_loss) {
    return absl::DataLossError(absl::StrCat("trial ", trial.id(), ": ", trial.intermediate_size(),
                                            " intermediate and ", trial.loss_size(),
                                            " loss values served back, want ", want_intermediate,
                                            " and ", want_loss));
  }
  for (int64_t k = 0; k < want_intermediate; ++k) {
    const v1::Measurement& m = trial.intermediate(k);
    if (m.step() != k || m.value() != ValueOf(index, 2 * k + 1)) {
      return absl::DataLossError(absl::StrCat("trial ", trial.id(), ": intermediate ", k,
                                              " is step ", m.step(), " value ", m.value()));
    }
  }
  for (int64_t k = 0; k < want_loss; ++k) {
    const v1::Measurement& m = trial.loss(k);
    if (m.step() != k || m.value() != ValueOf(index, 2 * k + 2)) {
      return absl::DataLossError(absl::StrCat("trial ", trial.id(), ": loss ", k, " is step ",
                                              m.step(), " value ", m.value()));
    }
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, int salt) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);  // ListTrials with every series is large
  // Distinct args: a channel of its own (own TCP connection), as separate Reporters have.
  args.SetInt("dlkit.bench.channel", salt);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

std::string ExperimentConfigJson(int sessions) {
  return absl::StrFormat(R"({
    "experimentName": "ingest-bench",
    "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
    "trialCommand": "true",
    "trialConcurrency": %d,
    "maxTrialNumber": %d,
    "tuner": {"name": "Random", "classArgs": {"optimize_mode": "maximize"}},
    "seed": 1
  })",
                         sessions, sessions);
}

// CPU time (user + system) of this whole process so far: server and load generator alike.
absl::Duration ProcessCpu() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto of = [](const timeval& tv) {
    return absl::Seconds(tv.tv_sec) + absl::Microseconds(tv.tv_usec);
  };
  return of(usage.ru_utime) + of(usage.ru_stime);
}

// The process's resident memory (VmRSS), in bytes.
int64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // in kB
  }
  return 0;
}

struct IngestResult {
  int64_t reports = 0;
  int64_t resident_before_sessions = 0;  // the Manager ready, no session open
  int64_t resident_sessions_open = 0;    // every session open (hello answered), none streaming
  absl::Duration wall;
  absl::Duration cpu;  // of the process during the wall time
  double mean_acks_per_session = 0;
  absl::Duration get_trials_time;
  absl::Duration list_trials_time;
  int64_t list_bytes = 0;
};

absl::StatusOr<IngestResult> RunIngest(const BenchOptions& options, const std::string& dir) {
  DLKIT_ASSIGN_OR_RETURN(LoadedConfig config,
                         ParseExperimentConfig(ExperimentConfigJson(options.sessions), dir,
                                               /*yaml=*/false));
  TunerServiceImpl tuner_service;
  // The manager is created after the server (it records the server's address), so the
  // directory forwards to a slot filled in below.
  class LateDirectory : public ManagerDirectory {
   public:
    absl::StatusOr<std::shared_ptr<ExperimentManager>> FindManager(
        const std::string& experiment_id) override {
      absl::MutexLock lock(&mu_);
      if (inner_ == nullptr) return absl::UnavailableError("manager not ready");
      return inner_->FindManager(experiment_id);
    }
    void Set(std::unique_ptr<ManagerDirectory> inner) {
      absl::MutexLock lock(&mu_);
      inner_ = std::move(inner);
    }

   private:
    absl::Mutex mu_;
    std::unique_ptr<ManagerDirectory> inner_ ABSL_GUARDED_BY(mu_);
  } directory;
  ManagerServiceImpl manager_service(&directory);
  DLKIT_ASSIGN_OR_RETURN(StartedServer server,
                         StartServer("127.0.0.1:0", {&manager_service, &tuner_service}));
  const std::string target = absl::StrCat("127.0.0.1:", server.port);
  std::unique_ptr<v1::TunerService::StubInterface> tuner_stub =
      v1::TunerService::NewStub(server.server->InProcessChannel(grpc::ChannelArguments()));

  auto backend = std::make_shared<RecordingBackend>();
  ExperimentManager::Options manager_options;
  manager_options.directory = dir + "/experiment";
  manager_options.tuner = tuner_stub.get();
  manager_options.backend = backend;
  manager_options.manager_address = target;
  absl::StatusOr<std::unique_ptr<ExperimentManager>> created =
      ExperimentManager::Create(kExperimentId, config.spec, manager_options);
  if (!created.ok()) {
    server.server->Shutdown();
    return created.status();
  }
  std::shared_ptr<ExperimentManager> manager = std::move(created).value();
  directory.Set(std::make_unique<SingleManagerDirectory>(manager));
  manager->Start();

  auto shutdown = [&] {
    manager->Shutdown();
    server.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  };
  absl::StatusOr<std::vector<TrialLaunch>> launches =
      backend->WaitForLaunches(options.sessions, absl::Seconds(60));
  if (!launches.ok()) {
    shutdown();
    return launches.status();
  }

  const int64_t resident_before = ResidentBytes();
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < options.sessions; ++i) {
    if (i == 0 || !options.shared_channel) channels.push_back(NewChannel(target, i));
  }
  std::vector<std::unique_ptr<SessionClient>> clients;
  for (int i = 0; i < options.sessions; ++i) {
    clients.push_back(std::make_unique<SessionClient>(channels[options.shared_channel ? 0 : i],
                                                      (*launches)[i], options));
  }
  absl::BlockingCounter ready(options.sessions);
  absl::Notification go;
  std::vector<SessionResult> results(options.sessions);
  std::vector<std::thread> threads;
  for (int i = 0; i < options.sessions; ++i) {
    threads.emplace_back([&, i] { results[i] = clients[i]->Run(&ready, &go); });
  }
  ready.Wait();
  const int64_t resident_open = ResidentBytes();
  const absl::Duration cpu_before = ProcessCpu();
  const absl::Time start = absl::Now();
  go.Notify();
  for (std::thread& t : threads) t.join();
  const absl::Duration cpu_used = ProcessCpu() - cpu_before;

  IngestResult out;
  out.resident_before_sessions = resident_before;
  out.resident_sessions_open = resident_open;
  absl::Time end = start;
  for (const SessionResult& r : results) {
    if (!r.status.ok()) {
      shutdown();
      return r.status;
    }
    end = std::max(end, r.last_ack);
    out.mean_acks_per_session += static_cast<double>(r.acks_received) / options.sessions;
  }
  out.reports = options.reports * options.sessions;
  out.wall = end - start;
  out.cpu = cpu_used;

  // Served back: over gRPC, from the store, every value of every trial.
  std::unique_ptr<v1::ManagerService::Stub> query =
      v1::ManagerService::NewStub(NewChannel(target, -1));
  absl::Status check;
  absl::Time t0 = absl::Now();
  for (const TrialLaunch& launch : *launches) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    v1::GetTrialRequest request;
    request.set_experiment_id(kExperimentId);
    request.set_trial_id(launch.trial_id);
    v1::GetTrialResponse response;
    check = FromGrpcStatus(query->GetTrial(&context, request, &response));
    if (check.ok()) check = CheckSeries(response.trial(), launch.index, options.reports);
    if (!check.ok()) break;
  }
  out.get_trials_time = absl::Now() - t0;
  if (check.ok()) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    v1::ListTrialsRequest request;
    request.set_experiment_id(kExperimentId);
    request.set_include_series(true);
    v1::ListTrialsResponse response;
    t0 = absl::Now();
    check = FromGrpcStatus(query->ListTrials(&context, request, &response));
    out.list_trials_time = absl::Now() - t0;
    out.list_bytes = static_cast<int64_t>(response.ByteSizeLong());
    if (check.ok() && response.trials_size() != options.sessions) {
      check = absl::DataLossError(absl::StrCat("ListTrials returned ", response.trials_size(),
                                               " trials, want ", options.sessions));
    }
    for (int i = 0; check.ok() && i < response.trials_size(); ++i) {
      const v1::Trial& trial = response.trials(i);
      auto launch = std::find_if(launches->begin(), launches->end(),
                                 [&](const TrialLaunch& l) { return l.trial_id == trial.id(); });
      check = launch == launches->end()
                  ? absl::DataLossError(absl::StrCat("unknown trial ", trial.id()))
                  : CheckSeries(trial, launch->index, options.reports);
    }
  }
  shutdown();
  DLKIT_RETURN_IF_ERROR(check);
  return out;
}

// The same rows as the sessions produce, straight into the store in fixed-size batches.
absl::StatusOr<absl::Duration> RunBaseline(const BenchOptions& options, const std::string& dir) {
  DLKIT_ASSIGN_OR_RETURN(std::unique_ptr<SqliteExperimentStore> store,
                         SqliteExperimentStore::Open(dir + "/baseline.db"));
  std::vector<std::string> ids;
  for (int i = 0; i < options.sessions; ++i) {
    v1::Trial trial;
    trial.set_id(absl::StrCat("trial", i));
    trial.set_experiment_id(kExperimentId);
    trial.set_index(i + 1);
    trial.set_state(v1::RUNNING);
    DLKIT_RETURN_IF_ERROR(store->SaveTrial(trial));
    ids.push_back(trial.id());
  }
  // Interleaved across trials, as the Manager's writer sees them.
  std::vector<MetricRow> rows;
  rows.reserve(static_cast<size_t>(options.reports) * options.sessions);
  for (int64_t seq = 1; seq <= options.reports; ++seq) {
    for (int i = 0; i < options.sessions; ++i) {
      MetricRow row;
      row.trial_id = ids[i];
      row.seq = seq;
      row.kind = KindOf(seq);
      row.step = (seq - 1) / 2;
      row.value = ValueOf(i + 1, seq);
      row.time = absl::Now();
      rows.push_back(std::move(row));
    }
  }
  const absl::Time start = absl::Now();
  std::vector<MetricRow> batch;
  for (size_t i = 0; i < rows.size(); i += options.baseline_batch) {
    batch.assign(rows.begin() + i,
                 rows.begin() + std::min(rows.size(), i + options.baseline_batch));
    DLKIT_RETURN_IF_ERROR(store->AppendMetrics(batch));
  }
  return absl::Now() - start;
}

int Main(const BenchOptions& options) {
  std::string dir = options.dir;
  const bool own_dir = dir.empty();
  if (own_dir) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(tmp != nullptr && *tmp ? tmp : "/tmp", "/dlkit-ingest-bench-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "ingest_bench: cannot create a folder from " << pattern << "\n";
      return 1;
    }
    dir = pattern;
  } else {
    std::filesystem::create_directories(dir);
  }
  std::cout << absl::StreamFormat(
      "ingest_bench: %d sessions x %d reports, window %d, %s, store in %s\n", options.sessions,
      options.reports, options.window,
      options.shared_channel ? "one shared channel" : "one channel per session", dir);

  absl::StatusOr<IngestResult> ingest = RunIngest(options, dir);
  if (!ingest.ok()) {
    std::cerr << "ingest_bench: manager run failed: " << ingest.status() << "\n";
    return 1;
  }
  absl::StatusOr<absl::Duration> baseline = RunBaseline(options, dir);
  if (!baseline.ok()) {
    std::cerr << "ingest_bench: baseline failed: " << baseline.status() << "\n";
    return 1;
  }
  if (own_dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  const double rate = ingest->reports / absl::ToDoubleSeconds(ingest->wall);
  const double base_rate = ingest->reports / absl::ToDoubleSeconds(*baseline);
  std::cout << absl::StreamFormat(
      "\n%-44s %12s %10s\n"
      "%-44s %12d %10.3f\n"
      "%-44s %12d %10.3f\n",
      "run", "reports", "seconds", "manager: TrialSession -> SQLite -> ack", ingest->reports,
      absl::ToDoubleSeconds(ingest->wall),
      absl::StrFormat("baseline: AppendMetrics, %d-row batches", options.baseline_batch),
      ingest->reports, absl::ToDoubleSeconds(*baseline));
  std::cout << absl::StreamFormat(
      "\nmanager rate   %10.0f reports/s   (goal >= 50000: %s)\n"
      "baseline rate  %10.0f rows/s\n"
      "ratio          %10.3f (manager / baseline)\n"
      "acks per session %8.1f (about one per writer commit: mean batch ~%.0f rows)\n"
      "process CPU    %10.2f s in %.2f s wall = %.2f cores busy (server + load generator; "
      "%u CPUs)\n"
      "served back: GetTrial x%d %.3f s, ListTrials(include_series) %.3f s (%.1f MB): "
      "all %d values per trial match\n",
      rate, rate >= 50000 ? "met" : "MISSED", base_rate, rate / base_rate,
      ingest->mean_acks_per_session,
      ingest->mean_acks_per_session > 0
          ? options.reports * options.sessions / ingest->mean_acks_per_session
          : 0.0,
      absl::ToDoubleSeconds(ingest->cpu), absl::ToDoubleSeconds(ingest->wall),
      absl::ToDoubleSeconds(ingest->cpu) / absl::ToDoubleSeconds(ingest->wall),
      std::thread::hardware_concurrency(), options.sessions,
      absl::ToDoubleSeconds(ingest->get_trials_time),
      absl::ToDoubleSeconds(ingest->list_trials_time), ingest->list_bytes / 1e6, options.reports);
  // One process holds both ends of every session, so this is an upper bound for the Manager.
  std::cout << absl::StreamFormat(
      "memory: %.1f MB resident before the sessions, %.1f MB with all %d open: %.1f KB per "
      "session (Manager and load generator together)\n",
      ingest->resident_before_sessions / 1e6, ingest->resident_sessions_open / 1e6,
      options.sessions,
      (ingest->resident_sessions_open - ingest->resident_before_sessions) / 1e3 /
          options.sessions);
  return 0;
}

}  // namespace
}  // namespace dlkit

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (!absl::GetFlag(FLAGS_deadlock_detection)) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
  dlkit::BenchOptions options;
  options.sessions = absl::GetFlag(FLAGS_sessions);
  options.reports = absl::GetFlag(FLAGS_reports);
  options.window = absl::GetFlag(FLAGS_window);
  options.baseline_batch = absl::GetFlag(FLAGS_baseline_batch);
  options.shared_channel = absl::GetFlag(FLAGS_shared_channel);
  options.dir = absl::GetFlag(FLAGS_dir);
  if (options.sessions < 1 || options.reports < 1 || options.window < 1 ||
      options.baseline_batch < 1) {
    std::cerr << "ingest_bench: --sessions, --reports, --window and --baseline_batch must be "
                 ">= 1\n";
    return 2;
  }
  return dlkit::Main(options);
}
