#include "cli/value_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "services/common/proto_util.h"

namespace dlkit::cli {
namespace {

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

}  // namespace

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

nlohmann::json TimeOrNull(const google::protobuf::Timestamp& ts) {
  if (!IsSet(ts)) return nullptr;
  return FormatPreciseTimestamp(ts);
}

}  // namespace dlkit::cli
