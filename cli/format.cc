#include "cli/format.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "services/config/parameter_json.h"

namespace dlkit::cli {
namespace {

constexpr size_t kTopTrials = 5;
constexpr size_t kWatchParamsWidth = 60;

std::string PadTo(absl::string_view text, size_t width, Align align) {
  size_t w = DisplayWidth(text);
  if (w >= width) return std::string(text);
  std::string pad(width - w, ' ');
  return align == Align::kLeft ? absl::StrCat(text, pad) : absl::StrCat(pad, text);
}

void FlattenInto(const v1::ParameterSet& set, const std::string& prefix,
                 std::vector<std::pair<std::string, std::string>>* out) {
  // Proto maps have no order; sort so rows and columns are stable.
  std::vector<std::string> keys;
  keys.reserve(set.values_size());
  for (const auto& [key, value] : set.values()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) {
    const v1::ParameterValue& value = set.values().at(key);
    std::string name = prefix.empty() ? key : absl::StrCat(prefix, "/", key);
    switch (value.kind_case()) {
      case v1::ParameterValue::kDoubleValue:
        out->emplace_back(name, FormatExact(value.double_value()));
        break;
      case v1::ParameterValue::kIntValue:
        out->emplace_back(name, absl::StrCat(value.int_value()));
        break;
      case v1::ParameterValue::kStringValue:
        out->emplace_back(name, value.string_value());
        break;
      case v1::ParameterValue::kBoolValue:
        out->emplace_back(name, value.bool_value() ? "true" : "false");
        break;
      case v1::ParameterValue::kNested:
        FlattenInto(value.nested(), name, out);
        break;
      case v1::ParameterValue::KIND_NOT_SET:
        out->emplace_back(name, "");
        break;
    }
  }
}

void SpaceColumns(const v1::SearchSpace& space, const std::string& prefix,
                  std::vector<std::string>* out) {
  for (const v1::ParameterSpec& param : space.parameters()) {
    std::string name = prefix.empty() ? param.name() : absl::StrCat(prefix, "/", param.name());
    bool has_plain = param.options().empty() || param.distribution() != v1::CHOICE;
    bool has_nested = false;
    for (const v1::ChoiceOption& option : param.options()) {
      if (option.has_nested()) {
        has_nested = true;
      } else {
        has_plain = true;
      }
    }
    if (has_plain) out->push_back(name);
    if (!has_nested) continue;
    out->push_back(absl::StrCat(name, "/_name"));
    for (const v1::ChoiceOption& option : param.options()) {
      if (option.has_nested()) SpaceColumns(option.nested().space(), name, out);
    }
  }
}

std::string Or(absl::string_view text, absl::string_view fallback) {
  return std::string(text.empty() ? fallback : text);
}

std::string MetricHeader(const v1::Objective& objective) {
  std::string metric = objective.metric();
  if (metric.empty() || metric == "default") return "FINAL";
  return absl::AsciiStrToUpper(metric);
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

nlohmann::json SeriesToJson(const google::protobuf::RepeatedPtrField<v1::Measurement>& series) {
  nlohmann::json out = nlohmann::json::array();
  for (const v1::Measurement& m : series) out.push_back(m.value());
  return out;
}

nlohmann::json TimeOrNull(const google::protobuf::Timestamp& ts) {
  if (!IsSet(ts)) return nullptr;
  return FormatPreciseTimestamp(ts);
}

}  // namespace

// ---- tables -------------------------------------------------------------------------------

size_t DisplayWidth(absl::string_view utf8) {
  size_t width = 0;
  for (unsigned char c : utf8) {
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes only
  }
  return width;
}

std::string Truncate(absl::string_view text, size_t width) {
  if (DisplayWidth(text) <= width) return std::string(text);
  if (width == 0) return "";
  std::string out;
  size_t cols = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    if ((c & 0xC0) != 0x80) {
      if (cols == width - 1) break;
      ++cols;
    }
    out.push_back(text[i]);
  }
  return absl::StrCat(out, "…");
}

std::string RenderTable(const std::vector<TableColumn>& columns,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) widths[c] = DisplayWidth(columns[c].header);
  for (const auto& row : rows) {
    for (size_t c = 0; c < columns.size() && c < row.size(); ++c) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
  }
  auto render_row = [&](auto cell_at) {
    std::string line;
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) line += "  ";
      // The last left-aligned column needs no padding (no trailing blanks).
      bool last = c + 1 == columns.size();
      if (last && columns[c].align == Align::kLeft) {
        line += cell_at(c);
      } else {
        line += PadTo(cell_at(c), widths[c], columns[c].align);
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line + "\n";
  };
  std::string out = render_row([&](size_t c) { return columns[c].header; });
  for (const auto& row : rows) {
    out += render_row([&](size_t c) { return c < row.size() ? row[c] : std::string(); });
  }
  return out;
}

std::string RenderKeyValues(const std::vector<std::pair<std::string, std::string>>& items) {
  size_t width = 0;
  for (const auto& [key, value] : items) width = std::max(width, DisplayWidth(key) + 1);
  std::string out;
  for (const auto& [key, value] : items) {
    std::string line =
        absl::StrCat(PadTo(absl::StrCat(key, ":"), width, Align::kLeft), "  ", value);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

// ---- values -------------------------------------------------------------------------------

std::string FormatShortDuration(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  // Trials of a few seconds are common: keep a tenth of a second below ten seconds.
  if (d < absl::Seconds(10)) return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(d));
  int64_t total = absl::ToInt64Seconds(d);
  int64_t days = total / 86400;
  int64_t hours = (total % 86400) / 3600;
  int64_t minutes = (total % 3600) / 60;
  int64_t seconds = total % 60;
  if (days > 0) return absl::StrFormat("%dd%02dh%02dm", days, hours, minutes);
  if (hours > 0) return absl::StrFormat("%dh%02dm%02ds", hours, minutes, seconds);
  if (minutes > 0) return absl::StrFormat("%dm%02ds", minutes, seconds);
  return absl::StrFormat("%ds", seconds);
}

bool IsSet(const google::protobuf::Timestamp& ts) { return ts.seconds() != 0 || ts.nanos() != 0; }

absl::Time ToAbslTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

absl::Duration ToAbslDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  if (!IsSet(ts)) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", ToAbslTime(ts), absl::UTCTimeZone());
}

std::string FormatPreciseTimestamp(const google::protobuf::Timestamp& ts) {
  if (!IsSet(ts)) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", ToAbslTime(ts), absl::UTCTimeZone());
}

std::string FormatMetric(double value) {
  if (std::isnan(value)) return "nan";
  return absl::StrFormat("%.6g", value);
}

std::string FormatExact(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));  // "60", not "60.0"
  }
  // nlohmann prints the shortest text that reads back as the same double.
  return nlohmann::json(value).dump();
}

std::string TrialStateName(v1::TrialState state) {
  switch (state) {
    case v1::WAITING:
      return "WAITING";
    case v1::RUNNING:
      return "RUNNING";
    case v1::SUCCEEDED:
      return "SUCCEEDED";
    case v1::FAILED:
      return "FAILED";
    case v1::EARLY_STOPPED:
      return "EARLY_STOPPED";
    case v1::KILLED:
      return "KILLED";
    default:
      return "UNKNOWN";
  }
}

std::string ExperimentStateName(v1::ExperimentState state) {
  switch (state) {
    case v1::EXPERIMENT_RUNNING:
      return "RUNNING";
    case v1::EXPERIMENT_DONE:
      return "DONE";
    case v1::EXPERIMENT_STOPPED:
      return "STOPPED";
    case v1::EXPERIMENT_FAILED:
      return "FAILED";
    default:
      return "UNKNOWN";
  }
}

absl::StatusOr<v1::TrialState> ParseTrialState(absl::string_view text) {
  std::string s = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
  absl::StrReplaceAll({{"-", "_"}}, &s);
  if (s == "WAITING") return v1::WAITING;
  if (s == "RUNNING") return v1::RUNNING;
  if (s == "SUCCEEDED") return v1::SUCCEEDED;
  if (s == "FAILED") return v1::FAILED;
  if (s == "EARLY_STOPPED") return v1::EARLY_STOPPED;
  if (s == "KILLED" || s == "USER_CANCELED") return v1::KILLED;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown trial status \"", text,
                   "\" (one of waiting, running, succeeded, failed, early_stopped, killed)"));
}

bool IsTerminal(v1::TrialState state) {
  return state == v1::SUCCEEDED || state == v1::FAILED || state == v1::EARLY_STOPPED ||
         state == v1::KILLED;
}

bool IsTerminal(v1::ExperimentState state) {
  return state == v1::EXPERIMENT_DONE || state == v1::EXPERIMENT_STOPPED ||
         state == v1::EXPERIMENT_FAILED;
}

// ---- parameters ---------------------------------------------------------------------------

std::vector<std::pair<std::string, std::string>> FlattenParameters(
    const v1::ParameterSet& parameters) {
  std::vector<std::pair<std::string, std::string>> out;
  FlattenInto(parameters, "", &out);
  return out;
}

std::string FormatParametersInline(const v1::ParameterSet& parameters) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : FlattenParameters(parameters)) {
    double number = 0;
    // Tables show numbers short; CSV/JSON keep them exact.
    if (absl::SimpleAtod(value, &number) && value.find_first_of(".eE") != std::string::npos) {
      parts.push_back(absl::StrCat(key, "=", FormatMetric(number)));
    } else {
      parts.push_back(absl::StrCat(key, "=", value));
    }
  }
  return absl::StrJoin(parts, " ");
}

std::vector<std::string> ParameterColumns(const v1::SearchSpace& space,
                                          const std::vector<v1::Trial>& trials) {
  std::vector<std::string> ordered;
  SpaceColumns(space, "", &ordered);
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& column : ordered) {
    if (seen.insert(column).second) out.push_back(column);
  }
  std::set<std::string> extra;
  for (const v1::Trial& trial : trials) {
    for (const auto& [key, value] : FlattenParameters(trial.parameters())) {
      if (!seen.count(key)) extra.insert(key);
    }
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

// ---- trials -------------------------------------------------------------------------------

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

// ---- experiments --------------------------------------------------------------------------

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
  j["dashboard"] =
      e.dashboard_url().empty() ? nlohmann::json() : nlohmann::json(e.dashboard_url());
  return j;
}

}  // namespace dlkit::cli
