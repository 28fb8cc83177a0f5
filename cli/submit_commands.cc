// init and submit.

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "cli/commands.h"
#include "services/config/experiment_config.h"

namespace dlkit::cli {
namespace {

constexpr int kSubmitAttempts = 5;

std::string NewRequestId() {
  absl::BitGen gen;  // seeded from the OS: distinct across processes
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(gen), absl::Uniform<uint64_t>(gen));
}

}  // namespace

absl::Status RunInit(const InitOptions& options, const CommandContext& /*ctx*/, std::ostream& out) {
  std::error_code ec;
  if (std::filesystem::exists(options.file, ec) && !options.force) {
    return absl::AlreadyExistsError(
        absl::StrCat(options.file, " already exists; pass --force to overwrite it"));
  }
  std::ofstream file(options.file, std::ios::binary | std::ios::trunc);
  file << StarterConfigJson();
  file.close();
  if (!file) return absl::PermissionDeniedError(absl::StrCat("cannot write ", options.file));
  out << "wrote " << options.file << "\n"
      << "edit trialCommand and searchSpace, then run: dlctl submit"
      << (options.file == "dlkit-tune.json" ? "" : absl::StrCat(" ", options.file)) << "\n";
  return absl::OkStatus();
}

absl::Status RunSubmit(LauncherStub* launcher, ManagerStub* manager, const SubmitOptions& options,
                       const CommandContext& ctx, std::ostream& out,
                       const std::function<absl::Status()>& ensure_daemon) {
  std::ostream& err = *ctx.err;
  absl::StatusOr<LoadedConfig> config = LoadExperimentConfig(options.file);
  if (!config.ok()) {
    if (config.status().code() == absl::StatusCode::kNotFound) {
      return BadInputStatus(
          absl::StrCat(config.status().message(), " (write a starter with `dlctl init`)"),
          absl::StatusCode::kNotFound);
    }
    // The loader lists every problem, one per line: show them all.
    int problems = 0;
    for (absl::string_view line :
         absl::StrSplit(config.status().message(), '\n', absl::SkipWhitespace())) {
      err << "dlctl: " << options.file << ": " << line << "\n";
      ++problems;
    }
    return BadInputStatus(absl::StrCat(options.file, " is not valid (", problems,
                                       problems == 1 ? " problem" : " problems", ")"));
  }
  for (const std::string& warning : config->warnings) {
    err << "dlctl: warning: " << options.file << ": " << warning << "\n";
  }

  // Only a valid config is worth starting a daemon for.
  if (ensure_daemon) DLKIT_RETURN_IF_ERROR(ensure_daemon());

  v1::SubmitExperimentRequest request;
  *request.mutable_spec() = config->spec;
  // The same id on every retry: the Launcher creates the experiment once.
  request.set_request_id(NewRequestId());
  v1::SubmitExperimentResponse response;
  grpc::Status status;
  for (int attempt = 1; attempt <= kSubmitAttempts; ++attempt) {
    response.Clear();
    auto context = NewContext(ctx.rpc_timeout);
    status = launcher->SubmitExperiment(context.get(), request, &response);
    bool transient = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                     status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    if (!transient || attempt == kSubmitAttempts) break;
    absl::SleepFor(absl::Milliseconds(250) * (1 << (attempt - 1)));
  }
  if (!status.ok()) return RpcError(status, "cannot submit the experiment", ctx.address);

  const v1::Experiment& experiment = response.experiment();
  for (const std::string& warning : response.warnings()) {
    err << "dlctl: warning: " << warning << "\n";
  }
  const std::string& id = experiment.id();
  if (ctx.output == OutputFormat::kJson) {
    nlohmann::json j = {{"id", id},
                        {"name", experiment.spec().name()},
                        {"dashboard", response.dashboard_url()},
                        {"warnings", nlohmann::json::array()}};
    for (const std::string& w : config->warnings) j["warnings"].push_back(w);
    for (const std::string& w : response.warnings()) j["warnings"].push_back(w);
    out << (options.watch ? j.dump() : j.dump(2)) << "\n";
  } else {
    out << "experiment " << id << " submitted";
    if (!experiment.spec().name().empty()) out << " (" << experiment.spec().name() << ")";
    out << "\n";
    if (!response.dashboard_url().empty()) out << "dashboard: " << response.dashboard_url() << "\n";
    out << "follow it: dlctl status " << id << "\n"
        << "           dlctl trials " << id << "\n";
  }
  out.flush();
  if (!options.watch) return absl::OkStatus();
  if (ctx.output == OutputFormat::kTable) out << "\n";
  return RunWatch(launcher, manager, id, ctx, out);
}

}  // namespace dlkit::cli
