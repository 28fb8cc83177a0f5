#ifndef DLKIT_SERVICES_MANAGER_TUNER_CLIENT_H_
#define DLKIT_SERVICES_MANAGER_TUNER_CLIENT_H_

// The Manager's side of the Tuner contract (docs/architecture.md): each Suggest or Assess
// carries only the history changes the Tuner has not acknowledged (HistoryUpdate versions),
// so an experiment's total traffic grows with its changes, not as O(n^2); a Tuner that lost
// its memory (restarted) answers FAILED_PRECONDITION and gets the whole history once.
//
// Not thread-safe: the ExperimentManager calls it under its own lock, which Call releases
// (`unlock`) while the RPC is in flight.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dlkit/v1/tuner.grpc.pb.h"
#include "dlkit/v1/types.pb.h"

namespace dlkit {

// What the Tuner needs to know of an experiment: its space, algorithms, objective, seed.
v1::StudyConfig StudyConfigOf(const v1::ExperimentSpec& spec);

class TunerClient {
 public:
  // Fills the record of a trial as it is now (parameters, state, metrics).
  using RecordOf = std::function<void(const std::string& trial_id, v1::TrialRecord* record)>;
  // Every trial of the experiment, for a full resend.
  using AllTrials = std::function<std::vector<std::string>()>;

  TunerClient(std::string experiment_id, v1::TunerService::StubInterface* stub, RecordOf record_of,
              AllTrials all_trials);

  // The trial is new or changed: the next call sends it.
  void MarkChanged(const std::string& trial_id);

  // Up to `count` new parameter sets. `unlock` is held by the caller and released during
  // the RPC (null: nothing to release).
  absl::StatusOr<v1::SuggestResponse> Suggest(const v1::StudyConfig& config, int count,
                                              absl::Mutex* unlock);
  // Whether the running trial should go on.
  absl::StatusOr<v1::AssessResponse> Assess(const v1::StudyConfig& config,
                                            const std::string& trial_id, absl::Mutex* unlock);

  // How long a Tuner may take to answer (a GP on thousands of trials takes seconds).
  static constexpr std::chrono::seconds kDeadline{120};

 private:
  using Rpc = std::function<grpc::Status(grpc::ClientContext*, const v1::HistoryUpdate&)>;
  // Sends the history with `rpc`, once more in full if the Tuner lost it.
  absl::Status Call(const Rpc& rpc, absl::Mutex* unlock);
  template <typename Request, typename Response>
  using Method = grpc::Status (v1::TunerService::StubInterface::*)(grpc::ClientContext*,
                                                                   const Request&, Response*);
  // `request` completed with the experiment, its config and the history, sent by `method`.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Ask(Request request, Method<Request, Response> method,
                               const v1::StudyConfig& config, absl::Mutex* unlock);

  const std::string experiment_id_;
  v1::TunerService::StubInterface* const stub_;
  const RecordOf record_of_;
  const AllTrials all_trials_;
  int64_t version_ = 0;                    // of the latest change
  int64_t tuner_version_ = 0;              // what the Tuner has acknowledged (0: nothing)
  std::map<std::string, int64_t> unsent_;  // trial -> version of its last unsent change
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_MANAGER_TUNER_CLIENT_H_
