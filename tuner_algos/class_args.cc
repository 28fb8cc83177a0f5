#include "tuner_algos/class_args.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dlkit::algos {
namespace {

// The integer an arg holds, if it holds one.
std::optional<int64_t> AsInt(const ClassArgs::mapped_type& value) {
  if (const int64_t* i = std::get_if<int64_t>(&value)) return *i;
  if (const double* d = std::get_if<double>(&value)) {
    if (std::isfinite(*d) && std::trunc(*d) == *d && std::fabs(*d) < 9.2e18) {
      return static_cast<int64_t>(*d);
    }
  }
  return std::nullopt;
}

}  // namespace

absl::Status CheckKnownArgs(const ClassArgs& args, const std::vector<std::string>& accepted,
                            const std::string& algorithm) {
  for (const auto& [key, value] : args) {
    if (std::find(accepted.begin(), accepted.end(), key) != accepted.end()) continue;
    return absl::InvalidArgumentError(
        absl::StrCat("unknown classArg \"", key, "\" for ", algorithm,
                     "; accepted: ", accepted.empty() ? "none" : absl::StrJoin(accepted, ", ")));
  }
  return absl::OkStatus();
}

absl::StatusOr<Direction> DirectionArg(const ClassArgs& args, Direction fallback) {
  auto it = args.find("optimize_mode");
  if (it == args.end()) return fallback;
  const std::string* mode = std::get_if<std::string>(&it->second);
  if (mode != nullptr && *mode == "maximize") return Direction::kMaximize;
  if (mode != nullptr && *mode == "minimize") return Direction::kMinimize;
  return absl::InvalidArgumentError(
      "classArg \"optimize_mode\" must be \"maximize\" or \"minimize\"");
}

absl::StatusOr<int64_t> IntArg(const ClassArgs& args, const std::string& key, int64_t fallback,
                               int64_t min, int64_t max) {
  auto it = args.find(key);
  if (it == args.end()) return fallback;
  std::optional<int64_t> value = AsInt(it->second);
  if (!value.has_value() || *value < min || *value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("classArg \"", key, "\" must be an integer in [", min, ", ", max, "]"));
  }
  return *value;
}

absl::StatusOr<double> DoubleArg(const ClassArgs& args, const std::string& key, double fallback,
                                 double min, double max) {
  auto it = args.find(key);
  if (it == args.end()) return fallback;
  std::optional<double> value;
  if (const double* d = std::get_if<double>(&it->second)) value = *d;
  if (const int64_t* i = std::get_if<int64_t>(&it->second)) value = static_cast<double>(*i);
  if (!value.has_value() || !(*value >= min && *value <= max)) {
    return absl::InvalidArgumentError(
        absl::StrCat("classArg \"", key, "\" must be a number in [", min, ", ", max, "]"));
  }
  return *value;
}

absl::StatusOr<bool> BoolArg(const ClassArgs& args, const std::string& key, bool fallback) {
  auto it = args.find(key);
  if (it == args.end()) return fallback;
  if (const bool* b = std::get_if<bool>(&it->second)) return *b;
  return absl::InvalidArgumentError(absl::StrCat("classArg \"", key, "\" must be true or false"));
}

absl::StatusOr<uint64_t> SeedArg(const ClassArgs& args, uint64_t fallback) {
  auto it = args.find("seed");
  if (it == args.end()) return fallback;
  std::optional<int64_t> value = AsInt(it->second);
  if (!value.has_value()) {
    return absl::InvalidArgumentError("classArg \"seed\" must be an integer");
  }
  return static_cast<uint64_t>(*value);
}

}  // namespace dlkit::algos
