// ExperimentManager after a restart: Open reads the store back, takes the running trials
// back (Adopt) and carries on with an experiment that was running.

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "services/common/proto_util.h"
#include "services/common/secret_hash.h"
#include "services/manager/experiment_manager.h"
#include "services/manager/sqlite_experiment_store.h"

namespace dlkit {

absl::StatusOr<std::unique_ptr<ExperimentManager>> ExperimentManager::Open(Options options) {
  DLKIT_ASSIGN_OR_RETURN(std::unique_ptr<SqliteExperimentStore> store,
                         SqliteExperimentStore::Open(options.directory + "/experiment.db"));
  DLKIT_ASSIGN_OR_RETURN(v1::Experiment experiment, store->LoadExperiment());
  DLKIT_ASSIGN_OR_RETURN(std::vector<v1::Trial> trials, store->LoadTrials(false));
  std::unique_ptr<ExperimentManager> manager(
      new ExperimentManager(experiment.id(), std::move(options), std::move(store)));
  absl::MutexLock lock(&manager->mu_);
  manager->experiment_ = experiment;
  manager->experiment_.set_manager_address(manager->options_.manager_address);
  manager->elapsed_before_ = ToAbslDuration(experiment.elapsed());
  // Trials run on without their Manager (a cluster's objects, a local trial's Reporter): a
  // restarted one takes them back and carries on. An asked trial's worker comes back by
  // itself; its lease starts again.
  const bool ask_tell = experiment.spec().ask_tell();
  const bool adopt = manager->options_.backend != nullptr &&
                     manager->options_.backend->TrialsOutliveManager() && !ask_tell;
  int adopted = 0;
  // Ended after the loop: a retry takes the next index, so every stored trial comes first.
  std::vector<std::pair<TrialRuntime*, std::string>> lost;
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
      // An older dlkit stored the 32-digit secret itself: it is hashed on the way in.
      if (secret.ok()) runtime.secret_hash = secret->size() == 32 ? SecretHash(*secret) : *secret;
    }
    if (!runtime.trial.ask_request_id().empty()) {
      manager->asked_by_request_[runtime.trial.ask_request_id()].push_back(runtime.trial.id());
    }
    if (runtime.trial.state() == v1::WAITING) {
      // Launched just before the daemon died, before "launched" was stored: its Reporter
      // may run. Then it is followed, not started twice.
      if (adopt && !runtime.secret_hash.empty() && manager->Adopt(runtime).ok()) {
        manager->SetTrialState(runtime, v1::RUNNING);
        *runtime.trial.mutable_started() = ToTimestamp(absl::Now());
        manager->SaveTrial(runtime, "taken back after a restart");
        ++adopted;
      } else {
        manager->queue_.push_back(runtime.trial.id());
      }
    } else if (runtime.trial.state() == v1::RUNNING) {
      if (ask_tell) {
        manager->leases_[runtime.trial.id()] = absl::Now() + manager->LeaseLocked();
      } else if (!adopt) {
        runtime.interrupt = true;
        manager->FinishTrial(runtime, v1::KILLED, "the daemon exited while the trial ran");
      } else if (absl::Status taken = manager->Adopt(runtime); taken.ok()) {
        ++adopted;
      } else {
        // Its work is gone with its Reporter: it counts as failed (and is retried per
        // trialRetries).
        lost.emplace_back(&runtime,
                          absl::StrCat("lost while the Manager restarted: ", taken.message()));
      }
    }
    manager->MarkChanged(runtime.trial.id());
  }
  for (auto& [runtime, why] : lost) manager->FinishTrial(*runtime, v1::FAILED, why);
  if (experiment.state() == v1::EXPERIMENT_RUNNING && (adopt || ask_tell)) {
    manager->running_since_ = absl::Now();
    manager->SetState(v1::EXPERIMENT_RUNNING,
                      absl::StrCat("the daemon restarted and took back ", adopted,
                                   adopted == 1 ? " running trial" : " running trials"));
  } else if (experiment.state() == v1::EXPERIMENT_RUNNING) {
    manager->experiment_.set_state(v1::EXPERIMENT_STOPPED);
    manager->SetState(v1::EXPERIMENT_STOPPED,
                      absl::StrCat("the daemon exited while the experiment ran; `dlctl resume ",
                                   experiment.id(), "` continues it"));
  }
  return manager;
}

absl::Status ExperimentManager::Adopt(TrialRuntime& runtime) {
  if (runtime.secret_hash.empty()) {
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

}  // namespace dlkit
