// ExperimentManager in ask/tell mode (spec.ask_tell): the user's workers ask for trials,
// report on them and tell their results; nothing is launched.

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "services/common/proto_util.h"
#include "services/manager/experiment_manager.h"

namespace dlkit {

namespace {

constexpr absl::Duration kDefaultLease = absl::Minutes(5);

}  // namespace

absl::Duration ExperimentManager::LeaseLocked() {
  const absl::Duration lease = ToAbslDuration(experiment_.spec().ask_lease());
  return lease > absl::ZeroDuration() ? lease : kDefaultLease;
}

std::optional<std::vector<v1::Trial>> ExperimentManager::AskedBefore(
    const std::string& request_id) {
  if (request_id.empty()) return std::nullopt;
  auto it = asked_by_request_.find(request_id);
  if (it == asked_by_request_.end()) return std::nullopt;
  std::vector<v1::Trial> trials;
  for (const std::string& trial_id : it->second) trials.push_back(trials_[trial_id].trial);
  return trials;
}

absl::StatusOr<std::vector<v1::Trial>> ExperimentManager::AskTrials(int count,
                                                                    const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  // A retried ask (its answer was lost) gets what the first one created.
  if (std::optional<std::vector<v1::Trial>> earlier = AskedBefore(request_id)) {
    WaitCommitted();
    return *std::move(earlier);
  }
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
    const int remaining = RemainingTrials(spec, tally_);
    if (remaining <= 0) {
      return absl::OutOfRangeError(absl::StrCat("experiment ", id_, " has asked all its ",
                                                spec.max_trial_number(), " trials"));
    }
    wanted = std::min(wanted, remaining);
  }
  if (exhausted_) {
    return absl::OutOfRangeError(absl::StrCat("the search space of ", id_, " is exhausted"));
  }
  DLKIT_ASSIGN_OR_RETURN(const v1::SuggestResponse response,
                         tuner_.Suggest(StudyConfigOf(spec), wanted, &mu_));
  // The same request may have been answered while the Tuner worked (mu_ was released).
  if (std::optional<std::vector<v1::Trial>> earlier = AskedBefore(request_id)) {
    WaitCommitted();
    return *std::move(earlier);
  }
  if (response.exhausted()) exhausted_ = true;
  std::vector<v1::Trial> asked;
  const absl::Time lease_end = absl::Now() + LeaseLocked();
  for (const v1::ParameterSet& parameters : response.parameters()) {
    TrialRuntime& runtime = CreateTrial(parameters, false, 0);
    SetTrialState(runtime, v1::RUNNING);
    *runtime.trial.mutable_started() = ToTimestamp(absl::Now());
    runtime.trial.set_ask_request_id(request_id);
    if (!request_id.empty()) asked_by_request_[request_id].push_back(runtime.trial.id());
    leases_[runtime.trial.id()] = lease_end;
    SaveTrial(runtime, "asked");
    MarkChanged(runtime.trial.id());
    PublishTrial(runtime, true);
    asked.push_back(runtime.trial);
  }
  Wake();           // the scheduler's next deadline is now also these leases' end
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
    return absl::InvalidArgumentError(
        "kind must be INTERMEDIATE or LOSS (TellTrial gives the final)");
  }
  if (seq <= 0) return absl::InvalidArgumentError("seq must count from 1 for each trial");
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat("value must be a finite number, got ", value));
  }
  if (IsTerminal(runtime->trial.state())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "trial ", trial_id, " has ended (", v1::TrialState_Name(runtime->trial.state()), ")"));
  }
  v1::MetricReport metric;
  metric.set_seq(seq);
  metric.set_kind(kind);
  metric.set_value(value);
  QueueMetric(*runtime, metric);
  RenewLease(trial_id);  // a report says the worker is alive
  return runtime->kill_requested;
}

absl::StatusOr<bool> ExperimentManager::HeartbeatTrial(const std::string& trial_id) {
  absl::MutexLock lock(&mu_);
  DLKIT_ASSIGN_OR_RETURN(TrialRuntime * runtime, AskedTrial(trial_id));
  if (IsTerminal(runtime->trial.state())) {
    return absl::FailedPreconditionError(absl::StrCat("trial ", trial_id, " has ended (",
                                                      v1::TrialState_Name(runtime->trial.state()),
                                                      "): ", runtime->trial.reason()));
  }
  RenewLease(trial_id);
  return runtime->kill_requested;
}

void ExperimentManager::RenewLease(const std::string& trial_id) {
  auto it = leases_.find(trial_id);
  if (it != leases_.end()) it->second = absl::Now() + LeaseLocked();
}

void ExperimentManager::ExpireLeases() {
  const absl::Time now = absl::Now();
  std::vector<std::string> lost;
  for (const auto& [trial_id, until] : leases_) {
    if (until <= now) lost.push_back(trial_id);
  }
  for (const std::string& trial_id : lost) {
    leases_.erase(trial_id);
    TrialRuntime& runtime = trials_[trial_id];
    if (IsTerminal(runtime.trial.state())) continue;
    FinishTrial(runtime, v1::FAILED,
                absl::StrCat("worker lost: no report or heartbeat for ",
                             absl::FormatDuration(LeaseLocked())));
  }
}

absl::Time ExperimentManager::NextLeaseEnd() {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [trial_id, until] : leases_) next = std::min(next, until);
  return next;
}

absl::StatusOr<v1::Trial> ExperimentManager::TellTrial(const v1::TellTrialRequest& request) {
  absl::MutexLock lock(&mu_);
  DLKIT_ASSIGN_OR_RETURN(TrialRuntime * runtime, AskedTrial(request.trial_id()));
  if (IsTerminal(runtime->trial.state())) {  // a retried tell
    WaitCommitted();
    return runtime->trial;
  }
  if (!request.failed() && !std::isfinite(request.value())) {
    return absl::InvalidArgumentError(absl::StrCat("value must be a finite number, got ",
                                                   request.value(), " (tell failed=True instead)"));
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
