#include "services/manager/experiment_manager.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <limits>
#include <optional>
#include <random>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "services/config/parameter_json.h"
#include "services/common/grpc_status.h"
#include "services/config/search_space_validation.h"
#include "base/status_macros.h"
#include "services/manager/sqlite_experiment_store.h"
#include "base/logging.h"

namespace dlkit {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kStopGraceSeconds = 10;
constexpr auto kTunerDeadline = std::chrono::seconds(120);

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

absl::Duration ToAbslDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  return TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(d));
}

bool IsTerminal(v1::TrialState state) {
  return state == v1::SUCCEEDED || state == v1::FAILED || state == v1::EARLY_STOPPED ||
         state == v1::KILLED;
}

std::string RandomHex(size_t bytes) {
  std::random_device device;  // /dev/urandom on Linux: fine for secrets
  std::string out;
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < bytes; ++i) {
    unsigned v = device() & 0xff;
    out.push_back(kHex[v >> 4]);
    out.push_back(kHex[v & 15]);
  }
  return out;
}

int MetricSlot(v1::MetricKind kind) {
  int k = static_cast<int>(kind);
  return k >= 0 && k < 4 ? k : 0;
}

// Adds `later` after `to`, as if both had been queued in that order.
void AppendChanges(StoreChanges& to, StoreChanges&& later) {
  if (later.experiment) to.experiment = std::move(later.experiment);
  for (auto& trial : later.trials) to.trials.push_back(std::move(trial));
  for (auto& transition : later.transitions) to.transitions.push_back(std::move(transition));
  for (auto& metric : later.metrics) to.metrics.push_back(std::move(metric));
  for (auto& secret : later.secrets) to.secrets.push_back(std::move(secret));
}

}  // namespace

ExperimentManager::ExperimentManager(std::string id, Options options,
                                     std::unique_ptr<ExperimentStore> store)
    : id_(std::move(id)), options_(std::move(options)), store_(std::move(store)) {
  // Running before Start, so that what Open queues (interrupted trials) is stored even if the
  // experiment is never started.
  writer_ = std::thread([this] { WriterLoop(); });
}

absl::StatusOr<std::unique_ptr<ExperimentManager>> ExperimentManager::Create(
    const std::string& id, const v1::ExperimentSpec& spec, Options options) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(options.directory) / "trials", ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot create experiment folder ",
                                            options.directory, ": ", ec.message()));
  }
  DLKIT_ASSIGN_OR_RETURN(
      std::unique_ptr<SqliteExperimentStore> store,
      SqliteExperimentStore::Open(options.directory + "/experiment.db"));
  std::unique_ptr<ExperimentManager> manager(
      new ExperimentManager(id, std::move(options), std::move(store)));
  absl::MutexLock lock(&manager->mu_);
  v1::Experiment& e = manager->experiment_;
  e.set_id(id);
  *e.mutable_spec() = spec;
  e.set_state(v1::EXPERIMENT_RUNNING);
  e.set_reason("submitted");
  *e.mutable_created() = ToTimestamp(absl::Now());
  e.set_manager_address(manager->options_.manager_address);
  e.set_log_directory(manager->options_.directory + "/trials");
  manager->running_since_ = absl::Now();
  // Written now, not queued: a submit that cannot be stored fails.
  StoreChanges first;
  first.experiment = e;
  first.transitions.push_back({"", "RUNNING", "submitted", absl::Now()});
  absl::MutexLock store_lock(&manager->store_mu_);
  DLKIT_RETURN_IF_ERROR(manager->store_->Apply(first));
  return manager;
}

absl::StatusOr<std::unique_ptr<ExperimentManager>> ExperimentManager::Open(Options options) {
  DLKIT_ASSIGN_OR_RETURN(
      std::unique_ptr<SqliteExperimentStore> store,
      SqliteExperimentStore::Open(options.directory + "/experiment.db"));
  DLKIT_ASSIGN_OR_RETURN(v1::Experiment experiment, store->LoadExperiment());
  DLKIT_ASSIGN_OR_RETURN(std::vector<v1::Trial> trials, store->LoadTrials(false));
  std::unique_ptr<ExperimentManager> manager(
      new ExperimentManager(experiment.id(), std::move(options), std::move(store)));
  absl::MutexLock lock(&manager->mu_);
  manager->experiment_ = experiment;
  manager->experiment_.set_manager_address(manager->options_.manager_address);
  manager->elapsed_before_ = ToAbslDuration(experiment.elapsed());
  // A cluster's trials run on without their Manager: a restarted one takes them back and
  // carries on. A local daemon's died with it: they are interrupted and the experiment waits
  // for resume.
  const bool adopt = manager->options_.backend != nullptr &&
                     manager->options_.backend->TrialsOutliveManager() &&
                     !experiment.spec().ask_tell();
  int adopted = 0;
  for (v1::Trial& trial : trials) {
    TrialRuntime& runtime = manager->trials_[trial.id()];
    runtime.trial = std::move(trial);
    manager->order_.push_back(&runtime);
    manager->Tally(runtime.trial, 1);
    manager->ConsiderBest(runtime.trial);
    // Secrets of the trials that will use them: a launch to come, or a session taken back.
    if (runtime.trial.state() == v1::WAITING || (runtime.trial.state() == v1::RUNNING && adopt)) {
      absl::MutexLock store_lock(&manager->store_mu_);
      absl::StatusOr<std::string> secret = manager->store_->LoadSecret(runtime.trial.id());
      if (secret.ok()) runtime.secret = *std::move(secret);
    }
    if (runtime.trial.state() == v1::WAITING) manager->queue_.push_back(runtime.trial.id());
    if (runtime.trial.state() == v1::RUNNING) {
      if (!adopt) {
        runtime.interrupt = true;
        manager->FinishTrial(runtime, v1::KILLED, "the daemon exited while the trial ran");
      } else if (absl::Status taken = manager->Adopt(runtime); taken.ok()) {
        ++adopted;
      } else {
        manager->FinishTrial(runtime, v1::FAILED,
                             absl::StrCat("lost while the Manager restarted: ", taken.message()));
      }
    }
    manager->MarkChanged(runtime.trial.id());
  }
  if (experiment.state() == v1::EXPERIMENT_RUNNING && adopt) {
    manager->running_since_ = absl::Now();
    manager->SetState(v1::EXPERIMENT_RUNNING,
                      absl::StrCat("the Manager restarted and took back ", adopted,
                                   adopted == 1 ? " running trial" : " running trials"));
  } else if (experiment.state() == v1::EXPERIMENT_RUNNING) {
    manager->experiment_.set_state(v1::EXPERIMENT_STOPPED);
    manager->SetState(v1::EXPERIMENT_STOPPED,
                      absl::StrCat("the daemon exited while the experiment ran; `dlctl resume ",
                                   experiment.id(), "` continues it"));
  }
  return manager;
}

ExperimentManager::~ExperimentManager() { Shutdown(); }

void ExperimentManager::Start() {
  absl::MutexLock lock(&mu_);
  if (scheduler_.joinable()) return;
  scheduler_ = std::thread([this] { SchedulerLoop(); });
}

void ExperimentManager::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shutdown_) return;
    shutdown_ = true;
    stopping_ = true;
    // The experiment keeps its state on disk: the next daemon shows it STOPPED.
    if (experiment_.state() == v1::EXPERIMENT_RUNNING) {
      elapsed_before_ = ElapsedLocked();
      running_since_ = absl::Now();
      SaveExperiment();
    }
    for (auto& [watcher, unused] : watchers_) watcher->OnEnd();
    watchers_.clear();
  }
  if (scheduler_.joinable()) scheduler_.join();
  if (writer_.joinable()) writer_.join();
  if (options_.backend == nullptr) return;
  // The experiment stays RUNNING on disk: the next Manager takes its trials back or, for a
  // local daemon whose trials end here, shows it STOPPED.
  if (options_.backend->TrialsOutliveManager()) {
    options_.backend->Release();
  } else {
    options_.backend->TerminateAll();
  }
}

// --- state ---------------------------------------------------------------------------------

absl::Duration ExperimentManager::ElapsedLocked() {
  absl::Duration elapsed = elapsed_before_;
  if (experiment_.state() == v1::EXPERIMENT_RUNNING && running_since_ != absl::InfinitePast()) {
    elapsed += absl::Now() - running_since_;
  }
  return elapsed;
}

v1::Experiment ExperimentManager::ExperimentLocked() {
  v1::Experiment e = experiment_;
  *e.mutable_elapsed() = ToProtoDuration(ElapsedLocked());
  v1::TrialCounts* counts = e.mutable_counts();
  counts->set_waiting(tally_.by_state[v1::WAITING]);
  counts->set_running(tally_.by_state[v1::RUNNING]);
  counts->set_succeeded(tally_.by_state[v1::SUCCEEDED]);
  counts->set_failed(tally_.by_state[v1::FAILED]);
  counts->set_early_stopped(tally_.by_state[v1::EARLY_STOPPED]);
  counts->set_killed(tally_.by_state[v1::KILLED]);
  counts->set_finished(tally_.counted_ended);
  if (const v1::Trial* best = BestTrial()) {
    e.set_has_best(true);
    e.set_best_value(best->final_value());
    e.set_best_trial_id(best->id());
  }
  return e;
}

const v1::Trial* ExperimentManager::BestTrial() {
  auto it = trials_.find(best_trial_id_);
  return it == trials_.end() ? nullptr : &it->second.trial;
}

void ExperimentManager::ConsiderBest(const v1::Trial& trial) {
  if (!trial.has_final()) return;
  const v1::Trial* best = BestTrial();
  const bool minimize = experiment_.spec().objective().direction() == v1::MINIMIZE;
  if (best == nullptr || (minimize ? trial.final_value() < best->final_value()
                                   : trial.final_value() > best->final_value())) {
    best_trial_id_ = trial.id();
  }
}

void ExperimentManager::Tally(const v1::Trial& trial, int sign) {
  tally_.by_state[trial.state()] += sign;
  if (!trial.interrupted() && trial.attempt() == 0) {
    tally_.counted += sign;
    if (IsTerminal(trial.state())) tally_.counted_ended += sign;
  }
  if (trial.state() == v1::FAILED && trial.attempt() >= experiment_.spec().trial_retries()) {
    tally_.failed_for_good += sign;
    if (sign > 0) tally_.last_failure = absl::StrCat("trial ", trial.id(), ": ", trial.reason());
  }
}

void ExperimentManager::SetTrialState(TrialRuntime& runtime, v1::TrialState state,
                                      bool interrupted) {
  Tally(runtime.trial, -1);
  runtime.trial.set_state(state);
  runtime.trial.set_interrupted(interrupted);
  Tally(runtime.trial, 1);
}

int64_t ExperimentManager::QueueChanges(StoreChanges changes) {
  AppendChanges(pending_, std::move(changes));
  return ++queued_version_;
}

void ExperimentManager::AfterCommit(std::function<void()> callback) {
  if (writer_done_ || committed_version_ >= queued_version_) {
    callback();
  } else {
    after_commit_.emplace_back(queued_version_, std::move(callback));
  }
}

void ExperimentManager::WaitCommitted() {
  const int64_t version = queued_version_;
  auto committed = [this, version]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return committed_version_ >= version || writer_done_;
  };
  mu_.Await(absl::Condition(&committed));
}

void ExperimentManager::SaveExperiment() {
  StoreChanges changes;
  changes.experiment = experiment_;
  *changes.experiment->mutable_elapsed() = ToProtoDuration(ElapsedLocked());
  QueueChanges(std::move(changes));
}

void ExperimentManager::SaveTrial(TrialRuntime& runtime, const std::string& reason,
                                  bool with_experiment) {
  if (with_experiment) SaveExperiment();
  StoreChanges changes;
  changes.trials.push_back(runtime.trial);
  if (!reason.empty()) {
    changes.transitions.push_back(
        {runtime.trial.id(), v1::TrialState_Name(runtime.trial.state()), reason, absl::Now()});
  }
  QueueChanges(std::move(changes));
}

void ExperimentManager::SetState(v1::ExperimentState state, const std::string& reason) {
  const bool was_running = experiment_.state() == v1::EXPERIMENT_RUNNING;
  if (was_running && state != v1::EXPERIMENT_RUNNING) {
    elapsed_before_ = ElapsedLocked();
    running_since_ = absl::InfinitePast();
  }
  if (!was_running && state == v1::EXPERIMENT_RUNNING) running_since_ = absl::Now();
  experiment_.set_state(state);
  experiment_.set_reason(reason);
  if (state == v1::EXPERIMENT_DONE || state == v1::EXPERIMENT_FAILED) {
    *experiment_.mutable_ended() = ToTimestamp(absl::Now());
  } else {
    experiment_.clear_ended();
  }
  SaveExperiment();
  StoreChanges transition;
  transition.transitions.push_back({"", v1::ExperimentState_Name(state), reason, absl::Now()});
  QueueChanges(std::move(transition));
  v1::WatchExperimentResponse update;
  *update.mutable_experiment() = ExperimentLocked();
  Publish(update);
  Wake();
}

void ExperimentManager::Wake() { wake_ = true; }

void ExperimentManager::MarkChanged(const std::string& trial_id) {
  unsent_changes_[trial_id] = ++history_version_;
}

int ExperimentManager::CountedTrials() { return tally_.counted; }

int ExperimentManager::ActiveTrials() { return tally_.by_state[v1::RUNNING]; }

std::string ExperimentManager::NewTrialId() {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  while (true) {
    std::string id;
    for (int i = 0; i < 5; ++i) id.push_back(kAlphabet[device() % (sizeof(kAlphabet) - 1)]);
    if (trials_.count(id) == 0) return id;
  }
}

// --- watchers ------------------------------------------------------------------------------

void ExperimentManager::Publish(const v1::WatchExperimentResponse& update) {
  for (auto& [watcher, unused] : watchers_) watcher->OnUpdate(update);
}

void ExperimentManager::PublishTrial(const TrialRuntime& runtime, bool with_experiment) {
  if (watchers_.empty()) return;
  v1::WatchExperimentResponse update;
  *update.add_trials() = runtime.trial;
  if (with_experiment) *update.mutable_experiment() = ExperimentLocked();
  Publish(update);
}

void ExperimentManager::Watch(ExperimentWatcher* watcher, bool include_metrics,
                              bool snapshot_trials) {
  absl::MutexLock lock(&mu_);
  v1::WatchExperimentResponse snapshot;
  snapshot.set_snapshot(true);
  *snapshot.mutable_experiment() = ExperimentLocked();
  if (snapshot_trials) {
    for (const TrialRuntime* runtime : order_) *snapshot.add_trials() = runtime->trial;
  }
  watcher->OnUpdate(snapshot);
  if (shutdown_) {
    watcher->OnEnd();
    return;
  }
  watchers_[watcher] = include_metrics;
}

void ExperimentManager::Unwatch(ExperimentWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
}

// --- scheduling ----------------------------------------------------------------------------

void ExperimentManager::SchedulerLoop() {
  absl::MutexLock lock(&mu_);
  while (!shutdown_) {
    wake_ = false;
    while (!shutdown_ && ScheduleOnce()) {
    }
    absl::Time deadline = absl::InfiniteFuture();
    const absl::Duration max_duration =
        ToAbslDuration(experiment_.spec().max_experiment_duration());
    if (experiment_.state() == v1::EXPERIMENT_RUNNING && max_duration > absl::ZeroDuration()) {
      deadline = absl::Now() + (max_duration - ElapsedLocked());
    }
    auto woken = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return wake_ || shutdown_; };
    mu_.AwaitWithDeadline(absl::Condition(&woken), deadline);
  }
}

v1::StudyConfig ExperimentManager::StudyConfigLocked() {
  v1::StudyConfig config;
  const v1::ExperimentSpec& spec = experiment_.spec();
  *config.mutable_search_space() = spec.search_space();
  *config.mutable_tuner() = spec.tuner();
  *config.mutable_assessor() = spec.assessor();
  *config.mutable_objective() = spec.objective();
  config.set_seed(spec.seed());
  return config;
}

absl::Status ExperimentManager::CallTuner(
    const std::function<grpc::Status(grpc::ClientContext*, const v1::HistoryUpdate&)>& call) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool full = attempt > 0 || tuner_known_version_ == 0;
    v1::HistoryUpdate update;
    update.set_base_version(full ? 0 : tuner_known_version_);
    update.set_new_version(history_version_);
    if (full) {
      for (const TrialRuntime* runtime : order_) {
        unsent_changes_[runtime->trial.id()] = history_version_;
      }
    }
    for (const auto& [id, version] : unsent_changes_) {
      const TrialRuntime& runtime = trials_[id];
      v1::TrialRecord* record = update.add_records();
      record->set_trial_id(id);
      record->set_index(runtime.trial.index());
      record->set_state(runtime.trial.state());
      *record->mutable_parameters() = runtime.trial.parameters();
      record->set_has_final(runtime.trial.has_final());
      record->set_final_value(runtime.trial.final_value());
      for (double v : runtime.intermediate) record->add_intermediate(v);
    }
    const int64_t sent_version = history_version_;
    grpc::Status status;
    mu_.Unlock();
    {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + kTunerDeadline);
      context.set_wait_for_ready(true);
      status = call(&context, update);
    }
    mu_.Lock();
    if (status.ok()) {
      tuner_known_version_ = sent_version;
      for (auto it = unsent_changes_.begin(); it != unsent_changes_.end();) {
        it = it->second <= sent_version ? unsent_changes_.erase(it) : std::next(it);
      }
      return absl::OkStatus();
    }
    if (status.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
      return FromGrpcStatus(status);
    }
    // The Tuner lost its memory (restarted): send everything once more.
  }
  return absl::InternalError("the Tuner refused the full history");
}

bool ExperimentManager::ScheduleOnce() {
  if (experiment_.state() != v1::EXPERIMENT_RUNNING) return false;
  const v1::ExperimentSpec& spec = experiment_.spec();
  const absl::Duration max_duration = ToAbslDuration(spec.max_experiment_duration());
  auto end_with = [this](v1::ExperimentState state, const std::string& why) {
    for (TrialRuntime* runtime : order_) RequestKill(*runtime, v1::KILLED, why, false);
    queue_.clear();
    SetState(state, why);
  };
  if (max_duration > absl::ZeroDuration() && ElapsedLocked() >= max_duration) {
    end_with(v1::EXPERIMENT_DONE,
             absl::StrCat("maxExperimentDuration (", absl::FormatDuration(max_duration),
                          ") reached"));
    return false;
  }
  const int failed = tally_.failed_for_good;
  if (spec.max_failed_trials() > 0 && failed >= spec.max_failed_trials()) {
    end_with(v1::EXPERIMENT_FAILED,
             absl::StrCat(failed, " trials failed (maxFailedTrials is ", spec.max_failed_trials(),
                          "); last: ", tally_.last_failure));
    return false;
  }
  if (!tuner_error_.empty()) {
    end_with(v1::EXPERIMENT_FAILED, absl::StrCat("the tuner failed: ", tuner_error_));
    return false;
  }
  RunAssessments();
  if (experiment_.state() != v1::EXPERIMENT_RUNNING || shutdown_) return false;
  if (spec.ask_tell()) {
    // The user's workers ask for trials; the experiment is done when its last one is told.
    if (spec.max_trial_number() > 0 && CountedTrials() >= spec.max_trial_number() &&
        ActiveTrials() == 0) {
      SetState(v1::EXPERIMENT_DONE,
               absl::StrCat("maxTrialNumber (", spec.max_trial_number(), ") reached"));
    }
    return false;
  }

  int slots = std::max(spec.trial_concurrency(), 1) - ActiveTrials();
  bool launched = false;
  while (slots > 0 && !queue_.empty()) {
    std::string id = queue_.front();
    queue_.pop_front();
    auto it = trials_.find(id);
    if (it == trials_.end() || it->second.trial.state() != v1::WAITING) continue;
    Launch(it->second);
    --slots;
    launched = true;
  }
  const int remaining = spec.max_trial_number() > 0
                            ? spec.max_trial_number() - CountedTrials()
                            : std::numeric_limits<int>::max();
  if (slots > 0 && remaining > 0 && !exhausted_) {
    v1::SuggestResponse response;
    const v1::StudyConfig config = StudyConfigLocked();
    const int count = std::min(slots, remaining);
    absl::Status status = CallTuner([&](grpc::ClientContext* context,
                                        const v1::HistoryUpdate& history) {
      v1::SuggestRequest request;
      request.set_experiment_id(id_);
      *request.mutable_config() = config;
      *request.mutable_history() = history;
      request.set_count(count);
      return options_.tuner->Suggest(context, request, &response);
    });
    if (!status.ok()) {
      tuner_error_ = std::string(status.message());
      return true;
    }
    if (response.exhausted()) exhausted_ = true;
    // Nothing proposed while nothing runs: no trial's end will ever wake this loop again.
    if (response.parameters().empty() && ActiveTrials() == 0 && queue_.empty()) {
      exhausted_ = true;
    }
    for (const v1::ParameterSet& parameters : response.parameters()) {
      TrialRuntime& runtime = CreateTrial(parameters, false, 0);
      // The state may have changed while the Tuner answered: then they wait for resume.
      if (experiment_.state() == v1::EXPERIMENT_RUNNING && !shutdown_) {
        Launch(runtime);
        launched = true;
      } else {
        queue_.push_back(runtime.trial.id());
      }
    }
    if (!response.parameters().empty()) return true;
  }
  if (launched) return true;
  if (ActiveTrials() == 0 && queue_.empty() && (remaining <= 0 || exhausted_)) {
    SetState(v1::EXPERIMENT_DONE,
             remaining <= 0
                 ? absl::StrCat("maxTrialNumber (", spec.max_trial_number(), ") reached")
                 : "the search space is exhausted");
  }
  return false;
}

void ExperimentManager::RunAssessments() {
  if (experiment_.spec().assessor().name().empty()) return;
  std::vector<std::string> pending;
  for (auto& [id, runtime] : trials_) {
    if (runtime.assess_pending && runtime.trial.state() == v1::RUNNING) pending.push_back(id);
    runtime.assess_pending = false;
  }
  const v1::StudyConfig config = StudyConfigLocked();
  for (const std::string& trial_id : pending) {
    v1::AssessResponse response;
    absl::Status status = CallTuner([&](grpc::ClientContext* context,
                                        const v1::HistoryUpdate& history) {
      v1::AssessRequest request;
      request.set_experiment_id(id_);
      *request.mutable_config() = config;
      *request.mutable_history() = history;
      request.set_trial_id(trial_id);
      return options_.tuner->Assess(context, request, &response);
    });
    if (!status.ok()) {
      dlkit::Log() << "experiment " << id_ << ": assessor: " << status;
      continue;
    }
    if (response.decision() == v1::STOP) {
      RequestKill(trials_[trial_id], v1::EARLY_STOPPED,
                  absl::StrCat("stopped early by the ", config.assessor().name(), " assessor"),
                  false);
    }
  }
}

ExperimentManager::TrialRuntime& ExperimentManager::CreateTrial(
    const v1::ParameterSet& parameters, bool user_added, int attempt) {
  const std::string trial_id = NewTrialId();
  TrialRuntime& runtime = trials_[trial_id];
  order_.push_back(&runtime);
  v1::Trial& t = runtime.trial;
  t.set_id(trial_id);
  t.set_experiment_id(id_);
  t.set_index(static_cast<int64_t>(order_.size()));
  t.set_state(v1::WAITING);
  *t.mutable_parameters() = parameters;
  *t.mutable_created() = ToTimestamp(absl::Now());
  t.set_log_path(absl::StrCat(options_.directory, "/trials/", trial_id, "/trial.log"));
  t.set_attempt(attempt);
  t.set_user_added(user_added);
  Tally(t, 1);
  SaveTrial(runtime, "created");
  // Stored with it: a Manager that restarts while the trial runs needs it to take it back.
  KeepSecret(runtime);
  MarkChanged(trial_id);
  PublishTrial(runtime, true);
  return runtime;
}

TrialLaunch ExperimentManager::LaunchFor(const TrialRuntime& runtime) {
  const v1::Trial& t = runtime.trial;
  TrialLaunch launch;
  launch.experiment_id = id_;
  launch.trial_id = t.id();
  launch.index = t.index();
  launch.secret = runtime.secret;
  launch.log_path = t.log_path();
  launch.output_dir = std::filesystem::path(t.log_path()).parent_path().string();
  launch.parameters_json = ParameterSetToJson(t.parameters()).dump();
  launch.spec = experiment_.spec();
  return launch;
}

void ExperimentManager::KeepSecret(TrialRuntime& runtime) {
  runtime.secret = RandomHex(16);
  StoreChanges changes;
  changes.secrets.emplace_back(runtime.trial.id(), runtime.secret);
  QueueChanges(std::move(changes));
}

absl::Status ExperimentManager::Adopt(TrialRuntime& runtime) {
  if (runtime.secret.empty()) {
    return absl::NotFoundError("its session secret was not stored (an older dlkit launched it)");
  }
  // Where its Reporter left off: it resends what was not stored and goes on counting.
  std::optional<v1::Trial> with_series;
  {
    absl::MutexLock store_lock(&store_mu_);
    DLKIT_ASSIGN_OR_RETURN(with_series, store_->LoadTrial(runtime.trial.id(), true));
    DLKIT_ASSIGN_OR_RETURN(runtime.committed_seq, store_->MaxMetricSeq(runtime.trial.id()));
  }
  runtime.highest_seq = runtime.committed_seq;
  runtime.intermediate.clear();
  for (const v1::Measurement& m : with_series->intermediate()) {
    runtime.intermediate.push_back(m.value());
  }
  runtime.steps[MetricSlot(v1::INTERMEDIATE)] = with_series->intermediate_size();
  runtime.steps[MetricSlot(v1::LOSS)] = with_series->loss_size();
  runtime.steps[MetricSlot(v1::FINAL)] = with_series->has_final() ? 1 : 0;
  return options_.backend->Adopt(LaunchFor(runtime), GoneHandler());
}

void ExperimentManager::Launch(TrialRuntime& runtime) {
  v1::Trial& t = runtime.trial;
  if (runtime.secret.empty()) KeepSecret(runtime);
  const TrialLaunch launch = LaunchFor(runtime);
  absl::Status status = options_.backend->Launch(launch, GoneHandler());
  if (!status.ok()) {
    FinishTrial(runtime, v1::FAILED, absl::StrCat("could not start: ", status.message()));
    return;
  }
  SetTrialState(runtime, v1::RUNNING);
  *t.mutable_started() = ToTimestamp(absl::Now());
  SaveTrial(runtime, "launched");
  MarkChanged(t.id());
  PublishTrial(runtime, true);
}

TrialBackend::GoneCallback ExperimentManager::GoneHandler() {
  return [this](const std::string& trial_id, const std::string& why) {
    OnBackendGone(trial_id, why);
  };
}

void ExperimentManager::OnBackendGone(const std::string& trial_id, const std::string& why) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;  // the daemon is going away: the trial stays RUNNING on disk
  auto it = trials_.find(trial_id);
  if (it == trials_.end() || IsTerminal(it->second.trial.state())) return;
  TrialRuntime& runtime = it->second;
  if (runtime.kill_requested) {
    FinishTrial(runtime, runtime.kill_state, runtime.kill_reason);
    return;
  }
  FinishTrial(runtime, v1::FAILED, absl::StrCat("lost: ", why, " before the trial ended"));
}

void ExperimentManager::RequestKill(TrialRuntime& runtime, v1::TrialState reason_state,
                                    const std::string& why, bool interrupt) {
  if (IsTerminal(runtime.trial.state())) return;
  if (runtime.trial.state() == v1::WAITING) {
    // A WAITING trial has no process; when the experiment is only paused it waits for resume.
    if (!interrupt) FinishTrial(runtime, reason_state, why);
    return;
  }
  if (runtime.kill_requested) return;
  runtime.kill_requested = true;
  runtime.kill_state = reason_state;
  runtime.kill_reason = why;
  runtime.interrupt = interrupt;
  if (runtime.sink != nullptr) {
    v1::StopCommand stop;
    stop.set_reason(reason_state);
    stop.set_grace_seconds(kStopGraceSeconds);
    runtime.sink->SendStop(stop);
  } else if (experiment_.spec().ask_tell()) {
    // No process here: a kill or a stop ends the trial now; an assessor's stop is answered
    // on the worker's next report, and its tell ends the trial EARLY_STOPPED.
    if (reason_state != v1::EARLY_STOPPED) FinishTrial(runtime, reason_state, why);
  } else {
    options_.backend->Terminate(runtime.trial.id());
  }
}

void ExperimentManager::FinishTrial(TrialRuntime& runtime, v1::TrialState state,
                                    const std::string& reason) {
  v1::Trial& t = runtime.trial;
  t.set_reason(reason);
  SetTrialState(runtime, state, runtime.interrupt);
  *t.mutable_ended() = ToTimestamp(absl::Now());
  // With the experiment row, so its running time survives a daemon that is killed.
  SaveTrial(runtime, reason, /*with_experiment=*/true);
  MarkChanged(t.id());
  const v1::ExperimentSpec& spec = experiment_.spec();
  if (state == v1::FAILED && t.attempt() < spec.trial_retries() &&
      experiment_.state() == v1::EXPERIMENT_RUNNING && !stopping_) {
    TrialRuntime& retry = CreateTrial(t.parameters(), t.user_added(), t.attempt() + 1);
    queue_.push_front(retry.trial.id());
  }
  PublishTrial(runtime, true);
  Wake();
}

// --- sessions ------------------------------------------------------------------------------

absl::StatusOr<v1::ParameterSet> ExperimentManager::AttachSession(const v1::TrialHello& hello,
                                                                  TrialSessionSink* sink) {
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(hello.trial_id());
  if (it == trials_.end()) {
    return absl::NotFoundError(
        absl::StrCat("trial ", hello.trial_id(), " is not part of experiment ", id_));
  }
  TrialRuntime& runtime = it->second;
  if (runtime.secret.empty() || hello.secret() != runtime.secret) {
    return absl::PermissionDeniedError(
        absl::StrCat("wrong secret for trial ", hello.trial_id()));
  }
  if (IsTerminal(runtime.trial.state())) {
    return absl::FailedPreconditionError(
        absl::StrCat("trial ", hello.trial_id(), " has already ended (",
                     v1::TrialState_Name(runtime.trial.state()), ")"));
  }
  runtime.sink = sink;
  std::error_code ec;
  const uintmax_t log_size = std::filesystem::file_size(runtime.trial.log_path(), ec);
  sink->SendLogOffset(ec ? 0 : static_cast<int64_t>(log_size));
  if (runtime.committed_seq > 0) sink->SendAck(runtime.committed_seq);
  if (runtime.kill_requested) {
    v1::StopCommand stop;
    stop.set_reason(runtime.kill_state);
    stop.set_grace_seconds(kStopGraceSeconds);
    sink->SendStop(stop);
  }
  return runtime.trial.parameters();
}

void ExperimentManager::DetachSession(const std::string& trial_id, TrialSessionSink* sink) {
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(trial_id);
  if (it != trials_.end() && it->second.sink == sink) it->second.sink = nullptr;
}

void ExperimentManager::OnTrialStarted(const std::string& /*trial_id*/) {
  // Nothing to record: the trial has been RUNNING since its launch.
}

void ExperimentManager::OnMetric(const std::string& trial_id, const v1::MetricReport& metric) {
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(trial_id);
  if (it != trials_.end()) QueueMetric(it->second, metric);
}

void ExperimentManager::QueueMetric(TrialRuntime& runtime, const v1::MetricReport& metric) {
  const std::string& trial_id = runtime.trial.id();
  if (metric.seq() <= runtime.highest_seq) {
    // A resend after a reconnect: ack now if stored, else the writer acks it.
    if (metric.seq() <= runtime.committed_seq && runtime.sink) {
      runtime.sink->SendAck(runtime.committed_seq);
    }
    return;
  }
  runtime.highest_seq = metric.seq();
  MetricRow row;
  row.trial_id = trial_id;
  row.seq = metric.seq();
  row.kind = metric.kind();
  row.step = runtime.steps[MetricSlot(metric.kind())]++;
  row.value = metric.value();
  row.time = absl::Now();
  v1::Trial& t = runtime.trial;
  if (metric.kind() == v1::INTERMEDIATE) {
    runtime.intermediate.push_back(metric.value());
    t.set_last_intermediate(metric.value());
    t.set_has_last_intermediate(true);
    MarkChanged(trial_id);
    if (!experiment_.spec().assessor().name().empty()) {
      runtime.assess_pending = true;
      Wake();
    }
  } else if (metric.kind() == v1::FINAL) {
    t.set_has_final(true);
    t.set_final_value(metric.value());
    MarkChanged(trial_id);
    if (trial_id == best_trial_id_) {
      // The best was reported again, maybe worse: look at every trial (rare).
      best_trial_id_.clear();
      for (const auto& [id, other] : trials_) ConsiderBest(other.trial);
    } else {
      ConsiderBest(t);
    }
  }
  pending_.metrics.push_back(std::move(row));
}

void ExperimentManager::WriterLoop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !pending_.empty() || shutdown_;
    };
    mu_.Await(absl::Condition(&ready));
    if (pending_.empty()) {  // shut down and drained
      writer_done_ = true;
      return;
    }
    StoreChanges batch = std::exchange(pending_, StoreChanges());
    const int64_t version = queued_version_;
    mu_.Unlock();
    absl::Status status;
    {
      absl::MutexLock store_lock(&store_mu_);
      status = store_->Apply(batch);
    }
    mu_.Lock();
    if (!status.ok()) {
      // Nothing is acked or answered, so Reporters keep their metrics and callers wait; put
      // the batch back before what came since and try again shortly.
      dlkit::Log() << "experiment " << id_ << ": storing changes: " << status;
      AppendChanges(batch, std::exchange(pending_, StoreChanges()));
      pending_ = std::move(batch);
      mu_.Unlock();
      absl::SleepFor(absl::Milliseconds(200));
      mu_.Lock();
      continue;
    }
    committed_version_ = version;
    std::map<std::string, int64_t> acked;
    v1::WatchExperimentResponse metrics_update;
    std::set<std::string> finals;
    for (const MetricRow& row : batch.metrics) {
      int64_t& seq = acked[row.trial_id];
      seq = std::max(seq, row.seq);
      if (row.kind == v1::FINAL) finals.insert(row.trial_id);
      v1::MetricEvent* event = metrics_update.add_metrics();
      event->set_trial_id(row.trial_id);
      event->set_kind(row.kind);
      event->mutable_measurement()->set_step(row.step);
      event->mutable_measurement()->set_value(row.value);
      *event->mutable_measurement()->mutable_time() = ToTimestamp(row.time);
    }
    for (const auto& [trial_id, seq] : acked) {
      TrialRuntime& runtime = trials_[trial_id];
      runtime.committed_seq = std::max(runtime.committed_seq, seq);
      if (runtime.sink != nullptr) runtime.sink->SendAck(runtime.committed_seq);
    }
    if (!batch.metrics.empty()) {
      for (auto& [watcher, include_metrics] : watchers_) {
        if (include_metrics) watcher->OnUpdate(metrics_update);
      }
    }
    for (const std::string& trial_id : finals) PublishTrial(trials_[trial_id], true);
    std::vector<std::function<void()>> due;
    auto later = std::partition(after_commit_.begin(), after_commit_.end(),
                                [&](const auto& entry) { return entry.first > version; });
    for (auto it = later; it != after_commit_.end(); ++it) due.push_back(std::move(it->second));
    after_commit_.erase(later, after_commit_.end());
    for (auto& callback : due) callback();
  }
}

absl::Status ExperimentManager::OnTrialLog(const std::string& trial_id,
                                           const v1::LogChunk& chunk) {
  constexpr int64_t kMaxChunk = int64_t{1} << 20;
  constexpr int64_t kMaxLog = int64_t{1} << 34;  // 16 GiB: beyond, a runaway trial
  const int64_t size = static_cast<int64_t>(chunk.data().size());
  if (chunk.offset() < 0 || size > kMaxChunk || chunk.offset() + size > kMaxLog) {
    return absl::InvalidArgumentError(absl::StrCat("log chunk of trial ", trial_id, " at offset ",
                                                   chunk.offset(), " with ", size,
                                                   " bytes is out of bounds"));
  }
  std::string path;
  {
    absl::MutexLock lock(&mu_);
    auto it = trials_.find(trial_id);
    if (it == trials_.end()) return absl::NotFoundError(absl::StrCat("no trial ", trial_id));
    path = it->second.trial.log_path();
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  int64_t written = 0;
  while (written < size) {
    const ssize_t n = pwrite(fd, chunk.data().data() + written, size - written,
                             chunk.offset() + written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += n;
  }
  const int saved_errno = errno;
  close(fd);
  if (written < size) {
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(saved_errno)));
  }
  return absl::OkStatus();
}

void ExperimentManager::OnTrialExit(const std::string& trial_id, const v1::TrialExit& exit) {
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) return;
  TrialRuntime& runtime = it->second;
  if (!IsTerminal(runtime.trial.state())) {
    v1::Trial& t = runtime.trial;
    t.set_exit_code(exit.exit_code());
    t.set_signal(exit.signal());
    t.set_log_tail(exit.log_tail());
    if (runtime.kill_requested) {
      FinishTrial(runtime, runtime.kill_state, runtime.kill_reason);
    } else if (exit.exit_code() == 0 && exit.signal() == 0) {
      FinishTrial(runtime, v1::SUCCEEDED, "exited with code 0");
    } else if (exit.signal() != 0) {
      FinishTrial(runtime, v1::FAILED, absl::StrCat("killed by signal ", exit.signal()));
    } else {
      FinishTrial(runtime, v1::FAILED, absl::StrCat("exited with code ", exit.exit_code()));
    }
  }
  // The Reporter may exit once its session ends, so that happens when the exit is stored.
  AfterCommit([this, trial_id]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    TrialRuntime& runtime = trials_[trial_id];
    if (runtime.sink != nullptr) runtime.sink->Close();
  });
}

// --- user calls ----------------------------------------------------------------------------

v1::Experiment ExperimentManager::GetExperiment() {
  absl::MutexLock lock(&mu_);
  return ExperimentLocked();
}

absl::StatusOr<v1::Experiment> ExperimentManager::Stop() {
  absl::MutexLock lock(&mu_);
  if (experiment_.state() == v1::EXPERIMENT_STOPPED) return ExperimentLocked();  // idempotent
  if (experiment_.state() != v1::EXPERIMENT_RUNNING) {
    return absl::FailedPreconditionError(
        absl::StrCat("experiment ", id_, " is ", v1::ExperimentState_Name(experiment_.state()),
                     ", not running"));
  }
  for (TrialRuntime* runtime : order_) {
    RequestKill(*runtime, v1::KILLED, "the experiment was stopped", true);
  }
  SetState(v1::EXPERIMENT_STOPPED, "stopped by the user");
  WaitCommitted();
  return ExperimentLocked();
}

absl::StatusOr<v1::Experiment> ExperimentManager::Resume() {
  absl::MutexLock lock(&mu_);
  if (experiment_.state() == v1::EXPERIMENT_RUNNING) return ExperimentLocked();  // idempotent
  // Interrupted trials run again with the same parameters, before anything new.
  std::vector<TrialRuntime*> interrupted;
  for (TrialRuntime* runtime : order_) {
    const v1::Trial& t = runtime->trial;
    if (t.interrupted() && !t.requeued() && IsTerminal(t.state())) interrupted.push_back(runtime);
  }
  for (TrialRuntime* runtime : interrupted) {
    TrialRuntime& old = *runtime;
    old.trial.set_requeued(true);
    SaveTrial(old, /*reason=*/"");  // not a transition: only the requeued mark
    TrialRuntime& again = CreateTrial(old.trial.parameters(), old.trial.user_added(), 0);
    queue_.push_back(again.trial.id());
  }
  tuner_error_.clear();
  SetState(v1::EXPERIMENT_RUNNING, "resumed by the user");
  WaitCommitted();
  return ExperimentLocked();
}

absl::StatusOr<v1::Experiment> ExperimentManager::Update(
    const v1::UpdateExperimentRequest& request) {
  absl::MutexLock lock(&mu_);
  v1::ExperimentSpec* spec = experiment_.mutable_spec();
  if (request.trial_concurrency() < 0 || request.max_trial_number() < 0 ||
      request.max_experiment_duration().seconds() < 0) {
    return absl::InvalidArgumentError("limits must not be negative");
  }
  if (request.trial_concurrency() > 0) spec->set_trial_concurrency(request.trial_concurrency());
  if (request.max_trial_number() > 0) spec->set_max_trial_number(request.max_trial_number());
  if (request.has_max_experiment_duration() &&
      ToAbslDuration(request.max_experiment_duration()) > absl::ZeroDuration()) {
    *spec->mutable_max_experiment_duration() = request.max_experiment_duration();
  }
  SaveExperiment();
  v1::WatchExperimentResponse update;
  *update.mutable_experiment() = ExperimentLocked();
  Publish(update);
  Wake();
  WaitCommitted();
  return ExperimentLocked();
}

v1::Trial ExperimentManager::WithSeries(const TrialRuntime& runtime) {
  v1::Trial trial = runtime.trial;
  absl::MutexLock lock(&store_mu_);
  absl::StatusOr<v1::Trial> stored = store_->LoadTrial(trial.id(), true);
  if (stored.ok()) {
    *trial.mutable_intermediate() = stored->intermediate();
    *trial.mutable_loss() = stored->loss();
    *trial.mutable_history() = stored->history();
  }
  return trial;
}

namespace {

// The value at "a/b" (a parameter inside a nested choice's option), or null.
const v1::ParameterValue* FindParameter(const v1::ParameterSet& set, absl::string_view path) {
  const v1::ParameterSet* current = &set;
  const v1::ParameterValue* value = nullptr;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (current == nullptr) return nullptr;
    auto it = current->values().find(std::string(part));
    if (it == current->values().end()) return nullptr;
    value = &it->second;
    current = value->has_nested() ? &value->nested() : nullptr;
  }
  return value;
}

std::optional<double> NumberOf(const v1::ParameterValue& value) {
  if (value.kind_case() == v1::ParameterValue::kDoubleValue) return value.double_value();
  if (value.kind_case() == v1::ParameterValue::kIntValue) return value.int_value();
  return std::nullopt;
}

std::string TextOf(const v1::ParameterValue& value) {
  switch (value.kind_case()) {
    case v1::ParameterValue::kDoubleValue: return absl::StrCat(value.double_value());
    case v1::ParameterValue::kIntValue: return absl::StrCat(value.int_value());
    case v1::ParameterValue::kStringValue: return value.string_value();
    case v1::ParameterValue::kBoolValue: return value.bool_value() ? "true" : "false";
    case v1::ParameterValue::kNested: {
      auto it = value.nested().values().find("_name");
      return it == value.nested().values().end() ? "" : it->second.string_value();
    }
    default: return "";
  }
}

bool PassesFilters(const v1::Trial& trial, const v1::ListTrialsRequest& request) {
  if (request.has_final_min() || request.has_final_max()) {
    if (!trial.has_final()) return false;
    if (request.has_final_min() && trial.final_value() < request.final_min()) return false;
    if (request.has_final_max() && trial.final_value() > request.final_max()) return false;
  }
  for (const v1::ParameterFilter& filter : request.parameter_filters()) {
    const v1::ParameterValue* value = FindParameter(trial.parameters(), filter.name());
    if (value == nullptr) return false;
    if (filter.has_min() || filter.has_max()) {
      std::optional<double> number = NumberOf(*value);
      if (!number) return false;
      if (filter.has_min() && *number < filter.min()) return false;
      if (filter.has_max() && *number > filter.max()) return false;
    }
    if (filter.one_of_size() > 0 &&
        std::find(filter.one_of().begin(), filter.one_of().end(), TextOf(*value)) ==
            filter.one_of().end()) {
      return false;
    }
  }
  return true;
}

double SecondsOf(const google::protobuf::Timestamp& t) { return t.seconds() + t.nanos() * 1e-9; }

}  // namespace

v1::GetExperimentChartsResponse ExperimentManager::GetCharts(int max_points, bool with_sample) {
  if (max_points <= 0) max_points = 1000;
  absl::MutexLock lock(&mu_);
  v1::GetExperimentChartsResponse charts;
  const bool minimize = experiment_.spec().objective().direction() == v1::MINIMIZE;
  const double created = SecondsOf(experiment_.created());
  // Ranked so that smaller is better, whatever the direction.
  auto rank_of = [minimize](double value) { return minimize ? value : -value; };

  // Each trial is read once into contiguous keys: sorting through pointers to 100,000
  // scattered messages costs a cache miss per comparison.
  struct Finished {
    double ended;
    double rank;
    const v1::Trial* trial;
  };
  std::vector<Finished> finished;
  std::vector<const v1::Trial*> started;
  for (const TrialRuntime* runtime : order_) {
    const v1::Trial& t = runtime->trial;
    if (t.has_final() && t.has_ended()) {
      finished.push_back({SecondsOf(t.ended()), rank_of(t.final_value()), &t});
    }
    if (t.has_started()) started.push_back(&t);
  }
  charts.set_finished(static_cast<int32_t>(finished.size()));

  // Best so far: only the improvements matter, plus where the line ends.
  std::vector<Finished> by_end = finished;
  std::stable_sort(by_end.begin(), by_end.end(),
                   [](const Finished& a, const Finished& b) { return a.ended < b.ended; });
  const Finished* best = nullptr;
  auto add_point = [&](double ended) {
    v1::BestSoFarPoint* point = charts.add_best_so_far();
    point->set_seconds(ended - created);
    point->set_value(best->trial->final_value());
    point->set_trial_id(best->trial->id());
    point->set_trial_index(best->trial->index());
  };
  for (const Finished& f : by_end) {
    if (best != nullptr && f.rank >= best->rank) continue;
    best = &f;
    add_point(f.ended);
  }
  if (best != nullptr && &by_end.back() != best) add_point(by_end.back().ended);

  // Durations: trials in index order, in at most max_points buckets.
  const double now = absl::ToUnixMicros(absl::Now()) * 1e-6;
  const size_t per_bucket = std::max<size_t>(1, (started.size() + max_points - 1) / max_points);
  for (size_t i = 0; i < started.size(); i += per_bucket) {
    v1::DurationBucket* bucket = charts.add_durations();
    const size_t end = std::min(started.size(), i + per_bucket);
    double sum = 0, max = 0;
    for (size_t j = i; j < end; ++j) {
      const v1::Trial& t = *started[j];
      const double d = (t.has_ended() ? SecondsOf(t.ended()) : now) - SecondsOf(t.started());
      sum += d;
      max = std::max(max, d);
    }
    bucket->set_first_index(started[i]->index());
    bucket->set_last_index(started[end - 1]->index());
    bucket->set_trials(static_cast<int32_t>(end - i));
    bucket->set_mean_seconds(sum / (end - i));
    bucket->set_max_seconds(max);
    if (end - i == 1) bucket->set_state(started[i]->state());
  }

  if (!with_sample) return charts;
  // A sample for parallel coordinates: the best tenth, then an even spread of the rest.
  std::vector<Finished>& ranked = finished;  // in index order, so ties keep it
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Finished& a, const Finished& b) { return a.rank < b.rank; });
  std::vector<const v1::Trial*> sample;
  if (ranked.size() <= static_cast<size_t>(max_points)) {
    for (const Finished& f : ranked) sample.push_back(f.trial);
  } else {
    const size_t top = max_points / 10;
    for (size_t k = 0; k < top; ++k) sample.push_back(ranked[k].trial);
    const size_t rest = ranked.size() - top, want = max_points - top;
    for (size_t k = 0; k < want; ++k) sample.push_back(ranked[top + k * rest / want].trial);
  }
  for (const v1::Trial* t : sample) {
    v1::Trial* out = charts.add_sample();
    out->set_id(t->id());
    out->set_index(t->index());
    out->set_state(t->state());
    *out->mutable_parameters() = t->parameters();
    out->set_has_final(true);
    out->set_final_value(t->final_value());
  }
  return charts;
}

absl::StatusOr<v1::ListTrialsResponse> ExperimentManager::ListTrials(
    const v1::ListTrialsRequest& request) {
  int64_t offset = 0;
  if (!request.page_token().empty() &&
      (!absl::SimpleAtoi(request.page_token(), &offset) || offset < 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token \"", request.page_token(), "\" is not one this server gave"));
  }
  absl::MutexLock lock(&mu_);
  const bool minimize = experiment_.spec().objective().direction() == v1::MINIMIZE;
  const double now = absl::ToUnixMicros(absl::Now()) * 1e-6;
  // The sort key of each selected trial, read once (see GetCharts); trials without the
  // sorted value come last whatever the order; ties keep index order.
  struct Keyed {
    bool missing;
    double key;
    int64_t index;
    const TrialRuntime* runtime;
  };
  auto key_of = [&](const v1::Trial& t) -> std::pair<bool, double> {
    switch (request.sort()) {
      case v1::SORT_BY_FINAL:  // best first
        if (!t.has_final()) return {true, 0};
        return {false, minimize ? t.final_value() : -t.final_value()};
      case v1::SORT_BY_STARTED:
        return {!t.has_started(), SecondsOf(t.started())};
      case v1::SORT_BY_DURATION:
        if (!t.has_started()) return {true, 0};
        return {false, (t.has_ended() ? SecondsOf(t.ended()) : now) - SecondsOf(t.started())};
      default:
        return {false, static_cast<double>(t.index())};
    }
  };
  std::vector<Keyed> selected;
  for (const TrialRuntime* runtime : order_) {
    const v1::Trial& t = runtime->trial;
    if (request.states_size() > 0 &&
        std::find(request.states().begin(), request.states().end(), t.state()) ==
            request.states().end()) {
      continue;
    }
    if (!PassesFilters(t, request)) continue;
    auto [missing, key] = key_of(t);
    selected.push_back({missing, request.reverse() ? -key : key, t.index(), runtime});
  }
  const int64_t total = static_cast<int64_t>(selected.size());
  const int64_t end = request.page_size() > 0 ? std::min<int64_t>(offset + request.page_size(), total)
                                              : total;
  // Only the rows up to this page's end need to be in order.
  auto before = [](const Keyed& a, const Keyed& b) {
    if (a.missing != b.missing) return b.missing;
    if (a.key != b.key) return a.key < b.key;
    return a.index < b.index;
  };
  if (end > offset) {
    std::partial_sort(selected.begin(), selected.begin() + end, selected.end(), before);
  }
  v1::ListTrialsResponse response;
  response.set_total(static_cast<int32_t>(total));
  for (int64_t i = offset; i < end; ++i) {
    const TrialRuntime& runtime = *selected[i].runtime;
    *response.add_trials() = request.include_series() ? WithSeries(runtime) : runtime.trial;
  }
  if (end < total) response.set_next_page_token(absl::StrCat(end));
  return response;
}

absl::StatusOr<v1::Trial> ExperimentManager::GetTrial(const std::string& trial_id) {
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) {
    return absl::NotFoundError(absl::StrCat("experiment ", id_, " has no trial ", trial_id));
  }
  return WithSeries(it->second);
}

absl::StatusOr<v1::Trial> ExperimentManager::KillTrial(const std::string& trial_id) {
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) {
    return absl::NotFoundError(absl::StrCat("experiment ", id_, " has no trial ", trial_id));
  }
  RequestKill(it->second, v1::KILLED, "killed by the user", false);
  WaitCommitted();
  return it->second.trial;
}

absl::StatusOr<std::vector<v1::Trial>> ExperimentManager::AddTrials(
    const std::vector<v1::ParameterSet>& sets) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> problems;
  for (size_t i = 0; i < sets.size(); ++i) {
    for (std::string& problem : ValidateParameterSet(sets[i], experiment_.spec().search_space(),
                                                     absl::StrCat("parameters[", i, "]"))) {
      problems.push_back(std::move(problem));
    }
  }
  if (sets.empty()) problems.push_back("parameters: no parameter sets given");
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  std::vector<v1::Trial> created;
  for (const v1::ParameterSet& parameters : sets) {
    TrialRuntime& runtime = CreateTrial(parameters, true, 0);
    queue_.push_back(runtime.trial.id());
    created.push_back(runtime.trial);
  }
  Wake();
  WaitCommitted();
  return created;
}

absl::StatusOr<std::string> ExperimentManager::TrialLogPath(const std::string& trial_id) {
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) {
    return absl::NotFoundError(absl::StrCat("experiment ", id_, " has no trial ", trial_id));
  }
  return it->second.trial.log_path();
}

absl::StatusOr<std::vector<v1::Trial>> ExperimentManager::AskTrials(int count) {
  absl::MutexLock lock(&mu_);
  const v1::ExperimentSpec& spec = experiment_.spec();
  if (!spec.ask_tell()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "experiment ", id_, " runs its own trials (trialCommand); AskTrials is for ask/tell"));
  }
  if (experiment_.state() != v1::EXPERIMENT_RUNNING) {
    // DONE means its limits are reached: nothing more to ask, as when asking past them.
    const std::string why = absl::StrCat("experiment ", id_, " is ",
                                         v1::ExperimentState_Name(experiment_.state()).substr(11),
                                         ": ", experiment_.reason());
    return experiment_.state() == v1::EXPERIMENT_DONE ? absl::OutOfRangeError(why)
                                                       : absl::FailedPreconditionError(why);
  }
  int wanted = std::max(count, 1);
  if (spec.max_trial_number() > 0) {
    const int remaining = spec.max_trial_number() - CountedTrials();
    if (remaining <= 0) {
      return absl::OutOfRangeError(absl::StrCat("experiment ", id_, " has asked all its ",
                                                spec.max_trial_number(), " trials"));
    }
    wanted = std::min(wanted, remaining);
  }
  if (exhausted_) {
    return absl::OutOfRangeError(absl::StrCat("the search space of ", id_, " is exhausted"));
  }
  v1::SuggestResponse response;
  const v1::StudyConfig config = StudyConfigLocked();
  absl::Status status = CallTuner([&](grpc::ClientContext* context,
                                      const v1::HistoryUpdate& history) {
    v1::SuggestRequest request;
    request.set_experiment_id(id_);
    *request.mutable_config() = config;
    *request.mutable_history() = history;
    request.set_count(wanted);
    return options_.tuner->Suggest(context, request, &response);
  });
  if (!status.ok()) return status;
  if (response.exhausted()) exhausted_ = true;
  std::vector<v1::Trial> asked;
  for (const v1::ParameterSet& parameters : response.parameters()) {
    TrialRuntime& runtime = CreateTrial(parameters, false, 0);
    SetTrialState(runtime, v1::RUNNING);
    *runtime.trial.mutable_started() = ToTimestamp(absl::Now());
    SaveTrial(runtime, "asked");
    MarkChanged(runtime.trial.id());
    PublishTrial(runtime, true);
    asked.push_back(runtime.trial);
  }
  WaitCommitted();  // an asked trial survives a daemon that is killed
  return asked;
}

absl::StatusOr<ExperimentManager::TrialRuntime*> ExperimentManager::AskedTrial(
    const std::string& trial_id) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) {
    return absl::NotFoundError(absl::StrCat("experiment ", id_, " has no trial ", trial_id));
  }
  if (!experiment_.spec().ask_tell()) {
    return absl::FailedPreconditionError(
        absl::StrCat("experiment ", id_, " is not in ask/tell mode"));
  }
  return &it->second;
}

absl::StatusOr<bool> ExperimentManager::ReportTrialMetric(const std::string& trial_id,
                                                          v1::MetricKind kind, double value,
                                                          int64_t seq) {
  absl::MutexLock lock(&mu_);
  DLKIT_ASSIGN_OR_RETURN(TrialRuntime * runtime, AskedTrial(trial_id));
  if (kind != v1::INTERMEDIATE && kind != v1::LOSS) {
    return absl::InvalidArgumentError("kind must be INTERMEDIATE or LOSS (TellTrial gives the final)");
  }
  if (seq <= 0) return absl::InvalidArgumentError("seq must count from 1 for each trial");
  if (IsTerminal(runtime->trial.state())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "trial ", trial_id, " has ended (", v1::TrialState_Name(runtime->trial.state()), ")"));
  }
  v1::MetricReport metric;
  metric.set_seq(seq);
  metric.set_kind(kind);
  metric.set_value(value);
  QueueMetric(*runtime, metric);
  return runtime->kill_requested;
}

absl::StatusOr<v1::Trial> ExperimentManager::TellTrial(const v1::TellTrialRequest& request) {
  absl::MutexLock lock(&mu_);
  DLKIT_ASSIGN_OR_RETURN(TrialRuntime * runtime, AskedTrial(request.trial_id()));
  if (IsTerminal(runtime->trial.state())) {  // a retried tell
    WaitCommitted();
    return runtime->trial;
  }
  if (!request.failed()) {
    v1::MetricReport metric;
    metric.set_seq(runtime->highest_seq + 1);
    metric.set_kind(v1::FINAL);
    metric.set_value(request.value());
    QueueMetric(*runtime, metric);
  }
  if (runtime->kill_requested) {
    FinishTrial(*runtime, runtime->kill_state, runtime->kill_reason);
  } else if (request.failed()) {
    FinishTrial(*runtime, v1::FAILED,
                request.reason().empty() ? "told as failed" : request.reason());
  } else {
    FinishTrial(*runtime, v1::SUCCEEDED, "told");
  }
  WaitCommitted();
  return runtime->trial;
}

bool ExperimentManager::TrialEnded(const std::string& trial_id) {
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(trial_id);
  return it == trials_.end() || IsTerminal(it->second.trial.state());
}

}  // namespace dlkit
