#include "tuner_algos/search_space.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dlkit::algos {
namespace {

absl::Status Invalid(const std::string& path, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
}

absl::Status ValidateSpace(const SearchSpace& space, const std::string& prefix);

absl::Status ValidateChoice(const ParamSpec& spec, const std::string& path) {
  if (!spec.args.empty()) return Invalid(path, "choice takes options, not numeric args");
  if (spec.options.empty()) return Invalid(path, "choice needs at least one option");
  for (size_t i = 0; i < spec.options.size(); ++i) {
    const ChoiceOption& option = spec.options[i];
    const std::string option_path = absl::StrCat(path, "._value[", i, "]");
    if (const double* d = std::get_if<double>(&option.value); d && !std::isfinite(*d)) {
      return Invalid(option_path, "option must be a finite number");
    }
    if (!option.is_nested) continue;
    if (option.nested_name.empty()) return Invalid(option_path, "nested option needs a _name");
    if (option.sub_space != nullptr) {
      absl::Status status = ValidateSpace(*option.sub_space, option_path + ".");
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateNumeric(const ParamSpec& spec, const std::string& path) {
  const Distribution d = spec.distribution;
  const size_t arity = IsQuantizedType(d) ? 3 : 2;
  if (spec.args.size() != arity) {
    return Invalid(path, absl::StrCat(DistributionName(d), " takes ", arity, " numbers, got ",
                                      spec.args.size()));
  }
  if (!spec.options.empty()) return Invalid(path, "only choice takes options");
  for (double a : spec.args) {
    if (!std::isfinite(a)) return Invalid(path, "arguments must be finite numbers");
  }
  if (IsQuantizedType(d) && spec.args[2] <= 0) return Invalid(path, "q must be > 0");
  if (d == Distribution::kRandint) {
    if (std::ceil(spec.args[0]) >= std::ceil(spec.args[1])) {
      return Invalid(path, "randint needs lower < upper (upper is exclusive)");
    }
    return absl::OkStatus();
  }
  if (IsNormalType(d)) {
    if (spec.args[1] <= 0) return Invalid(path, "sigma must be > 0");
    return absl::OkStatus();
  }
  if (spec.args[0] >= spec.args[1]) return Invalid(path, "low must be < high");
  if ((d == Distribution::kLoguniform || d == Distribution::kQloguniform) && spec.args[0] <= 0) {
    return Invalid(path, "low must be > 0 for a log distribution");
  }
  return absl::OkStatus();
}

absl::Status ValidateSpace(const SearchSpace& space, const std::string& prefix) {
  std::set<std::string> names;
  for (const ParamSpec& spec : space.params) {
    const std::string path = prefix + spec.name;
    if (spec.name.empty()) return Invalid(prefix + "<empty>", "parameter needs a name");
    if (spec.name == "_name") return Invalid(path, "_name is reserved for nested options");
    if (!names.insert(spec.name).second) return Invalid(path, "duplicate parameter name");
    absl::Status status = spec.distribution == Distribution::kChoice ? ValidateChoice(spec, path)
                                                                     : ValidateNumeric(spec, path);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

std::string ValueKey(const Value& value);

std::string NumberKey(double x) {
  return absl::StrFormat("n%.17g", x + 0.0);  // + 0.0 folds -0.0 into 0.0
}

std::string ValueKey(const Value& value) {
  if (const double* d = std::get_if<double>(&value.v)) return NumberKey(*d);
  if (const int64_t* i = std::get_if<int64_t>(&value.v)) {
    // Beyond 2^53 a double cannot hold the integer: keep those exact.
    if (std::llabs(*i) < (int64_t{1} << 53)) return NumberKey(static_cast<double>(*i));
    return absl::StrCat("i", *i);
  }
  if (const std::string* s = std::get_if<std::string>(&value.v)) {
    return absl::StrCat("s", s->size(), ":", *s);
  }
  if (const bool* b = std::get_if<bool>(&value.v)) return *b ? "T" : "F";
  const auto& nested = std::get<std::shared_ptr<Assignment>>(value.v);
  return nested == nullptr ? "{}" : AssignmentKey(*nested);
}

}  // namespace

bool Value::operator==(const Value& other) const {
  if (v.index() != other.v.index()) return false;
  if (const auto* a = std::get_if<std::shared_ptr<Assignment>>(&v)) {
    const auto& b = std::get<std::shared_ptr<Assignment>>(other.v);
    if (*a == nullptr || b == nullptr) return *a == nullptr && b == nullptr;
    return **a == *b;
  }
  return v == other.v;
}

std::string DistributionName(Distribution distribution) {
  switch (distribution) {
    case Distribution::kChoice:
      return "choice";
    case Distribution::kRandint:
      return "randint";
    case Distribution::kUniform:
      return "uniform";
    case Distribution::kQuniform:
      return "quniform";
    case Distribution::kLoguniform:
      return "loguniform";
    case Distribution::kQloguniform:
      return "qloguniform";
    case Distribution::kNormal:
      return "normal";
    case Distribution::kQnormal:
      return "qnormal";
    case Distribution::kLognormal:
      return "lognormal";
    case Distribution::kQlognormal:
      return "qlognormal";
  }
  return "unknown";
}

absl::Status ValidateSearchSpace(const SearchSpace& space) { return ValidateSpace(space, ""); }

std::string AssignmentKey(const Assignment& assignment) {
  std::string key = "{";
  for (const auto& [name, value] : assignment) {
    absl::StrAppend(&key, name.size(), ":", name, "=", ValueKey(value), ";");
  }
  return key + "}";
}

bool IsLogType(Distribution d) {
  return d == Distribution::kLoguniform || d == Distribution::kQloguniform ||
         d == Distribution::kLognormal || d == Distribution::kQlognormal;
}

bool IsNormalType(Distribution d) {
  return d == Distribution::kNormal || d == Distribution::kQnormal ||
         d == Distribution::kLognormal || d == Distribution::kQlognormal;
}

bool IsQuantizedType(Distribution d) {
  return d == Distribution::kQuniform || d == Distribution::kQloguniform ||
         d == Distribution::kQnormal || d == Distribution::kQlognormal;
}

std::optional<double> AsNumber(const Value& value) {
  if (const double* d = std::get_if<double>(&value.v)) return *d;
  if (const int64_t* i = std::get_if<int64_t>(&value.v)) return static_cast<double>(*i);
  return std::nullopt;
}

}  // namespace dlkit::algos
