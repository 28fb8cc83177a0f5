#include "services/reporter/reporter_service.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "services/common/unary_reactor.h"

namespace dlkit {
namespace {

// A report waits for the Manager's ack; a Manager that is briefly away (restarting) gets
// this long before the trial sees an error.
constexpr absl::Duration kReportTimeout = absl::Seconds(60);

}  // namespace

absl::Status ReporterServiceImpl::CheckSecret(const std::string& secret) const {
  if (secret != info_.secret) {
    return absl::PermissionDeniedError(
        absl::StrCat("wrong trial secret: this reporter serves only trial ", info_.trial_id));
  }
  return absl::OkStatus();
}

absl::Status ReporterServiceImpl::CheckReport(v1::MetricKind kind, double value) const {
  if (kind == v1::METRIC_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("report kind is unspecified");
  }
  if (std::isnan(value)) {
    return absl::InvalidArgumentError("a reported metric is NaN");
  }
  return absl::OkStatus();
}

std::string ReporterServiceImpl::MetricName(const std::string& name) {
  return name.empty() ? "default" : name;
}

absl::Status ReporterServiceImpl::Forward(v1::MetricKind kind, double value,
                                          const std::string& metric_name) {
  DLKIT_RETURN_IF_ERROR(CheckReport(kind, value));
  return session_->Report(kind, value, MetricName(metric_name), kReportTimeout);
}

grpc::ServerUnaryReactor* ReporterServiceImpl::GetParameters(
    grpc::CallbackServerContext* context, const v1::GetParametersRequest* request,
    v1::GetParametersResponse* response) {
  absl::Status status = CheckSecret(request->secret());
  if (status.ok()) {
    // Trials started by a Manager have their parameters in DLKIT_TRIAL_PARAMETERS; this call
    // is the fallback, so waiting for the session here is rare.
    absl::StatusOr<v1::ParameterSet> parameters = session_->WaitForParameters(kReportTimeout);
    status = parameters.status();
    if (status.ok()) {
      response->set_trial_id(info_.trial_id);
      response->set_experiment_id(info_.experiment_id);
      response->set_sequence(info_.sequence);
      *response->mutable_parameters() = *std::move(parameters);
    }
  }
  return FinishUnary(context, status);
}

grpc::ServerUnaryReactor* ReporterServiceImpl::Report(grpc::CallbackServerContext* context,
                                                      const v1::ReportRequest* request,
                                                      v1::ReportResponse* response) {
  absl::Status status = CheckSecret(request->secret());
  if (status.ok()) status = CheckReport(request->kind(), request->value());
  bool repeat = false;
  if (status.ok() && request->report_id() != 0) {
    absl::MutexLock lock(&mu_);
    repeat = !seen_report_ids_.insert(request->report_id()).second;
  }
  response->set_should_stop(should_stop_);
  if (!status.ok() || repeat) return FinishUnary(context, status);
  // The call finishes when the Manager has stored the report, without holding a thread.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const uint64_t report_id = request->report_id();
  session_->ReportAsync(
      request->kind(), request->value(), MetricName(request->metric_name()),
      [this, reactor, response, report_id](absl::Status stored) {
        if (!stored.ok() && report_id != 0) {
          absl::MutexLock lock(&mu_);
          seen_report_ids_.erase(report_id);  // not stored: a retry must go through
        }
        response->set_should_stop(should_stop_);
        reactor->Finish(ToGrpcStatus(stored));
      });
  return reactor;
}

grpc::ServerUnaryReactor* ReporterServiceImpl::ShouldStop(grpc::CallbackServerContext* context,
                                                          const v1::ShouldStopRequest* request,
                                                          v1::ShouldStopResponse* response) {
  absl::Status status = CheckSecret(request->secret());
  response->set_should_stop(should_stop_);
  return FinishUnary(context, status);
}

}  // namespace dlkit
