#include "tuner_algos/sampling.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "tuner_algos/math_util.h"

namespace dlkit::algos {
namespace {

// Bounds of the uniform draw, on log scale for log types (as NNI's formatted space).
double BaseLow(const ParamSpec& spec) {
  return IsLogType(spec.distribution) ? std::log(spec.args[0]) : spec.args[0];
}
double BaseHigh(const ParamSpec& spec) {
  return IsLogType(spec.distribution) ? std::log(spec.args[1]) : spec.args[1];
}

double BaseToRaw(const ParamSpec& spec, double base) {
  return IsLogType(spec.distribution) ? std::exp(base) : base;
}

bool IsMultiple(double x, double q) {
  const double k = std::round(x / q);
  return std::fabs(x - k * q) <= 1e-9 * std::max(1.0, std::fabs(x));
}

bool ContainsNumber(const ParamSpec& spec, double x) {
  if (!std::isfinite(x)) return false;
  const Distribution d = spec.distribution;
  switch (d) {
    case Distribution::kUniform:
    case Distribution::kLoguniform:
      return spec.args[0] <= x && x <= spec.args[1];
    case Distribution::kQuniform:
    case Distribution::kQloguniform:
      return spec.args[0] <= x && x <= spec.args[1] &&
             (x == spec.args[0] || x == spec.args[1] || IsMultiple(x, spec.args[2]));
    case Distribution::kNormal:
      return true;
    case Distribution::kLognormal:
      return x >= 0;  // exp() of a very negative draw underflows to 0
    case Distribution::kQnormal:
      return IsMultiple(x, spec.args[2]);
    case Distribution::kQlognormal:
      return x >= 0 && IsMultiple(x, spec.args[2]);
    default:
      return false;
  }
}

bool ContainsParams(const SearchSpace& space, const Assignment& assignment, size_t extra_keys);

bool ContainsValue(const ParamSpec& spec, const Value& value) {
  if (spec.distribution == Distribution::kChoice) {
    const auto* nested = std::get_if<std::shared_ptr<Assignment>>(&value.v);
    for (const ChoiceOption& option : spec.options) {
      if (!option.is_nested) {
        if (OptionValue(option) == value) return true;
        continue;
      }
      if (nested == nullptr || *nested == nullptr) continue;
      auto name = (*nested)->find("_name");
      if (name == (*nested)->end() || name->second != Value{option.nested_name}) continue;
      if (option.sub_space == nullptr) return (*nested)->size() == 1;
      return ContainsParams(*option.sub_space, **nested, 1);
    }
    return false;
  }
  if (spec.distribution == Distribution::kRandint) {
    const int64_t* i = std::get_if<int64_t>(&value.v);
    return i != nullptr && RandintLower(spec) <= *i && *i < RandintUpper(spec);
  }
  if (const double* d = std::get_if<double>(&value.v)) return ContainsNumber(spec, *d);
  if (const int64_t* i = std::get_if<int64_t>(&value.v)) {
    return ContainsNumber(spec, static_cast<double>(*i));
  }
  return false;
}

// `extra_keys` counts keys that are not parameters (a nested option's "_name").
bool ContainsParams(const SearchSpace& space, const Assignment& assignment, size_t extra_keys) {
  if (assignment.size() != space.params.size() + extra_keys) return false;
  for (const ParamSpec& spec : space.params) {
    auto it = assignment.find(spec.name);
    if (it == assignment.end() || !ContainsValue(spec, it->second)) return false;
  }
  return true;
}

}  // namespace

Value OptionValue(const ChoiceOption& option) {
  if (option.is_nested) {
    auto nested = std::make_shared<Assignment>();
    (*nested)["_name"] = Value{option.nested_name};
    return Value{nested};
  }
  return std::visit([](const auto& x) { return Value{x}; }, option.value);
}

int64_t RandintLower(const ParamSpec& spec) {
  return static_cast<int64_t>(std::ceil(spec.args[0]));
}

int64_t RandintUpper(const ParamSpec& spec) {
  return static_cast<int64_t>(std::ceil(spec.args[1]));
}

double RawFromUnit(const ParamSpec& spec, double unit) {
  if (IsNormalType(spec.distribution)) {
    return BaseToRaw(spec, spec.args[0] + spec.args[1] * NormalQuantile(unit));
  }
  const double low = BaseLow(spec);
  return BaseToRaw(spec, low + (BaseHigh(spec) - low) * unit);
}

double Quantize(const ParamSpec& spec, double raw) {
  const Distribution d = spec.distribution;
  double x = raw;
  if (IsQuantizedType(d)) x = RoundHalfEven(x / spec.args[2]) * spec.args[2];
  if (d == Distribution::kQuniform || d == Distribution::kQloguniform ||
      d == Distribution::kLoguniform) {
    x = std::clamp(x, spec.args[0], spec.args[1]);
  }
  return x;
}

Value SampleValue(const ParamSpec& spec, std::mt19937_64& rng) {
  switch (spec.distribution) {
    case Distribution::kChoice: {
      std::uniform_int_distribution<size_t> pick(0, spec.options.size() - 1);
      const ChoiceOption& option = spec.options[pick(rng)];
      Value value = OptionValue(option);
      if (option.is_nested && option.sub_space != nullptr) {
        auto& nested = *std::get<std::shared_ptr<Assignment>>(value.v);
        for (auto& [name, sub_value] : SampleAssignment(*option.sub_space, rng)) {
          nested[name] = std::move(sub_value);
        }
      }
      return value;
    }
    case Distribution::kRandint: {
      std::uniform_int_distribution<int64_t> pick(RandintLower(spec), RandintUpper(spec) - 1);
      return Value{pick(rng)};
    }
    default:
      break;
  }
  double base;
  if (IsNormalType(spec.distribution)) {
    base = std::normal_distribution<double>(spec.args[0], spec.args[1])(rng);
  } else {
    base = std::uniform_real_distribution<double>(BaseLow(spec), BaseHigh(spec))(rng);
  }
  return Value{Quantize(spec, BaseToRaw(spec, base))};
}

Assignment SampleAssignment(const SearchSpace& space, std::mt19937_64& rng) {
  Assignment assignment;
  for (const ParamSpec& spec : space.params) assignment[spec.name] = SampleValue(spec, rng);
  return assignment;
}

bool Contains(const SearchSpace& space, const Assignment& assignment) {
  return ContainsParams(space, assignment, 0);
}

std::optional<size_t> OptionIndex(const ParamSpec& spec, const Value& value) {
  const auto* nested = std::get_if<std::shared_ptr<Assignment>>(&value.v);
  for (size_t i = 0; i < spec.options.size(); ++i) {
    const ChoiceOption& option = spec.options[i];
    if (option.is_nested) {
      if (nested == nullptr || *nested == nullptr) continue;
      auto name = (*nested)->find("_name");
      if (name != (*nested)->end() && name->second == Value{option.nested_name}) return i;
      continue;
    }
    const Value plain = OptionValue(option);
    if (plain == value) return i;
    std::optional<double> a = AsNumber(plain);
    std::optional<double> b = AsNumber(value);
    if (a.has_value() && b.has_value() && *a == *b) return i;
  }
  return std::nullopt;
}

}  // namespace dlkit::algos
