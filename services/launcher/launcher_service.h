#ifndef DLKIT_SERVICES_LAUNCHER_LAUNCHER_SERVICE_H_
#define DLKIT_SERVICES_LAUNCHER_LAUNCHER_SERVICE_H_

// gRPC edge of the Launcher.

#include <string>

#include "absl/synchronization/mutex.h"
#include "dlkit/v1/launcher.grpc.pb.h"
#include "services/auth/call_authorizer.h"
#include "services/auth/dashboard_sessions.h"
#include "services/auth/token_store.h"
#include "services/launcher/launcher.h"

namespace dlkit {

class LauncherServiceImpl final : public v1::LauncherService::CallbackService {
 public:
  LauncherServiceImpl(Launcher* launcher, std::string version)
      : launcher_(launcher), version_(std::move(version)) {}

  // Where the dashboard is served ("http://127.0.0.1:8080"), for the answers that link to
  // it; empty means no dashboard. The dashboard starts after the server it calls.
  void set_dashboard_url(std::string url) {
    absl::MutexLock lock(&mu_);
    dashboard_url_ = std::move(url);
  }

  grpc::ServerUnaryReactor* SubmitExperiment(grpc::CallbackServerContext* context,
                                             const v1::SubmitExperimentRequest* request,
                                             v1::SubmitExperimentResponse* response) override;
  grpc::ServerUnaryReactor* ValidateExperiment(grpc::CallbackServerContext* context,
                                               const v1::ValidateExperimentRequest* request,
                                               v1::ValidateExperimentResponse* response) override;
  grpc::ServerUnaryReactor* ListExperiments(grpc::CallbackServerContext* context,
                                            const v1::ListExperimentsRequest* request,
                                            v1::ListExperimentsResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchExperimentsResponse>* WatchExperiments(
      grpc::CallbackServerContext* context, const v1::WatchExperimentsRequest* request) override;
  grpc::ServerUnaryReactor* GetExperiment(grpc::CallbackServerContext* context,
                                          const v1::GetExperimentRequest* request,
                                          v1::GetExperimentResponse* response) override;
  grpc::ServerUnaryReactor* StopExperiment(grpc::CallbackServerContext* context,
                                           const v1::StopExperimentRequest* request,
                                           v1::StopExperimentResponse* response) override;
  grpc::ServerUnaryReactor* ResumeExperiment(grpc::CallbackServerContext* context,
                                             const v1::ResumeExperimentRequest* request,
                                             v1::ResumeExperimentResponse* response) override;
  grpc::ServerUnaryReactor* DeleteExperiment(grpc::CallbackServerContext* context,
                                             const v1::DeleteExperimentRequest* request,
                                             v1::DeleteExperimentResponse* response) override;
  grpc::ServerUnaryReactor* GetDaemonStatus(grpc::CallbackServerContext* context,
                                            const v1::GetDaemonStatusRequest* request,
                                            v1::GetDaemonStatusResponse* response) override;
  // Every call is checked by `authorizer`; `tokens` serves the token calls and `sessions`
  // mints the dashboard login codes of the URLs answered. Without them (unit tests) calls
  // go unchecked and URLs carry no code.
  void set_auth(const auth::CallAuthorizer* authorizer, auth::TokenStore* tokens,
                auth::DashboardSessions* sessions) {
    authorizer_ = authorizer;
    tokens_ = tokens;
    sessions_ = sessions;
  }

  grpc::ServerUnaryReactor* ShutdownDaemon(grpc::CallbackServerContext* context,
                                           const v1::ShutdownDaemonRequest* request,
                                           v1::ShutdownDaemonResponse* response) override;
  grpc::ServerUnaryReactor* CreateToken(grpc::CallbackServerContext* context,
                                        const v1::CreateTokenRequest* request,
                                        v1::CreateTokenResponse* response) override;
  grpc::ServerUnaryReactor* ListTokens(grpc::CallbackServerContext* context,
                                       const v1::ListTokensRequest* request,
                                       v1::ListTokensResponse* response) override;
  grpc::ServerUnaryReactor* RevokeToken(grpc::CallbackServerContext* context,
                                        const v1::RevokeTokenRequest* request,
                                        v1::RevokeTokenResponse* response) override;

 private:
  Launcher* const launcher_;
  const std::string version_;
  std::string dashboard_url() const {
    absl::MutexLock lock(&mu_);
    return dashboard_url_;
  }
  // Null when the caller may call `method` of this service, else the refused call.
  grpc::ServerUnaryReactor* Refused(grpc::CallbackServerContext* context,
                                    absl::string_view method) const;
  template <typename Response>
  grpc::ServerWriteReactor<Response>* RefusedStream(grpc::CallbackServerContext* context,
                                                    absl::string_view method) const;
  // The dashboard's URL with a login code for the caller's role, then `fragment`.
  std::string LoginUrl(grpc::CallbackServerContext* context, absl::string_view fragment) const;
  // Sets Experiment.dashboard_url when a dashboard is served.
  void AddDashboardUrl(v1::Experiment& experiment) const;
  // Most Launcher calls answer with one experiment; this wraps one into its response.
  template <typename Response>
  absl::StatusOr<Response> WithExperiment(absl::StatusOr<v1::Experiment> experiment) const;
  const auth::CallAuthorizer* authorizer_ = nullptr;
  auth::TokenStore* tokens_ = nullptr;
  auth::DashboardSessions* sessions_ = nullptr;
  mutable absl::Mutex mu_;
  std::string dashboard_url_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_LAUNCHER_LAUNCHER_SERVICE_H_
