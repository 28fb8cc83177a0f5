#include "cli/watch.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "cli/commands.h"
#include "cli/experiment_output.h"
#include "cli/table.h"
#include "cli/trial_output.h"
#include "cli/value_format.h"
#include "services/common/proto_util.h"
#include "services/config/parameter_json.h"

namespace dlkit::cli {
namespace {

constexpr int kMaxWatchReconnects = 5;
constexpr absl::Duration kTick = absl::Milliseconds(250);
constexpr absl::Duration kLineInterval = absl::Seconds(1);
constexpr absl::Duration kRedrawInterval = absl::Milliseconds(200);

std::string BestLabel(const WatchModel& model) {
  const v1::Trial* best = model.FindTrial(model.experiment().best_trial_id());
  return best != nullptr ? absl::StrCat("#", best->index()) : "";
}

// One WatchExperiment call read on a background thread, so the caller can wait for the
// next message with a timeout and keep the elapsed time ticking.
class WatchStream {
 public:
  struct Event {
    bool end = false;
    v1::WatchExperimentResponse response;
    grpc::Status status;  // when end
  };

  WatchStream(ManagerStub* manager, v1::WatchExperimentRequest request, absl::Duration timeout)
      : manager_(manager), request_(std::move(request)) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    thread_ = std::thread([this] { Run(); });
  }

  ~WatchStream() {
    context_.TryCancel();
    thread_.join();
  }

  // The next event, or nullopt after `timeout` without one.
  std::optional<Event> Next(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(this, &WatchStream::HasEvents), timeout)) {
      return std::nullopt;
    }
    Event event = std::move(events_.front());
    events_.pop_front();
    return event;
  }

 private:
  bool HasEvents() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !events_.empty(); }

  void Run() {
    std::unique_ptr<grpc::ClientReaderInterface<v1::WatchExperimentResponse>> reader =
        manager_->WatchExperiment(&context_, request_);
    Event event;
    while (reader->Read(&event.response)) {
      absl::MutexLock lock(&mu_);
      events_.push_back(std::move(event));
      event = Event();
    }
    Event end;
    end.end = true;
    end.status = reader->Finish();
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(end));
  }

  ManagerStub* manager_;
  v1::WatchExperimentRequest request_;
  grpc::ClientContext context_;
  absl::Mutex mu_;
  std::deque<Event> events_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// What `submit --watch` prints when the experiment has ended.
absl::Status PrintOutcome(ManagerStub* manager, const WatchModel& model, const CommandContext& ctx,
                          std::ostream& out) {
  const v1::Experiment& e = model.experiment();
  std::optional<v1::Trial> best;
  if (e.has_best() && !e.best_trial_id().empty()) {
    if (const v1::Trial* t = model.FindTrial(e.best_trial_id())) best = *t;
    v1::GetTrialRequest request;
    request.set_experiment_id(e.id());
    request.set_trial_id(e.best_trial_id());
    v1::GetTrialResponse response;
    auto context = NewContext(ctx.rpc_timeout);
    // The watch's copy may lack fields GetTrial has; it is only a fallback.
    if (manager->GetTrial(context.get(), request, &response).ok()) best = response.trial();
  }
  absl::Time now = ctx.clock();
  if (ctx.output == OutputFormat::kJson) {
    nlohmann::json j = {{"experiment", ExperimentToJson(e)},
                        {"best_trial", best ? TrialToJson(*best, now) : nlohmann::json()}};
    out << j.dump() << "\n";
  } else {
    out << "\nexperiment " << e.id() << " " << ExperimentStateName(e.state()) << " after "
        << FormatShortDuration(ToAbslDuration(e.elapsed()));
    if (!e.reason().empty()) out << ": " << e.reason();
    out << "\n";
    if (best) {
      std::string metric = e.spec().objective().metric();
      if (metric.empty()) metric = "default";
      out << "best trial " << best->id() << " (#" << best->index() << "): " << metric << " = "
          << FormatMetric(e.best_value()) << "\n"
          << "parameters: " << ParameterSetToJson(best->parameters()).dump(2) << "\n";
    } else if (e.has_best()) {
      out << "best " << FormatMetric(e.best_value()) << " (trial " << e.best_trial_id() << ")\n";
    } else {
      out << "no trial reported a final result\n";
    }
  }
  out.flush();
  if (e.state() == v1::EXPERIMENT_FAILED) {
    return absl::FailedPreconditionError(
        absl::StrCat("experiment ", e.id(), " failed",
                     e.reason().empty() ? "" : absl::StrCat(": ", e.reason())));
  }
  return absl::OkStatus();
}

}  // namespace

// ---- WatchModel ---------------------------------------------------------------------------

void WatchModel::Apply(const v1::WatchExperimentResponse& response, absl::Time received) {
  if (response.snapshot()) trials_.clear();
  if (response.has_experiment()) {
    experiment_ = response.experiment();
    if (experiment_.dashboard_url().empty()) experiment_.set_dashboard_url(dashboard_url_);
    has_experiment_ = true;
    received_ = received;
  }
  for (const v1::Trial& trial : response.trials()) trials_[trial.id()] = trial;
  for (const v1::MetricEvent& event : response.metrics()) {
    auto it = trials_.find(event.trial_id());
    if (it == trials_.end()) continue;
    if (event.kind() == v1::INTERMEDIATE) {
      it->second.set_last_intermediate(event.measurement().value());
      it->second.set_has_last_intermediate(true);
    } else if (event.kind() == v1::FINAL) {
      it->second.set_final_value(event.measurement().value());
      it->second.set_has_final(true);
    }
  }
  if (!response.has_experiment() && has_experiment_ &&
      (response.trials_size() > 0 || response.metrics_size() > 0)) {
    Recount();
  }
}

void WatchModel::Recount() {
  v1::TrialCounts counts;
  const v1::Trial* best = nullptr;
  v1::Direction direction = experiment_.spec().objective().direction();
  for (const auto& [id, t] : trials_) {
    switch (t.state()) {
      case v1::WAITING:
        counts.set_waiting(counts.waiting() + 1);
        break;
      case v1::RUNNING:
        counts.set_running(counts.running() + 1);
        break;
      case v1::SUCCEEDED:
        counts.set_succeeded(counts.succeeded() + 1);
        break;
      case v1::FAILED:
        counts.set_failed(counts.failed() + 1);
        break;
      case v1::EARLY_STOPPED:
        counts.set_early_stopped(counts.early_stopped() + 1);
        break;
      case v1::KILLED:
        counts.set_killed(counts.killed() + 1);
        break;
      default:
        break;
    }
    if (IsTerminal(t.state()) && !t.interrupted() && t.attempt() == 0) {
      counts.set_finished(counts.finished() + 1);
    }
    if (t.has_final() &&
        (best == nullptr || IsBetter(t.final_value(), best->final_value(), direction))) {
      best = &t;
    }
  }
  *experiment_.mutable_counts() = counts;
  if (best != nullptr) {
    experiment_.set_has_best(true);
    experiment_.set_best_value(best->final_value());
    experiment_.set_best_trial_id(best->id());
  }
}

std::vector<v1::Trial> WatchModel::Trials() const {
  std::vector<v1::Trial> out;
  out.reserve(trials_.size());
  for (const auto& [id, t] : trials_) out.push_back(t);
  std::stable_sort(out.begin(), out.end(),
                   [](const v1::Trial& a, const v1::Trial& b) { return a.index() < b.index(); });
  return out;
}

const v1::Trial* WatchModel::FindTrial(const std::string& id) const {
  auto it = trials_.find(id);
  return it == trials_.end() ? nullptr : &it->second;
}

std::string ProgressLineOf(const WatchModel& model, absl::Time now) {
  const v1::Experiment& e = model.experiment();
  return FormatProgressLine(e, ElapsedAt(e, model.received(), now), BestLabel(model));
}

// ---- displays -----------------------------------------------------------------------------

void TtyWatchDisplay::Show(const WatchModel& model, absl::Time now, bool changed) {
  if (!model.has_experiment()) return;
  pending_ = pending_ || changed;
  if ((pending_ && now - last_draw_ >= kRedrawInterval) || now - last_draw_ >= absl::Seconds(1)) {
    Draw(model, now);
  }
}

void TtyWatchDisplay::Finish(const WatchModel& model, absl::Time now) {
  if (model.has_experiment()) Draw(model, now);
}

void TtyWatchDisplay::Draw(const WatchModel& model, absl::Time now) {
  const v1::Experiment& e = model.experiment();
  std::string block = RenderWatchBlock(e, model.Trials(), ElapsedAt(e, model.received(), now), now);
  std::string text;
  if (lines_drawn_ > 0) {
    // Back to the block's first line, then clear to the end of the screen.
    absl::StrAppend(&text, "\x1b[", lines_drawn_, "A\r\x1b[J");
  }
  int lines = 0;
  size_t width = width_ > 1 ? static_cast<size_t>(width_ - 1) : 119;
  for (absl::string_view line : absl::StrSplit(block, '\n', absl::SkipEmpty())) {
    // A wrapped line would throw off the count of lines to move up over.
    absl::StrAppend(&text, Truncate(line, width), "\n");
    ++lines;
  }
  out_ << text;
  out_.flush();
  lines_drawn_ = lines;
  last_draw_ = now;
  pending_ = false;
}

void LineWatchDisplay::Show(const WatchModel& model, absl::Time now, bool /*changed*/) {
  // Compares the lines themselves: elapsed time alone is no change.
  if (!model.has_experiment()) return;
  std::string key = FormatProgressLine(model.experiment(), absl::ZeroDuration(), BestLabel(model));
  if (key != last_key_ && now - last_print_ >= kLineInterval) Print(model, now);
}

void LineWatchDisplay::Finish(const WatchModel& model, absl::Time now) {
  if (!model.has_experiment()) return;
  std::string key = FormatProgressLine(model.experiment(), absl::ZeroDuration(), BestLabel(model));
  if (key != last_key_) Print(model, now);
}

void LineWatchDisplay::Print(const WatchModel& model, absl::Time now) {
  last_key_ = FormatProgressLine(model.experiment(), absl::ZeroDuration(), BestLabel(model));
  last_print_ = now;
  out_ << ProgressLineOf(model, now) << "\n";
  out_.flush();
}

// ---- RunWatch -----------------------------------------------------------------------------

absl::Status RunWatch(LauncherStub* launcher, ManagerStub* manager,
                      const std::string& experiment_id, const CommandContext& ctx,
                      std::ostream& out) {
  absl::StatusOr<v1::Experiment> experiment = GetExperiment(launcher, experiment_id, ctx);
  if (!experiment.ok()) return experiment.status();

  std::unique_ptr<WatchDisplay> display;
  if (ctx.output == OutputFormat::kTable) {
    if (ctx.tty) {
      display = std::make_unique<TtyWatchDisplay>(out, ctx.terminal_width);
      if (ctx.err != nullptr) {
        *ctx.err << "watching " << experiment_id
                 << " (Ctrl-C stops watching; the experiment keeps running)\n";
      }
    } else {
      display = std::make_unique<LineWatchDisplay>(out);
    }
  }

  v1::WatchExperimentRequest request;
  request.set_experiment_id(experiment_id);
  request.set_include_metrics(true);
  WatchModel model;
  model.set_dashboard_url(experiment->dashboard_url());
  int failures = 0;
  bool ended = false;
  while (!ended) {
    WatchStream stream(manager, request, ctx.stream_timeout);
    while (true) {
      std::optional<WatchStream::Event> event = stream.Next(kTick);
      absl::Time now = ctx.clock();
      if (!event) {
        if (display) display->Show(model, now, false);
        continue;
      }
      if (!event->end) {
        model.Apply(event->response, now);
        failures = 0;
        if (display) display->Show(model, now, true);
        if (model.has_experiment() && IsTerminal(model.experiment().state())) {
          ended = true;
          break;
        }
        continue;
      }
      const grpc::Status& status = event->status;
      if (status.ok()) {
        // The server closed the stream; ask whether the experiment has ended.
        absl::StatusOr<v1::Experiment> latest = GetExperiment(launcher, experiment_id, ctx);
        if (!latest.ok()) return latest.status();
        v1::WatchExperimentResponse update;
        *update.mutable_experiment() = *latest;
        model.Apply(update, ctx.clock());
        if (IsTerminal(latest->state())) {
          ended = true;
        } else if (++failures > kMaxWatchReconnects) {
          return absl::UnavailableError(absl::StrCat("the watch of experiment ", experiment_id,
                                                     " keeps ending early at ", ctx.address));
        } else {
          absl::SleepFor(absl::Seconds(failures));
        }
        break;
      }
      // The deadline bounds each call, not the watch: start another (a fresh snapshot).
      if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) break;
      if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
          ++failures <= kMaxWatchReconnects) {
        absl::SleepFor(absl::Seconds(failures));
        break;
      }
      return RpcError(status, absl::StrCat("cannot watch experiment ", experiment_id), ctx.address);
    }
  }
  if (display) display->Finish(model, ctx.clock());
  return PrintOutcome(manager, model, ctx, out);
}

}  // namespace dlkit::cli
