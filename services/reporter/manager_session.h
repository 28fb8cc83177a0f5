#ifndef DLKIT_SERVICES_REPORTER_MANAGER_SESSION_H_
#define DLKIT_SERVICES_REPORTER_MANAGER_SESSION_H_

// The Reporter's one bidirectional stream to its Manager (ManagerService.TrialSession):
// hello and parameters, metrics with per-trial sequence numbers and acks, stop commands,
// and the exit status. A broken stream is reopened and everything not yet acked is sent
// again; the Manager ignores what it already stored.
//
// The Reporter is the trial's supervisor: once the Manager has taken the session, a report
// made while the Manager is away (its daemon restarting) is kept here and the trainer goes
// on; it reaches the Manager when the stream is back. What is kept is bounded in memory;
// beyond that it is spilled to a file in the trial's folder.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dlkit/v1/manager.grpc.pb.h"

namespace dlkit {

class ManagerSession {
 public:
  struct Options {
    std::string manager_address;
    std::string experiment_id;
    std::string trial_id;
    std::string secret;
    // How long a broken stream may take to come back before the trial gives up.
    absl::Duration reconnect_window = absl::Minutes(30);
    // Reports not yet acknowledged beyond this many go to `spill_path` (empty: no bound).
    size_t max_unacked_in_memory = 10000;
    std::string spill_path;
    // A file copied to the Manager as it grows (LogChunk), from where the Manager's copy
    // ends; empty: none. For trials whose log the Manager cannot read (cluster trials).
    std::string stream_log;
  };
  using StopHandler = std::function<void(const v1::StopCommand&)>;

  // Starts connecting in the background and returns at once, so the trial can start while
  // the session opens; reports made meanwhile are sent once it is open.
  static std::unique_ptr<ManagerSession> Start(Options options, StopHandler on_stop);
  ~ManagerSession();

  // The parameters the Manager sent on hello.
  absl::StatusOr<v1::ParameterSet> WaitForParameters(absl::Duration timeout);

  // Sends the measurement; `done` runs (on another thread) once the Manager has stored it,
  // or, while a Manager that took the session is away, once it is kept here; UNAVAILABLE
  // when the Manager is gone for good.
  using DoneCallback = std::function<void(absl::Status)>;
  void ReportAsync(v1::MetricKind kind, double value, const std::string& metric_name,
                   DoneCallback done);
  // The same, waiting for the outcome.
  absl::Status Report(v1::MetricKind kind, double value, const std::string& metric_name,
                      absl::Duration timeout);
  void SendStarted();
  // Sends the exit status (after the rest of the streamed log) and waits until the Manager
  // has closed the session.
  absl::Status Finish(const v1::TrialExit& exit, absl::Duration timeout);
  // True once the stream is gone for good (the Manager is unreachable).
  bool lost() const;

 private:
  ManagerSession(Options options, StopHandler on_stop);
  // Opens a new stream (waiting up to `wait` for the channel) and replays what the Manager
  // has not acknowledged.
  absl::Status Connect(absl::Duration wait) ABSL_LOCKS_EXCLUDED(mu_);
  bool Write(const v1::TrialSessionRequest& request);
  void ReadLoop();
  void ReadStream();
  // Answers every report still waiting for an ack with `status` (temporarily releases mu_
  // for the callbacks).
  void AnswerWaiting(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Keeps `request` until it is acked: in memory, or in the spill file once memory is full.
  void Keep(const v1::TrialSessionRequest& request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops what is acked; refills memory from the spill file when memory ran empty.
  void DropAcked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The spilled reports, in order.
  std::vector<v1::TrialSessionRequest> ReadSpill() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteSpill(const std::vector<v1::TrialSessionRequest>& requests, bool append)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends options_.stream_log's new bytes: a few chunks, or `to_end` all there are.
  void SendLog(bool to_end) ABSL_LOCKS_EXCLUDED(mu_);
  void StopLogThread() ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  const StopHandler on_stop_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ManagerService::Stub> stub_;

  // Guards the state below and every Write (gRPC allows one Write at a time).
  mutable absl::Mutex mu_;
  std::unique_ptr<grpc::ClientContext> context_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<grpc::ClientReaderWriter<v1::TrialSessionRequest, v1::TrialSessionResponse>>
      stream_ ABSL_GUARDED_BY(mu_);
  bool have_parameters_ ABSL_GUARDED_BY(mu_) = false;
  v1::ParameterSet parameters_ ABSL_GUARDED_BY(mu_);
  int64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t acked_seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<v1::TrialSessionRequest> unacked_ ABSL_GUARDED_BY(mu_);  // oldest first
  size_t spilled_ ABSL_GUARDED_BY(mu_) = 0;      // reports in the spill file, after unacked_
  bool accepted_ ABSL_GUARDED_BY(mu_) = false;   // the Manager took the session once
  bool connected_ ABSL_GUARDED_BY(mu_) = false;  // a stream is open now
  std::map<int64_t, DoneCallback> waiting_ ABSL_GUARDED_BY(mu_);  // seq -> its callback
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool exit_sent_ ABSL_GUARDED_BY(mu_) = false;
  bool exit_after_log_ ABSL_GUARDED_BY(mu_) = false;  // replay the exit once the log is sent
  v1::TrialSessionRequest exit_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;  // the Manager ended the session after exit
  bool lost_ ABSL_GUARDED_BY(mu_) = false;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;
  // The streamed log: bytes sent (reset by the Manager's log_offset after each hello).
  int64_t log_sent_ ABSL_GUARDED_BY(mu_) = 0;
  bool log_stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex log_send_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // one SendLog at a time
  int log_fd_ ABSL_GUARDED_BY(log_send_mu_) = -1;      // options_.stream_log, once it exists
  std::thread log_thread_;
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_REPORTER_MANAGER_SESSION_H_
