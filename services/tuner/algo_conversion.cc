#include "services/tuner/algo_conversion.h"

#include <memory>
#include <string>

namespace dlkit {
namespace {

algos::ChoiceOption ToAlgoOption(const v1::ChoiceOption& option) {
  algos::ChoiceOption out;
  switch (option.kind_case()) {
    case v1::ChoiceOption::kDoubleValue:
      out.value = option.double_value();
      break;
    case v1::ChoiceOption::kIntValue:
      out.value = static_cast<int64_t>(option.int_value());
      break;
    case v1::ChoiceOption::kStringValue:
      out.value = option.string_value();
      break;
    case v1::ChoiceOption::kBoolValue:
      out.value = option.bool_value();
      break;
    case v1::ChoiceOption::kNested:
      out.is_nested = true;
      out.nested_name = option.nested().name();
      out.value = option.nested().name();
      out.sub_space = std::make_shared<algos::SearchSpace>(ToAlgoSpace(option.nested().space()));
      break;
    case v1::ChoiceOption::KIND_NOT_SET:
      break;
  }
  return out;
}

algos::Distribution ToAlgoDistribution(v1::Distribution d) {
  switch (d) {
    case v1::CHOICE:
      return algos::Distribution::kChoice;
    case v1::RANDINT:
      return algos::Distribution::kRandint;
    case v1::QUNIFORM:
      return algos::Distribution::kQuniform;
    case v1::LOGUNIFORM:
      return algos::Distribution::kLoguniform;
    case v1::QLOGUNIFORM:
      return algos::Distribution::kQloguniform;
    case v1::NORMAL:
      return algos::Distribution::kNormal;
    case v1::QNORMAL:
      return algos::Distribution::kQnormal;
    case v1::LOGNORMAL:
      return algos::Distribution::kLognormal;
    case v1::QLOGNORMAL:
      return algos::Distribution::kQlognormal;
    default:
      return algos::Distribution::kUniform;
  }
}

algos::Value ToAlgoValue(const v1::ParameterValue& value) {
  algos::Value out;
  switch (value.kind_case()) {
    case v1::ParameterValue::kDoubleValue:
      out.v = value.double_value();
      break;
    case v1::ParameterValue::kIntValue:
      out.v = static_cast<int64_t>(value.int_value());
      break;
    case v1::ParameterValue::kStringValue:
      out.v = value.string_value();
      break;
    case v1::ParameterValue::kBoolValue:
      out.v = value.bool_value();
      break;
    case v1::ParameterValue::kNested:
      out.v = std::make_shared<algos::Assignment>(ToAlgoAssignment(value.nested()));
      break;
    case v1::ParameterValue::KIND_NOT_SET:
      out.v = 0.0;
      break;
  }
  return out;
}

v1::ParameterValue FromAlgoValue(const algos::Value& value) {
  v1::ParameterValue out;
  if (auto* d = std::get_if<double>(&value.v)) {
    out.set_double_value(*d);
  } else if (auto* i = std::get_if<int64_t>(&value.v)) {
    out.set_int_value(*i);
  } else if (auto* s = std::get_if<std::string>(&value.v)) {
    out.set_string_value(*s);
  } else if (auto* b = std::get_if<bool>(&value.v)) {
    out.set_bool_value(*b);
  } else if (auto* n = std::get_if<std::shared_ptr<algos::Assignment>>(&value.v)) {
    if (*n) *out.mutable_nested() = FromAlgoAssignment(**n);
  }
  return out;
}

algos::TrialStatus ToAlgoStatus(v1::TrialState state) {
  switch (state) {
    case v1::RUNNING:
      return algos::TrialStatus::kRunning;
    case v1::SUCCEEDED:
      return algos::TrialStatus::kSucceeded;
    case v1::FAILED:
      return algos::TrialStatus::kFailed;
    case v1::EARLY_STOPPED:
      return algos::TrialStatus::kEarlyStopped;
    case v1::KILLED:
      return algos::TrialStatus::kKilled;
    default:
      return algos::TrialStatus::kWaiting;
  }
}

}  // namespace

algos::SearchSpace ToAlgoSpace(const v1::SearchSpace& space) {
  algos::SearchSpace out;
  for (const v1::ParameterSpec& p : space.parameters()) {
    algos::ParamSpec spec;
    spec.name = p.name();
    spec.distribution = ToAlgoDistribution(p.distribution());
    spec.args.assign(p.args().begin(), p.args().end());
    for (const v1::ChoiceOption& o : p.options()) spec.options.push_back(ToAlgoOption(o));
    out.params.push_back(std::move(spec));
  }
  return out;
}

algos::Assignment ToAlgoAssignment(const v1::ParameterSet& parameters) {
  algos::Assignment out;
  for (const auto& [name, value] : parameters.values()) out[name] = ToAlgoValue(value);
  return out;
}

v1::ParameterSet FromAlgoAssignment(const algos::Assignment& assignment) {
  v1::ParameterSet out;
  for (const auto& [name, value] : assignment) (*out.mutable_values())[name] = FromAlgoValue(value);
  return out;
}

algos::ClassArgs ToAlgoClassArgs(const v1::AlgorithmSpec& spec) {
  algos::ClassArgs out;
  for (const auto& [name, value] : spec.class_args()) {
    switch (value.kind_case()) {
      case v1::ParameterValue::kDoubleValue:
        out[name] = value.double_value();
        break;
      case v1::ParameterValue::kIntValue:
        out[name] = static_cast<int64_t>(value.int_value());
        break;
      case v1::ParameterValue::kStringValue:
        out[name] = value.string_value();
        break;
      case v1::ParameterValue::kBoolValue:
        out[name] = value.bool_value();
        break;
      default:
        break;  // nested values are not classArgs
    }
  }
  return out;
}

algos::TrialRecord ToAlgoRecord(const v1::TrialRecord& record) {
  algos::TrialRecord out;
  out.trial_id = record.trial_id();
  out.index = record.index();
  out.status = ToAlgoStatus(record.state());
  out.parameters = ToAlgoAssignment(record.parameters());
  if (record.has_final()) out.final_value = record.final_value();
  out.intermediate.assign(record.intermediate().begin(), record.intermediate().end());
  return out;
}

algos::AlgorithmOptions ToAlgoOptions(const v1::StudyConfig& config, bool for_assessor) {
  algos::AlgorithmOptions options;
  options.space = ToAlgoSpace(config.search_space());
  options.class_args = ToAlgoClassArgs(for_assessor ? config.assessor() : config.tuner());
  options.direction = config.objective().direction() == v1::MINIMIZE ? algos::Direction::kMinimize
                                                                     : algos::Direction::kMaximize;
  options.seed = static_cast<uint64_t>(config.seed());
  return options;
}

}  // namespace dlkit
