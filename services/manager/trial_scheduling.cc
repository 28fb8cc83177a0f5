// ExperimentManager's scheduling loop: limits, assessments, asking the Tuner for
// parameters, and each trial's way from WAITING through a launch to its end.

#include <algorithm>
#include <filesystem>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "services/common/proto_util.h"
#include "services/common/secret_hash.h"
#include "services/config/parameter_json.h"
#include "services/manager/experiment_manager.h"

namespace dlkit {

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
    deadline = std::min(deadline, NextLeaseEnd());
    auto woken = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return wake_ || shutdown_; };
    mu_.AwaitWithDeadline(absl::Condition(&woken), deadline);
  }
}

bool ExperimentManager::ScheduleOnce() {
  if (experiment_.state() != v1::EXPERIMENT_RUNNING) return false;
  const v1::ExperimentSpec& spec = experiment_.spec();
  if (std::optional<ExperimentEnding> ending =
          LimitReached(spec, ElapsedLocked(), tally_, tuner_error_)) {
    for (TrialRuntime* runtime : order_) RequestKill(*runtime, v1::KILLED, ending->reason, false);
    queue_.clear();
    SetState(ending->state, ending->reason);
    return false;
  }
  RunAssessments();
  if (experiment_.state() != v1::EXPERIMENT_RUNNING || shutdown_) return false;
  if (spec.ask_tell()) {
    ExpireLeases();
    // The user's workers ask for trials; the experiment is done when its last one is told.
    if (spec.max_trial_number() > 0 && CountedTrials() >= spec.max_trial_number() &&
        ActiveTrials() == 0) {
      SetState(v1::EXPERIMENT_DONE, MaxTrialsReason(spec));
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
  const int remaining = RemainingTrials(spec, tally_);
  if (slots > 0 && remaining > 0 && !exhausted_) {
    absl::StatusOr<v1::SuggestResponse> suggested =
        tuner_.Suggest(StudyConfigOf(spec), std::min(slots, remaining), &mu_);
    if (!suggested.ok()) {
      tuner_error_ = std::string(suggested.status().message());
      return true;
    }
    const v1::SuggestResponse& response = *suggested;
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
             remaining <= 0 ? MaxTrialsReason(spec) : "the search space is exhausted");
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
  const v1::StudyConfig config = StudyConfigOf(experiment_.spec());
  for (const std::string& trial_id : pending) {
    absl::StatusOr<v1::AssessResponse> response = tuner_.Assess(config, trial_id, &mu_);
    if (!response.ok()) {
      Log() << "experiment " << id_ << ": assessor: " << response.status();
      continue;
    }
    if (response->decision() == v1::STOP) {
      RequestKill(trials_[trial_id], v1::EARLY_STOPPED,
                  absl::StrCat("stopped early by the ", config.assessor().name(), " assessor"),
                  false);
    }
  }
}

std::string ExperimentManager::NewTrialId() {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  while (true) {
    std::string id;
    for (int i = 0; i < 5; ++i) id.push_back(kAlphabet[device() % (sizeof(kAlphabet) - 1)]);
    if (trials_.count(id) == 0) return id;
  }
}

ExperimentManager::TrialRuntime& ExperimentManager::CreateTrial(const v1::ParameterSet& parameters,
                                                                bool user_added, int attempt) {
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
  runtime.secret = RandomSecret(16);
  runtime.secret_hash = SecretHash(runtime.secret);
  StoreChanges changes;
  changes.secrets.emplace_back(runtime.trial.id(), runtime.secret_hash);
  QueueChanges(std::move(changes));
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
  return
      [this](const std::string& trial_id, const std::string& why) { OnBackendGone(trial_id, why); };
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
  leases_.erase(t.id());
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

}  // namespace dlkit
