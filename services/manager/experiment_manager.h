#ifndef DLKIT_SERVICES_MANAGER_EXPERIMENT_MANAGER_H_
#define DLKIT_SERVICES_MANAGER_EXPERIMENT_MANAGER_H_

// One experiment's brain: its state machine, its trials, its store. Asks the Tuner (through
// its gRPC stub) for parameters, starts trials on a backend, takes their sessions' metrics,
// enforces the limits, and tells watchers what changed. Plain class: ManagerServiceImpl is
// the gRPC edge in front of it.
//
// Threads: one scheduler thread (woken by events, never polling), one writer thread, and the
// callers'. Every change to the store is queued under mu_ and written by the writer: all that
// is queued while it writes goes into its next transaction (group commit), so a thousand
// trials ending at once cost a few disk syncs, and no disk sync is made under mu_. Calls that
// answer a user wait for their changes to be committed first (WaitCommitted).
//
// One class, its parts in files by responsibility: experiment_manager.cc (lifecycle,
// state, watchers, user calls), trial_scheduling.cc (the loop, launches, trial ends),
// trial_sessions.cc (Reporters' sessions and metrics), ask_tell.cc, experiment_writer.cc
// (group commit), experiment_restore.cc (Open and Adopt); the pure pieces it uses are
// experiment_limits.h, trial_query.h and tuner_client.h.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dlkit/v1/manager.pb.h"
#include "dlkit/v1/tuner.grpc.pb.h"
#include "dlkit/v1/types.pb.h"
#include "services/manager/experiment_limits.h"
#include "services/manager/experiment_store.h"
#include "services/manager/trial_backend.h"
#include "services/manager/tuner_client.h"

namespace dlkit {

// The Manager's side of one trial's session (implemented by the TrialSession reactor).
class TrialSessionSink {
 public:
  virtual ~TrialSessionSink() = default;
  virtual void SendAck(int64_t seq) = 0;
  virtual void SendStop(const v1::StopCommand& stop) = 0;
  // Where the Manager's copy of the trial's log ends (for a Reporter that streams it).
  virtual void SendLogOffset(int64_t offset) = 0;
  // Ends the session (OK once the trial's exit is stored).
  virtual void Close() = 0;
};

// Someone following the experiment (WatchExperiment).
class ExperimentWatcher {
 public:
  virtual ~ExperimentWatcher() = default;
  virtual void OnUpdate(const v1::WatchExperimentResponse& update) = 0;
  virtual void OnEnd() = 0;  // the manager is going away
};

class ExperimentManager {
 public:
  struct Options {
    std::string directory;  // this experiment's folder (store, trial logs)
    v1::TunerService::StubInterface* tuner = nullptr;  // not owned
    std::shared_ptr<TrialBackend> backend;             // this experiment's own
    std::string manager_address;                       // recorded in Experiment.manager_address
  };

  // A new experiment in an empty directory; not started yet.
  static absl::StatusOr<std::unique_ptr<ExperimentManager>> Create(const std::string& id,
                                                                   const v1::ExperimentSpec& spec,
                                                                   Options options);
  // An existing one. If it was RUNNING (the daemon went away): with a backend whose trials
  // outlive their Manager (Kubernetes) it stays RUNNING and takes its running trials back;
  // otherwise it is STOPPED now and its unfinished trials are marked interrupted, ready for
  // Resume.
  static absl::StatusOr<std::unique_ptr<ExperimentManager>> Open(Options options);
  ~ExperimentManager();

  // Starts the scheduler (and, for a RUNNING experiment, trials).
  void Start();
  // Ends the scheduler (the daemon is going away) and leaves the trials running for the next
  // Manager when they outlive it; the experiment stays RUNNING on disk. With `kill_trials`
  // (or trials that die with it) the trials end KILLED, the experiment is STOPPED, and
  // `resume` runs them again.
  void Shutdown(bool kill_trials = false);

  const std::string& id() const { return id_; }
  v1::Experiment GetExperiment();
  absl::StatusOr<v1::Experiment> Stop();
  absl::StatusOr<v1::Experiment> Resume();
  absl::StatusOr<v1::Experiment> Update(const v1::UpdateExperimentRequest& request);
  absl::StatusOr<v1::ListTrialsResponse> ListTrials(const v1::ListTrialsRequest& request);
  v1::GetExperimentChartsResponse GetCharts(int max_points, bool with_sample = true);
  absl::StatusOr<v1::Trial> GetTrial(const std::string& trial_id);
  absl::StatusOr<v1::Trial> KillTrial(const std::string& trial_id);
  absl::StatusOr<std::vector<v1::Trial>> AddTrials(const std::vector<v1::ParameterSet>& sets);
  absl::StatusOr<std::string> TrialLogPath(const std::string& trial_id);

  // --- Ask/tell mode (spec.ask_tell) ------------------------------------------------------
  // New RUNNING trials with the tuner's parameters; nothing is launched.
  // A `request_id` asked again gets the trials its first ask created.
  absl::StatusOr<std::vector<v1::Trial>> AskTrials(int count, const std::string& request_id = "");
  // The worker of an asked trial is alive: its lease starts again. Returns whether the trial
  // should stop; FAILED_PRECONDITION with the reason once it has ended (a lost lease).
  absl::StatusOr<bool> HeartbeatTrial(const std::string& trial_id);
  // Stores a measurement of an asked trial; returns whether the trial should stop.
  absl::StatusOr<bool> ReportTrialMetric(const std::string& trial_id, v1::MetricKind kind,
                                         double value, int64_t seq);
  absl::StatusOr<v1::Trial> TellTrial(const v1::TellTrialRequest& request);
  bool TrialEnded(const std::string& trial_id);

  // --- TrialSession --------------------------------------------------------------------
  // Checks the secret and attaches the sink; returns the trial's parameters.
  // FAILED_PRECONDITION if the trial has already ended.
  absl::StatusOr<v1::ParameterSet> AttachSession(const v1::TrialHello& hello,
                                                 TrialSessionSink* sink);
  void DetachSession(const std::string& trial_id, TrialSessionSink* sink);
  void OnTrialStarted(const std::string& trial_id);
  // Queues the metric for the writer; the sink gets the ack once it is committed.
  void OnMetric(const std::string& trial_id, const v1::MetricReport& metric);
  // Writes a streamed piece of the trial's log into the trial's log file (no lock held
  // while writing). INVALID_ARGUMENT for a chunk out of bounds.
  absl::Status OnTrialLog(const std::string& trial_id, const v1::LogChunk& chunk);
  // Stores the trial's end; then closes its session.
  void OnTrialExit(const std::string& trial_id, const v1::TrialExit& exit);

  // --- WatchExperiment -----------------------------------------------------------------
  // Sends the snapshot to the watcher, then every change, until Unwatch.
  void Watch(ExperimentWatcher* watcher, bool include_metrics, bool snapshot_trials = true);
  void Unwatch(ExperimentWatcher* watcher);

 private:
  struct TrialRuntime {
    v1::Trial trial;  // without series
    std::vector<double> intermediate;
    int64_t steps[4] = {0, 0, 0, 0};  // next step per MetricKind
    int64_t highest_seq = 0;          // highest seq queued for storage
    int64_t committed_seq = 0;        // highest seq stored
    TrialSessionSink* sink = nullptr;
    bool kill_requested = false;
    std::string kill_reason;
    bool interrupt = false;  // kill is from an experiment stop
    v1::TrialState kill_state = v1::KILLED;
    bool assess_pending = false;
    std::string secret;       // its session's, known only to the Manager that made it
    std::string secret_hash;  // what the store keeps (StoreChanges::secrets)
  };

  // How long a trial asked to stop has before it is killed.
  static constexpr int kStopGraceSeconds = 10;

  ExperimentManager(std::string id, Options options, std::unique_ptr<ExperimentStore> store);
  // The slot of a kind of metric in TrialRuntime::steps.
  static int MetricSlot(v1::MetricKind kind) {
    const int k = static_cast<int>(kind);
    return k >= 0 && k < 4 ? k : 0;
  }

  void SchedulerLoop();
  void WriterLoop();
  // One scheduling round; false when there is nothing more to do now.
  bool ScheduleOnce() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // What the Tuner is told of a trial.
  void RecordForTuner(const std::string& trial_id, v1::TrialRecord* record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunAssessments() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A new WAITING trial, stored; it runs when the scheduler launches it.
  TrialRuntime& CreateTrial(const v1::ParameterSet& parameters, bool user_added, int attempt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Launch(TrialRuntime& runtime) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  TrialLaunch LaunchFor(const TrialRuntime& runtime) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives the trial a new session secret and queues it for the store.
  void KeepSecret(TrialRuntime& runtime) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes back a RUNNING trial that an earlier Manager launched (Open, when the backend's
  // trials outlive their Manager), resuming its metric counts from the store.
  absl::Status Adopt(TrialRuntime& runtime) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnBackendGone(const std::string& trial_id, const std::string& why);
  TrialBackend::GoneCallback GoneHandler();  // calls OnBackendGone
  // Queues one measurement for the writer (the sink, if any, gets its ack once stored).
  void QueueMetric(TrialRuntime& runtime, const v1::MetricReport& metric)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<TrialRuntime*> AskedTrial(const std::string& trial_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ask/tell leases: how long a worker may stay silent, and what happens after.
  absl::Duration LeaseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<std::vector<v1::Trial>> AskedBefore(const std::string& request_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RenewLease(const std::string& trial_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends FAILED ("worker lost") every asked trial whose lease has run out.
  void ExpireLeases() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Time NextLeaseEnd() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishTrial(TrialRuntime& runtime, v1::TrialState state, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RequestKill(TrialRuntime& runtime, v1::TrialState reason_state, const std::string& why,
                   bool interrupt) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetState(v1::ExperimentState state, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves a trial to `state` (with `interrupted`), keeping tally_ right.
  void SetTrialState(TrialRuntime& runtime, v1::TrialState state, bool interrupted = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds (sign 1) or removes (sign -1) a trial's share of tally_.
  void Tally(const v1::Trial& trial, int sign) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes `trial` the best if its final value beats the best's.
  void ConsiderBest(const v1::Trial& trial) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues changes for the writer's next transaction; returns their version.
  int64_t QueueChanges(StoreChanges changes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `callback` under mu_ once everything queued so far is committed.
  void AfterCommit(std::function<void()> callback) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits (releasing mu_) until everything queued so far is committed, or the writer is gone.
  void WaitCommitted() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues the trial's row with a transition to its current state for `reason` (none if it
  // is empty) and, if asked, the experiment's row, for one transaction.
  void SaveTrial(TrialRuntime& runtime, const std::string& reason, bool with_experiment = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SaveExperiment() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkChanged(const std::string& trial_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Publish(const v1::WatchExperimentResponse& update) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PublishTrial(const TrialRuntime& runtime, bool with_experiment)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::Experiment ExperimentLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Duration ElapsedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int CountedTrials() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int ActiveTrials() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NewTrialId() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const v1::Trial* BestTrial() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::Trial WithSeries(const v1::Trial& trial) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<const v1::Trial*> TrialsInOrder() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Wake() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string id_;
  const Options options_;

  absl::Mutex store_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::unique_ptr<ExperimentStore> store_ ABSL_PT_GUARDED_BY(store_mu_);

  absl::Mutex mu_;
  v1::Experiment experiment_ ABSL_GUARDED_BY(mu_);  // spec, state, reason, times
  absl::Time running_since_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Duration elapsed_before_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, TrialRuntime> trials_ ABSL_GUARDED_BY(mu_);
  // Trials by index (std::map never moves its elements, so the pointers stay valid).
  std::vector<TrialRuntime*> order_ ABSL_GUARDED_BY(mu_);
  TrialTally tally_ ABSL_GUARDED_BY(mu_);
  std::string best_trial_id_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);  // WAITING trials, run these first
  // Ask/tell: running asked trials -> when their lease ends; request id -> the trials it got.
  std::map<std::string, absl::Time> leases_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> asked_by_request_ ABSL_GUARDED_BY(mu_);
  bool exhausted_ ABSL_GUARDED_BY(mu_) = false;
  std::string tuner_error_ ABSL_GUARDED_BY(mu_);
  TunerClient tuner_ ABSL_GUARDED_BY(mu_);  // sends the Tuner only what changed
  std::map<ExperimentWatcher*, bool> watchers_ ABSL_GUARDED_BY(mu_);  // -> include metrics
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;  // Shutdown: leave trials as they are on disk
  // What the writer stores next, and what it does under mu_ once that is committed.
  StoreChanges pending_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<int64_t, std::function<void()>>> after_commit_ ABSL_GUARDED_BY(mu_);
  int64_t queued_version_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t committed_version_ ABSL_GUARDED_BY(mu_) = 0;
  bool writer_done_ ABSL_GUARDED_BY(mu_) = false;
  std::thread scheduler_;
  std::thread writer_;
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_MANAGER_EXPERIMENT_MANAGER_H_
