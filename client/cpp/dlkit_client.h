#ifndef DLKIT_CLIENT_CPP_DLKIT_CLIENT_H_
#define DLKIT_CLIENT_CPP_DLKIT_CLIENT_H_

// dlkit's C++ trainer SDK: the same calls as the Python `dlkit` package.
//
//   absl::StatusOr<dlkit::v1::ParameterSet> params =
//   dlkit::trial::GetParameters(); double lr = dlkit::trial::GetDouble(*params,
//   "lr", 0.1); for (int epoch = 0; epoch < 10 && !dlkit::trial::ShouldStop();
//   ++epoch) {
//     ...
//     dlkit::trial::ReportLoss(loss).IgnoreError();
//     dlkit::trial::ReportIntermediateResult(accuracy).IgnoreError();
//   }
//   dlkit::trial::ReportFinalResult(accuracy).IgnoreError();
//
// Inside an experiment ($DLKIT_REPORTER_ADDRESS set) every call goes to the
// trial's Reporter over one lazily opened gRPC channel, with the trial's
// secret, a deadline and a few retries while the Reporter is UNAVAILABLE;
// reports return once the Reporter answered. Outside one, parameters come from
// `--dlkit-params FILE` on the command line (read from /proc/self/cmdline),
// $DLKIT_PARAMS (JSON) or $DLKIT_PARAMS_FILE, else are empty, and reports are
// printed as `[dlkit] loss: 0.12`.

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dlkit/v1/reporter.grpc.pb.h"
#include "dlkit/v1/types.pb.h"

namespace dlkit::trial {

// Where a TrialClient reports and how; FromEnvironment() fills it as a Reporter
// sets it.
struct TrialClientOptions {
  // gRPC target of the Reporter ("unix:///…/reporter.sock"); empty means
  // standalone.
  std::string reporter_address;
  std::string secret;
  std::string trial_id;       // empty: asked from the Reporter ("STANDALONE" standalone)
  std::string experiment_id;  // likewise
  int64_t sequence = -1;      // negative: asked from the Reporter (0 standalone)
  absl::Duration timeout = absl::Seconds(30);        // per attempt
  int retries = 3;                                   // extra attempts on UNAVAILABLE
  absl::Duration backoff = absl::Milliseconds(200);  // doubles after each retry

  // Standalone parameters, first found wins: `--dlkit-params FILE` (or `=FILE`)
  // in argv, params_json, params_file; else empty.
  std::vector<std::string> argv;
  std::string params_json;
  std::string params_file;
  // Standalone report lines go here; null means std::cout. Not owned.
  std::ostream* out = nullptr;

  // Reads DLKIT_REPORTER_ADDRESS, DLKIT_TRIAL_SECRET, DLKIT_TRIAL_ID,
  // DLKIT_EXPERIMENT_ID, DLKIT_TRIAL_SEQUENCE, DLKIT_PARAMS, DLKIT_PARAMS_FILE
  // and this process's argv.
  static TrialClientOptions FromEnvironment();
};

// One trial's connection to its Reporter (or its standalone stand-in).
// Thread-safe.
class TrialClient {
 public:
  // `stub` replaces the channel to options.reporter_address (tests); null opens
  // the channel on first use.
  explicit TrialClient(TrialClientOptions options,
                       std::shared_ptr<v1::ReporterService::StubInterface> stub = nullptr);

  TrialClient(const TrialClient&) = delete;
  TrialClient& operator=(const TrialClient&) = delete;

  bool standalone() const { return options_.reporter_address.empty() && !injected_stub_; }

  // This trial's hyperparameters, fetched once and cached. A chosen nested
  // choice option is a `nested` value holding `_name` and its own parameters.
  absl::StatusOr<v1::ParameterSet> GetParameters();

  // The objective metric so far / the training loss so far / the final
  // objective value. Any double is sent, NaN and infinities included (a
  // diverged run is a result).
  absl::Status ReportIntermediateResult(double value);
  absl::Status ReportLoss(double value);
  absl::Status ReportFinalResult(double value);

  // True once dlkit wants this trial to stop; stays true. A Reporter that
  // cannot be reached counts as "go on" here (the next report returns its
  // error). False standalone.
  bool ShouldStop();

  std::string TrialId();
  std::string ExperimentId();
  int64_t SequenceId();

 private:
  template <typename Request, typename Response>
  using Rpc = grpc::Status (v1::ReporterService::StubInterface::*)(grpc::ClientContext*,
                                                                   const Request&, Response*);

  std::shared_ptr<v1::ReporterService::StubInterface> Stub() ABSL_LOCKS_EXCLUDED(mu_);
  template <typename Request, typename Response>
  absl::Status Call(absl::string_view method, Rpc<Request, Response> rpc, const Request& request,
                    Response* response);
  absl::Status Report(v1::MetricKind kind, double value);
  // The cached GetParametersResponse, fetched on first use (gRPC mode only).
  absl::StatusOr<v1::GetParametersResponse> ParametersResponse() ABSL_LOCKS_EXCLUDED(mu_);

  const TrialClientOptions options_;
  const bool injected_stub_;
  absl::Mutex mu_;
  std::shared_ptr<v1::ReporterService::StubInterface> stub_ ABSL_GUARDED_BY(mu_);
  bool have_response_ ABSL_GUARDED_BY(mu_) = false;
  v1::GetParametersResponse response_ ABSL_GUARDED_BY(mu_);
  bool have_standalone_params_ ABSL_GUARDED_BY(mu_) = false;
  v1::ParameterSet standalone_params_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex out_mu_;  // keeps printed lines whole across threads
};

// The process-wide client, built from the environment on first use (never
// destroyed).
TrialClient& DefaultClient();

// The calls of the Python SDK, on DefaultClient().
absl::StatusOr<v1::ParameterSet> GetParameters();
absl::Status ReportIntermediateResult(double value);
absl::Status ReportLoss(double value);
absl::Status ReportFinalResult(double value);
bool ShouldStop();
std::string TrialId();
std::string ExperimentId();
int64_t SequenceId();

// Reading parameters: the value named `name`, or `fallback` when it is absent
// or of another kind. Ints and doubles convert to each other (a double rounds
// to the nearest int).
double GetDouble(const v1::ParameterSet& params, absl::string_view name, double fallback);
int64_t GetInt(const v1::ParameterSet& params, absl::string_view name, int64_t fallback);
std::string GetString(const v1::ParameterSet& params, absl::string_view name,
                      absl::string_view fallback);
bool GetBool(const v1::ParameterSet& params, absl::string_view name, bool fallback);
// The chosen option of a nested choice (with its `_name`), or null.
const v1::ParameterSet* GetNested(const v1::ParameterSet& params, absl::string_view name);

// A JSON object as a ParameterSet: integers → int, other numbers → double,
// strings, bools, objects → nested. Arrays are rejected (no parameter value is
// a list).
absl::StatusOr<v1::ParameterSet> ParameterSetFromJson(absl::string_view json);

// A value as printed in a report line: Python's repr of the float ("0.93",
// "1.0", "1e-05", "nan", "inf"), so both SDKs print the same lines.
std::string FormatValue(double value);

}  // namespace dlkit::trial

#endif  // DLKIT_CLIENT_CPP_DLKIT_CLIENT_H_
