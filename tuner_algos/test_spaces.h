#ifndef DLKIT_TUNER_ALGOS_TEST_SPACES_H_
#define DLKIT_TUNER_ALGOS_TEST_SPACES_H_

// Terse builders of search spaces for tests.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tuner_algos/search_space.h"

namespace dlkit::algos::testing {

inline ParamSpec Param(std::string name, Distribution distribution, std::vector<double> args) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.distribution = distribution;
  spec.args = std::move(args);
  return spec;
}

inline ChoiceOption Plain(std::variant<double, int64_t, std::string, bool> value) {
  ChoiceOption option;
  option.value = std::move(value);
  return option;
}

inline ChoiceOption Nested(std::string name, std::vector<ParamSpec> params) {
  ChoiceOption option;
  option.is_nested = true;
  option.nested_name = std::move(name);
  option.sub_space = std::make_shared<SearchSpace>(SearchSpace{std::move(params)});
  return option;
}

inline ParamSpec Choice(std::string name, std::vector<ChoiceOption> options) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.distribution = Distribution::kChoice;
  spec.options = std::move(options);
  return spec;
}

inline double AsDouble(const Value& value) {
  if (const auto* i = std::get_if<int64_t>(&value.v)) return static_cast<double>(*i);
  return std::get<double>(value.v);
}

inline const Assignment& AsNested(const Value& value) {
  return *std::get<std::shared_ptr<Assignment>>(value.v);
}

}  // namespace dlkit::algos::testing

#endif  // DLKIT_TUNER_ALGOS_TEST_SPACES_H_
