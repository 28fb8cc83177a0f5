#ifndef DLKIT_CLI_VALUE_FORMAT_H_
#define DLKIT_CLI_VALUE_FORMAT_H_

// How dlctl writes single values: durations, timestamps, metrics, states and parameters.
// No I/O and no clock: callers pass `now` so the output is reproducible in tests.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/text_parsing.h"
#include "dlkit/v1/types.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace dlkit::cli {

// "45s", "3m05s", "1h02m03s", "2d03h04m"; negative durations render as "0s".
std::string FormatShortDuration(absl::Duration d);

// Durations are parsed by the shared dlkit::ParseHumanDuration.
using ::dlkit::ParseHumanDuration;

// RFC 3339 in UTC ("2024-05-01T12:00:00Z"); empty when the timestamp is unset.
std::string FormatTimestamp(const google::protobuf::Timestamp& ts);
// The same with milliseconds, for machine-readable output (JSON, CSV).
std::string FormatPreciseTimestamp(const google::protobuf::Timestamp& ts);
bool IsSet(const google::protobuf::Timestamp& ts);
// FormatPreciseTimestamp, or null when the timestamp is unset (for JSON).
nlohmann::json TimeOrNull(const google::protobuf::Timestamp& ts);

// A metric for tables: 6 significant digits.
std::string FormatMetric(double value);
// A number exactly (shortest form that reads back the same); "nan"/"inf" for non-finite.
std::string FormatExact(double value);

// "SUCCEEDED", "EARLY_STOPPED", ...; "UNKNOWN" for unspecified.
std::string TrialStateName(v1::TrialState state);
// "RUNNING", "DONE", "STOPPED", "FAILED".
std::string ExperimentStateName(v1::ExperimentState state);
// Case-insensitive; accepts "-" for "_" and NNI's "USER_CANCELED" as KILLED.
absl::StatusOr<v1::TrialState> ParseTrialState(absl::string_view text);

// Flattened parameters, nested choices as "model/_name", "model/hidden"; keys sorted.
std::vector<std::pair<std::string, std::string>> FlattenParameters(
    const v1::ParameterSet& parameters);

// "lr=0.01 model/_name=cnn model/hidden=64".
std::string FormatParametersInline(const v1::ParameterSet& parameters);

// CSV parameter columns: the search space's order (a nested choice contributes
// "name/_name" and its sub-parameters), then keys only the trials have, sorted.
std::vector<std::string> ParameterColumns(const v1::SearchSpace& space,
                                          const std::vector<v1::Trial>& trials);

}  // namespace dlkit::cli

#endif  // DLKIT_CLI_VALUE_FORMAT_H_
