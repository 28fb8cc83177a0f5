#include "cli/trial_output.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "cli/table.h"
#include "cli/value_format.h"
#include "services/common/proto_util.h"
#include "services/config/parameter_json.h"

namespace dlkit::cli {
namespace {

std::string MetricHeader(const v1::Objective& objective) {
  std::string metric = objective.metric();
  if (metric.empty() || metric == "default") return "FINAL";
  return absl::AsciiStrToUpper(metric);
}

nlohmann::json SeriesToJson(const google::protobuf::RepeatedPtrField<v1::Measurement>& series) {
  nlohmann::json out = nlohmann::json::array();
  for (const v1::Measurement& m : series) out.push_back(m.value());
  return out;
}

}  // namespace

bool IsBetter(double a, double b, v1::Direction direction) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return direction == v1::MINIMIZE ? a < b : a > b;
}

std::optional<absl::Duration> TrialDuration(const v1::Trial& trial, absl::Time now) {
  if (!IsSet(trial.started())) return std::nullopt;
  absl::Time end = IsSet(trial.ended()) ? ToAbslTime(trial.ended()) : now;
  return std::max(absl::ZeroDuration(), end - ToAbslTime(trial.started()));
}

void SortTrials(std::vector<v1::Trial>* trials, TrialSort sort, v1::Direction direction,
                bool reverse, absl::Time now) {
  // has_key(t): whether the trial has a value to sort by; before(a, b): a comes first.
  auto has_key = [&](const v1::Trial& t) {
    switch (sort) {
      case TrialSort::kMetric:
        return t.has_final();
      case TrialSort::kDuration:
      case TrialSort::kStarted:
        return IsSet(t.started());
      case TrialSort::kIndex:
        return true;
    }
    return true;
  };
  auto before = [&](const v1::Trial& a, const v1::Trial& b) {
    switch (sort) {
      case TrialSort::kMetric:
        return IsBetter(a.final_value(), b.final_value(), direction);
      case TrialSort::kDuration:
        return *TrialDuration(a, now) > *TrialDuration(b, now);
      case TrialSort::kStarted:
        return ToAbslTime(a.started()) < ToAbslTime(b.started());
      case TrialSort::kIndex:
        return a.index() < b.index();
    }
    return false;
  };
  std::stable_sort(trials->begin(), trials->end(), [&](const v1::Trial& a, const v1::Trial& b) {
    bool ka = has_key(a), kb = has_key(b);
    if (ka != kb) return ka;  // keyless trials last, either way
    if (!ka) return a.index() < b.index();
    return reverse ? before(b, a) : before(a, b);
  });
}

std::string RenderTrialsTable(const std::vector<v1::Trial>& trials, const v1::Objective& objective,
                              absl::Time now, size_t params_width) {
  std::vector<TableColumn> columns = {
      {"#", Align::kRight},         {"TRIAL", Align::kLeft},
      {"STATUS", Align::kLeft},     {MetricHeader(objective), Align::kRight},
      {"LATEST", Align::kRight},    {"DURATION", Align::kRight},
      {"PARAMETERS", Align::kLeft},
  };
  std::vector<std::vector<std::string>> rows;
  for (const v1::Trial& trial : trials) {
    std::optional<absl::Duration> duration = TrialDuration(trial, now);
    std::string params = FormatParametersInline(trial.parameters());
    if (params_width > 0) params = Truncate(params, params_width);
    rows.push_back({
        absl::StrCat(trial.index()),
        trial.id(),
        TrialStateName(trial.state()),
        trial.has_final() ? FormatMetric(trial.final_value()) : "-",
        trial.has_last_intermediate() ? FormatMetric(trial.last_intermediate()) : "-",
        duration ? FormatShortDuration(*duration) : "-",
        params,
    });
  }
  return RenderTable(columns, rows);
}

nlohmann::json TrialToJson(const v1::Trial& trial, absl::Time now) {
  nlohmann::json j = nlohmann::json::object();
  j["id"] = trial.id();
  j["index"] = trial.index();
  j["status"] = TrialStateName(trial.state());
  j["parameters"] = ParameterSetToJson(trial.parameters());
  j["final"] = trial.has_final() ? nlohmann::json(trial.final_value()) : nlohmann::json();
  j["intermediate"] = SeriesToJson(trial.intermediate());
  j["loss"] = SeriesToJson(trial.loss());
  bool ended = IsTerminal(trial.state());
  j["exit_code"] = ended ? nlohmann::json(trial.exit_code()) : nlohmann::json();
  j["signal"] = trial.signal() != 0 ? nlohmann::json(trial.signal()) : nlohmann::json();
  j["started"] = TimeOrNull(trial.started());
  j["ended"] = TimeOrNull(trial.ended());
  std::optional<absl::Duration> duration = TrialDuration(trial, now);
  j["duration_s"] = duration ? nlohmann::json(absl::ToDoubleSeconds(*duration)) : nlohmann::json();
  j["reason"] = trial.reason();
  j["attempt"] = trial.attempt();
  return j;
}

nlohmann::json TrialsToJson(const std::vector<v1::Trial>& trials, absl::Time now) {
  nlohmann::json out = nlohmann::json::array();
  for (const v1::Trial& trial : trials) out.push_back(TrialToJson(trial, now));
  return out;
}

std::string CsvEscape(absl::string_view field) {
  if (field.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(field);
  return absl::StrCat("\"", absl::StrReplaceAll(field, {{"\"", "\"\""}}), "\"");
}

std::string TrialsToCsv(const std::vector<v1::Trial>& trials, const v1::SearchSpace& space,
                        absl::Time now) {
  std::vector<std::string> param_columns = ParameterColumns(space, trials);
  std::vector<std::string> header = {"id", "index", "status"};
  header.insert(header.end(), param_columns.begin(), param_columns.end());
  for (const char* c : {"final", "exit_code", "started", "ended", "duration_s"}) {
    header.push_back(c);
  }
  auto join = [](const std::vector<std::string>& fields) {
    std::vector<std::string> escaped;
    escaped.reserve(fields.size());
    for (const std::string& f : fields) escaped.push_back(CsvEscape(f));
    return absl::StrCat(absl::StrJoin(escaped, ","), "\n");
  };
  std::string out = join(header);
  for (const v1::Trial& trial : trials) {
    std::map<std::string, std::string> params;
    for (auto& [key, value] : FlattenParameters(trial.parameters())) params[key] = value;
    std::vector<std::string> row = {trial.id(), absl::StrCat(trial.index()),
                                    TrialStateName(trial.state())};
    for (const std::string& column : param_columns) {
      auto it = params.find(column);
      row.push_back(it == params.end() ? "" : it->second);
    }
    row.push_back(trial.has_final() ? FormatExact(trial.final_value()) : "");
    row.push_back(IsTerminal(trial.state()) ? absl::StrCat(trial.exit_code()) : "");
    row.push_back(FormatPreciseTimestamp(trial.started()));
    row.push_back(FormatPreciseTimestamp(trial.ended()));
    std::optional<absl::Duration> duration = TrialDuration(trial, now);
    row.push_back(duration ? FormatExact(absl::ToDoubleSeconds(*duration)) : "");
    out += join(row);
  }
  return out;
}

std::vector<v1::Trial> TopTrials(const std::vector<v1::Trial>& trials, v1::Direction direction,
                                 size_t n) {
  std::vector<v1::Trial> out;
  for (const v1::Trial& t : trials) {
    if (t.has_final()) out.push_back(t);
  }
  SortTrials(&out, TrialSort::kMetric, direction, false, absl::UnixEpoch());
  if (out.size() > n) out.resize(n);
  return out;
}

}  // namespace dlkit::cli
