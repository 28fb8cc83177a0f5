#ifndef DLKIT_BASE_TEXT_PARSING_H_
#define DLKIT_BASE_TEXT_PARSING_H_

// Small text helpers shared by the config reader, the CLI and the services.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dlkit {

// Levenshtein distance, for "did you mean ...?" suggestions.
size_t EditDistance(absl::string_view a, absl::string_view b);

// NNI-style durations: "90s", "30m", "2h", "1d", "1.5h", "1h30m", or a bare number of
// seconds. INVALID_ARGUMENT naming the text otherwise.
absl::StatusOr<absl::Duration> ParseHumanDuration(absl::string_view text);

// The same in whole seconds (rounded up), as config files store them.
absl::StatusOr<int64_t> ParseDurationSeconds(absl::string_view text);
// The shortest of those forms that reads back exactly ("2h", "90m", "45s").
std::string FormatDurationSeconds(int64_t seconds);

}  // namespace dlkit

#endif  // DLKIT_BASE_TEXT_PARSING_H_
