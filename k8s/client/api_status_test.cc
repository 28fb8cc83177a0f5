#include "k8s/client/api_status.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"

namespace dlkit::k8s {
namespace {

std::string StatusBody(int code, const std::string& reason, const std::string& message) {
  return nlohmann::json{{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
                        {"code", code},     {"reason", reason},   {"message", message}}
      .dump();
}

TEST_CASE("HTTP codes map to absl codes; 409 by its reason") {
  CHECK(CodeForHttp(404, "NotFound") == absl::StatusCode::kNotFound);
  CHECK(CodeForHttp(409, "AlreadyExists") == absl::StatusCode::kAlreadyExists);
  CHECK(CodeForHttp(409, "Conflict") == absl::StatusCode::kAborted);
  CHECK(CodeForHttp(422, "Invalid") == absl::StatusCode::kInvalidArgument);
  CHECK(CodeForHttp(403, "Forbidden") == absl::StatusCode::kPermissionDenied);
  CHECK(CodeForHttp(401, "Unauthorized") == absl::StatusCode::kUnauthenticated);
  CHECK(CodeForHttp(410, "Expired") == absl::StatusCode::kOutOfRange);
  CHECK(CodeForHttp(429, "TooManyRequests") == absl::StatusCode::kResourceExhausted);
  CHECK(CodeForHttp(503, "") == absl::StatusCode::kUnavailable);
}

TEST_CASE("the API's message is in the error text") {
  const absl::Status status = StatusFromResponse(
      403, StatusBody(403, "Forbidden", "pods is forbidden: User \"x\" cannot list pods"),
      "GET /api/v1/namespaces/a/pods");
  CHECK(status.code() == absl::StatusCode::kPermissionDenied);
  CHECK(status.message() ==
        "GET /api/v1/namespaces/a/pods: pods is forbidden: User \"x\" cannot list pods "
        "(HTTP 403 Forbidden)");
}

TEST_CASE("a body that is not a Status (a proxy's page) is shown as text") {
  const absl::Status status = StatusFromResponse(502, "<html>Bad Gateway</html>", "GET /x");
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(status.message(), "Bad Gateway"));
}

}  // namespace
}  // namespace dlkit::k8s
