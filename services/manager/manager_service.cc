#include "services/manager/manager_service.h"

#include <atomic>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/logging.h"
#include "services/common/grpc_status.h"
#include "services/common/unary_reactor.h"

namespace dlkit {
namespace {

// Runs `call` on the experiment's manager, or fails with the directory's NOT_FOUND.
template <typename Call>
absl::Status OnManager(ManagerDirectory* directory, const std::string& id, Call call) {
  absl::StatusOr<std::shared_ptr<ExperimentManager>> manager = directory->FindManager(id);
  if (!manager.ok()) return manager.status();
  return call(**manager);
}

// Moves a domain result into the reply's field.
template <typename T>
absl::Status Into(absl::StatusOr<T> result, T* field) {
  if (!result.ok()) return result.status();
  *field = *std::move(result);
  return absl::OkStatus();
}

// --- forwarding to a Manager elsewhere ----------------------------------------------------

using AsyncStub = v1::ManagerService::StubInterface::async_interface;

// A unary call for an experiment whose Manager runs elsewhere, passed on to it; null when
// the experiment has none (the call is then answered here).
template <typename Request, typename Response>
grpc::ServerUnaryReactor* ForwardUnary(
    ManagerDirectory* directory, grpc::CallbackServerContext* context, const Request* request,
    Response* response,
    void (AsyncStub::*method)(grpc::ClientContext*, const Request*, Response*,
                              std::function<void(grpc::Status)>)) {
  std::shared_ptr<v1::ManagerService::StubInterface> stub =
      directory->RemoteManager(request->experiment_id());
  if (stub == nullptr || stub->async() == nullptr) return nullptr;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto client = std::make_shared<grpc::ClientContext>();
  client->set_deadline(context->deadline());
  (stub->async()->*method)(
      client.get(), request, response,
      [reactor, client, stub](grpc::Status status) { reactor->Finish(status); });
  return reactor;
}

// A unary call: passed on to the experiment's Manager elsewhere if it has one (`forward`),
// else `call` on its manager here.
template <typename Request, typename Response, typename Call>
grpc::ServerUnaryReactor* ServeUnary(ManagerDirectory* directory,
                                     grpc::CallbackServerContext* context, const Request* request,
                                     Response* response,
                                     void (AsyncStub::*forward)(grpc::ClientContext*,
                                                                const Request*, Response*,
                                                                std::function<void(grpc::Status)>),
                                     Call call) {
  if (grpc::ServerUnaryReactor* forwarded =
          ForwardUnary(directory, context, request, response, forward)) {
    return forwarded;
  }
  return FinishUnary(context, OnManager(directory, request->experiment_id(), call));
}

// A server stream relayed from the same stream of a Manager elsewhere: each message read
// there is written here before the next is read, so a slow browser slows the relay, not
// memory; either side ending ends the other. A hold keeps the upstream call from ending
// while a message is being written here (it could get its status meanwhile, and a read
// started after that would be on a finished call): it goes when reading stops.
template <typename Request, typename Response>
class ForwardedStream final : public grpc::ServerWriteReactor<Response>,
                              public grpc::ClientReadReactor<Response> {
 public:
  ForwardedStream(std::shared_ptr<v1::ManagerService::StubInterface> stub,
                  grpc::CallbackServerContext* context, const Request& request,
                  void (AsyncStub::*method)(grpc::ClientContext*, const Request*,
                                            grpc::ClientReadReactor<Response>*))
      : stub_(std::move(stub)), request_(request) {
    client_.set_deadline(context->deadline());
    (stub_->async()->*method)(&client_, &request_, this);
    grpc::ClientReadReactor<Response>::AddHold();
    grpc::ClientReadReactor<Response>::StartRead(&message_);
    grpc::ClientReadReactor<Response>::StartCall();
  }

  // The Manager elsewhere sent a message, or ended (then OnDone(status) follows the hold).
  void OnReadDone(bool ok) override {
    if (ok) {
      grpc::ServerWriteReactor<Response>::StartWrite(&message_);
    } else {
      grpc::ClientReadReactor<Response>::RemoveHold();
    }
  }
  void OnWriteDone(bool ok) override {
    if (ok) {
      grpc::ClientReadReactor<Response>::StartRead(&message_);
    } else {
      client_.TryCancel();  // the browser is gone: no more reading
      grpc::ClientReadReactor<Response>::RemoveHold();
    }
  }
  void OnDone(const grpc::Status& status) override {
    grpc::ServerWriteReactor<Response>::Finish(status);
    Release();
  }
  void OnCancel() override { client_.TryCancel(); }
  void OnDone() override { Release(); }

 private:
  // Both calls have to be over before this goes.
  void Release() {
    if (remaining_.fetch_sub(1) == 1) delete this;
  }

  const std::shared_ptr<v1::ManagerService::StubInterface> stub_;
  const Request request_;
  grpc::ClientContext client_;
  Response message_;
  std::atomic<int> remaining_{2};
};

template <typename Request, typename Response>
grpc::ServerWriteReactor<Response>* ForwardStream(
    ManagerDirectory* directory, grpc::CallbackServerContext* context, const Request* request,
    void (AsyncStub::*method)(grpc::ClientContext*, const Request*,
                              grpc::ClientReadReactor<Response>*)) {
  std::shared_ptr<v1::ManagerService::StubInterface> stub =
      directory->RemoteManager(request->experiment_id());
  if (stub == nullptr || stub->async() == nullptr) return nullptr;
  return new ForwardedStream<Request, Response>(std::move(stub), context, *request, method);
}

// --- TrialSession --------------------------------------------------------------------------

class TrialSessionReactor final
    : public grpc::ServerBidiReactor<v1::TrialSessionRequest, v1::TrialSessionResponse>,
      public TrialSessionSink {
 public:
  explicit TrialSessionReactor(ManagerDirectory* directory) : directory_(directory) {
    StartRead(&request_);
  }

  void SendAck(int64_t seq) override {
    v1::TrialSessionResponse response;
    response.set_ack_seq(seq);
    Send(std::move(response));
  }
  void SendStop(const v1::StopCommand& stop) override {
    v1::TrialSessionResponse response;
    *response.mutable_stop() = stop;
    Send(std::move(response));
  }
  void SendLogOffset(int64_t offset) override {
    v1::TrialSessionResponse response;
    response.set_log_offset(offset);
    Send(std::move(response));
  }
  void Close() override {
    absl::MutexLock lock(&mu_);
    close_requested_ = true;
    MaybeFinishLocked(grpc::Status::OK);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The Reporter went away (or half-closed). If it comes back it opens a new session;
      // if it is gone for good the backend notices its process ended.
      absl::MutexLock lock(&mu_);
      close_requested_ = true;
      MaybeFinishLocked(grpc::Status::OK);
      return;
    }
    if (manager_ == nullptr) {
      if (!request_.has_hello()) {
        FinishNow(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "a trial session must start with hello"));
        return;
      }
      absl::StatusOr<std::shared_ptr<ExperimentManager>> manager =
          directory_->FindManager(request_.hello().experiment_id());
      if (!manager.ok()) {
        FinishNow(ToGrpcStatus(manager.status()));
        return;
      }
      absl::StatusOr<v1::ParameterSet> parameters =
          (*manager)->AttachSession(request_.hello(), this);
      if (!parameters.ok()) {
        FinishNow(ToGrpcStatus(parameters.status()));
        return;
      }
      trial_id_ = request_.hello().trial_id();
      {
        absl::MutexLock lock(&mu_);
        manager_ = *manager;
      }
      v1::TrialSessionResponse response;
      *response.mutable_parameters() = std::move(parameters).value();
      // Parameters must reach the Reporter before any ack queued by AttachSession.
      SendFirst(std::move(response));
    } else {
      switch (request_.kind_case()) {
        case v1::TrialSessionRequest::kMetric:
          manager_->OnMetric(trial_id_, request_.metric());
          break;
        case v1::TrialSessionRequest::kStarted:
          manager_->OnTrialStarted(trial_id_);
          break;
        case v1::TrialSessionRequest::kExit:
          manager_->OnTrialExit(trial_id_, request_.exit());
          break;
        case v1::TrialSessionRequest::kLog:
          if (absl::Status written = manager_->OnTrialLog(trial_id_, request_.log());
              absl::IsInvalidArgument(written)) {
            FinishNow(ToGrpcStatus(written));  // a Reporter that sends garbage is cut off
            return;
          } else if (!written.ok()) {
            dlkit::Log() << written.message();  // metrics go on
          }
          break;
        default:
          break;  // heartbeats and repeated hellos need nothing
      }
    }
    StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      outgoing_.clear();
      close_requested_ = true;
    } else {
      outgoing_.pop_front();
    }
    WriteNextLocked();
    MaybeFinishLocked(grpc::Status::OK);
  }

  void OnDone() override {
    std::shared_ptr<ExperimentManager> manager;
    {
      absl::MutexLock lock(&mu_);
      manager = manager_;
    }
    if (manager != nullptr) manager->DetachSession(trial_id_, this);
    delete this;
  }

 private:
  void Send(v1::TrialSessionResponse response) {
    absl::MutexLock lock(&mu_);
    if (finished_ || close_requested_) return;
    outgoing_.push_back(std::move(response));
    WriteNextLocked();
  }
  void SendFirst(v1::TrialSessionResponse response) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (writing_) {
      outgoing_.insert(outgoing_.begin() + 1, std::move(response));
    } else {
      outgoing_.push_front(std::move(response));
    }
    WriteNextLocked();
  }
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_ || outgoing_.empty()) return;
    writing_ = true;
    StartWrite(&outgoing_.front());
  }
  void MaybeFinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !close_requested_ || writing_ || !outgoing_.empty()) return;
    finished_ = true;
    Finish(status);
  }
  void FinishNow(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  ManagerDirectory* const directory_;
  v1::TrialSessionRequest request_;
  std::string trial_id_;
  std::shared_ptr<ExperimentManager> manager_;  // set once, after hello
  absl::Mutex mu_;
  std::deque<v1::TrialSessionResponse> outgoing_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool close_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// --- WatchExperiment -----------------------------------------------------------------------

class WatchReactor final : public grpc::ServerWriteReactor<v1::WatchExperimentResponse>,
                           public ExperimentWatcher {
 public:
  WatchReactor(ManagerDirectory* directory, const v1::WatchExperimentRequest& request) {
    absl::StatusOr<std::shared_ptr<ExperimentManager>> manager =
        directory->FindManager(request.experiment_id());
    if (!manager.ok()) {
      absl::MutexLock lock(&mu_);
      finished_ = true;
      Finish(ToGrpcStatus(manager.status()));
      return;
    }
    manager_ = *manager;
    manager_->Watch(this, request.include_metrics(), !request.omit_snapshot_trials());
  }

  void OnUpdate(const v1::WatchExperimentResponse& update) override {
    absl::MutexLock lock(&mu_);
    if (finished_ || end_requested_) return;
    outgoing_.push_back(update);
    const v1::ExperimentState state = update.experiment().state();
    if (update.has_experiment() &&
        (state == v1::EXPERIMENT_DONE || state == v1::EXPERIMENT_FAILED)) {
      end_requested_ = true;  // the experiment has ended: so does the watch
    }
    WriteNextLocked();
  }

  void OnEnd() override {
    absl::MutexLock lock(&mu_);
    end_requested_ = true;
    WriteNextLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      outgoing_.clear();
      end_requested_ = true;
    } else {
      outgoing_.pop_front();
    }
    WriteNextLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    end_requested_ = true;
    WriteNextLocked();
  }

  void OnDone() override {
    if (manager_ != nullptr) manager_->Unwatch(this);
    delete this;
  }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_) return;
    if (!outgoing_.empty()) {
      writing_ = true;
      StartWrite(&outgoing_.front());
    } else if (end_requested_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }

  std::shared_ptr<ExperimentManager> manager_;
  absl::Mutex mu_;
  std::deque<v1::WatchExperimentResponse> outgoing_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool end_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// --- ReadTrialLog --------------------------------------------------------------------------

// Reading a file and waiting for it to grow is blocking work, so it runs on its own thread;
// the reactor lives until that thread calls Finish.
class LogReactor final : public grpc::ServerWriteReactor<v1::ReadTrialLogResponse> {
 public:
  LogReactor(ManagerDirectory* directory, const v1::ReadTrialLogRequest& request) {
    absl::StatusOr<std::shared_ptr<ExperimentManager>> manager =
        directory->FindManager(request.experiment_id());
    absl::StatusOr<std::string> path =
        manager.ok() ? (*manager)->TrialLogPath(request.trial_id()) : manager.status();
    if (!path.ok()) {
      Finish(ToGrpcStatus(path.status()));
      return;
    }
    std::thread([this, manager = *manager, path = *path, request] {
      Run(manager, path, request);
    }).detach();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    write_ok_ = ok;
    writing_ = false;
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }
  void OnDone() override { delete this; }

 private:
  void Run(std::shared_ptr<ExperimentManager> manager, const std::string& path,
           const v1::ReadTrialLogRequest& request) {
    int64_t offset = std::max<int64_t>(request.offset(), 0);
    while (true) {
      const bool ended = manager->TrialEnded(request.trial_id());  // before reading: no race
      std::ifstream in(path, std::ios::binary);
      std::string chunk;
      if (in) {
        in.seekg(offset);
        chunk.resize(64 << 10);
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        chunk.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
      }
      if (!chunk.empty()) {
        offset += static_cast<int64_t>(chunk.size());
        response_.set_data(std::move(chunk));
        response_.set_next_offset(offset);
        absl::MutexLock lock(&mu_);
        writing_ = true;
        StartWrite(&response_);
        auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !writing_; };
        mu_.Await(absl::Condition(&done));
        if (!write_ok_) {
          Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the reader left"));
          return;
        }
        continue;
      }
      if (!request.follow() || ended) break;
      absl::MutexLock lock(&mu_);
      auto cancelled = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return cancelled_; };
      // Following a file means looking again; a short wait keeps it live and cheap.
      if (mu_.AwaitWithTimeout(absl::Condition(&cancelled), absl::Milliseconds(200))) {
        Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the reader left"));
        return;
      }
    }
    Finish(grpc::Status::OK);
  }

  v1::ReadTrialLogResponse response_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool write_ok_ ABSL_GUARDED_BY(mu_) = true;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerUnaryReactor* ManagerServiceImpl::GetExperiment(
    grpc::CallbackServerContext* context, const v1::ManagerGetExperimentRequest* request,
    v1::ManagerGetExperimentResponse* response) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.ManagerService/GetExperiment")) {
    return refused;
  }
  return ServeUnary(directory_, context, request, response, &AsyncStub::GetExperiment,
                    [&](auto& m) {
                      *response->mutable_experiment() = m.GetExperiment();
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* ManagerServiceImpl::StopExperiment(
    grpc::CallbackServerContext* context, const v1::ManagerStopExperimentRequest* request,
    v1::ManagerStopExperimentResponse* response) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.ManagerService/StopExperiment")) {
    return refused;
  }
  return ServeUnary(directory_, context, request, response, &AsyncStub::StopExperiment,
                    [&](auto& m) { return Into(m.Stop(), response->mutable_experiment()); });
}

grpc::ServerUnaryReactor* ManagerServiceImpl::ResumeExperiment(
    grpc::CallbackServerContext* context, const v1::ManagerResumeExperimentRequest* request,
    v1::ManagerResumeExperimentResponse* response) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.ManagerService/ResumeExperiment")) {
    return refused;
  }
  return ServeUnary(directory_, context, request, response, &AsyncStub::ResumeExperiment,
                    [&](auto& m) { return Into(m.Resume(), response->mutable_experiment()); });
}

grpc::ServerUnaryReactor* ManagerServiceImpl::UpdateExperiment(
    grpc::CallbackServerContext* context, const v1::UpdateExperimentRequest* request,
    v1::UpdateExperimentResponse* response) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.ManagerService/UpdateExperiment")) {
    return refused;
  }
  return ServeUnary(
      directory_, context, request, response, &AsyncStub::UpdateExperiment,
      [&](auto& m) { return Into(m.Update(*request), response->mutable_experiment()); });
}

grpc::ServerUnaryReactor* ManagerServiceImpl::ListTrials(grpc::CallbackServerContext* context,
                                                         const v1::ListTrialsRequest* request,
                                                         v1::ListTrialsResponse* response) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.ManagerService/ListTrials")) {
    return refused;
  }
  return ServeUnary(directory_, context, request, response, &AsyncStub::ListTrials,
                    [&](auto& m) { return Into(m.ListTrials(*request), response); });
}

grpc::ServerUnaryReactor* ManagerServiceImpl::GetExperimentCharts(
    grpc::CallbackServerContext* context, const v1::GetExperimentChartsRequest* request,
    v1::GetExperimentChartsResponse* response) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.ManagerService/GetExperimentCharts")) {
    return refused;
  }
  return ServeUnary(directory_, context, request, response, &AsyncStub::GetExperimentCharts,
                    [&](auto& m) {
                      *response = m.GetCharts(request->max_points(), !request->omit_sample());
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* ManagerServiceImpl::GetTrial(grpc::CallbackServerContext* context,
                                                       const v1::GetTrialRequest* request,
                                                       v1::GetTrialResponse* response) {
  if (auto* refused = auth::RefuseUnary(authorizer_, context, "dlkit.v1.ManagerService/GetTrial")) {
    return refused;
  }
  return ServeUnary(directory_, context, request, response, &AsyncStub::GetTrial, [&](auto& m) {
    return Into(m.GetTrial(request->trial_id()), response->mutable_trial());
  });
}

grpc::ServerUnaryReactor* ManagerServiceImpl::KillTrial(grpc::CallbackServerContext* context,
                                                        const v1::KillTrialRequest* request,
                                                        v1::KillTrialResponse* response) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.ManagerService/KillTrial")) {
    return refused;
  }
  return ServeUnary(directory_, context, request, response, &AsyncStub::KillTrial, [&](auto& m) {
    return Into(m.KillTrial(request->trial_id()), response->mutable_trial());
  });
}

grpc::ServerUnaryReactor* ManagerServiceImpl::AddTrials(grpc::CallbackServerContext* context,
                                                        const v1::AddTrialsRequest* request,
                                                        v1::AddTrialsResponse* response) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.ManagerService/AddTrials")) {
    return refused;
  }
  return ServeUnary(directory_, context, request, response, &AsyncStub::AddTrials, [&](auto& m) {
    std::vector<v1::ParameterSet> sets(request->parameters().begin(), request->parameters().end());
    absl::StatusOr<std::vector<v1::Trial>> trials = m.AddTrials(sets);
    if (!trials.ok()) return trials.status();
    for (v1::Trial& t : *trials) *response->add_trials() = std::move(t);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ManagerServiceImpl::AskTrials(grpc::CallbackServerContext* context,
                                                        const v1::AskTrialsRequest* request,
                                                        v1::AskTrialsResponse* response) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.ManagerService/AskTrials")) {
    return refused;
  }
  // Asking waits on the Tuner: off gRPC's callback threads (see FinishUnaryLater).
  return FinishUnaryLater(context, [this, request, response] {
    return OnManager(directory_, request->experiment_id(), [&](auto& m) {
      absl::StatusOr<std::vector<v1::Trial>> trials =
          m.AskTrials(request->count(), request->request_id());
      if (!trials.ok()) return trials.status();
      for (v1::Trial& t : *trials) *response->add_trials() = std::move(t);
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* ManagerServiceImpl::ReportTrialMetric(
    grpc::CallbackServerContext* context, const v1::ReportTrialMetricRequest* request,
    v1::ReportTrialMetricResponse* response) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.ManagerService/ReportTrialMetric")) {
    return refused;
  }
  return FinishUnary(context, OnManager(directory_, request->experiment_id(), [&](auto& m) {
                       absl::StatusOr<bool> stop = m.ReportTrialMetric(
                           request->trial_id(), request->kind(), request->value(), request->seq());
                       if (!stop.ok()) return stop.status();
                       response->set_should_stop(*stop);
                       return absl::OkStatus();
                     }));
}

grpc::ServerUnaryReactor* ManagerServiceImpl::HeartbeatTrial(
    grpc::CallbackServerContext* context, const v1::HeartbeatTrialRequest* request,
    v1::HeartbeatTrialResponse* response) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.ManagerService/HeartbeatTrial")) {
    return refused;
  }
  return FinishUnary(context, OnManager(directory_, request->experiment_id(), [&](auto& m) {
                       absl::StatusOr<bool> stop = m.HeartbeatTrial(request->trial_id());
                       if (!stop.ok()) return stop.status();
                       response->set_should_stop(*stop);
                       return absl::OkStatus();
                     }));
}

grpc::ServerUnaryReactor* ManagerServiceImpl::TellTrial(grpc::CallbackServerContext* context,
                                                        const v1::TellTrialRequest* request,
                                                        v1::TellTrialResponse* response) {
  if (auto* refused =
          auth::RefuseUnary(authorizer_, context, "dlkit.v1.ManagerService/TellTrial")) {
    return refused;
  }
  return FinishUnary(context, OnManager(directory_, request->experiment_id(), [&](auto& m) {
                       return Into(m.TellTrial(*request), response->mutable_trial());
                     }));
}

grpc::ServerWriteReactor<v1::WatchExperimentResponse>* ManagerServiceImpl::WatchExperiment(
    grpc::CallbackServerContext* context, const v1::WatchExperimentRequest* request) {
  if (auto* refused = auth::RefuseStream<v1::WatchExperimentResponse>(
          authorizer_, context, "dlkit.v1.ManagerService/WatchExperiment")) {
    return refused;
  }
  if (auto* forwarded = ForwardStream(directory_, context, request, &AsyncStub::WatchExperiment)) {
    return forwarded;
  }
  return new WatchReactor(directory_, *request);
}

grpc::ServerWriteReactor<v1::ReadTrialLogResponse>* ManagerServiceImpl::ReadTrialLog(
    grpc::CallbackServerContext* context, const v1::ReadTrialLogRequest* request) {
  if (auto* refused = auth::RefuseStream<v1::ReadTrialLogResponse>(
          authorizer_, context, "dlkit.v1.ManagerService/ReadTrialLog")) {
    return refused;
  }
  if (auto* forwarded = ForwardStream(directory_, context, request, &AsyncStub::ReadTrialLog)) {
    return forwarded;
  }
  return new LogReactor(directory_, *request);
}

grpc::ServerBidiReactor<v1::TrialSessionRequest, v1::TrialSessionResponse>*
ManagerServiceImpl::TrialSession(grpc::CallbackServerContext* /*context*/) {
  return new TrialSessionReactor(directory_);
}

}  // namespace dlkit
