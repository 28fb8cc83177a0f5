#ifndef DLKIT_SERVICES_MANAGER_MANAGER_SERVICE_H_
#define DLKIT_SERVICES_MANAGER_MANAGER_SERVICE_H_

// gRPC edge of the Manager: unary calls translate to ExperimentManager calls; the streams
// (TrialSession, WatchExperiment, ReadTrialLog) are reactors that own themselves.

#include "dlkit/v1/manager.grpc.pb.h"
#include "services/auth/call_authorizer.h"
#include "services/manager/manager_directory.h"

namespace dlkit {

class ManagerServiceImpl final : public v1::ManagerService::CallbackService {
 public:
  // Every call but TrialSession (which checks the trial's own secret) is checked by
  // `authorizer`; without one (unit tests) calls go unchecked.
  void set_authorizer(const auth::CallAuthorizer* authorizer) { authorizer_ = authorizer; }

  explicit ManagerServiceImpl(ManagerDirectory* directory) : directory_(directory) {}

  grpc::ServerUnaryReactor* GetExperiment(grpc::CallbackServerContext* context,
                                          const v1::ManagerGetExperimentRequest* request,
                                          v1::ManagerGetExperimentResponse* response) override;
  grpc::ServerUnaryReactor* UpdateExperiment(grpc::CallbackServerContext* context,
                                             const v1::UpdateExperimentRequest* request,
                                             v1::UpdateExperimentResponse* response) override;
  grpc::ServerUnaryReactor* StopExperiment(grpc::CallbackServerContext* context,
                                           const v1::ManagerStopExperimentRequest* request,
                                           v1::ManagerStopExperimentResponse* response) override;
  grpc::ServerUnaryReactor* ResumeExperiment(
      grpc::CallbackServerContext* context, const v1::ManagerResumeExperimentRequest* request,
      v1::ManagerResumeExperimentResponse* response) override;
  grpc::ServerUnaryReactor* GetExperimentCharts(grpc::CallbackServerContext* context,
                                                const v1::GetExperimentChartsRequest* request,
                                                v1::GetExperimentChartsResponse* response) override;
  grpc::ServerUnaryReactor* ListTrials(grpc::CallbackServerContext* context,
                                       const v1::ListTrialsRequest* request,
                                       v1::ListTrialsResponse* response) override;
  grpc::ServerUnaryReactor* GetTrial(grpc::CallbackServerContext* context,
                                     const v1::GetTrialRequest* request,
                                     v1::GetTrialResponse* response) override;
  grpc::ServerUnaryReactor* KillTrial(grpc::CallbackServerContext* context,
                                      const v1::KillTrialRequest* request,
                                      v1::KillTrialResponse* response) override;
  grpc::ServerUnaryReactor* AddTrials(grpc::CallbackServerContext* context,
                                      const v1::AddTrialsRequest* request,
                                      v1::AddTrialsResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchExperimentResponse>* WatchExperiment(
      grpc::CallbackServerContext* context, const v1::WatchExperimentRequest* request) override;
  grpc::ServerWriteReactor<v1::ReadTrialLogResponse>* ReadTrialLog(
      grpc::CallbackServerContext* context, const v1::ReadTrialLogRequest* request) override;
  grpc::ServerBidiReactor<v1::TrialSessionRequest, v1::TrialSessionResponse>* TrialSession(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* AskTrials(grpc::CallbackServerContext* context,
                                      const v1::AskTrialsRequest* request,
                                      v1::AskTrialsResponse* response) override;
  grpc::ServerUnaryReactor* ReportTrialMetric(grpc::CallbackServerContext* context,
                                              const v1::ReportTrialMetricRequest* request,
                                              v1::ReportTrialMetricResponse* response) override;
  grpc::ServerUnaryReactor* HeartbeatTrial(grpc::CallbackServerContext* context,
                                           const v1::HeartbeatTrialRequest* request,
                                           v1::HeartbeatTrialResponse* response) override;
  grpc::ServerUnaryReactor* TellTrial(grpc::CallbackServerContext* context,
                                      const v1::TellTrialRequest* request,
                                      v1::TellTrialResponse* response) override;

 private:
  const auth::CallAuthorizer* authorizer_ = nullptr;
  ManagerDirectory* const directory_;
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_MANAGER_MANAGER_SERVICE_H_
