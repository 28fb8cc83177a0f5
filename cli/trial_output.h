#ifndef DLKIT_CLI_TRIAL_OUTPUT_H_
#define DLKIT_CLI_TRIAL_OUTPUT_H_

// The output of the trial commands (`trials`, `export`, the watch's top trials): sorting,
// the table, JSON and CSV. No I/O and no clock: callers pass `now`.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/options.h"
#include "dlkit/v1/types.pb.h"

namespace dlkit::cli {

// True when `a` is a better objective value than `b` (MINIMIZE: smaller; else larger).
bool IsBetter(double a, double b, v1::Direction direction);

// Started→ended, or started→now while running; nullopt before it started.
std::optional<absl::Duration> TrialDuration(const v1::Trial& trial, absl::Time now);

// Stable sort. kMetric puts the best final value first (per `direction`), trials without
// a final value last; kDuration longest first; kIndex and kStarted ascending. `reverse`
// flips the order of the trials that have a key (missing keys stay last).
void SortTrials(std::vector<v1::Trial>* trials, TrialSort sort, v1::Direction direction,
                bool reverse, absl::Time now);

// The `trials` table: #, TRIAL, STATUS, <metric>, LATEST, DURATION, PARAMETERS.
// `params_width` > 0 truncates the parameter column.
std::string RenderTrialsTable(const std::vector<v1::Trial>& trials, const v1::Objective& objective,
                              absl::Time now, size_t params_width = 0);

// One trial as the SDK user sees it: id, index, status, parameters (nested), final
// (number|null), intermediate, loss, exit_code (null until it ended), signal, started,
// ended (RFC 3339|null), duration_s (number|null), reason, attempt.
nlohmann::json TrialToJson(const v1::Trial& trial, absl::Time now);
nlohmann::json TrialsToJson(const std::vector<v1::Trial>& trials, absl::Time now);

// RFC 4180: quotes fields holding commas, quotes or line breaks; doubles inner quotes.
std::string CsvEscape(absl::string_view field);

// One row per trial: id, index, status, each flattened parameter, final, exit_code,
// started, ended, duration_s. Lines end with "\n".
std::string TrialsToCsv(const std::vector<v1::Trial>& trials, const v1::SearchSpace& space,
                        absl::Time now);

// Trials with a final value, best first, at most `n`.
std::vector<v1::Trial> TopTrials(const std::vector<v1::Trial>& trials, v1::Direction direction,
                                 size_t n);

}  // namespace dlkit::cli

#endif  // DLKIT_CLI_TRIAL_OUTPUT_H_
