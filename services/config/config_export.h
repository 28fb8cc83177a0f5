#ifndef DLKIT_SERVICES_CONFIG_CONFIG_EXPORT_H_
#define DLKIT_SERVICES_CONFIG_CONFIG_EXPORT_H_

// ExperimentSpec -> the config file's JSON (NNI v2 keys), for export of specs that arrived
// without their source text. Parsing it back yields the same spec (source fields aside).

#include <nlohmann/json.hpp>

#include "dlkit/v1/types.pb.h"

namespace dlkit {

nlohmann::ordered_json ExperimentSpecToJson(const v1::ExperimentSpec& spec);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_CONFIG_CONFIG_EXPORT_H_
