// ExperimentManager's side of the trials' sessions (TrialSession): attach with the trial's
// secret, metrics queued for the writer and acked once stored, streamed logs, the exit.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "services/common/proto_util.h"
#include "services/common/secret_hash.h"
#include "services/manager/experiment_manager.h"

namespace dlkit {

absl::StatusOr<v1::ParameterSet> ExperimentManager::AttachSession(const v1::TrialHello& hello,
                                                                  TrialSessionSink* sink) {
  absl::MutexLock lock(&mu_);
  auto it = trials_.find(hello.trial_id());
  if (it == trials_.end()) {
    return absl::NotFoundError(
        absl::StrCat("trial ", hello.trial_id(), " is not part of experiment ", id_));
  }
  TrialRuntime& runtime = it->second;
  if (!SecretMatches(hello.secret(), runtime.secret_hash)) {
    return absl::PermissionDeniedError(absl::StrCat("wrong secret for trial ", hello.trial_id()));
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

absl::Status ExperimentManager::OnTrialLog(const std::string& trial_id, const v1::LogChunk& chunk) {
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
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  int64_t written = 0;
  while (written < size) {
    const ssize_t n =
        pwrite(fd, chunk.data().data() + written, size - written, chunk.offset() + written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += n;
  }
  const int saved_errno = errno;
  close(fd);
  if (written < size) {
    return absl::InternalError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(saved_errno)));
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

}  // namespace dlkit
