#ifndef DLKIT_SERVICES_COMMON_TEXT_PARSING_H_
#define DLKIT_SERVICES_COMMON_TEXT_PARSING_H_

// Small text helpers shared by the config loader and the CLI.

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dlkit {

// Levenshtein distance, for "did you mean ...?" suggestions.
size_t EditDistance(absl::string_view a, absl::string_view b);

// NNI-style durations: "90s", "30m", "2h", "1d", "1.5h", "1h30m", or a bare number of
// seconds. INVALID_ARGUMENT naming the text otherwise.
absl::StatusOr<absl::Duration> ParseHumanDuration(absl::string_view text);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_TEXT_PARSING_H_
