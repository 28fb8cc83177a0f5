// trials, logs, kill-trial, export.

#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "cli/commands.h"
#include "cli/trial_output.h"
#include "cli/value_format.h"

namespace dlkit::cli {
namespace {

constexpr int kMaxLogReconnects = 5;

v1::TrialSortKey ToSortKey(TrialSort sort) {
  switch (sort) {
    case TrialSort::kMetric:
      return v1::SORT_BY_FINAL;
    case TrialSort::kDuration:
      return v1::SORT_BY_DURATION;
    case TrialSort::kStarted:
      return v1::SORT_BY_STARTED;
    case TrialSort::kIndex:
      return v1::SORT_BY_INDEX;
  }
  return v1::SORT_BY_INDEX;
}

}  // namespace

absl::Status RunTrials(LauncherStub* launcher, ManagerStub* manager, const TrialsOptions& options,
                       const CommandContext& ctx, std::ostream& out) {
  DLKIT_ASSIGN_OR_RETURN(const v1::Experiment experiment,
                         GetExperiment(launcher, options.experiment_id, ctx));
  v1::ListTrialsRequest request;
  request.set_experiment_id(options.experiment_id);
  request.set_sort(ToSortKey(options.sort));
  request.set_reverse(options.reverse);
  for (v1::TrialState state : options.states) request.add_states(state);
  request.set_include_series(ctx.output == OutputFormat::kJson);
  // All of them, then sort and cut here: --limit must keep the best N even from a server
  // that orders differently (sorting a few thousand small trials costs nothing).
  absl::StatusOr<std::vector<v1::Trial>> trials = ListAllTrials(manager, request, 0, ctx);
  if (!trials.ok()) return trials.status();
  if (!options.states.empty()) {
    std::vector<v1::Trial> kept;
    for (v1::Trial& t : *trials) {
      if (std::find(options.states.begin(), options.states.end(), t.state()) !=
          options.states.end()) {
        kept.push_back(std::move(t));
      }
    }
    *trials = std::move(kept);
  }
  absl::Time now = ctx.clock();
  SortTrials(&*trials, options.sort, experiment.spec().objective().direction(), options.reverse,
             now);
  if (options.limit > 0 && static_cast<int>(trials->size()) > options.limit) {
    trials->resize(options.limit);
  }
  if (ctx.output == OutputFormat::kJson) {
    out << TrialsToJson(*trials, now).dump(2) << "\n";
    return absl::OkStatus();
  }
  if (trials->empty()) {
    out << (options.states.empty() ? "no trials yet\n" : "no trials in these states\n");
    return absl::OkStatus();
  }
  out << RenderTrialsTable(*trials, experiment.spec().objective(), now);
  return absl::OkStatus();
}

absl::Status RunLogs(LauncherStub* launcher, ManagerStub* manager, const LogsOptions& options,
                     const CommandContext& ctx, std::ostream& out) {
  DLKIT_ASSIGN_OR_RETURN(const v1::Experiment experiment,
                         GetExperiment(launcher, options.experiment_id, ctx));
  absl::StatusOr<v1::Trial> trial = ResolveTrial(manager, experiment, options.trial, ctx);
  if (!trial.ok()) return trial.status();

  v1::ReadTrialLogRequest request;
  request.set_experiment_id(options.experiment_id);
  request.set_trial_id(trial->id());
  request.set_follow(options.follow);
  int reconnects = 0;
  while (true) {
    auto context = NewContext(options.follow ? ctx.stream_timeout : ctx.rpc_timeout);
    std::unique_ptr<grpc::ClientReaderInterface<v1::ReadTrialLogResponse>> reader =
        manager->ReadTrialLog(context.get(), request);
    v1::ReadTrialLogResponse chunk;
    while (reader->Read(&chunk)) {
      out << chunk.data();
      out.flush();
      request.set_offset(chunk.next_offset());
      reconnects = 0;
    }
    grpc::Status status = reader->Finish();
    if (status.ok()) return absl::OkStatus();
    // A follow outlives any one deadline: pick up again from where the last chunk ended.
    if (options.follow && status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) continue;
    if (options.follow && status.error_code() == grpc::StatusCode::UNAVAILABLE &&
        ++reconnects <= kMaxLogReconnects) {
      absl::SleepFor(absl::Milliseconds(500) * reconnects);
      continue;
    }
    return RpcError(status, absl::StrCat("cannot read the log of trial ", trial->id()),
                    ctx.address);
  }
}

absl::Status RunKillTrial(LauncherStub* launcher, ManagerStub* manager,
                          const std::string& experiment_id, const std::string& trial_arg,
                          const CommandContext& ctx, std::ostream& out) {
  DLKIT_ASSIGN_OR_RETURN(const v1::Experiment experiment,
                         GetExperiment(launcher, experiment_id, ctx));
  absl::StatusOr<v1::Trial> trial = ResolveTrial(manager, experiment, trial_arg, ctx);
  if (!trial.ok()) return trial.status();
  v1::KillTrialRequest request;
  request.set_experiment_id(experiment_id);
  request.set_trial_id(trial->id());
  DLKIT_ASSIGN_OR_RETURN(v1::KillTrialResponse response,
                         CallOrError(manager, &ManagerStub::KillTrial, request, ctx,
                                     absl::StrCat("cannot kill trial ", trial->id())));
  // The trial gets SIGTERM (then SIGKILL after the grace period): wait for its end, so that
  // what we print is what happened.
  v1::Trial killed = response.trial();
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (killed.state() == v1::RUNNING && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    v1::GetTrialRequest get;
    get.set_experiment_id(experiment_id);
    get.set_trial_id(killed.id());
    v1::GetTrialResponse got;
    auto get_context = NewContext(ctx.rpc_timeout);
    if (!manager->GetTrial(get_context.get(), get, &got).ok()) break;
    killed = got.trial();
  }
  if (ctx.output == OutputFormat::kJson) {
    out << TrialToJson(killed, ctx.clock()).dump(2) << "\n";
  } else {
    out << "trial " << killed.id() << " (#" << killed.index() << ") is "
        << TrialStateName(killed.state());
    if (killed.state() == v1::RUNNING) out << " (it was asked to stop)";
    out << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunExport(LauncherStub* launcher, ManagerStub* manager, const ExportOptions& options,
                       const CommandContext& ctx, std::ostream& out) {
  DLKIT_ASSIGN_OR_RETURN(const v1::Experiment experiment,
                         GetExperiment(launcher, options.experiment_id, ctx));
  v1::ListTrialsRequest request;
  request.set_experiment_id(options.experiment_id);
  request.set_sort(v1::SORT_BY_INDEX);
  request.set_include_series(options.format == ExportFormat::kJson);
  absl::StatusOr<std::vector<v1::Trial>> trials = ListAllTrials(manager, request, 0, ctx);
  if (!trials.ok()) return trials.status();
  absl::Time now = ctx.clock();
  SortTrials(&*trials, TrialSort::kIndex, v1::DIRECTION_UNSPECIFIED, false, now);
  std::string text = options.format == ExportFormat::kCsv
                         ? TrialsToCsv(*trials, experiment.spec().search_space(), now)
                         : TrialsToJson(*trials, now).dump(2) + "\n";
  if (options.file.empty()) {
    out << text;
    return absl::OkStatus();
  }
  // Write beside the target, then rename: an interrupted export leaves no half file.
  std::string temp = absl::StrCat(options.file, ".tmp");
  {
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    file << text;
    file.close();
    if (!file) {
      std::remove(temp.c_str());
      return absl::PermissionDeniedError(absl::StrCat("cannot write ", options.file));
    }
  }
  if (std::rename(temp.c_str(), options.file.c_str()) != 0) {
    std::remove(temp.c_str());
    return absl::PermissionDeniedError(absl::StrCat("cannot write ", options.file));
  }
  out << "wrote " << trials->size() << " trials to " << options.file << "\n";
  return absl::OkStatus();
}

}  // namespace dlkit::cli
