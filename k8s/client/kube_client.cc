#include "k8s/client/kube_client.h"

#include <cpprest/http_client.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "k8s/client/api_status.h"
#include "k8s/client/http_client_config.h"

namespace dlkit::k8s {

namespace http = web::http;
using nlohmann::json;

namespace {

constexpr absl::Duration kTokenRereadInterval = absl::Minutes(1);

std::string Query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string query;
  for (const auto& [key, value] : params) {
    if (value.empty()) continue;
    absl::StrAppend(&query, query.empty() ? "?" : "&", key, "=",
                    http::uri::encode_data_string(value));
  }
  return query;
}

const char* PolicyName(PropagationPolicy policy) {
  switch (policy) {
    case PropagationPolicy::kForeground:
      return "Foreground";
    case PropagationPolicy::kOrphan:
      return "Orphan";
    case PropagationPolicy::kBackground:
    default:
      return "Background";
  }
}

absl::Status GaveUp(const absl::Status& error, int attempts) {
  if (attempts == 1) return error;
  return absl::Status(error.code(),
                      absl::StrCat(error.message(), " (gave up after ", attempts, " attempts)"));
}

}  // namespace

KubeClient::KubeClient(KubeConfig config, KubeClientOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

KubeClient::~KubeClient() = default;

absl::StatusOr<std::unique_ptr<KubeClient>> KubeClient::New(KubeConfig config,
                                                            KubeClientOptions options) {
  if (!absl::StartsWith(config.server, "https://") && !absl::StartsWith(config.server, "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("Kubernetes server '", config.server, "' is not an http(s):// URL"));
  }
  if (!config.ca_file.empty() && !std::ifstream(config.ca_file)) {
    return absl::NotFoundError(absl::StrCat("cannot read the CA file ", config.ca_file));
  }
  std::unique_ptr<KubeClient> client(new KubeClient(std::move(config), std::move(options)));
  try {
    client->http_ = std::make_unique<http::client::http_client>(
        client->config_.server,
        HttpClientConfig(client->config_, client->options_.request_timeout));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("Kubernetes server '", client->config_.server, "': ", e.what()));
  }
  absl::MutexLock lock(&client->mu_);
  client->token_ = client->config_.token;
  return client;
}

std::string KubeClient::BearerToken() {
  absl::MutexLock lock(&mu_);
  if (!config_.token_file.empty() && absl::Now() - token_read_at_ > kTokenRereadInterval) {
    std::ifstream in(config_.token_file);
    std::stringstream text;
    if (in && text << in.rdbuf()) token_ = std::string(absl::StripAsciiWhitespace(text.str()));
    token_read_at_ = absl::Now();  // a missing file keeps the last token
  }
  return token_;
}

absl::Duration KubeClient::NextDelay(int attempt) {
  absl::MutexLock lock(&mu_);
  return BackoffDelay(options_.retry, attempt, random_);
}

absl::StatusOr<http::http_response> KubeClient::Send(http::client::http_client& http,
                                                     const Request& request,
                                                     const Cancellation& cancel) {
  const std::string what = absl::StrCat(request.method, " ", request.path);
  const RetryPolicy& policy = options_.retry;
  for (int attempt = 1;; ++attempt) {
    if (cancel.cancelled()) return absl::CancelledError(absl::StrCat(what, ": cancelled"));
    http::http_request message(request.method);
    message.set_request_uri(request.path + request.query);
    message.headers().add("Accept", "application/json");
    message.headers().add("User-Agent", options_.user_agent);
    if (const std::string token = BearerToken(); !token.empty()) {
      message.headers().add("Authorization", "Bearer " + token);
    }
    if (!request.body.is_null()) message.set_body(request.body.dump(), request.content_type);

    int code = 0;  // none: the connection failed
    std::string retry_after;
    absl::Status error;
    try {
      http::http_response response = http.request(message, cancel.token()).get();
      code = response.status_code();
      if (code >= 200 && code < 300) return response;
      if (response.headers().has("Retry-After")) retry_after = response.headers()["Retry-After"];
      error = StatusFromResponse(code, response.extract_string(true).get(), what);
    } catch (const std::exception& e) {
      if (cancel.cancelled()) return absl::CancelledError(absl::StrCat(what, ": cancelled"));
      error = absl::UnavailableError(
          absl::StrCat(what, ": cannot reach ", config_.server, ": ", e.what()));
    }
    if (!ShouldRetry(code, request.idempotent) || attempt >= policy.max_attempts) {
      return GaveUp(error, attempt);
    }
    const absl::Duration server_delay = ParseRetryAfter(retry_after, policy);
    if (cancel.SleepFor(server_delay != absl::InfiniteDuration() ? server_delay
                                                                 : NextDelay(attempt))) {
      return absl::CancelledError(absl::StrCat(what, ": cancelled"));
    }
  }
}

absl::StatusOr<json> KubeClient::Call(const Request& request) {
  const Cancellation never_cancelled;
  absl::StatusOr<http::http_response> response = Send(*http_, request, never_cancelled);
  if (!response.ok()) return response.status();
  std::string body;
  try {
    body = response->extract_string(/*ignore_content_type=*/true).get();
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat(request.method, " ", request.path, ": the answer broke off: ", e.what()));
  }
  if (body.empty()) return json();
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::DataLossError(
        absl::StrCat(request.method, " ", request.path, ": the answer is not JSON"));
  }
  return parsed;
}

absl::StatusOr<json> KubeClient::Create(const ResourceType& type, const std::string& ns,
                                        const json& object) {
  json body = object;
  body["apiVersion"] = type.api_version;
  body["kind"] = type.kind;
  return Call({"POST", type.CollectionPath(ns), "", std::move(body), "application/json",
               /*idempotent=*/false});
}

absl::StatusOr<json> KubeClient::Get(const ResourceType& type, const std::string& ns,
                                     const std::string& name) {
  return Call({"GET", type.ObjectPath(ns, name)});
}

absl::StatusOr<ObjectList> KubeClient::List(const ResourceType& type, const std::string& ns,
                                            const std::string& label_selector) {
  absl::StatusOr<json> list =
      Call({"GET", type.CollectionPath(ns), Query({{"labelSelector", label_selector}})});
  if (!list.ok()) return list.status();
  ObjectList result;
  result.resource_version = list->value("/metadata/resourceVersion"_json_pointer, "");
  if (list->contains("items") && (*list)["items"].is_array()) {
    for (json& item : (*list)["items"]) result.items.push_back(std::move(item));
  }
  return result;
}

absl::StatusOr<json> KubeClient::Replace(const ResourceType& type, const std::string& ns,
                                         const json& object, const std::string& subresource) {
  const std::string name = object.value("/metadata/name"_json_pointer, "");
  if (name.empty()) return absl::InvalidArgumentError("Replace: the object has no metadata.name");
  json body = object;
  body["apiVersion"] = type.api_version;
  body["kind"] = type.kind;
  return Call({"PUT", type.ObjectPath(ns, name, subresource), "", std::move(body)});
}

absl::StatusOr<json> KubeClient::MergePatch(const ResourceType& type, const std::string& ns,
                                            const std::string& name, const json& patch,
                                            const std::string& subresource) {
  return Call(
      {"PATCH", type.ObjectPath(ns, name, subresource), "", patch, "application/merge-patch+json"});
}

absl::Status KubeClient::Delete(const ResourceType& type, const std::string& ns,
                                const std::string& name, PropagationPolicy policy) {
  const json options = {
      {"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"propagationPolicy", PolicyName(policy)}};
  return Call({"DELETE", type.ObjectPath(ns, name), "", options}).status();
}

}  // namespace dlkit::k8s
