#ifndef DLKIT_K8S_CLIENT_API_STATUS_H_
#define DLKIT_K8S_CLIENT_API_STATUS_H_

// Turns the API server's answers into absl::Status. Failed calls carry a `Status` object
// ({"kind":"Status","code":409,"reason":"AlreadyExists","message":...}); its message goes
// into the error text, so users read what Kubernetes said.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace dlkit::k8s {

// HTTP code (and the Status reason, which tells 409 AlreadyExists from 409 Conflict) → code:
// 400/422 InvalidArgument, 401 Unauthenticated, 403 PermissionDenied, 404 NotFound,
// 409 AlreadyExists or Aborted (stale resourceVersion), 410 OutOfRange (re-list),
// 429 ResourceExhausted, 500 Internal, 503 Unavailable, 504 DeadlineExceeded.
absl::StatusCode CodeForHttp(int http_code, absl::string_view reason);

// `what` names the call ("POST /api/v1/namespaces/a/pods"); `body` is the response body.
absl::Status StatusFromResponse(int http_code, const std::string& body, absl::string_view what);

// A watch ERROR event's object (a Status).
absl::Status StatusFromStatusObject(const nlohmann::json& status, absl::string_view what);

}  // namespace dlkit::k8s

#endif  // DLKIT_K8S_CLIENT_API_STATUS_H_
