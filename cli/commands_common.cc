// Helpers shared by the command functions: stubs per manager address, error mapping,
// paging, trial lookup.

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "cli/commands.h"

namespace dlkit::cli {
namespace {

// Payloads that mark how dlctl ends on an error (see ExitCodeFor).
constexpr char kUsagePayload[] = "type.dlkit.dev/cli.usage";
constexpr char kBadInputPayload[] = "type.dlkit.dev/cli.bad_input";

bool LooksLikeConnectFailure(absl::string_view message) {
  std::string lower = absl::AsciiStrToLower(message);
  return absl::StrContains(lower, "connect") || absl::StrContains(lower, "refused") ||
         absl::StrContains(lower, "backends") || absl::StrContains(lower, "dns");
}

}  // namespace

absl::Status UsageStatus(absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

absl::Status BadInputStatus(absl::string_view message, absl::StatusCode code) {
  absl::Status status(code, message);
  status.SetPayload(kBadInputPayload, absl::Cord("1"));
  return status;
}

bool ShowsUsage(const absl::Status& status) { return status.GetPayload(kUsagePayload).has_value(); }

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return 0;
  if (ShowsUsage(status) || status.GetPayload(kBadInputPayload).has_value()) return 2;
  return 1;
}

absl::Status RpcError(const grpc::Status& status, absl::string_view what,
                      absl::string_view address) {
  auto code = static_cast<absl::StatusCode>(status.error_code());
  std::string message;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      if (LooksLikeConnectFailure(status.error_message()) || status.error_message().empty()) {
        message = absl::StrCat(what, ": nothing answers at ", address,
                               " (is the daemon running? `dlctl daemon start`)");
      } else {
        message = absl::StrCat(what, ": ", status.error_message());
      }
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      message = absl::StrCat(what, ": no answer from ", address, " in time");
      break;
    default:
      message = status.error_message().empty() ? std::string(what)
                                               : absl::StrCat(what, ": ", status.error_message());
  }
  return absl::Status(code, message);
}

std::unique_ptr<grpc::ClientContext> NewContext(absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

absl::StatusOr<v1::Experiment> GetExperiment(LauncherStub* launcher,
                                             const std::string& experiment_id,
                                             const CommandContext& ctx) {
  v1::GetExperimentRequest request;
  request.set_experiment_id(experiment_id);
  DLKIT_ASSIGN_OR_RETURN(v1::GetExperimentResponse response,
                         CallOrError(launcher, &LauncherStub::GetExperiment, request, ctx,
                                     absl::StrCat("cannot get experiment ", experiment_id)));
  return response.experiment();
}

absl::StatusOr<std::vector<v1::Trial>> ListAllTrials(ManagerStub* manager,
                                                     v1::ListTrialsRequest request, int limit,
                                                     const CommandContext& ctx) {
  std::vector<v1::Trial> trials;
  if (limit > 0) request.set_page_size(limit);
  std::string previous_token;
  while (true) {
    DLKIT_ASSIGN_OR_RETURN(
        v1::ListTrialsResponse response,
        CallOrError(manager, &ManagerStub::ListTrials, request, ctx,
                    absl::StrCat("cannot list trials of experiment ", request.experiment_id())));
    for (v1::Trial& trial : *response.mutable_trials()) trials.push_back(std::move(trial));
    if (limit > 0 && static_cast<int>(trials.size()) >= limit) break;
    // A token that does not move would loop forever: stop there.
    if (response.next_page_token().empty() || response.next_page_token() == previous_token) {
      break;
    }
    previous_token = response.next_page_token();
    request.set_page_token(previous_token);
    if (limit > 0) request.set_page_size(limit - static_cast<int>(trials.size()));
  }
  if (limit > 0 && static_cast<int>(trials.size()) > limit) trials.resize(limit);
  return trials;
}

absl::StatusOr<v1::Trial> ResolveTrial(ManagerStub* manager, const v1::Experiment& experiment,
                                       const std::string& trial, const CommandContext& ctx) {
  v1::GetTrialRequest request;
  request.set_experiment_id(experiment.id());
  request.set_trial_id(trial);
  v1::GetTrialResponse response;
  auto context = NewContext(ctx.rpc_timeout);
  grpc::Status status = manager->GetTrial(context.get(), request, &response);
  if (status.ok()) return response.trial();
  int64_t index = 0;
  if (status.error_code() != grpc::StatusCode::NOT_FOUND || !absl::SimpleAtoi(trial, &index)) {
    return RpcError(status, absl::StrCat("cannot get trial ", trial), ctx.address);
  }
  // Not an id, but a number: the trial's index within the experiment.
  v1::ListTrialsRequest list;
  list.set_experiment_id(experiment.id());
  absl::StatusOr<std::vector<v1::Trial>> trials = ListAllTrials(manager, list, 0, ctx);
  if (!trials.ok()) return trials.status();
  for (const v1::Trial& t : *trials) {
    if (t.index() == index) return t;
  }
  return absl::NotFoundError(
      absl::StrCat("experiment ", experiment.id(), " has no trial with id or index ", trial));
}

}  // namespace dlkit::cli
