#ifndef DLKIT_TUNER_ALGOS_SEARCH_SPACE_H_
#define DLKIT_TUNER_ALGOS_SEARCH_SPACE_H_

// A plain C++ view of an NNI-format search space and of parameter values. The algorithms in
// tuner_algos/ see only these types (no protobuf, no gRPC); services/tuner converts.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"

namespace dlkit::algos {

enum class Distribution {
  kChoice,
  kRandint,
  kUniform,
  kQuniform,
  kLoguniform,
  kQloguniform,
  kNormal,
  kQnormal,
  kLognormal,
  kQlognormal,
};

struct SearchSpace;
struct Value;

// Parameter values shaped as NNI hands them to a trial: a chosen nested option of a
// `choice` is itself an Assignment holding "_name" and its own parameters.
using Assignment = std::map<std::string, Value>;

struct Value {
  // double, integer, string, bool, or a nested assignment.
  std::variant<double, int64_t, std::string, bool, std::shared_ptr<Assignment>> v;

  bool operator==(const Value& other) const;
  bool operator!=(const Value& other) const { return !(*this == other); }
};

struct ChoiceOption {
  // A plain value, or (when nested_name is non-empty / is_nested) a sub-space.
  std::variant<double, int64_t, std::string, bool> value;
  bool is_nested = false;
  std::string nested_name;                 // the option's "_name"
  std::shared_ptr<SearchSpace> sub_space;  // its parameters (maybe none)
};

struct ParamSpec {
  std::string name;
  Distribution distribution = Distribution::kUniform;
  std::vector<double> args;           // [low, high(, q)] / [mu, sigma(, q)] / [lower, upper]
  std::vector<ChoiceOption> options;  // kChoice only
};

struct SearchSpace {
  std::vector<ParamSpec> params;  // in the order the user wrote them
};

// NNI's `_type` spelling ("choice", "qloguniform", ...).
std::string DistributionName(Distribution distribution);

// (q)loguniform and (q)lognormal: drawn on a log scale.
bool IsLogType(Distribution d);
// (q)normal and (q)lognormal: unbounded, parameterised by mu and sigma.
bool IsNormalType(Distribution d);
// The q-types: values lie on a grid of step q.
bool IsQuantizedType(Distribution d);

// A numeric value (double or integer) as a double; nullopt for strings, bools, nested.
std::optional<double> AsNumber(const Value& value);

// OK, or INVALID_ARGUMENT naming the first bad parameter by its path (e.g.
// `optimizer._value[1].beta: low must be < high`): wrong arity, low >= high, log of <= 0,
// q <= 0, sigma <= 0, non-finite numbers, an empty choice, a nested option without a name,
// duplicate parameter names, a parameter named "_name".
absl::Status ValidateSearchSpace(const SearchSpace& space);

// A canonical string for an assignment: equal exactly when both hold the same keys and
// values, numbers compared by value whether stored as int or double (1 == 1.0).
std::string AssignmentKey(const Assignment& assignment);

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_SEARCH_SPACE_H_
