#ifndef DLKIT_SERVICES_CONFIG_SEARCH_SPACE_CONFIG_H_
#define DLKIT_SERVICES_CONFIG_SEARCH_SPACE_CONFIG_H_

// Search spaces in NNI's JSON format <-> SearchSpace: `{"lr": {"_type": "loguniform",
// "_value": [1e-4, 0.1]}, ...}`, nested choices included. Shape problems are reported while
// converting, then the semantic checks of search_space_validation.h run on the result.

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "dlkit/v1/types.pb.h"
#include "services/config/config_reader.h"

namespace dlkit {

// A search space alone, with every problem reported under `path_prefix` (e.g.
// "searchSpace"; "" for paths starting at the parameter names).
absl::StatusOr<v1::SearchSpace> ParseSearchSpaceJson(const std::string& text,
                                                     const std::string& path_prefix);

// NNI's search space JSON, parameters in the spec's order (hence ordered_json; it converts
// to nlohmann::json implicitly if you need that type).
nlohmann::ordered_json SearchSpaceToJson(const v1::SearchSpace& space);

namespace config {

// The same inside a larger parse: every problem goes to `report`.
void ParseSearchSpace(const Json& j, const std::string& prefix, v1::SearchSpace* out,
                      Report* report);

}  // namespace config
}  // namespace dlkit

#endif  // DLKIT_SERVICES_CONFIG_SEARCH_SPACE_CONFIG_H_
