#include "services/config/search_space_validation.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dlkit {
namespace {

using Problems = SpecProblems;

constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

bool IsQuantized(v1::Distribution d) {
  return d == v1::QUNIFORM || d == v1::QLOGUNIFORM || d == v1::QNORMAL || d == v1::QLOGNORMAL;
}

bool IsNormalFamily(v1::Distribution d) {
  return d == v1::NORMAL || d == v1::QNORMAL || d == v1::LOGNORMAL || d == v1::QLOGNORMAL;
}

bool IsLogUniform(v1::Distribution d) { return d == v1::LOGUNIFORM || d == v1::QLOGUNIFORM; }

std::string ArgsText(const v1::ParameterSpec& param) {
  std::vector<std::string> parts;
  for (double a : param.args()) parts.push_back(FormatSpecNumber(a));
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

void CheckSpace(const v1::SearchSpace& space, const std::string& prefix, bool nested,
                Problems* problems);

void CheckChoice(const v1::ParameterSpec& param, const std::string& path, Problems* problems) {
  const std::string value_path = JoinSpecPath(path, "_value");
  if (!param.args().empty()) {
    AddProblem(problems, value_path, "choice takes options, not numeric bounds");
  }
  if (param.options().empty()) {
    AddProblem(problems, value_path, "choice needs at least one option");
    return;
  }
  std::map<std::string, int> nested_names;
  for (int i = 0; i < param.options_size(); ++i) {
    const v1::ChoiceOption& option = param.options(i);
    const std::string option_path = IndexPath(value_path, i);
    switch (option.kind_case()) {
      case v1::ChoiceOption::KIND_NOT_SET:
        AddProblem(problems, option_path, "option has no value");
        break;
      case v1::ChoiceOption::kDoubleValue:
        if (!std::isfinite(option.double_value())) {
          AddProblem(problems, option_path, "option must be a finite number");
        }
        break;
      case v1::ChoiceOption::kNested: {
        const std::string& name = option.nested().name();
        if (name.empty()) {
          AddProblem(problems, option_path, "nested option needs a non-empty \"_name\"");
          break;
        }
        auto [it, inserted] = nested_names.emplace(name, i);
        if (!inserted) {
          AddProblem(problems, JoinSpecPath(option_path, "_name"),
                     absl::StrCat("\"", name, "\" also names option ", it->second,
                                  "; each nested option needs its own _name"));
        }
        CheckSpace(option.nested().space(), option_path, /*nested=*/true, problems);
        break;
      }
      default:
        break;
    }
  }
}

void CheckNumeric(const v1::ParameterSpec& param, const std::string& path, Problems* problems) {
  const std::string value_path = JoinSpecPath(path, "_value");
  const v1::Distribution d = param.distribution();
  const std::string type = DistributionName(d);
  if (!param.options().empty()) {
    AddProblem(problems, value_path, absl::StrCat(type, " takes numbers, not choice options"));
    return;
  }
  const int arity = IsQuantized(d) ? 3 : 2;
  if (param.args_size() != arity) {
    std::string shape;
    if (d == v1::RANDINT) {
      shape = "[lower, upper]";
    } else if (IsNormalFamily(d)) {
      shape = IsQuantized(d) ? "[mu, sigma, q]" : "[mu, sigma]";
    } else {
      shape = IsQuantized(d) ? "[low, high, q]" : "[low, high]";
    }
    AddProblem(
        problems, value_path,
        absl::StrCat(type, " takes ", arity, " values ", shape, ", got ", param.args_size()));
    return;
  }
  for (double a : param.args()) {
    if (!std::isfinite(a)) {
      AddProblem(problems, value_path,
                 absl::StrCat("values must be finite numbers, got ", ArgsText(param)));
      return;
    }
  }
  const double a0 = param.args(0);
  const double a1 = param.args(1);
  if (d == v1::RANDINT) {
    if (a0 != std::trunc(a0) || a1 != std::trunc(a1)) {
      AddProblem(problems, value_path,
                 absl::StrCat("randint bounds must be integers, got ", ArgsText(param)));
    } else if (a0 >= a1) {
      AddProblem(problems, value_path,
                 absl::StrCat("lower (", FormatSpecNumber(a0), ") must be below upper (",
                              FormatSpecNumber(a1), "); upper is exclusive"));
    } else if (std::fabs(a0) > kMaxExactInteger || std::fabs(a1) > kMaxExactInteger) {
      // Beyond 2^53 a double no longer holds every integer: the values could not be drawn.
      AddProblem(problems, value_path,
                 absl::StrCat("randint bounds must lie within +/-2^53, got ", ArgsText(param)));
    }
    return;
  }
  if (IsNormalFamily(d)) {
    if (a1 <= 0) {
      AddProblem(problems, value_path,
                 absl::StrCat("sigma must be positive, got ", FormatSpecNumber(a1)));
    }
  } else {
    if (a0 >= a1) {
      AddProblem(problems, value_path,
                 absl::StrCat("low (", FormatSpecNumber(a0), ") must be below high (",
                              FormatSpecNumber(a1), ")"));
    }
    if (IsLogUniform(d) && a0 <= 0) {
      AddProblem(problems, value_path,
                 absl::StrCat(type, " needs low > 0 (it samples the logarithm), got ",
                              FormatSpecNumber(a0)));
    }
  }
  if (IsQuantized(d) && param.args(2) <= 0) {
    AddProblem(problems, value_path,
               absl::StrCat("q must be positive, got ", FormatSpecNumber(param.args(2))));
  }
}

void CheckSpace(const v1::SearchSpace& space, const std::string& prefix, bool nested,
                Problems* problems) {
  std::set<std::string> seen;
  for (const v1::ParameterSpec& param : space.parameters()) {
    if (param.name().empty()) {
      AddProblem(problems, prefix, "a parameter has an empty name");
      continue;
    }
    const std::string path = JoinSpecPath(prefix, param.name());
    if (!seen.insert(param.name()).second) {
      AddProblem(problems, path, "parameter defined twice");
      continue;
    }
    if (nested && param.name() == "_name") {
      AddProblem(problems, path, "\"_name\" names the option; it cannot be a parameter");
      continue;
    }
    if (param.distribution() == v1::CHOICE) {
      CheckChoice(param, path, problems);
    } else if (DistributionName(param.distribution()).empty()) {
      AddProblem(problems, JoinSpecPath(path, "_type"),
                 absl::StrCat("missing or unknown distribution; expected one of ",
                              absl::StrJoin(DistributionNames(), ", ")));
    } else {
      CheckNumeric(param, path, problems);
    }
  }
}

// Numeric value of a parameter value, if it is a number.
bool NumericValue(const v1::ParameterValue& v, double* out) {
  if (v.kind_case() == v1::ParameterValue::kDoubleValue) {
    *out = v.double_value();
    return true;
  }
  if (v.kind_case() == v1::ParameterValue::kIntValue) {
    *out = static_cast<double>(v.int_value());
    return true;
  }
  return false;
}

bool OptionMatches(const v1::ChoiceOption& option, const v1::ParameterValue& value) {
  double number = 0;
  switch (option.kind_case()) {
    case v1::ChoiceOption::kDoubleValue:
      return NumericValue(value, &number) && number == option.double_value();
    case v1::ChoiceOption::kIntValue:
      if (value.kind_case() == v1::ParameterValue::kIntValue) {
        return value.int_value() == option.int_value();
      }
      return NumericValue(value, &number) && number == static_cast<double>(option.int_value());
    case v1::ChoiceOption::kStringValue:
      return value.kind_case() == v1::ParameterValue::kStringValue &&
             value.string_value() == option.string_value();
    case v1::ChoiceOption::kBoolValue:
      return value.kind_case() == v1::ParameterValue::kBoolValue &&
             value.bool_value() == option.bool_value();
    default:
      return false;
  }
}

std::string ValueText(const v1::ParameterValue& v) {
  switch (v.kind_case()) {
    case v1::ParameterValue::kDoubleValue:
      return FormatSpecNumber(v.double_value());
    case v1::ParameterValue::kIntValue:
      return absl::StrCat(v.int_value());
    case v1::ParameterValue::kStringValue:
      return absl::StrCat("\"", v.string_value(), "\"");
    case v1::ParameterValue::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case v1::ParameterValue::kNested:
      return "a nested set";
    default:
      return "no value";
  }
}

void CheckPoint(const v1::ParameterSet& params, const v1::SearchSpace& space,
                const std::string& prefix, bool nested, Problems* problems);

void CheckPointValue(const v1::ParameterSpec& spec, const v1::ParameterValue& value,
                     const std::string& path, Problems* problems) {
  const v1::Distribution d = spec.distribution();
  if (d == v1::CHOICE) {
    if (value.kind_case() == v1::ParameterValue::kNested) {
      const v1::ParameterSet& chosen = value.nested();
      auto name_it = chosen.values().find("_name");
      if (name_it == chosen.values().end() ||
          name_it->second.kind_case() != v1::ParameterValue::kStringValue) {
        AddProblem(problems, path, "nested value needs a \"_name\" naming the chosen option");
        return;
      }
      for (const v1::ChoiceOption& option : spec.options()) {
        if (option.has_nested() && option.nested().name() == name_it->second.string_value()) {
          CheckPoint(chosen, option.nested().space(), path, /*nested=*/true, problems);
          return;
        }
      }
      AddProblem(problems, JoinSpecPath(path, "_name"),
                 absl::StrCat("\"", name_it->second.string_value(), "\" is not an option"));
      return;
    }
    for (const v1::ChoiceOption& option : spec.options()) {
      if (OptionMatches(option, value)) return;
    }
    AddProblem(problems, path,
               absl::StrCat(ValueText(value), " is not one of the choice's options"));
    return;
  }
  double number = 0;
  if (!NumericValue(value, &number) || !std::isfinite(number)) {
    AddProblem(problems, path, absl::StrCat("expected a number, got ", ValueText(value)));
    return;
  }
  if (spec.args_size() < 2) return;  // the space itself is invalid; reported elsewhere
  const double a0 = spec.args(0);
  const double a1 = spec.args(1);
  if (d == v1::RANDINT) {
    if (number != std::trunc(number) || number < a0 || number >= a1) {
      AddProblem(problems, path,
                 absl::StrCat(ValueText(value), " is not an integer in [", FormatSpecNumber(a0),
                              ", ", FormatSpecNumber(a1), ")"));
    }
  } else if (!IsNormalFamily(d)) {
    if (number < a0 || number > a1) {
      AddProblem(problems, path,
                 absl::StrCat(ValueText(value), " is outside [", FormatSpecNumber(a0), ", ",
                              FormatSpecNumber(a1), "]"));
    }
  }
}

void CheckPoint(const v1::ParameterSet& params, const v1::SearchSpace& space,
                const std::string& prefix, bool nested, Problems* problems) {
  std::set<std::string> known;
  for (const v1::ParameterSpec& spec : space.parameters()) {
    known.insert(spec.name());
    const std::string path = JoinSpecPath(prefix, spec.name());
    auto it = params.values().find(spec.name());
    if (it == params.values().end()) {
      AddProblem(problems, path, "missing (the search space defines it)");
      continue;
    }
    CheckPointValue(spec, it->second, path, problems);
  }
  std::vector<std::string> extra;
  for (const auto& [name, value] : params.values()) {
    if (nested && name == "_name") continue;
    if (known.count(name) == 0) extra.push_back(name);
  }
  std::sort(extra.begin(), extra.end());
  for (const std::string& name : extra) {
    AddProblem(problems, JoinSpecPath(prefix, name), "not a parameter of the search space");
  }
}

}  // namespace

std::vector<SpecProblem> FindSearchSpaceProblems(const v1::SearchSpace& space,
                                                 const std::string& path_prefix) {
  Problems problems;
  CheckSpace(space, path_prefix, /*nested=*/false, &problems);
  return problems;
}

std::vector<std::string> ValidateSearchSpace(const v1::SearchSpace& space,
                                             const std::string& path_prefix) {
  return ProblemStrings(FindSearchSpaceProblems(space, path_prefix));
}

std::vector<std::string> ValidateParameterSet(const v1::ParameterSet& params,
                                              const v1::SearchSpace& space,
                                              const std::string& path_prefix) {
  Problems problems;
  CheckPoint(params, space, path_prefix, /*nested=*/false, &problems);
  return ProblemStrings(problems);
}

const std::vector<std::string>& DistributionNames() {
  static const auto* const kNames =
      new std::vector<std::string>{"choice",      "randint", "uniform", "quniform",  "loguniform",
                                   "qloguniform", "normal",  "qnormal", "lognormal", "qlognormal"};
  return *kNames;
}

std::string DistributionName(v1::Distribution distribution) {
  const int index = static_cast<int>(distribution) - 1;  // CHOICE = 1 ... QLOGNORMAL = 10
  if (index < 0 || index >= static_cast<int>(DistributionNames().size())) return "";
  return DistributionNames()[index];
}

v1::Distribution DistributionFromName(const std::string& name) {
  const std::vector<std::string>& names = DistributionNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<v1::Distribution>(i + 1);
  }
  return v1::DISTRIBUTION_UNSPECIFIED;
}

}  // namespace dlkit
