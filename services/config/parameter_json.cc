#include "services/config/parameter_json.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"

namespace dlkit {
namespace config {

template <typename J>
bool SetFromJson(const J& j, const std::string& path, bool nested_needs_name, Report* report,
                 v1::ParameterSet* out) {
  if (!j.is_object()) {
    report->Error(
        path, absl::StrCat(
                  "expected an object, got ",
                  j.is_array() ? "a list" : j.dump(-1, ' ', false, J::error_handler_t::replace)));
    return false;
  }
  bool ok = true;
  for (const auto& [key, value] : j.items()) {
    v1::ParameterValue converted;
    if (ValueFromJson(value, JoinSpecPath(path, key), nested_needs_name, report, &converted)) {
      (*out->mutable_values())[key] = std::move(converted);
    } else {
      ok = false;
    }
  }
  return ok;
}

template <typename J>
bool ValueFromJson(const J& j, const std::string& path, bool nested_needs_name, Report* report,
                   v1::ParameterValue* out) {
  if (j.is_number_unsigned()) {
    const uint64_t u = j.template get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      out->set_int_value(static_cast<int64_t>(u));
    } else {
      out->set_double_value(static_cast<double>(u));
    }
  } else if (j.is_number_integer()) {
    out->set_int_value(j.template get<int64_t>());
  } else if (j.is_number_float()) {
    out->set_double_value(j.template get<double>());
  } else if (j.is_string()) {
    out->set_string_value(j.template get<std::string>());
  } else if (j.is_boolean()) {
    out->set_bool_value(j.template get<bool>());
  } else if (j.is_object()) {
    if (nested_needs_name) {
      auto it = j.find("_name");
      if (it == j.end() || !it->is_string()) {
        report->Error(path, "nested value needs a \"_name\" (a string naming the chosen option)");
        return false;
      }
    }
    return SetFromJson(j, path, nested_needs_name, report, out->mutable_nested());
  } else {
    report->Error(path, absl::StrCat("expected a number, string, bool or object, got ",
                                     j.is_array() ? "a list" : "null"));
    return false;
  }
  return true;
}

template <typename J>
J ValueToJson(const v1::ParameterValue& v);

template <typename J>
J SetToJson(const v1::ParameterSet& set) {
  // Protobuf maps have no order: "_name" first, then by name, for stable output.
  std::vector<std::string> keys;
  for (const auto& [key, value] : set.values()) keys.push_back(key);
  std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
    if ((a == "_name") != (b == "_name")) return a == "_name";
    return a < b;
  });
  J out = J::object();
  for (const std::string& key : keys) out[key] = ValueToJson<J>(set.values().at(key));
  return out;
}

template <typename J>
J ValueToJson(const v1::ParameterValue& v) {
  switch (v.kind_case()) {
    case v1::ParameterValue::kDoubleValue:
      return J(v.double_value());
    case v1::ParameterValue::kIntValue:
      return J(v.int_value());
    case v1::ParameterValue::kStringValue:
      return J(v.string_value());
    case v1::ParameterValue::kBoolValue:
      return J(v.bool_value());
    case v1::ParameterValue::kNested:
      return SetToJson<J>(v.nested());
    default:
      return J(nullptr);
  }
}

template bool ValueFromJson<Json>(const Json&, const std::string&, bool, Report*,
                                  v1::ParameterValue*);
template bool ValueFromJson<nlohmann::json>(const nlohmann::json&, const std::string&, bool,
                                            Report*, v1::ParameterValue*);
template bool SetFromJson<Json>(const Json&, const std::string&, bool, Report*, v1::ParameterSet*);
template bool SetFromJson<nlohmann::json>(const nlohmann::json&, const std::string&, bool, Report*,
                                          v1::ParameterSet*);
template Json SetToJson<Json>(const v1::ParameterSet&);
template nlohmann::json SetToJson<nlohmann::json>(const v1::ParameterSet&);

}  // namespace config

nlohmann::json ParameterSetToJson(const v1::ParameterSet& params) {
  return config::SetToJson<nlohmann::json>(params);
}

namespace {

template <typename J>
absl::StatusOr<v1::ParameterSet> ReadParameterSet(const J& json, const std::string& path) {
  config::Report report;
  v1::ParameterSet out;
  config::SetFromJson(json, path, /*nested_needs_name=*/true, &report, &out);
  if (!report.ok()) return report.ToStatus();
  return out;
}

}  // namespace

absl::StatusOr<v1::ParameterSet> ParameterSetFromJson(const nlohmann::json& json,
                                                      const std::string& path) {
  return ReadParameterSet(json, path);
}

absl::StatusOr<v1::ParameterSet> ParameterSetFromJson(const nlohmann::ordered_json& json,
                                                      const std::string& path) {
  return ReadParameterSet(json, path);
}

}  // namespace dlkit
