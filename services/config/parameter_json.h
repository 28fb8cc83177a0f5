#ifndef DLKIT_SERVICES_CONFIG_PARAMETER_JSON_H_
#define DLKIT_SERVICES_CONFIG_PARAMETER_JSON_H_

// Parameter sets (and classArgs) <-> JSON as NNI hands them to a trial: a JSON object; a
// chosen nested option is an object holding "_name" and its own parameters.

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "dlkit/v1/types.pb.h"
#include "services/config/config_reader.h"

namespace dlkit {

nlohmann::json ParameterSetToJson(const v1::ParameterSet& params);
// The reverse; numbers that are JSON integers become int_value, others double_value. A
// nested object needs its "_name". Errors name paths under `path` (e.g. "parameters").
absl::StatusOr<v1::ParameterSet> ParameterSetFromJson(const nlohmann::json& json,
                                                      const std::string& path);
absl::StatusOr<v1::ParameterSet> ParameterSetFromJson(const nlohmann::ordered_json& json,
                                                      const std::string& path);

namespace config {

// The same inside a larger parse (J is nlohmann::json or config::Json): problems go to
// `report`; `nested_needs_name` is false for classArgs, whose objects are plain values.
template <typename J>
bool ValueFromJson(const J& j, const std::string& path, bool nested_needs_name, Report* report,
                   v1::ParameterValue* out);
template <typename J>
bool SetFromJson(const J& j, const std::string& path, bool nested_needs_name, Report* report,
                 v1::ParameterSet* out);
// "_name" first, then by name, for stable output.
template <typename J>
J SetToJson(const v1::ParameterSet& set);

}  // namespace config
}  // namespace dlkit

#endif  // DLKIT_SERVICES_CONFIG_PARAMETER_JSON_H_
