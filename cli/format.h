#ifndef DLKIT_CLI_FORMAT_H_
#define DLKIT_CLI_FORMAT_H_

// Pure rendering helpers of dlctl: tables, durations, progress bar, trial CSV/JSON. No I/O
// and no clock: callers pass `now` so the output is reproducible in tests.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/text_parsing.h"
#include "cli/options.h"
#include "dlkit/v1/types.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace dlkit::cli {

// ---- tables -------------------------------------------------------------------------------

enum class Align { kLeft, kRight };

struct TableColumn {
  std::string header;
  Align align = Align::kLeft;
};

// Columns separated by two spaces, padded to the widest cell (UTF-8 aware), no trailing
// blanks. Missing cells in short rows render empty.
std::string RenderTable(const std::vector<TableColumn>& columns,
                        const std::vector<std::vector<std::string>>& rows);

// "key:   value" lines with the values aligned.
std::string RenderKeyValues(const std::vector<std::pair<std::string, std::string>>& items);

// Number of terminal columns a UTF-8 string takes (one per code point).
size_t DisplayWidth(absl::string_view utf8);

// Cuts `text` to at most `width` columns, ending with "…" when it was cut.
std::string Truncate(absl::string_view text, size_t width);

// ---- values -------------------------------------------------------------------------------

// "45s", "3m05s", "1h02m03s", "2d03h04m"; negative durations render as "0s".
std::string FormatShortDuration(absl::Duration d);

// Durations are parsed by the shared dlkit::ParseHumanDuration.
using ::dlkit::ParseHumanDuration;

// RFC 3339 in UTC ("2024-05-01T12:00:00Z"); empty when the timestamp is unset.
std::string FormatTimestamp(const google::protobuf::Timestamp& ts);
// The same with milliseconds, for machine-readable output (JSON, CSV).
std::string FormatPreciseTimestamp(const google::protobuf::Timestamp& ts);
bool IsSet(const google::protobuf::Timestamp& ts);
absl::Time ToAbslTime(const google::protobuf::Timestamp& ts);
absl::Duration ToAbslDuration(const google::protobuf::Duration& d);

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
bool IsTerminal(v1::TrialState state);
bool IsTerminal(v1::ExperimentState state);

// ---- parameters ---------------------------------------------------------------------------

// Flattened parameters, nested choices as "model/_name", "model/hidden"; keys sorted.
std::vector<std::pair<std::string, std::string>> FlattenParameters(
    const v1::ParameterSet& parameters);

// "lr=0.01 model/_name=cnn model/hidden=64".
std::string FormatParametersInline(const v1::ParameterSet& parameters);

// CSV parameter columns: the search space's order (a nested choice contributes
// "name/_name" and its sub-parameters), then keys only the trials have, sorted.
std::vector<std::string> ParameterColumns(const v1::SearchSpace& space,
                                          const std::vector<v1::Trial>& trials);

// ---- trials -------------------------------------------------------------------------------

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

// ---- experiments --------------------------------------------------------------------------


// Finished trials (succeeded, failed, early stopped, killed).
int DoneCount(const v1::TrialCounts& counts);

// Elapsed running time as of `now`: the server's value plus the time since it was sent
// while the experiment runs.
absl::Duration ElapsedAt(const v1::Experiment& experiment, absl::Time received, absl::Time now);

// "[#######-------------]" with `width` cells between the brackets; a total of 0 (no
// limit) renders an empty bar.
std::string RenderProgressBar(int done, int total, int width);

// "[####----] 4/10 trials | 2 running | 1 failed | 3m05s | best 0.93 (#3)".
// `best_label` names the best trial (e.g. "#3"); empty omits it.
std::string FormatProgressLine(const v1::Experiment& experiment, absl::Duration elapsed,
                               absl::string_view best_label);

// The block `submit --watch` redraws: title, progress line, top-5 trials by final value.
std::string RenderWatchBlock(const v1::Experiment& experiment, const std::vector<v1::Trial>& trials,
                             absl::Duration elapsed, absl::Time now);

// Trials with a final value, best first, at most `n`.
std::vector<v1::Trial> TopTrials(const std::vector<v1::Trial>& trials, v1::Direction direction,
                                 size_t n);

std::string RenderExperimentsTable(const std::vector<v1::Experiment>& experiments);

// `status` in table mode: key/value lines.
std::string RenderExperimentStatus(const v1::Experiment& experiment);

// id, name, state, reason, created, ended, elapsed_s, trials{...}, max_trial_number,
// trial_concurrency, max_experiment_duration_s, objective{metric,direction}, tuner,
// assessor, best{trial_id,value}|null, manager_address, log_directory, dashboard|null
// (the page the daemon's dashboard serves for it; null when it serves none).
nlohmann::json ExperimentToJson(const v1::Experiment& experiment);

}  // namespace dlkit::cli

#endif  // DLKIT_CLI_FORMAT_H_
