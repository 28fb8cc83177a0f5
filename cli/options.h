#ifndef DLKIT_CLI_OPTIONS_H_
#define DLKIT_CLI_OPTIONS_H_

// Typed options of each dlctl command, filled from argv by args.cc and consumed by the
// command functions. Plain structs: no parsing or I/O here.

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "dlkit/v1/launcher.pb.h"
#include "dlkit/v1/types.pb.h"

namespace dlkit::cli {

enum class OutputFormat { kTable, kJson };

// Flags every command accepts, after the environment and defaults are applied.
struct GlobalOptions {
  std::string address;  // --address, $DLKIT_ADDRESS, 127.0.0.1:9870
  std::string home;     // --home, $DLKIT_HOME, ~/.dlkit
  std::string tls_ca;   // --tls-ca, $DLKIT_TLS_CA: a PEM file; empty = plain TCP
  OutputFormat output = OutputFormat::kTable;
};

struct TokenOptions {
  std::string action;  // create, list, revoke
  std::string name;
  v1::TokenRole role = v1::TOKEN_ROLE_READ;
};

struct InitOptions {
  std::string file = "dlkit-tune.json";
  bool force = false;
};

struct SubmitOptions {
  std::string file = "dlkit-tune.json";
  bool watch = false;
};

enum class TrialSort { kIndex, kMetric, kDuration, kStarted };

struct TrialsOptions {
  std::string experiment_id;
  TrialSort sort = TrialSort::kIndex;
  bool reverse = false;
  std::vector<v1::TrialState> states;  // empty = all
  int limit = 0;                       // 0 = all
};

struct LogsOptions {
  std::string experiment_id;
  std::string trial;  // trial id, or its index within the experiment
  bool follow = false;
};

struct UpdateOptions {
  std::string experiment_id;
  std::optional<int> concurrency;
  std::optional<int> max_trials;
  std::optional<absl::Duration> duration;
};

enum class ExportFormat { kCsv, kJson };

struct ExportOptions {
  std::string experiment_id;
  ExportFormat format = ExportFormat::kCsv;
  std::string file;  // empty = stdout
};

enum class DaemonAction { kStart, kStop, kStatus };

}  // namespace dlkit::cli

#endif  // DLKIT_CLI_OPTIONS_H_
