// list, status, stop, resume, update.

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "cli/commands.h"
#include "cli/experiment_output.h"
#include "cli/value_format.h"
#include "google/protobuf/duration.pb.h"
#include "services/common/proto_util.h"

namespace dlkit::cli {
namespace {

void PrintExperiment(const v1::Experiment& experiment, const CommandContext& ctx,
                     std::ostream& out) {
  if (ctx.output == OutputFormat::kJson) {
    out << ExperimentToJson(experiment).dump(2) << "\n";
  } else {
    out << RenderExperimentStatus(experiment);
  }
}

}  // namespace

absl::Status RunList(LauncherStub* launcher, const CommandContext& ctx, std::ostream& out) {
  DLKIT_ASSIGN_OR_RETURN(v1::ListExperimentsResponse response,
                         CallOrError(launcher, &LauncherStub::ListExperiments,
                                     v1::ListExperimentsRequest(), ctx, "cannot list experiments"));
  std::vector<v1::Experiment> experiments(response.experiments().begin(),
                                          response.experiments().end());
  if (ctx.output == OutputFormat::kJson) {
    nlohmann::json list = nlohmann::json::array();
    for (const v1::Experiment& e : experiments) list.push_back(ExperimentToJson(e));
    out << list.dump(2) << "\n";
    return absl::OkStatus();
  }
  if (experiments.empty()) {
    out << "no experiments yet; write one with `dlctl init` and run `dlctl submit`\n";
    return absl::OkStatus();
  }
  out << RenderExperimentsTable(experiments);
  return absl::OkStatus();
}

absl::Status RunStatus(LauncherStub* launcher, const std::string& experiment_id,
                       const CommandContext& ctx, std::ostream& out) {
  DLKIT_ASSIGN_OR_RETURN(const v1::Experiment experiment,
                         GetExperiment(launcher, experiment_id, ctx));
  PrintExperiment(experiment, ctx, out);
  return absl::OkStatus();
}

absl::Status RunStop(LauncherStub* launcher, const std::string& experiment_id,
                     const CommandContext& ctx, std::ostream& out) {
  v1::StopExperimentRequest request;
  request.set_experiment_id(experiment_id);
  DLKIT_ASSIGN_OR_RETURN(v1::StopExperimentResponse response,
                         CallOrError(launcher, &LauncherStub::StopExperiment, request, ctx,
                                     absl::StrCat("cannot stop experiment ", experiment_id)));
  if (ctx.output == OutputFormat::kJson) {
    out << ExperimentToJson(response.experiment()).dump(2) << "\n";
  } else {
    out << "experiment " << experiment_id << " is "
        << ExperimentStateName(response.experiment().state()) << "; continue it with `dlctl resume "
        << experiment_id << "`\n";
  }
  return absl::OkStatus();
}

absl::Status RunResume(LauncherStub* launcher, const std::string& experiment_id,
                       const CommandContext& ctx, std::ostream& out) {
  v1::ResumeExperimentRequest request;
  request.set_experiment_id(experiment_id);
  DLKIT_ASSIGN_OR_RETURN(v1::ResumeExperimentResponse response,
                         CallOrError(launcher, &LauncherStub::ResumeExperiment, request, ctx,
                                     absl::StrCat("cannot resume experiment ", experiment_id)));
  if (ctx.output == OutputFormat::kJson) {
    out << ExperimentToJson(response.experiment()).dump(2) << "\n";
  } else {
    out << "experiment " << experiment_id << " is "
        << ExperimentStateName(response.experiment().state()) << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunUpdate(LauncherStub* launcher, ManagerStub* manager, const UpdateOptions& options,
                       const CommandContext& ctx, std::ostream& out) {
  DLKIT_ASSIGN_OR_RETURN(const v1::Experiment experiment,
                         GetExperiment(launcher, options.experiment_id, ctx));
  v1::UpdateExperimentRequest request;
  request.set_experiment_id(options.experiment_id);
  if (options.concurrency) request.set_trial_concurrency(*options.concurrency);
  if (options.max_trials) request.set_max_trial_number(*options.max_trials);
  if (options.duration) {
    int64_t nanos = absl::ToInt64Nanoseconds(*options.duration);
    request.mutable_max_experiment_duration()->set_seconds(nanos / 1000000000);
    request.mutable_max_experiment_duration()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  }
  DLKIT_ASSIGN_OR_RETURN(
      v1::UpdateExperimentResponse response,
      CallOrError(manager, &ManagerStub::UpdateExperiment, request, ctx,
                  absl::StrCat("cannot update experiment ", options.experiment_id)));
  const v1::ExperimentSpec& spec = response.experiment().spec();
  if (ctx.output == OutputFormat::kJson) {
    out << ExperimentToJson(response.experiment()).dump(2) << "\n";
    return absl::OkStatus();
  }
  absl::Duration max_duration = ToAbslDuration(spec.max_experiment_duration());
  std::vector<std::string> limits = {
      absl::StrCat("concurrency ", spec.trial_concurrency()),
      absl::StrCat("max trials ", spec.max_trial_number() > 0
                                      ? absl::StrCat(spec.max_trial_number())
                                      : "unlimited"),
      absl::StrCat("max duration ", max_duration > absl::ZeroDuration()
                                        ? FormatShortDuration(max_duration)
                                        : "unlimited"),
  };
  out << "experiment " << options.experiment_id << " updated: " << absl::StrJoin(limits, ", ")
      << "\n";
  return absl::OkStatus();
}

}  // namespace dlkit::cli
