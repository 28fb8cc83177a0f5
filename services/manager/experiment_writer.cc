// ExperimentManager's writer: every change to the store is queued under mu_ and written by
// one thread, all that was queued while it wrote going into its next transaction (group
// commit); acks, watcher updates and waiting callers follow each commit.

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "base/logging.h"
#include "services/common/proto_util.h"
#include "services/manager/experiment_manager.h"

namespace dlkit {

int64_t ExperimentManager::QueueChanges(StoreChanges changes) {
  pending_.Append(std::move(changes));
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

void ExperimentManager::WriterLoop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    auto ready = [this]()
                     ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !pending_.empty() || shutdown_; };
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
      Log() << "experiment " << id_ << ": storing changes: " << status;
      batch.Append(std::exchange(pending_, StoreChanges()));
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

}  // namespace dlkit
