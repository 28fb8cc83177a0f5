#include "cli/experiment_output.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/table.h"
#include "cli/trial_output.h"
#include "cli/value_format.h"
#include "services/common/proto_util.h"

namespace dlkit::cli {
namespace {

constexpr size_t kTopTrials = 5;
constexpr size_t kWatchParamsWidth = 60;

std::string Or(absl::string_view text, absl::string_view fallback) {
  return std::string(text.empty() ? fallback : text);
}

std::string DirectionName(v1::Direction direction) {
  switch (direction) {
    case v1::MAXIMIZE:
      return "maximize";
    case v1::MINIMIZE:
      return "minimize";
    default:
      return "";
  }
}

}  // namespace

int DoneCount(const v1::TrialCounts& counts) { return counts.finished(); }

absl::Duration ElapsedAt(const v1::Experiment& experiment, absl::Time received, absl::Time now) {
  absl::Duration elapsed = ToAbslDuration(experiment.elapsed());
  if (experiment.state() == v1::EXPERIMENT_RUNNING && now > received) elapsed += now - received;
  return elapsed;
}

std::string RenderProgressBar(int done, int total, int width) {
  int filled = 0;
  if (total > 0) {
    filled =
        static_cast<int>(static_cast<int64_t>(std::min(std::max(done, 0), total)) * width / total);
  }
  return absl::StrCat("[", std::string(filled, '#'), std::string(width - filled, '-'), "]");
}

std::string FormatProgressLine(const v1::Experiment& experiment, absl::Duration elapsed,
                               absl::string_view best_label) {
  const v1::TrialCounts& counts = experiment.counts();
  int done = DoneCount(counts);
  int max = experiment.spec().max_trial_number();
  std::vector<std::string> parts;
  if (max > 0) {
    parts.push_back(absl::StrCat(RenderProgressBar(done, max, 20), " ", done, "/", max, " trials"));
  } else {
    parts.push_back(absl::StrCat(done, " trials done"));
  }
  parts.push_back(absl::StrCat(counts.running(), " running"));
  parts.push_back(absl::StrCat(counts.failed(), " failed"));
  parts.push_back(FormatShortDuration(elapsed));
  if (experiment.has_best()) {
    std::string best = absl::StrCat("best ", FormatMetric(experiment.best_value()));
    if (!best_label.empty()) absl::StrAppend(&best, " (", best_label, ")");
    parts.push_back(best);
  } else {
    parts.push_back("best -");
  }
  return absl::StrJoin(parts, " | ");
}

std::string RenderWatchBlock(const v1::Experiment& experiment, const std::vector<v1::Trial>& trials,
                             absl::Duration elapsed, absl::Time now) {
  std::string best_label;
  for (const v1::Trial& t : trials) {
    if (t.id() == experiment.best_trial_id()) best_label = absl::StrCat("#", t.index());
  }
  std::string out =
      absl::StrCat(Or(experiment.spec().name(), experiment.id()), " (", experiment.id(), ")  ",
                   ExperimentStateName(experiment.state()), "\n");
  absl::StrAppend(&out, FormatProgressLine(experiment, elapsed, best_label), "\n");
  std::vector<v1::Trial> top =
      TopTrials(trials, experiment.spec().objective().direction(), kTopTrials);
  if (!top.empty()) {
    absl::StrAppend(&out, "\n",
                    RenderTrialsTable(top, experiment.spec().objective(), now, kWatchParamsWidth));
  }
  return out;
}

std::string RenderExperimentsTable(const std::vector<v1::Experiment>& experiments) {
  std::vector<TableColumn> columns = {
      {"ID", Align::kLeft},       {"NAME", Align::kLeft},     {"STATUS", Align::kLeft},
      {"TRIALS", Align::kRight},  {"RUNNING", Align::kRight}, {"BEST", Align::kRight},
      {"ELAPSED", Align::kRight}, {"CREATED", Align::kLeft},
  };
  std::vector<std::vector<std::string>> rows;
  for (const v1::Experiment& e : experiments) {
    int max = e.spec().max_trial_number();
    rows.push_back({
        e.id(),
        Or(e.spec().name(), "-"),
        ExperimentStateName(e.state()),
        max > 0 ? absl::StrCat(DoneCount(e.counts()), "/", max)
                : absl::StrCat(DoneCount(e.counts())),
        absl::StrCat(e.counts().running()),
        e.has_best() ? FormatMetric(e.best_value()) : "-",
        FormatShortDuration(ToAbslDuration(e.elapsed())),
        Or(FormatTimestamp(e.created()), "-"),
    });
  }
  return RenderTable(columns, rows);
}

std::string RenderExperimentStatus(const v1::Experiment& e) {
  const v1::ExperimentSpec& spec = e.spec();
  const v1::TrialCounts& c = e.counts();
  std::vector<std::pair<std::string, std::string>> items = {
      {"id", e.id()},
      {"name", Or(spec.name(), "-")},
      {"status", ExperimentStateName(e.state())},
  };
  if (!e.reason().empty()) items.push_back({"reason", e.reason()});
  items.push_back({"created", Or(FormatTimestamp(e.created()), "-")});
  if (IsSet(e.ended())) items.push_back({"ended", FormatTimestamp(e.ended())});
  std::string elapsed = FormatShortDuration(ToAbslDuration(e.elapsed()));
  if (spec.has_max_experiment_duration() &&
      ToAbslDuration(spec.max_experiment_duration()) > absl::ZeroDuration()) {
    absl::StrAppend(&elapsed, " of ",
                    FormatShortDuration(ToAbslDuration(spec.max_experiment_duration())));
  }
  items.push_back({"elapsed", elapsed});
  int max = spec.max_trial_number();
  items.push_back(
      {"trials",
       absl::StrFormat("%d done%s (%d succeeded, %d failed, %d early stopped, "
                       "%d killed), %d running, %d waiting",
                       DoneCount(c), max > 0 ? absl::StrCat(" of ", max) : "", c.succeeded(),
                       c.failed(), c.early_stopped(), c.killed(), c.running(), c.waiting())});
  if (max > 0) items.push_back({"progress", RenderProgressBar(DoneCount(c), max, 30)});
  items.push_back({"concurrency", absl::StrCat(spec.trial_concurrency())});
  std::string objective = Or(spec.objective().metric(), "default");
  std::string direction = DirectionName(spec.objective().direction());
  if (!direction.empty()) absl::StrAppend(&objective, " (", direction, ")");
  items.push_back({"objective", objective});
  items.push_back({"tuner", Or(spec.tuner().name(), "-")});
  if (!spec.assessor().name().empty()) items.push_back({"assessor", spec.assessor().name()});
  items.push_back({"best", e.has_best() ? absl::StrCat(FormatMetric(e.best_value()), " (trial ",
                                                       e.best_trial_id(), ")")
                                        : "-"});
  if (!e.manager_address().empty()) items.push_back({"manager", e.manager_address()});
  if (!e.log_directory().empty()) items.push_back({"logs", e.log_directory()});
  if (!e.dashboard_url().empty()) items.push_back({"dashboard", e.dashboard_url()});
  return RenderKeyValues(items);
}

nlohmann::json ExperimentToJson(const v1::Experiment& e) {
  const v1::ExperimentSpec& spec = e.spec();
  const v1::TrialCounts& c = e.counts();
  nlohmann::json j = nlohmann::json::object();
  j["id"] = e.id();
  j["name"] = spec.name();
  j["status"] = ExperimentStateName(e.state());
  j["reason"] = e.reason();
  j["created"] = TimeOrNull(e.created());
  j["ended"] = TimeOrNull(e.ended());
  j["elapsed_s"] = absl::ToDoubleSeconds(ToAbslDuration(e.elapsed()));
  j["trials"] = {{"done", DoneCount(c)},   {"waiting", c.waiting()},
                 {"running", c.running()}, {"succeeded", c.succeeded()},
                 {"failed", c.failed()},   {"early_stopped", c.early_stopped()},
                 {"killed", c.killed()}};
  j["max_trial_number"] = spec.max_trial_number();
  j["trial_concurrency"] = spec.trial_concurrency();
  absl::Duration max_duration = ToAbslDuration(spec.max_experiment_duration());
  j["max_experiment_duration_s"] = max_duration > absl::ZeroDuration()
                                       ? nlohmann::json(absl::ToDoubleSeconds(max_duration))
                                       : nlohmann::json();
  j["objective"] = {{"metric", Or(spec.objective().metric(), "default")},
                    {"direction", DirectionName(spec.objective().direction())}};
  j["tuner"] = spec.tuner().name();
  j["assessor"] =
      spec.assessor().name().empty() ? nlohmann::json() : nlohmann::json(spec.assessor().name());
  if (e.has_best()) {
    j["best"] = {{"trial_id", e.best_trial_id()}, {"value", e.best_value()}};
  } else {
    j["best"] = nullptr;
  }
  j["manager_address"] = e.manager_address();
  j["log_directory"] = e.log_directory();
  j["dashboard"] = e.dashboard_url().empty() ? nlohmann::json() : nlohmann::json(e.dashboard_url());
  return j;
}

}  // namespace dlkit::cli
