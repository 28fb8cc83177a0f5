#include "services/launcher/launcher_service.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "services/common/server_runner.h"
#include "services/common/unary_reactor.h"

namespace dlkit {
namespace {

}  // namespace

void LauncherServiceImpl::AddDashboardUrl(v1::Experiment& experiment) const {
  if (const std::string url = dashboard_url(); !url.empty()) {
    experiment.set_dashboard_url(absl::StrCat(url, "/#/experiments/", experiment.id()));
  }
}

template <typename Response>
absl::StatusOr<Response> LauncherServiceImpl::WithExperiment(
    absl::StatusOr<v1::Experiment> experiment) const {
  if (!experiment.ok()) return experiment.status();
  Response response;
  *response.mutable_experiment() = *std::move(experiment);
  AddDashboardUrl(*response.mutable_experiment());
  return response;
}

grpc::ServerUnaryReactor* LauncherServiceImpl::SubmitExperiment(
    grpc::CallbackServerContext* context, const v1::SubmitExperimentRequest* request,
    v1::SubmitExperimentResponse* response) {
  // Submitting waits on the Tuner (ValidateAlgorithm): off gRPC's callback threads.
  return FinishUnaryLater(context, [this, request, response] {
    absl::StatusOr<v1::SubmitExperimentResponse> submitted = launcher_->Submit(*request);
    if (!submitted.ok()) return submitted.status();
    *response = *std::move(submitted);
    AddDashboardUrl(*response->mutable_experiment());
    response->set_dashboard_url(response->experiment().dashboard_url());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LauncherServiceImpl::ValidateExperiment(
    grpc::CallbackServerContext* context, const v1::ValidateExperimentRequest* request,
    v1::ValidateExperimentResponse* response) {
  return FinishUnaryLater(context, [this, request, response] {
    absl::StatusOr<v1::ValidateExperimentResponse> validated =
        launcher_->Validate(*request);
    if (validated.ok()) *response = *std::move(validated);
    return validated.status();
  });
}

grpc::ServerUnaryReactor* LauncherServiceImpl::ListExperiments(
    grpc::CallbackServerContext* context, const v1::ListExperimentsRequest* /*request*/,
    v1::ListExperimentsResponse* response) {
  for (v1::Experiment& e : launcher_->List()) {
    AddDashboardUrl(e);
    *response->add_experiments() = std::move(e);
  }
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* LauncherServiceImpl::GetExperiment(
    grpc::CallbackServerContext* context, const v1::GetExperimentRequest* request,
    v1::GetExperimentResponse* response) {
  return FinishUnary(context,
                     WithExperiment<v1::GetExperimentResponse>(
                         launcher_->Get(request->experiment_id())),
                     response);
}

grpc::ServerUnaryReactor* LauncherServiceImpl::StopExperiment(
    grpc::CallbackServerContext* context, const v1::StopExperimentRequest* request,
    v1::StopExperimentResponse* response) {
  return FinishUnary(context,
                     WithExperiment<v1::StopExperimentResponse>(
                         launcher_->Stop(request->experiment_id())),
                     response);
}

grpc::ServerUnaryReactor* LauncherServiceImpl::ResumeExperiment(
    grpc::CallbackServerContext* context, const v1::ResumeExperimentRequest* request,
    v1::ResumeExperimentResponse* response) {
  return FinishUnary(context,
                     WithExperiment<v1::ResumeExperimentResponse>(
                         launcher_->Resume(request->experiment_id())),
                     response);
}

grpc::ServerUnaryReactor* LauncherServiceImpl::DeleteExperiment(
    grpc::CallbackServerContext* context, const v1::DeleteExperimentRequest* request,
    v1::DeleteExperimentResponse* /*response*/) {
  return FinishUnary(context, launcher_->Delete(request->experiment_id()));
}

grpc::ServerUnaryReactor* LauncherServiceImpl::GetDaemonStatus(
    grpc::CallbackServerContext* context, const v1::GetDaemonStatusRequest* /*request*/,
    v1::GetDaemonStatusResponse* response) {
  response->set_version(version_);
  response->set_pid(getpid());
  response->set_home(launcher_->home());
  response->set_address(launcher_->address());
  response->set_experiments_running(launcher_->RunningCount());
  response->set_dashboard_url(dashboard_url());
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* LauncherServiceImpl::ShutdownDaemon(
    grpc::CallbackServerContext* context, const v1::ShutdownDaemonRequest* /*request*/,
    v1::ShutdownDaemonResponse* /*response*/) {
  RequestShutdown();  // the daemon's main thread does the rest after this call returns
  return FinishUnary(context, absl::OkStatus());
}

}  // namespace dlkit
