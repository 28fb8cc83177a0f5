#include "cli/testing/fake_dlkit_server.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace dlkit::cli::testing {

// The services only reach into the fake's state under its lock; a test double may be
// synchronous (no reactors needed for canned answers).
class FakeDlkitServer::Launcher final : public v1::LauncherService::Service {
 public:
  explicit Launcher(FakeDlkitServer* fake) : fake_(fake) {}

  grpc::Status SubmitExperiment(grpc::ServerContext*, const v1::SubmitExperimentRequest* request,
                                v1::SubmitExperimentResponse* response) override {
    absl::MutexLock lock(&fake_->mu_);
    fake_->submits_.push_back(*request);
    if (fake_->fail_submits_ > 0) {
      --fake_->fail_submits_;
      return grpc::Status(fake_->fail_code_, "fake: submit failure");
    }
    auto known = fake_->submitted_.find(request->request_id());
    if (known != fake_->submitted_.end()) {
      *response->mutable_experiment() = fake_->experiments_[known->second];
      return grpc::Status::OK;
    }
    v1::Experiment experiment;
    experiment.set_id(absl::StrCat("exp-", fake_->submitted_.size() + 1));
    *experiment.mutable_spec() = request->spec();
    experiment.set_state(v1::EXPERIMENT_RUNNING);
    fake_->experiments_[experiment.id()] = experiment;
    fake_->submitted_[request->request_id()] = experiment.id();
    *response->mutable_experiment() = experiment;
    response->add_warnings("fake: a server-side warning");
    response->set_dashboard_url("http://127.0.0.1:8080/#/experiments/" +
                                response->experiment().id());
    return grpc::Status::OK;
  }

  grpc::Status ListExperiments(grpc::ServerContext*, const v1::ListExperimentsRequest*,
                               v1::ListExperimentsResponse* response) override {
    absl::MutexLock lock(&fake_->mu_);
    for (const auto& [id, e] : fake_->experiments_) *response->add_experiments() = e;
    return grpc::Status::OK;
  }

  grpc::Status GetExperiment(grpc::ServerContext*, const v1::GetExperimentRequest* request,
                             v1::GetExperimentResponse* response) override {
    absl::MutexLock lock(&fake_->mu_);
    auto it = fake_->experiments_.find(request->experiment_id());
    if (it == fake_->experiments_.end()) return NotFound(request->experiment_id());
    *response->mutable_experiment() = it->second;
    return grpc::Status::OK;
  }

  grpc::Status StopExperiment(grpc::ServerContext*, const v1::StopExperimentRequest* request,
                              v1::StopExperimentResponse* response) override {
    return SetState(request->experiment_id(), v1::EXPERIMENT_STOPPED,
                    response->mutable_experiment());
  }

  grpc::Status ResumeExperiment(grpc::ServerContext*, const v1::ResumeExperimentRequest* request,
                                v1::ResumeExperimentResponse* response) override {
    return SetState(request->experiment_id(), v1::EXPERIMENT_RUNNING,
                    response->mutable_experiment());
  }

  grpc::Status GetDaemonStatus(grpc::ServerContext*, const v1::GetDaemonStatusRequest*,
                               v1::GetDaemonStatusResponse* response) override {
    absl::MutexLock lock(&fake_->mu_);
    response->set_version("fake-1.0");
    response->set_pid(getpid());
    response->set_address(fake_->address_);
    response->set_home("/fake/home");
    int running = 0;
    for (const auto& [id, e] : fake_->experiments_) running += e.state() == v1::EXPERIMENT_RUNNING;
    response->set_experiments_running(running);
    return grpc::Status::OK;
  }

  grpc::Status ShutdownDaemon(grpc::ServerContext*, const v1::ShutdownDaemonRequest*,
                              v1::ShutdownDaemonResponse*) override {
    std::function<void()> callback;
    {
      absl::MutexLock lock(&fake_->mu_);
      ++fake_->shutdown_calls_;
      callback = fake_->on_shutdown_;
    }
    if (callback) callback();
    return grpc::Status::OK;
  }

 private:
  static grpc::Status NotFound(const std::string& id) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("no experiment ", id));
  }

  grpc::Status SetState(const std::string& id, v1::ExperimentState state, v1::Experiment* out) {
    absl::MutexLock lock(&fake_->mu_);
    auto it = fake_->experiments_.find(id);
    if (it == fake_->experiments_.end()) return NotFound(id);
    it->second.set_state(state);
    *out = it->second;
    return grpc::Status::OK;
  }

  FakeDlkitServer* fake_;
};

class FakeDlkitServer::Manager final : public v1::ManagerService::Service {
 public:
  explicit Manager(FakeDlkitServer* fake) : fake_(fake) {}

  grpc::Status GetExperiment(grpc::ServerContext*, const v1::ManagerGetExperimentRequest* request,
                             v1::ManagerGetExperimentResponse* response) override {
    absl::MutexLock lock(&fake_->mu_);
    auto it = fake_->experiments_.find(request->experiment_id());
    if (it == fake_->experiments_.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such experiment");
    }
    *response->mutable_experiment() = it->second;
    return grpc::Status::OK;
  }

  grpc::Status UpdateExperiment(grpc::ServerContext*, const v1::UpdateExperimentRequest* request,
                                v1::UpdateExperimentResponse* response) override {
    absl::MutexLock lock(&fake_->mu_);
    fake_->updates_.push_back(*request);
    auto it = fake_->experiments_.find(request->experiment_id());
    if (it == fake_->experiments_.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such experiment");
    }
    v1::ExperimentSpec* spec = it->second.mutable_spec();
    if (request->trial_concurrency() > 0) spec->set_trial_concurrency(request->trial_concurrency());
    if (request->max_trial_number() > 0) spec->set_max_trial_number(request->max_trial_number());
    if (request->has_max_experiment_duration()) {
      *spec->mutable_max_experiment_duration() = request->max_experiment_duration();
    }
    *response->mutable_experiment() = it->second;
    return grpc::Status::OK;
  }

  grpc::Status ListTrials(grpc::ServerContext*, const v1::ListTrialsRequest* request,
                          v1::ListTrialsResponse* response) override {
    absl::MutexLock lock(&fake_->mu_);
    fake_->list_requests_.push_back(*request);
    auto it = fake_->trials_.find(request->experiment_id());
    if (it == fake_->trials_.end()) {
      if (!fake_->experiments_.count(request->experiment_id())) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such experiment");
      }
      return grpc::Status::OK;
    }
    std::vector<v1::Trial> matching;
    for (const v1::Trial& t : it->second) {
      if (request->states().empty() || std::find(request->states().begin(), request->states().end(),
                                                 t.state()) != request->states().end()) {
        matching.push_back(t);
      }
    }
    size_t start = 0;
    if (!request->page_token().empty() && !absl::SimpleAtoi(request->page_token(), &start)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad page token");
    }
    size_t end = request->page_size() > 0 ? std::min(matching.size(), start + request->page_size())
                                          : matching.size();
    for (size_t i = start; i < end; ++i) {
      v1::Trial* t = response->add_trials();
      *t = matching[i];
      if (!request->include_series()) {
        t->clear_intermediate();
        t->clear_loss();
      }
    }
    if (end < matching.size()) response->set_next_page_token(absl::StrCat(end));
    response->set_total(static_cast<int>(matching.size()));
    return grpc::Status::OK;
  }

  grpc::Status GetTrial(grpc::ServerContext*, const v1::GetTrialRequest* request,
                        v1::GetTrialResponse* response) override {
    absl::MutexLock lock(&fake_->mu_);
    v1::Trial* t = Find(request->experiment_id(), request->trial_id());
    if (t == nullptr) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such trial");
    *response->mutable_trial() = *t;
    return grpc::Status::OK;
  }

  grpc::Status KillTrial(grpc::ServerContext*, const v1::KillTrialRequest* request,
                         v1::KillTrialResponse* response) override {
    absl::MutexLock lock(&fake_->mu_);
    v1::Trial* t = Find(request->experiment_id(), request->trial_id());
    if (t == nullptr) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such trial");
    fake_->killed_.push_back(request->trial_id());
    t->set_state(v1::KILLED);
    *response->mutable_trial() = *t;
    return grpc::Status::OK;
  }

  grpc::Status WatchExperiment(grpc::ServerContext* context,
                               const v1::WatchExperimentRequest* request,
                               grpc::ServerWriter<v1::WatchExperimentResponse>* writer) override {
    std::vector<v1::WatchExperimentResponse> script;
    absl::Duration gap;
    {
      absl::MutexLock lock(&fake_->mu_);
      ++fake_->watch_calls_;
      if (!fake_->experiments_.count(request->experiment_id())) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such experiment");
      }
      script = fake_->watch_script_;
      gap = fake_->watch_gap_;
    }
    for (size_t i = 0; i < script.size(); ++i) {
      if (i > 0) absl::SleepFor(gap);
      if (context->IsCancelled() || !writer->Write(script[i])) break;
    }
    return grpc::Status::OK;
  }

  grpc::Status ReadTrialLog(grpc::ServerContext*, const v1::ReadTrialLogRequest* request,
                            grpc::ServerWriter<v1::ReadTrialLogResponse>* writer) override {
    std::string text;
    {
      absl::MutexLock lock(&fake_->mu_);
      fake_->log_requests_.push_back(*request);
      auto it = fake_->logs_.find(request->trial_id());
      if (it == fake_->logs_.end()) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND, "no log for this trial");
      }
      text = it->second;
    }
    // Small chunks, so the client has to stitch them together.
    constexpr size_t kChunk = 7;
    for (size_t offset = request->offset(); offset < text.size(); offset += kChunk) {
      v1::ReadTrialLogResponse chunk;
      chunk.set_data(text.substr(offset, kChunk));
      chunk.set_next_offset(static_cast<int64_t>(std::min(text.size(), offset + kChunk)));
      if (!writer->Write(chunk)) break;
    }
    return grpc::Status::OK;
  }

 private:
  v1::Trial* Find(const std::string& experiment_id, const std::string& trial_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(fake_->mu_) {
    auto it = fake_->trials_.find(experiment_id);
    if (it == fake_->trials_.end()) return nullptr;
    for (v1::Trial& t : it->second) {
      if (t.id() == trial_id) return &t;
    }
    return nullptr;
  }

  FakeDlkitServer* fake_;
};

absl::StatusOr<std::unique_ptr<FakeDlkitServer>> FakeDlkitServer::Start(
    const std::string& address) {
  std::unique_ptr<FakeDlkitServer> fake(new FakeDlkitServer());
  fake->launcher_ = std::make_unique<Launcher>(fake.get());
  fake->manager_ = std::make_unique<Manager>(fake.get());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(fake->launcher_.get());
  builder.RegisterService(fake->manager_.get());
  fake->server_ = builder.BuildAndStart();
  if (fake->server_ == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("fake server cannot bind ", address));
  }
  std::string host = address.substr(0, address.rfind(':'));
  absl::MutexLock lock(&fake->mu_);
  fake->address_ = absl::StrCat(host, ":", port);
  return fake;
}

FakeDlkitServer::~FakeDlkitServer() { Shutdown(); }

void FakeDlkitServer::Shutdown() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
    server_.reset();
  }
}

void FakeDlkitServer::AddExperiment(const v1::Experiment& experiment) {
  absl::MutexLock lock(&mu_);
  experiments_[experiment.id()] = experiment;
}

void FakeDlkitServer::SetTrials(const std::string& experiment_id,
                                const std::vector<v1::Trial>& trials) {
  absl::MutexLock lock(&mu_);
  trials_[experiment_id] = trials;
}

void FakeDlkitServer::SetLog(const std::string& trial_id, const std::string& text) {
  absl::MutexLock lock(&mu_);
  logs_[trial_id] = text;
}

void FakeDlkitServer::SetWatchScript(const std::vector<v1::WatchExperimentResponse>& script,
                                     absl::Duration gap) {
  absl::MutexLock lock(&mu_);
  watch_script_ = script;
  watch_gap_ = gap;
}

void FakeDlkitServer::FailSubmits(int count, grpc::StatusCode code) {
  absl::MutexLock lock(&mu_);
  fail_submits_ = count;
  fail_code_ = code;
}

void FakeDlkitServer::OnShutdown(std::function<void()> callback) {
  absl::MutexLock lock(&mu_);
  on_shutdown_ = std::move(callback);
}

std::vector<v1::SubmitExperimentRequest> FakeDlkitServer::submits() const {
  absl::MutexLock lock(&mu_);
  return submits_;
}

std::vector<v1::ListTrialsRequest> FakeDlkitServer::list_trials_requests() const {
  absl::MutexLock lock(&mu_);
  return list_requests_;
}

std::vector<v1::UpdateExperimentRequest> FakeDlkitServer::updates() const {
  absl::MutexLock lock(&mu_);
  return updates_;
}

std::vector<std::string> FakeDlkitServer::killed() const {
  absl::MutexLock lock(&mu_);
  return killed_;
}

std::vector<v1::ReadTrialLogRequest> FakeDlkitServer::log_requests() const {
  absl::MutexLock lock(&mu_);
  return log_requests_;
}

int FakeDlkitServer::watch_calls() const {
  absl::MutexLock lock(&mu_);
  return watch_calls_;
}

int FakeDlkitServer::shutdown_calls() const {
  absl::MutexLock lock(&mu_);
  return shutdown_calls_;
}

v1::Experiment FakeDlkitServer::experiment(const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto it = experiments_.find(id);
  return it == experiments_.end() ? v1::Experiment() : it->second;
}

}  // namespace dlkit::cli::testing
