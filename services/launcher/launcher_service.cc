#include "services/launcher/launcher_service.h"

#include <unistd.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/auth/call_authorizer.h"
#include "services/common/server_runner.h"
#include "services/common/unary_reactor.h"

namespace dlkit {
namespace {

constexpr char kServiceName[] = "dlkit.v1.LauncherService";

// WatchExperiments: a snapshot from the Launcher, then every experiment change its local
// managers publish and every deletion. Changes wait in a map while a message is on the wire,
// so a busy experiment sends its latest state, not each of its steps.
class ExperimentsWatchReactor final : public grpc::ServerWriteReactor<v1::WatchExperimentsResponse>,
                                      public ExperimentWatcher,
                                      public ExperimentListWatcher {
 public:
  ExperimentsWatchReactor(Launcher* launcher, std::function<void(v1::Experiment&)> decorate)
      : launcher_(launcher), decorate_(std::move(decorate)) {
    // Following first, then listing: nothing that happens in between is missed. The
    // managers' states gathered meanwhile go out with the list, as the snapshot.
    launcher_->WatchList(this);
    std::vector<v1::Experiment> listed = launcher_->List();
    absl::MutexLock lock(&mu_);
    for (v1::Experiment& e : listed) changed_.try_emplace(e.id(), std::move(e));
    started_ = true;
    WriteNextLocked();
  }

  // ExperimentListWatcher (under the Launcher's lock, never under mu_).
  void OnManager(const std::shared_ptr<ExperimentManager>& manager) override {
    {
      absl::MutexLock lock(&mu_);
      managers_.push_back(manager);
    }
    manager->Watch(this, /*include_metrics=*/false, /*snapshot_trials=*/false);
  }
  void OnClusterExperiment(const v1::Experiment& experiment) override { Changed(experiment); }
  void OnDeleted(const std::string& experiment_id) override {
    absl::MutexLock lock(&mu_);
    changed_.erase(experiment_id);
    deleted_.insert(experiment_id);
    WriteNextLocked();
  }

  // ExperimentWatcher: trial-only updates carry no experiment and change nothing here.
  void OnUpdate(const v1::WatchExperimentResponse& update) override {
    if (update.has_experiment()) Changed(update.experiment());
  }
  // A manager going away: a deletion is told by OnDeleted, a daemon exit ends the server.
  void OnEnd() override {}

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) end_requested_ = true;
    WriteNextLocked();
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    end_requested_ = true;
    WriteNextLocked();
  }
  void OnDone() override {
    launcher_->UnwatchList(this);  // after this, no OnManager adds to managers_
    std::vector<std::shared_ptr<ExperimentManager>> managers;
    {
      absl::MutexLock lock(&mu_);
      managers.swap(managers_);
    }
    for (const auto& manager : managers) manager->Unwatch(this);
    delete this;
  }

 private:
  void Changed(const v1::Experiment& experiment) {
    absl::MutexLock lock(&mu_);
    changed_[experiment.id()] = experiment;
    WriteNextLocked();
  }
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!started_ || writing_ || finished_) return;
    if (end_requested_) {
      finished_ = true;
      Finish(grpc::Status::OK);
      return;
    }
    if (!first_ && changed_.empty() && deleted_.empty()) return;
    outgoing_.Clear();
    outgoing_.set_snapshot(std::exchange(first_, false));
    for (auto& [id, experiment] : changed_) {
      decorate_(experiment);
      *outgoing_.add_experiments() = std::move(experiment);
    }
    for (const std::string& id : deleted_) outgoing_.add_deleted_ids(id);
    changed_.clear();
    deleted_.clear();
    writing_ = true;
    StartWrite(&outgoing_);
  }

  Launcher* const launcher_;
  const std::function<void(v1::Experiment&)> decorate_;
  absl::Mutex mu_;
  std::vector<std::shared_ptr<ExperimentManager>> managers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, v1::Experiment> changed_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> deleted_ ABSL_GUARDED_BY(mu_);
  v1::WatchExperimentsResponse outgoing_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;  // the snapshot is complete
  bool first_ ABSL_GUARDED_BY(mu_) = true;     // the next message is the snapshot
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool end_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerWriteReactor<v1::WatchExperimentsResponse>* LauncherServiceImpl::WatchExperiments(
    grpc::CallbackServerContext* context, const v1::WatchExperimentsRequest* /*request*/) {
  if (auto* refused = RefusedStream<v1::WatchExperimentsResponse>(context, "WatchExperiments")) {
    return refused;
  }
  return new ExperimentsWatchReactor(launcher_, [this](v1::Experiment& e) { AddDashboardUrl(e); });
}

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
  if (auto* refused = Refused(context, "SubmitExperiment")) return refused;
  // Submitting waits on the Tuner (ValidateAlgorithm): off gRPC's callback threads.
  return FinishUnaryLater(context, [this, context, request, response] {
    absl::StatusOr<v1::SubmitExperimentResponse> submitted = launcher_->Submit(*request);
    if (!submitted.ok()) return submitted.status();
    *response = *std::move(submitted);
    AddDashboardUrl(*response->mutable_experiment());
    response->set_dashboard_url(
        LoginUrl(context, absl::StrCat("#/experiments/", response->experiment().id())));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LauncherServiceImpl::ValidateExperiment(
    grpc::CallbackServerContext* context, const v1::ValidateExperimentRequest* request,
    v1::ValidateExperimentResponse* response) {
  if (auto* refused = Refused(context, "ValidateExperiment")) return refused;
  return FinishUnaryLater(context, [this, request, response] {
    absl::StatusOr<v1::ValidateExperimentResponse> validated = launcher_->Validate(*request);
    if (validated.ok()) *response = *std::move(validated);
    return validated.status();
  });
}

grpc::ServerUnaryReactor* LauncherServiceImpl::ListExperiments(
    grpc::CallbackServerContext* context, const v1::ListExperimentsRequest* /*request*/,
    v1::ListExperimentsResponse* response) {
  if (auto* refused = Refused(context, "ListExperiments")) return refused;
  for (v1::Experiment& e : launcher_->List()) {
    AddDashboardUrl(e);
    *response->add_experiments() = std::move(e);
  }
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* LauncherServiceImpl::GetExperiment(
    grpc::CallbackServerContext* context, const v1::GetExperimentRequest* request,
    v1::GetExperimentResponse* response) {
  if (auto* refused = Refused(context, "GetExperiment")) return refused;
  return FinishUnary(
      context, WithExperiment<v1::GetExperimentResponse>(launcher_->Get(request->experiment_id())),
      response);
}

grpc::ServerUnaryReactor* LauncherServiceImpl::StopExperiment(
    grpc::CallbackServerContext* context, const v1::StopExperimentRequest* request,
    v1::StopExperimentResponse* response) {
  if (auto* refused = Refused(context, "StopExperiment")) return refused;
  return FinishUnary(
      context,
      WithExperiment<v1::StopExperimentResponse>(launcher_->Stop(request->experiment_id())),
      response);
}

grpc::ServerUnaryReactor* LauncherServiceImpl::ResumeExperiment(
    grpc::CallbackServerContext* context, const v1::ResumeExperimentRequest* request,
    v1::ResumeExperimentResponse* response) {
  if (auto* refused = Refused(context, "ResumeExperiment")) return refused;
  return FinishUnary(
      context,
      WithExperiment<v1::ResumeExperimentResponse>(launcher_->Resume(request->experiment_id())),
      response);
}

grpc::ServerUnaryReactor* LauncherServiceImpl::DeleteExperiment(
    grpc::CallbackServerContext* context, const v1::DeleteExperimentRequest* request,
    v1::DeleteExperimentResponse* /*response*/) {
  if (auto* refused = Refused(context, "DeleteExperiment")) return refused;
  return FinishUnary(context, launcher_->Delete(request->experiment_id()));
}

grpc::ServerUnaryReactor* LauncherServiceImpl::GetDaemonStatus(
    grpc::CallbackServerContext* context, const v1::GetDaemonStatusRequest* /*request*/,
    v1::GetDaemonStatusResponse* response) {
  if (auto* refused = Refused(context, "GetDaemonStatus")) return refused;
  response->set_version(version_);
  response->set_pid(getpid());
  response->set_home(launcher_->home());
  response->set_address(launcher_->address());
  response->set_experiments_running(launcher_->RunningCount());
  response->set_dashboard_url(LoginUrl(context, ""));
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* LauncherServiceImpl::ShutdownDaemon(
    grpc::CallbackServerContext* context, const v1::ShutdownDaemonRequest* request,
    v1::ShutdownDaemonResponse* /*response*/) {
  if (auto* refused = Refused(context, "ShutdownDaemon")) return refused;
  if (request->kill_trials()) launcher_->KillTrialsAtShutdown();
  RequestShutdown();  // the daemon's main thread does the rest after this call returns
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* LauncherServiceImpl::CreateToken(grpc::CallbackServerContext* context,
                                                           const v1::CreateTokenRequest* request,
                                                           v1::CreateTokenResponse* response) {
  if (auto* refused = Refused(context, "CreateToken")) return refused;
  if (tokens_ == nullptr) return FinishUnary(context, absl::UnimplementedError("no token store"));
  if (request->role() == v1::TOKEN_ROLE_UNSPECIFIED || !v1::TokenRole_IsValid(request->role())) {
    return FinishUnary(context, absl::InvalidArgumentError("role: give one of admin, write, read"));
  }
  absl::StatusOr<std::string> token =
      tokens_->Create(request->name(), static_cast<auth::Role>(request->role()));
  if (token.ok()) response->set_token(*token);
  return FinishUnary(context, token.status());
}

grpc::ServerUnaryReactor* LauncherServiceImpl::ListTokens(grpc::CallbackServerContext* context,
                                                          const v1::ListTokensRequest* /*request*/,
                                                          v1::ListTokensResponse* response) {
  if (auto* refused = Refused(context, "ListTokens")) return refused;
  if (tokens_ != nullptr) {
    for (const auth::TokenInfo& info : tokens_->List()) {
      v1::TokenSummary* summary = response->add_tokens();
      summary->set_name(info.name);
      summary->set_role(static_cast<v1::TokenRole>(info.role));
    }
  }
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* LauncherServiceImpl::RevokeToken(grpc::CallbackServerContext* context,
                                                           const v1::RevokeTokenRequest* request,
                                                           v1::RevokeTokenResponse* /*response*/) {
  if (auto* refused = Refused(context, "RevokeToken")) return refused;
  if (tokens_ == nullptr) return FinishUnary(context, absl::UnimplementedError("no token store"));
  return FinishUnary(context, tokens_->Revoke(request->name()));
}

grpc::ServerUnaryReactor* LauncherServiceImpl::Refused(grpc::CallbackServerContext* context,
                                                       absl::string_view method) const {
  return auth::RefuseUnary(authorizer_, context, absl::StrCat(kServiceName, "/", method));
}

template <typename Response>
grpc::ServerWriteReactor<Response>* LauncherServiceImpl::RefusedStream(
    grpc::CallbackServerContext* context, absl::string_view method) const {
  return auth::RefuseStream<Response>(authorizer_, context,
                                      absl::StrCat(kServiceName, "/", method));
}

std::string LauncherServiceImpl::LoginUrl(grpc::CallbackServerContext* context,
                                          absl::string_view fragment) const {
  const std::string url = dashboard_url();
  if (url.empty()) return "";
  std::string query;
  if (authorizer_ != nullptr && sessions_ != nullptr) {
    absl::StatusOr<auth::Role> role = authorizer_->CallerRole(*context);
    if (role.ok()) {
      query = absl::StrCat("?", auth::kLoginQueryKey, "=", sessions_->MintLoginCode(*role));
    }
  }
  return absl::StrCat(url, "/", query, fragment);
}

}  // namespace dlkit
