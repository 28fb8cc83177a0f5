#include "services/reporter/manager_session.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "services/common/grpc_status.h"

namespace dlkit {

ManagerSession::ManagerSession(Options options, StopHandler on_stop)
    : options_(std::move(options)), on_stop_(std::move(on_stop)) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  channel_ =
      grpc::CreateCustomChannel(options_.manager_address, grpc::InsecureChannelCredentials(), args);
  stub_ = v1::ManagerService::NewStub(channel_);
}

std::unique_ptr<ManagerSession> ManagerSession::Start(Options options, StopHandler on_stop) {
  std::unique_ptr<ManagerSession> session(new ManagerSession(std::move(options), on_stop));
  session->reader_ = std::thread([s = session.get()] {
    // The first connection gets the whole window too: the daemon may be starting.
    const absl::Time start = absl::Now();
    while (!s->Connect(absl::Seconds(1)).ok()) {
      absl::MutexLock lock(&s->mu_);
      if (s->shutting_down_) return;
      if (absl::Now() - start > s->options_.reconnect_window) {
        s->lost_ = true;
        s->AnswerWaiting(absl::UnavailableError("the trial's Manager is unreachable"));
        return;
      }
    }
    s->ReadLoop();
  });
  if (!session->options_.stream_log.empty()) {
    session->log_thread_ = std::thread([s = session.get()] {
      absl::MutexLock lock(&s->mu_);
      auto stopping = [s]() ABSL_SHARED_LOCKS_REQUIRED(s->mu_) {
        return s->log_stopping_ || s->shutting_down_;
      };
      while (!s->mu_.AwaitWithTimeout(absl::Condition(&stopping), absl::Milliseconds(250))) {
        s->mu_.Unlock();
        s->SendLog(/*to_end=*/false);
        s->mu_.Lock();
      }
    });
  }
  return session;
}

void ManagerSession::StopLogThread() {
  {
    absl::MutexLock lock(&mu_);
    log_stopping_ = true;
  }
  if (log_thread_.joinable()) log_thread_.join();
}

void ManagerSession::SendLog(bool to_end) {
  constexpr size_t kChunk = 64 * 1024;
  constexpr int kChunksPerTurn = 16;  // 1 MiB every 250 ms at most: metrics go first
  absl::MutexLock send_lock(&log_send_mu_);
  if (log_fd_ < 0) log_fd_ = open(options_.stream_log.c_str(), O_RDONLY | O_CLOEXEC);
  if (log_fd_ < 0) return;  // not written yet
  std::string buffer(kChunk, '\0');
  for (int i = 0; to_end || i < kChunksPerTurn; ++i) {
    int64_t offset;
    {
      absl::MutexLock lock(&mu_);
      if (stream_ == nullptr || lost_) break;
      offset = log_sent_;
    }
    const ssize_t n = pread(log_fd_, buffer.data(), kChunk, offset);
    if (n <= 0) break;
    v1::TrialSessionRequest request;
    request.mutable_log()->set_offset(offset);
    request.mutable_log()->set_data(buffer.data(), static_cast<size_t>(n));
    absl::MutexLock lock(&mu_);
    if (log_sent_ != offset) continue;  // the Manager said where to go on from meanwhile
    if (stream_ == nullptr || !stream_->Write(request)) break;
    log_sent_ = offset + n;
  }
}

absl::StatusOr<v1::ParameterSet> ManagerSession::WaitForParameters(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]()
                   ABSL_SHARED_LOCKS_REQUIRED(mu_) { return have_parameters_ || lost_ || closed_; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&ready), timeout) || !have_parameters_) {
    return absl::UnavailableError(absl::StrCat("the Manager at ", options_.manager_address,
                                               " sent no parameters for trial ",
                                               options_.trial_id));
  }
  return parameters_;
}

ManagerSession::~ManagerSession() {
  StopLogThread();
  {
    absl::MutexLock send_lock(&log_send_mu_);
    if (log_fd_ >= 0) close(log_fd_);
  }
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    if (context_) context_->TryCancel();
  }
  if (reader_.joinable()) reader_.join();
}

absl::Status ManagerSession::Connect(absl::Duration wait) {
  // Waiting happens here, without the lock and with a deadline: a call that waits for a
  // Manager that never comes back would keep the trial alive forever.
  if (!channel_->WaitForConnected(absl::ToChronoTime(absl::Now() + wait))) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach the Manager at ", options_.manager_address));
  }
  auto context = std::make_unique<grpc::ClientContext>();
  auto stream = stub_->TrialSession(context.get());
  absl::MutexLock lock(&mu_);
  context_ = std::move(context);
  stream_ = std::move(stream);
  connected_ = true;
  v1::TrialSessionRequest hello;
  hello.mutable_hello()->set_trial_id(options_.trial_id);
  hello.mutable_hello()->set_secret(options_.secret);
  hello.mutable_hello()->set_pid(getpid());
  hello.mutable_hello()->set_experiment_id(options_.experiment_id);
  if (!stream_->Write(hello)) {
    return absl::UnavailableError(absl::StrCat("lost the Manager at ", options_.manager_address));
  }
  // Whatever the previous stream lost goes again, in order.
  if (started_) {
    v1::TrialSessionRequest started;
    started.set_started(true);
    stream_->Write(started);
  }
  for (const v1::TrialSessionRequest& pending : unacked_) stream_->Write(pending);
  if (spilled_ > 0) {
    for (const v1::TrialSessionRequest& pending : ReadSpill()) stream_->Write(pending);
  }
  if (exit_sent_ && options_.stream_log.empty()) stream_->Write(exit_);
  // A streamed log first goes on to its end from where the Manager says its copy ends
  // (its log_offset answers this hello); the exit follows it.
  exit_after_log_ = exit_sent_ && !options_.stream_log.empty();
  return absl::OkStatus();
}

bool ManagerSession::Write(const v1::TrialSessionRequest& request) {
  absl::MutexLock lock(&mu_);
  // Before the first connection this is a no-op: Connect replays what is pending.
  return stream_ != nullptr && stream_->Write(request);
}

void ManagerSession::ReadLoop() {
  ReadStream();
  absl::MutexLock lock(&mu_);
  AnswerWaiting(absl::UnavailableError("the trial's Manager is unreachable"));
}

void ManagerSession::AnswerWaiting(absl::Status status) {
  std::map<int64_t, DoneCallback> waiting;
  waiting.swap(waiting_);
  mu_.Unlock();
  for (auto& [seq, callback] : waiting) callback(status);
  mu_.Lock();
}

void ManagerSession::Keep(const v1::TrialSessionRequest& request) {
  if (options_.spill_path.empty() ||
      (spilled_ == 0 && unacked_.size() < options_.max_unacked_in_memory)) {
    unacked_.push_back(request);
    return;
  }
  WriteSpill({request}, /*append=*/true);
  ++spilled_;
}

void ManagerSession::DropAcked() {
  while (!unacked_.empty() && unacked_.front().metric().seq() <= acked_seq_) unacked_.pop_front();
  if (!unacked_.empty() || spilled_ == 0) return;
  // Memory ran empty: the oldest spilled reports come back, the rest stay in the file.
  std::vector<v1::TrialSessionRequest> rest;
  for (v1::TrialSessionRequest& request : ReadSpill()) {
    if (request.metric().seq() <= acked_seq_) continue;
    if (unacked_.size() < options_.max_unacked_in_memory) {
      unacked_.push_back(std::move(request));
    } else {
      rest.push_back(std::move(request));
    }
  }
  WriteSpill(rest, /*append=*/false);
  spilled_ = rest.size();
}

// The spill file: each report as a 4-byte little-endian length and its bytes. It only has
// to outlive a Manager, not this process, so it is not synced.
std::vector<v1::TrialSessionRequest> ManagerSession::ReadSpill() {
  std::vector<v1::TrialSessionRequest> out;
  const int fd = open(options_.spill_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  std::string data;
  char buffer[64 * 1024];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) data.append(buffer, n);
  close(fd);
  for (size_t at = 0; at + 4 <= data.size();) {
    uint32_t size = 0;
    for (int i = 0; i < 4; ++i) size |= uint32_t(uint8_t(data[at + i])) << (8 * i);
    at += 4;
    if (at + size > data.size()) break;
    v1::TrialSessionRequest request;
    if (request.ParseFromArray(data.data() + at, static_cast<int>(size))) {
      out.push_back(std::move(request));
    }
    at += size;
  }
  return out;
}

void ManagerSession::WriteSpill(const std::vector<v1::TrialSessionRequest>& requests, bool append) {
  std::string data;
  for (const v1::TrialSessionRequest& request : requests) {
    const std::string bytes = request.SerializeAsString();
    for (int i = 0; i < 4; ++i) data.push_back(static_cast<char>((bytes.size() >> (8 * i)) & 0xff));
    data += bytes;
  }
  const int fd = open(options_.spill_path.c_str(),
                      O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0600);
  if (fd < 0) return;
  for (size_t at = 0; at < data.size();) {
    const ssize_t n = write(fd, data.data() + at, data.size() - at);
    if (n <= 0) break;
    at += n;
  }
  close(fd);
}

void ManagerSession::ReadStream() {
  absl::Time broken_since = absl::InfiniteFuture();
  while (true) {
    grpc::ClientReaderWriter<v1::TrialSessionRequest, v1::TrialSessionResponse>* stream;
    {
      absl::MutexLock lock(&mu_);
      stream = stream_.get();
    }
    v1::TrialSessionResponse response;
    while (stream->Read(&response)) {
      broken_since = absl::InfiniteFuture();
      switch (response.kind_case()) {
        case v1::TrialSessionResponse::kParameters: {
          absl::MutexLock lock(&mu_);
          if (!have_parameters_) parameters_ = response.parameters();
          have_parameters_ = true;
          accepted_ = true;  // the answer to hello: the Manager knows this trial
          break;
        }
        case v1::TrialSessionResponse::kAckSeq: {
          std::vector<DoneCallback> done;
          {
            absl::MutexLock lock(&mu_);
            acked_seq_ = std::max(acked_seq_, response.ack_seq());
            DropAcked();
            while (!waiting_.empty() && waiting_.begin()->first <= acked_seq_) {
              done.push_back(std::move(waiting_.begin()->second));
              waiting_.erase(waiting_.begin());
            }
          }
          for (DoneCallback& callback : done) callback(absl::OkStatus());
          break;
        }
        case v1::TrialSessionResponse::kLogOffset: {
          bool then_exit;
          {
            absl::MutexLock lock(&mu_);
            log_sent_ = response.log_offset();
            then_exit = exit_after_log_;
            exit_after_log_ = false;
          }
          if (then_exit) {
            SendLog(/*to_end=*/true);
            absl::MutexLock lock(&mu_);
            if (stream_.get() == stream) stream_->Write(exit_);
          }
          break;
        }
        case v1::TrialSessionResponse::kStop:
          if (on_stop_) on_stop_(response.stop());
          break;
        default:
          break;
      }
    }
    absl::MutexLock lock(&mu_);
    grpc::Status status = stream->Finish();
    connected_ = false;
    if (shutting_down_) return;
    if (status.ok() && exit_sent_) {
      closed_ = true;
      return;
    }
    if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
        status.error_code() == grpc::StatusCode::NOT_FOUND ||
        status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      lost_ = true;  // the Manager refuses this trial: retrying cannot help
      return;
    }
    if (broken_since == absl::InfiniteFuture()) broken_since = absl::Now();
    // The Manager is away (its daemon restarting): the reports waiting for it are kept
    // here, and the trainer goes on.
    if (accepted_) AnswerWaiting(absl::OkStatus());
    // Reconnect, backing off, until a new stream is in place or the window closes.
    absl::Duration backoff = absl::Milliseconds(100);
    while (true) {
      if (absl::Now() - broken_since > options_.reconnect_window) {
        lost_ = true;
        return;
      }
      mu_.Unlock();
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Seconds(2));
      const absl::Status connected = Connect(absl::Seconds(1));
      mu_.Lock();
      if (shutting_down_) return;
      if (connected.ok() || stream_.get() != stream) break;  // a new stream to read
    }
  }
}

void ManagerSession::ReportAsync(v1::MetricKind kind, double value, const std::string& metric_name,
                                 DoneCallback done) {
  v1::TrialSessionRequest request;
  v1::MetricReport* metric = request.mutable_metric();
  metric->set_kind(kind);
  metric->set_value(value);
  metric->set_metric_name(metric_name);
  bool kept_while_away = false;
  {
    absl::MutexLock lock(&mu_);
    if (!lost_ && !closed_) {
      metric->set_seq(next_seq_++);
      Keep(request);
      kept_while_away = accepted_ && !connected_;
      if (!kept_while_away) waiting_[metric->seq()] = std::move(done);
    }
  }
  if (kept_while_away) {  // sent when the Manager is back
    if (done) done(absl::OkStatus());
    return;
  }
  if (done) {  // not taken: the session is over
    done(absl::UnavailableError("the trial's Manager is unreachable"));
    return;
  }
  Write(request);
}

absl::Status ManagerSession::Report(v1::MetricKind kind, double value,
                                    const std::string& metric_name, absl::Duration timeout) {
  struct Outcome {
    absl::Mutex mu;
    bool done = false;
    absl::Status status;
  };
  auto outcome = std::make_shared<Outcome>();
  ReportAsync(kind, value, metric_name, [outcome](absl::Status status) {
    absl::MutexLock lock(&outcome->mu);
    outcome->done = true;
    outcome->status = std::move(status);
  });
  absl::MutexLock lock(&outcome->mu);
  if (!outcome->mu.AwaitWithTimeout(absl::Condition(&outcome->done), timeout)) {
    return absl::UnavailableError("the Manager did not confirm the report in time");
  }
  return outcome->status;
}

void ManagerSession::SendStarted() {
  v1::TrialSessionRequest request;
  request.set_started(true);
  {
    absl::MutexLock lock(&mu_);
    started_ = true;
  }
  Write(request);
}

absl::Status ManagerSession::Finish(const v1::TrialExit& exit, absl::Duration timeout) {
  if (!options_.stream_log.empty()) {
    StopLogThread();
    SendLog(/*to_end=*/true);
  }
  v1::TrialSessionRequest request;
  *request.mutable_exit() = exit;
  {
    absl::MutexLock lock(&mu_);
    exit_ = request;
    exit_sent_ = true;
  }
  Write(request);
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return closed_ || lost_; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&done), timeout) || !closed_) {
    return absl::UnavailableError("the Manager did not confirm the trial's exit");
  }
  return absl::OkStatus();
}

bool ManagerSession::lost() const {
  absl::MutexLock lock(&mu_);
  return lost_;
}

}  // namespace dlkit
