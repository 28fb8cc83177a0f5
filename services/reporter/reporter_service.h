#ifndef DLKIT_SERVICES_REPORTER_REPORTER_SERVICE_H_
#define DLKIT_SERVICES_REPORTER_REPORTER_SERVICE_H_

// The SDK-facing side of the Reporter: serves ReporterService on the trial's local socket
// and forwards reports over the Manager session.

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "dlkit/v1/reporter.grpc.pb.h"
#include "services/reporter/manager_session.h"

namespace dlkit {

class ReporterServiceImpl final : public v1::ReporterService::CallbackService {
 public:
  struct TrialInfo {
    std::string trial_id;
    std::string experiment_id;
    std::string secret;
    int64_t sequence = 0;
  };

  ReporterServiceImpl(TrialInfo info, ManagerSession* session)
      : info_(std::move(info)), session_(session) {}

  // Called when the Manager asks the trial to stop.
  void MarkShouldStop() { should_stop_ = true; }
  bool should_stop() const { return should_stop_; }

  // Forwards one measurement (also used for metrics parsed from stdout).
  absl::Status Forward(v1::MetricKind kind, double value, const std::string& metric_name);

  grpc::ServerUnaryReactor* GetParameters(grpc::CallbackServerContext* context,
                                          const v1::GetParametersRequest* request,
                                          v1::GetParametersResponse* response) override;
  grpc::ServerUnaryReactor* Report(grpc::CallbackServerContext* context,
                                   const v1::ReportRequest* request,
                                   v1::ReportResponse* response) override;
  grpc::ServerUnaryReactor* ShouldStop(grpc::CallbackServerContext* context,
                                       const v1::ShouldStopRequest* request,
                                       v1::ShouldStopResponse* response) override;

 private:
  absl::Status CheckSecret(const std::string& secret) const;
  absl::Status CheckReport(v1::MetricKind kind, double value) const;
  static std::string MetricName(const std::string& name);

  const TrialInfo info_;
  ManagerSession* const session_;
  absl::Mutex mu_;
  absl::flat_hash_set<uint64_t> seen_report_ids_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> should_stop_{false};
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_REPORTER_REPORTER_SERVICE_H_
