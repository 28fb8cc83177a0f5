#include "services/config/search_space_config.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/config/config_document.h"
#include "services/config/search_space_validation.h"

namespace dlkit {
namespace config {
namespace {

void ParseSpaceInto(const Json& j, const std::string& prefix, v1::SearchSpace* out, Report* report);

// A choice option; a bad one stays as an empty placeholder so later indices keep their
// place.
void ParseOption(const Json& j, const std::string& path, v1::ChoiceOption* out, Report* report) {
  if (j.is_number_unsigned()) {
    const uint64_t u = j.get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      out->set_int_value(static_cast<int64_t>(u));
    } else {
      out->set_double_value(static_cast<double>(u));
    }
  } else if (j.is_number_integer()) {
    out->set_int_value(j.get<int64_t>());
  } else if (j.is_number_float()) {
    out->set_double_value(j.get<double>());
  } else if (j.is_string()) {
    out->set_string_value(j.get<std::string>());
  } else if (j.is_boolean()) {
    out->set_bool_value(j.get<bool>());
  } else if (j.is_object()) {
    auto name = j.find("_name");
    if (name == j.end()) {
      report->Error(path, "nested option needs a \"_name\" key naming it");
      return;
    }
    if (!name->is_string() || name->get<std::string>().empty()) {
      report->Error(JoinSpecPath(path, "_name"),
                    absl::StrCat("expected a non-empty string, got ", Describe(*name)));
      return;
    }
    v1::NestedSpace* nested = out->mutable_nested();
    nested->set_name(name->get<std::string>());
    Json params = Json::object();
    for (const auto& [key, value] : j.items()) {
      if (key != "_name") params[key] = value;
    }
    ParseSpaceInto(params, path, nested->mutable_space(), report);
  } else {
    report->Error(path, absl::StrCat("expected a number, string, bool or an object with "
                                     "\"_name\", got ",
                                     Describe(j)));
  }
}

void ParseParameter(const std::string& name, const Json& j, const std::string& path,
                    v1::SearchSpace* out, Report* report) {
  if (!j.is_object()) {
    report->Error(path, absl::StrCat("expected an object {\"_type\": ..., \"_value\": [...]}, "
                                     "got ",
                                     Describe(j)));
    return;
  }
  const Json* type = nullptr;
  const Json* value = nullptr;
  for (const auto& [key, v] : j.items()) {
    if (key == "_type") {
      type = &v;
    } else if (key == "_value") {
      value = &v;
    } else {
      report->Error(JoinSpecPath(path, key),
                    UnknownMessage("unknown key", key, {"_type", "_value"}));
    }
  }
  if (type == nullptr) {
    report->Error(path, absl::StrCat("missing \"_type\" (one of ",
                                     absl::StrJoin(DistributionNames(), ", "), ")"));
  }
  if (value == nullptr) report->Error(path, "missing \"_value\"");
  if (type == nullptr || value == nullptr) return;
  const std::string type_path = JoinSpecPath(path, "_type");
  const std::string value_path = JoinSpecPath(path, "_value");
  if (!type->is_string()) {
    report->Error(type_path, absl::StrCat("expected a string, got ", Describe(*type)));
    return;
  }
  const std::string type_name = type->get<std::string>();
  const v1::Distribution distribution = DistributionFromName(type_name);
  if (distribution == v1::DISTRIBUTION_UNSPECIFIED) {
    report->Error(type_path, UnknownMessage(absl::StrCat("unknown type ", Quote(type_name)),
                                            type_name, DistributionNames()));
    return;
  }
  if (!value->is_array()) {
    report->Error(value_path, absl::StrCat("expected a list, got ", Describe(*value)));
    return;
  }
  v1::ParameterSpec param;
  param.set_name(name);
  param.set_distribution(distribution);
  if (distribution == v1::CHOICE) {
    size_t i = 0;
    for (const Json& option : *value) {
      ParseOption(option, IndexPath(value_path, i), param.add_options(), report);
      ++i;
    }
  } else {
    bool ok = true;
    size_t i = 0;
    for (const Json& a : *value) {
      if (a.is_number()) {
        param.add_args(a.get<double>());
      } else {
        report->Error(IndexPath(value_path, i),
                      absl::StrCat("expected a number, got ", Describe(a)));
        ok = false;
      }
      ++i;
    }
    if (!ok) return;
  }
  *out->add_parameters() = std::move(param);
}

void ParseSpaceInto(const Json& j, const std::string& prefix, v1::SearchSpace* out,
                    Report* report) {
  if (!j.is_object()) {
    report->Error(prefix, absl::StrCat("expected an object mapping parameter names to "
                                       "{\"_type\": ..., \"_value\": [...]}, got ",
                                       Describe(j)));
    return;
  }
  for (const auto& [name, spec] : j.items()) {
    ParseParameter(name, spec, JoinSpecPath(prefix, name), out, report);
  }
}

}  // namespace

// Shape checks while converting, then the semantic ones of spec_validation on what
// converted (quiet where a shape problem was already reported).
void ParseSearchSpace(const Json& j, const std::string& prefix, v1::SearchSpace* out,
                      Report* report) {
  Report shape;
  ParseSpaceInto(j, prefix, out, &shape);
  Report semantic;
  for (const SpecProblem& p : FindSearchSpaceProblems(*out, prefix)) {
    if (!shape.Covers(p.path)) semantic.Error(p.path, p.message);
  }
  report->Append(shape);
  report->Append(semantic);
}

}  // namespace config

using config::Json;

absl::StatusOr<v1::SearchSpace> ParseSearchSpaceJson(const std::string& text,
                                                     const std::string& path_prefix) {
  config::Report report;
  std::optional<Json> json = config::ParseJsonText(text, &report);
  v1::SearchSpace space;
  if (json.has_value()) config::ParseSearchSpace(*json, path_prefix, &space, &report);
  if (!report.ok()) return report.ToStatus();
  return space;
}

nlohmann::ordered_json SearchSpaceToJson(const v1::SearchSpace& space) {
  Json out = Json::object();
  for (const v1::ParameterSpec& param : space.parameters()) {
    Json values = Json::array();
    if (param.distribution() == v1::CHOICE) {
      for (const v1::ChoiceOption& option : param.options()) {
        switch (option.kind_case()) {
          case v1::ChoiceOption::kDoubleValue:
            values.push_back(option.double_value());
            break;
          case v1::ChoiceOption::kIntValue:
            values.push_back(option.int_value());
            break;
          case v1::ChoiceOption::kStringValue:
            values.push_back(option.string_value());
            break;
          case v1::ChoiceOption::kBoolValue:
            values.push_back(option.bool_value());
            break;
          case v1::ChoiceOption::kNested: {
            Json nested = SearchSpaceToJson(option.nested().space());
            Json named = Json::object();
            named["_name"] = option.nested().name();
            for (auto& [key, value] : nested.items()) named[key] = value;
            values.push_back(std::move(named));
            break;
          }
          default:
            values.push_back(nullptr);
        }
      }
    } else {
      for (double a : param.args()) {
        // randint bounds are integers in NNI's format.
        if (param.distribution() == v1::RANDINT && a == std::trunc(a) && std::fabs(a) < 9e18) {
          values.push_back(static_cast<int64_t>(a));
        } else {
          values.push_back(a);
        }
      }
    }
    Json entry = Json::object();
    entry["_type"] = DistributionName(param.distribution());
    entry["_value"] = std::move(values);
    out[param.name()] = std::move(entry);
  }
  return out;
}

}  // namespace dlkit
