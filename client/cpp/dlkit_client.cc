#include "client/cpp/dlkit_client.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace dlkit::trial {
namespace {

constexpr char kStandaloneId[] = "STANDALONE";  // NNI's ids outside an experiment
constexpr char kDefaultMetric[] = "default";
constexpr char kParamsFlag[] = "--dlkit-params";

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// argv of this process: the SDK needs no argc/argv from main() to see
// --dlkit-params.
std::vector<std::string> ProcessArgv() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> argv;
  std::string arg;
  while (std::getline(in, arg, '\0')) argv.push_back(arg);
  return argv;
}

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view source) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("dlkit: cannot read the parameters file '", path, "' given by ", source));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<v1::ParameterSet> ParseParams(absl::string_view json, absl::string_view source) {
  absl::StatusOr<v1::ParameterSet> params = ParameterSetFromJson(json);
  if (!params.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("dlkit: parameters from ", source, ": ", params.status().message()));
  }
  return params;
}

absl::StatusOr<v1::ParameterSet> StandaloneParams(const TrialClientOptions& options) {
  const std::vector<std::string>& argv = options.argv;
  const std::string flag_eq = absl::StrCat(kParamsFlag, "=");
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string path;
    if (argv[i] == kParamsFlag) {
      if (i + 1 >= argv.size()) {
        return absl::InvalidArgumentError(
            "dlkit: --dlkit-params needs a FILE argument (a JSON file of "
            "parameters)");
      }
      path = argv[i + 1];
    } else if (absl::StartsWith(argv[i], flag_eq)) {
      path = argv[i].substr(flag_eq.size());
    } else {
      continue;
    }
    absl::StatusOr<std::string> text = ReadFile(path, kParamsFlag);
    if (!text.ok()) return text.status();
    return ParseParams(*text, path);
  }
  if (!options.params_json.empty()) return ParseParams(options.params_json, "$DLKIT_PARAMS");
  if (!options.params_file.empty()) {
    absl::StatusOr<std::string> text = ReadFile(options.params_file, "$DLKIT_PARAMS_FILE");
    if (!text.ok()) return text.status();
    return ParseParams(*text, options.params_file);
  }
  return v1::ParameterSet();
}

absl::Status ToParameterSet(const nlohmann::json& object, const std::string& path,
                            v1::ParameterSet* out) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "the parameters" : path,
                                                   " must be a JSON object, got ",
                                                   object.type_name()));
  }
  for (const auto& [key, value] : object.items()) {
    const std::string where = path.empty() ? key : absl::StrCat(path, ".", key);
    v1::ParameterValue& slot = (*out->mutable_values())[key];
    if (value.is_boolean()) {
      slot.set_bool_value(value.get<bool>());
    } else if (value.is_number_integer()) {
      slot.set_int_value(value.get<int64_t>());
    } else if (value.is_number()) {
      slot.set_double_value(value.get<double>());
    } else if (value.is_string()) {
      slot.set_string_value(value.get<std::string>());
    } else if (value.is_object()) {
      absl::Status status = ToParameterSet(value, where, slot.mutable_nested());
      if (!status.ok()) return status;
    } else if (value.is_null()) {
      // Left unset: the key is present without a value, like None in Python.
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": a parameter value must be a number, string, bool or object, got ",
                       value.type_name()));
    }
  }
  return absl::OkStatus();
}

const v1::ParameterValue* Find(const v1::ParameterSet& params, absl::string_view name) {
  auto it = params.values().find(std::string(name));
  return it == params.values().end() ? nullptr : &it->second;
}

absl::Status FromGrpc(const grpc::Status& status, absl::string_view what) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

const char* KindLabel(v1::MetricKind kind) {
  switch (kind) {
    case v1::INTERMEDIATE:
      return "intermediate_result";
    case v1::LOSS:
      return "loss";
    case v1::FINAL:
      return "final_result";
    default:
      return "unknown";
  }
}

}  // namespace

TrialClientOptions TrialClientOptions::FromEnvironment() {
  TrialClientOptions options;
  options.reporter_address = Env("DLKIT_REPORTER_ADDRESS");
  options.secret = Env("DLKIT_TRIAL_SECRET");
  options.trial_id = Env("DLKIT_TRIAL_ID");
  options.experiment_id = Env("DLKIT_EXPERIMENT_ID");
  int64_t sequence = 0;
  if (absl::SimpleAtoi(Env("DLKIT_TRIAL_SEQUENCE"), &sequence)) options.sequence = sequence;
  options.params_json = Env("DLKIT_PARAMS");
  options.params_file = Env("DLKIT_PARAMS_FILE");
  options.argv = ProcessArgv();
  return options;
}

TrialClient::TrialClient(TrialClientOptions options,
                         std::shared_ptr<v1::ReporterService::StubInterface> stub)
    : options_(std::move(options)), injected_stub_(stub != nullptr), stub_(std::move(stub)) {}

std::shared_ptr<v1::ReporterService::StubInterface> TrialClient::Stub() {
  absl::MutexLock lock(&mu_);
  if (stub_ == nullptr) {
    stub_ = v1::ReporterService::NewStub(
        grpc::CreateChannel(options_.reporter_address, grpc::InsecureChannelCredentials()));
  }
  return stub_;
}

template <typename Request, typename Response>
absl::Status TrialClient::Call(absl::string_view method, Rpc<Request, Response> rpc,
                               const Request& request, Response* response) {
  std::shared_ptr<v1::ReporterService::StubInterface> stub = Stub();
  absl::Duration delay = options_.backoff;
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(options_.timeout));
    grpc::Status status = ((*stub).*rpc)(&context, request, response);
    if (status.ok()) return absl::OkStatus();
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE && attempt < options_.retries) {
      absl::SleepFor(delay);
      delay *= 2;
      continue;
    }
    return FromGrpc(status, absl::StrCat("dlkit: ", method, " to the Reporter at ",
                                         options_.reporter_address, " failed"));
  }
}

absl::StatusOr<v1::GetParametersResponse> TrialClient::ParametersResponse() {
  {
    absl::MutexLock lock(&mu_);
    if (have_response_) return response_;
  }
  v1::GetParametersRequest request;
  request.set_secret(options_.secret);
  v1::GetParametersResponse response;
  absl::Status status = Call<v1::GetParametersRequest, v1::GetParametersResponse>(
      "GetParameters", &v1::ReporterService::StubInterface::GetParameters, request, &response);
  if (!status.ok()) return status;
  absl::MutexLock lock(&mu_);
  if (!have_response_) {
    response_ = std::move(response);
    have_response_ = true;
  }
  return response_;
}

absl::StatusOr<v1::ParameterSet> TrialClient::GetParameters() {
  if (standalone()) {
    absl::MutexLock lock(&mu_);
    if (!have_standalone_params_) {
      absl::StatusOr<v1::ParameterSet> params = StandaloneParams(options_);
      if (!params.ok()) return params.status();
      standalone_params_ = *std::move(params);
      have_standalone_params_ = true;
    }
    return standalone_params_;
  }
  absl::StatusOr<v1::GetParametersResponse> response = ParametersResponse();
  if (!response.ok()) return response.status();
  return response->parameters();
}

absl::Status TrialClient::Report(v1::MetricKind kind, double value) {
  if (standalone()) {
    absl::MutexLock lock(&out_mu_);
    std::ostream& out = options_.out != nullptr ? *options_.out : std::cout;
    out << "[dlkit] " << KindLabel(kind) << ": " << FormatValue(value) << '\n' << std::flush;
    return absl::OkStatus();
  }
  v1::ReportRequest request;
  request.set_secret(options_.secret);
  request.set_kind(kind);
  request.set_value(value);
  request.set_metric_name(kDefaultMetric);
  // One id per report, kept across Call's retries: the Reporter drops a repeat.
  static thread_local std::random_device random;
  request.set_report_id((static_cast<uint64_t>(random()) << 32 | random()) | 1);
  v1::ReportResponse response;
  absl::Status status = Call<v1::ReportRequest, v1::ReportResponse>(
      "Report", &v1::ReporterService::StubInterface::Report, request, &response);
  if (!status.ok()) return status;
  if (response.should_stop()) {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  return absl::OkStatus();
}

absl::Status TrialClient::ReportIntermediateResult(double value) {
  return Report(v1::INTERMEDIATE, value);
}

absl::Status TrialClient::ReportLoss(double value) { return Report(v1::LOSS, value); }

absl::Status TrialClient::ReportFinalResult(double value) { return Report(v1::FINAL, value); }

bool TrialClient::ShouldStop() {
  if (standalone()) return false;
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return true;  // a stop is final: no need to ask again
  }
  v1::ShouldStopRequest request;
  request.set_secret(options_.secret);
  v1::ShouldStopResponse response;
  absl::Status status = Call<v1::ShouldStopRequest, v1::ShouldStopResponse>(
      "ShouldStop", &v1::ReporterService::StubInterface::ShouldStop, request, &response);
  absl::MutexLock lock(&mu_);
  if (status.ok() && response.should_stop()) stop_ = true;
  return stop_;
}

std::string TrialClient::TrialId() {
  if (!options_.trial_id.empty()) return options_.trial_id;
  if (standalone()) return kStandaloneId;
  absl::StatusOr<v1::GetParametersResponse> response = ParametersResponse();
  return response.ok() ? response->trial_id() : "";
}

std::string TrialClient::ExperimentId() {
  if (!options_.experiment_id.empty()) return options_.experiment_id;
  if (standalone()) return kStandaloneId;
  absl::StatusOr<v1::GetParametersResponse> response = ParametersResponse();
  return response.ok() ? response->experiment_id() : "";
}

int64_t TrialClient::SequenceId() {
  if (options_.sequence >= 0) return options_.sequence;
  if (standalone()) return 0;
  absl::StatusOr<v1::GetParametersResponse> response = ParametersResponse();
  return response.ok() ? response->sequence() : -1;
}

TrialClient& DefaultClient() {
  static TrialClient* const client = new TrialClient(TrialClientOptions::FromEnvironment());
  return *client;
}

absl::StatusOr<v1::ParameterSet> GetParameters() { return DefaultClient().GetParameters(); }
absl::Status ReportIntermediateResult(double value) {
  return DefaultClient().ReportIntermediateResult(value);
}
absl::Status ReportLoss(double value) { return DefaultClient().ReportLoss(value); }
absl::Status ReportFinalResult(double value) { return DefaultClient().ReportFinalResult(value); }
bool ShouldStop() { return DefaultClient().ShouldStop(); }
std::string TrialId() { return DefaultClient().TrialId(); }
std::string ExperimentId() { return DefaultClient().ExperimentId(); }
int64_t SequenceId() { return DefaultClient().SequenceId(); }

double GetDouble(const v1::ParameterSet& params, absl::string_view name, double fallback) {
  const v1::ParameterValue* value = Find(params, name);
  if (value == nullptr) return fallback;
  if (value->has_double_value()) return value->double_value();
  if (value->has_int_value()) return static_cast<double>(value->int_value());
  return fallback;
}

int64_t GetInt(const v1::ParameterSet& params, absl::string_view name, int64_t fallback) {
  const v1::ParameterValue* value = Find(params, name);
  if (value == nullptr) return fallback;
  if (value->has_int_value()) return value->int_value();
  if (value->has_double_value() && std::isfinite(value->double_value())) {
    return std::llround(value->double_value());
  }
  return fallback;
}

std::string GetString(const v1::ParameterSet& params, absl::string_view name,
                      absl::string_view fallback) {
  const v1::ParameterValue* value = Find(params, name);
  if (value == nullptr || !value->has_string_value()) return std::string(fallback);
  return value->string_value();
}

bool GetBool(const v1::ParameterSet& params, absl::string_view name, bool fallback) {
  const v1::ParameterValue* value = Find(params, name);
  if (value == nullptr || !value->has_bool_value()) return fallback;
  return value->bool_value();
}

const v1::ParameterSet* GetNested(const v1::ParameterSet& params, absl::string_view name) {
  const v1::ParameterValue* value = Find(params, name);
  if (value == nullptr || !value->has_nested()) return nullptr;
  return &value->nested();
}

absl::StatusOr<v1::ParameterSet> ParameterSetFromJson(absl::string_view json) {
  nlohmann::json parsed = nlohmann::json::parse(json.begin(), json.end(), nullptr,
                                                /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  v1::ParameterSet params;
  absl::Status status = ToParameterSet(parsed, "", &params);
  if (!status.ok()) return status;
  return params;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Shortest round-trip digits in scientific form ("-1.25e+03"), then laid out
  // as Python's repr does: fixed notation while the decimal point is within
  // [-4, 16), else scientific.
  char buffer[64];
  std::to_chars_result result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  std::string scientific(buffer, result.ptr);
  size_t e = scientific.find('e');
  std::string sign = scientific[0] == '-' ? "-" : "";
  std::string digits;
  for (size_t i = sign.size(); i < e; ++i) {
    if (scientific[i] != '.') digits += scientific[i];
  }
  int exponent = std::atoi(scientific.c_str() + e + 1);
  int point = exponent + 1;  // digits are 0.d1d2… × 10^point
  if (point <= -4 || point > 16) return scientific;
  if (point <= 0) return absl::StrCat(sign, "0.", std::string(-point, '0'), digits);
  if (static_cast<size_t>(point) >= digits.size()) {
    return absl::StrCat(sign, digits, std::string(point - digits.size(), '0'), ".0");
  }
  return absl::StrCat(sign, digits.substr(0, point), ".", digits.substr(point));
}

}  // namespace dlkit::trial
