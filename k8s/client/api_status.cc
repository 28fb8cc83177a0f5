#include "k8s/client/api_status.h"

#include "absl/strings/str_cat.h"

namespace dlkit::k8s {

absl::StatusCode CodeForHttp(int http_code, absl::string_view reason) {
  switch (http_code) {
    case 400:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
    case 415:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 500:
      return absl::StatusCode::kInternal;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      if (http_code >= 500) return absl::StatusCode::kUnavailable;
      return absl::StatusCode::kUnknown;
  }
}

absl::Status StatusFromStatusObject(const nlohmann::json& status, absl::string_view what) {
  const int code = status.value("code", 500);
  const std::string reason = status.value("reason", "");
  const std::string message = status.value("message", "");
  return absl::Status(CodeForHttp(code, reason),
                      absl::StrCat(what, ": ", message.empty() ? "(no message)" : message,
                                   " (HTTP ", code, reason.empty() ? "" : " ", reason, ")"));
}

absl::Status StatusFromResponse(int http_code, const std::string& body, absl::string_view what) {
  nlohmann::json status = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!status.is_object() || status.value("kind", "") != "Status") {
    // Not from the API server itself (a proxy, a load balancer): show the text.
    status = {{"message", body.substr(0, 200)}};
  }
  status["code"] = http_code;
  return StatusFromStatusObject(status, what);
}

}  // namespace dlkit::k8s
