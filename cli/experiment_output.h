#ifndef DLKIT_CLI_EXPERIMENT_OUTPUT_H_
#define DLKIT_CLI_EXPERIMENT_OUTPUT_H_

// The output of the experiment commands (`list`, `status`) and of `submit --watch`:
// tables, key/value blocks, JSON, the progress line. No I/O and no clock.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "dlkit/v1/types.pb.h"

namespace dlkit::cli {

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

std::string RenderExperimentsTable(const std::vector<v1::Experiment>& experiments);

// `status` in table mode: key/value lines.
std::string RenderExperimentStatus(const v1::Experiment& experiment);

// id, name, state, reason, created, ended, elapsed_s, trials{...}, max_trial_number,
// trial_concurrency, max_experiment_duration_s, objective{metric,direction}, tuner,
// assessor, best{trial_id,value}|null, manager_address, log_directory, dashboard|null
// (the page the daemon's dashboard serves for it; null when it serves none).
nlohmann::json ExperimentToJson(const v1::Experiment& experiment);

}  // namespace dlkit::cli

#endif  // DLKIT_CLI_EXPERIMENT_OUTPUT_H_
