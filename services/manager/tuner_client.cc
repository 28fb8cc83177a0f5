#include "services/manager/tuner_client.h"

#include <utility>

#include "base/status_macros.h"
#include "grpcpp/grpcpp.h"
#include "services/common/grpc_status.h"

namespace dlkit {

v1::StudyConfig StudyConfigOf(const v1::ExperimentSpec& spec) {
  v1::StudyConfig config;
  *config.mutable_search_space() = spec.search_space();
  *config.mutable_tuner() = spec.tuner();
  *config.mutable_assessor() = spec.assessor();
  *config.mutable_objective() = spec.objective();
  config.set_seed(spec.seed());
  return config;
}

TunerClient::TunerClient(std::string experiment_id, v1::TunerService::StubInterface* stub,
                         RecordOf record_of, AllTrials all_trials)
    : experiment_id_(std::move(experiment_id)),
      stub_(stub),
      record_of_(std::move(record_of)),
      all_trials_(std::move(all_trials)) {}

void TunerClient::MarkChanged(const std::string& trial_id) { unsent_[trial_id] = ++version_; }

template <typename Request, typename Response>
absl::StatusOr<Response> TunerClient::Ask(Request request, Method<Request, Response> method,
                                          const v1::StudyConfig& config, absl::Mutex* unlock) {
  request.set_experiment_id(experiment_id_);
  *request.mutable_config() = config;
  Response response;
  DLKIT_RETURN_IF_ERROR(Call(
      [&](grpc::ClientContext* context, const v1::HistoryUpdate& history) {
        *request.mutable_history() = history;
        return (stub_->*method)(context, request, &response);
      },
      unlock));
  return response;
}

absl::StatusOr<v1::SuggestResponse> TunerClient::Suggest(const v1::StudyConfig& config, int count,
                                                         absl::Mutex* unlock) {
  v1::SuggestRequest request;
  request.set_count(count);
  return Ask(std::move(request), &v1::TunerService::StubInterface::Suggest, config, unlock);
}

absl::StatusOr<v1::AssessResponse> TunerClient::Assess(const v1::StudyConfig& config,
                                                       const std::string& trial_id,
                                                       absl::Mutex* unlock) {
  v1::AssessRequest request;
  request.set_trial_id(trial_id);
  return Ask(std::move(request), &v1::TunerService::StubInterface::Assess, config, unlock);
}

absl::Status TunerClient::Call(const Rpc& rpc, absl::Mutex* unlock) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool full = attempt > 0 || tuner_version_ == 0;
    v1::HistoryUpdate update;
    update.set_base_version(full ? 0 : tuner_version_);
    update.set_new_version(version_);
    if (full) {
      for (const std::string& id : all_trials_()) unsent_[id] = version_;
    }
    for (const auto& [id, version] : unsent_) {
      v1::TrialRecord* record = update.add_records();
      record->set_trial_id(id);
      record_of_(id, record);
    }
    const int64_t sent_version = version_;
    grpc::Status status;
    if (unlock != nullptr) unlock->Unlock();
    {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + kDeadline);
      context.set_wait_for_ready(true);
      status = rpc(&context, update);
    }
    if (unlock != nullptr) unlock->Lock();
    if (status.ok()) {
      tuner_version_ = sent_version;
      for (auto it = unsent_.begin(); it != unsent_.end();) {
        it = it->second <= sent_version ? unsent_.erase(it) : std::next(it);
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

}  // namespace dlkit
