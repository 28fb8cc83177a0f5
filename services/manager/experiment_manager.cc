// ExperimentManager: its lifecycle, its state and tallies, its watchers and the user's
// calls. The scheduling loop is in trial_scheduling.cc, sessions and metrics in
// trial_sessions.cc, ask/tell in ask_tell.cc, the writer in experiment_writer.cc and the
// restore after a restart in experiment_restore.cc.

#include "services/manager/experiment_manager.h"

#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "services/common/proto_util.h"
#include "services/config/search_space_validation.h"
#include "services/manager/sqlite_experiment_store.h"
#include "services/manager/trial_query.h"

namespace dlkit {

ExperimentManager::ExperimentManager(std::string id, Options options,
                                     std::unique_ptr<ExperimentStore> store)
    : id_(std::move(id)),
      options_(std::move(options)),
      store_(std::move(store)),
      tuner_(
          id_, options_.tuner,
          [this](const std::string& trial_id, v1::TrialRecord* record)
              ABSL_NO_THREAD_SAFETY_ANALYSIS { RecordForTuner(trial_id, record); },
          [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
            std::vector<std::string> ids;
            ids.reserve(order_.size());
            for (const TrialRuntime* runtime : order_) ids.push_back(runtime->trial.id());
            return ids;
          }) {
  // Running before Start, so that what Open queues (interrupted trials) is stored even if the
  // experiment is never started.
  writer_ = std::thread([this] { WriterLoop(); });
}

absl::StatusOr<std::unique_ptr<ExperimentManager>> ExperimentManager::Create(
    const std::string& id, const v1::ExperimentSpec& spec, Options options) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(options.directory) / "trials", ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot create experiment folder ", options.directory, ": ", ec.message()));
  }
  DLKIT_ASSIGN_OR_RETURN(std::unique_ptr<SqliteExperimentStore> store,
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

ExperimentManager::~ExperimentManager() { Shutdown(); }

void ExperimentManager::Start() {
  absl::MutexLock lock(&mu_);
  if (scheduler_.joinable()) return;
  scheduler_ = std::thread([this] { SchedulerLoop(); });
}

void ExperimentManager::Shutdown(bool kill_trials) {
  const bool end_trials =
      kill_trials || (options_.backend != nullptr && !options_.backend->TrialsOutliveManager());
  {
    absl::MutexLock lock(&mu_);
    if (shutdown_) return;
    if (kill_trials && experiment_.state() == v1::EXPERIMENT_RUNNING &&
        !experiment_.spec().ask_tell()) {
      for (TrialRuntime* runtime : order_) {
        if (runtime->trial.state() != v1::RUNNING) continue;
        runtime->interrupt = true;  // resume runs it again
        FinishTrial(*runtime, v1::KILLED, "the daemon was stopped with --kill-trials");
      }
      SetState(v1::EXPERIMENT_STOPPED,
               absl::StrCat("the daemon was stopped with --kill-trials; `dlctl resume ", id_,
                            "` continues it"));
      WaitCommitted();
    }
    shutdown_ = true;
    stopping_ = true;
    // The experiment keeps its state on disk: the next daemon carries it on.
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
  if (end_trials) {
    options_.backend->TerminateAll();
  } else {
    options_.backend->Release();
  }
}

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
  counts->set_waiting(tally_.in_state(v1::WAITING));
  counts->set_running(tally_.in_state(v1::RUNNING));
  counts->set_succeeded(tally_.in_state(v1::SUCCEEDED));
  counts->set_failed(tally_.in_state(v1::FAILED));
  counts->set_early_stopped(tally_.in_state(v1::EARLY_STOPPED));
  counts->set_killed(tally_.in_state(v1::KILLED));
  counts->set_finished(tally_.counted_ended());
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
  tally_.Count(trial, experiment_.spec().trial_retries(), sign);
}

void ExperimentManager::SetTrialState(TrialRuntime& runtime, v1::TrialState state,
                                      bool interrupted) {
  Tally(runtime.trial, -1);
  runtime.trial.set_state(state);
  runtime.trial.set_interrupted(interrupted);
  Tally(runtime.trial, 1);
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

void ExperimentManager::MarkChanged(const std::string& trial_id) { tuner_.MarkChanged(trial_id); }

// Called by tuner_ under mu_ (it sends what changed before releasing the lock).
void ExperimentManager::RecordForTuner(const std::string& trial_id, v1::TrialRecord* record) {
  const TrialRuntime& runtime = trials_[trial_id];
  record->set_index(runtime.trial.index());
  record->set_state(runtime.trial.state());
  *record->mutable_parameters() = runtime.trial.parameters();
  record->set_has_final(runtime.trial.has_final());
  record->set_final_value(runtime.trial.final_value());
  for (double v : runtime.intermediate) record->add_intermediate(v);
}

int ExperimentManager::CountedTrials() { return tally_.counted(); }

int ExperimentManager::ActiveTrials() { return tally_.running(); }

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

v1::Experiment ExperimentManager::GetExperiment() {
  absl::MutexLock lock(&mu_);
  return ExperimentLocked();
}

absl::StatusOr<v1::Experiment> ExperimentManager::Stop() {
  absl::MutexLock lock(&mu_);
  if (experiment_.state() == v1::EXPERIMENT_STOPPED) return ExperimentLocked();  // idempotent
  if (experiment_.state() != v1::EXPERIMENT_RUNNING) {
    return absl::FailedPreconditionError(absl::StrCat("experiment ", id_, " is ",
                                                      v1::ExperimentState_Name(experiment_.state()),
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

v1::Trial ExperimentManager::WithSeries(const v1::Trial& current) {
  v1::Trial trial = current;
  absl::MutexLock lock(&store_mu_);
  absl::StatusOr<v1::Trial> stored = store_->LoadTrial(trial.id(), true);
  if (stored.ok()) {
    *trial.mutable_intermediate() = stored->intermediate();
    *trial.mutable_loss() = stored->loss();
    *trial.mutable_history() = stored->history();
  }
  return trial;
}

v1::GetExperimentChartsResponse ExperimentManager::GetCharts(int max_points, bool with_sample) {
  absl::MutexLock lock(&mu_);
  return BuildCharts(TrialsInOrder(), experiment_.created(),
                     experiment_.spec().objective().direction(), max_points, with_sample,
                     absl::Now());
}

std::vector<const v1::Trial*> ExperimentManager::TrialsInOrder() {
  std::vector<const v1::Trial*> trials;
  trials.reserve(order_.size());
  for (const TrialRuntime* runtime : order_) trials.push_back(&runtime->trial);
  return trials;
}

absl::StatusOr<v1::ListTrialsResponse> ExperimentManager::ListTrials(
    const v1::ListTrialsRequest& request) {
  absl::MutexLock lock(&mu_);
  DLKIT_ASSIGN_OR_RETURN(TrialPage page,
                         QueryTrials(TrialsInOrder(), request,
                                     experiment_.spec().objective().direction(), absl::Now()));
  v1::ListTrialsResponse response;
  response.set_total(page.total);
  for (const v1::Trial* trial : page.trials) {
    *response.add_trials() = request.include_series() ? WithSeries(*trial) : *trial;
  }
  response.set_next_page_token(page.next_page_token);
  return response;
}

absl::StatusOr<v1::Trial> ExperimentManager::GetTrial(const std::string& trial_id) {
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) {
    return absl::NotFoundError(absl::StrCat("experiment ", id_, " has no trial ", trial_id));
  }
  return WithSeries(it->second.trial);
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

}  // namespace dlkit
