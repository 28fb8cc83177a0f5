#ifndef DLKIT_K8S_CLIENT_KUBE_CLIENT_H_
#define DLKIT_K8S_CLIENT_KUBE_CLIENT_H_

// A small typed client of the Kubernetes REST API: create, get, list, replace, merge-patch,
// delete and watch any resource, objects as JSON. Errors are absl::Status with the API's own
// message (see api_status.h); 429, 5xx and lost connections are retried (retry_policy.h).
// Thread-safe: calls may run concurrently from several threads.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "k8s/client/cancellation.h"
#include "k8s/client/kube_config.h"
#include "k8s/client/resource_type.h"
#include "k8s/client/retry_policy.h"
#include "k8s/client/watch_event.h"
#include "nlohmann/json.hpp"

namespace web::http {
class http_response;
namespace client {
class http_client;
}  // namespace client
}  // namespace web::http

namespace dlkit::k8s {

struct KubeClientOptions {
  RetryPolicy retry;
  absl::Duration request_timeout = absl::Seconds(30);
  std::string user_agent = "dlkit";
};

struct ObjectList {
  std::vector<nlohmann::json> items;
  std::string resource_version;  // where a watch that follows this list starts
};

enum class PropagationPolicy { kBackground, kForeground, kOrphan };

struct WatchOptions {
  // Start after this version (a list's or the last event's). Empty: the server first sends
  // every current object as ADDED.
  std::string resource_version;
  std::string label_selector;
  bool allow_bookmarks = true;
  // A stream quiet for this long is dropped (and Watch returns to be resumed).
  absl::Duration idle_timeout = absl::Minutes(5);
};

// Called for each ADDED/MODIFIED/DELETED/BOOKMARK event; return false to end the watch.
using WatchCallback = std::function<bool(const WatchEvent&)>;

class KubeClient {
 public:
  // Checks the config; connects on the first call.
  static absl::StatusOr<std::unique_ptr<KubeClient>> New(KubeConfig config,
                                                         KubeClientOptions options = {});
  ~KubeClient();

  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  const KubeConfig& config() const { return config_; }

  // POST. AlreadyExists on a duplicate name; InvalidArgument on a rejected object.
  absl::StatusOr<nlohmann::json> Create(const ResourceType& type, const std::string& ns,
                                        const nlohmann::json& object);
  absl::StatusOr<nlohmann::json> Get(const ResourceType& type, const std::string& ns,
                                     const std::string& name);
  // `label_selector` as kubectl takes it: "app=x,tier in (a,b)".
  absl::StatusOr<ObjectList> List(const ResourceType& type, const std::string& ns,
                                  const std::string& label_selector = "");
  // PUT of a whole object (named by its metadata.name). With metadata.resourceVersion set,
  // Aborted if the object changed since (re-read and try again). `subresource` "status"
  // writes only the status; the main resource ignores status changes.
  absl::StatusOr<nlohmann::json> Replace(const ResourceType& type, const std::string& ns,
                                         const nlohmann::json& object,
                                         const std::string& subresource = "");
  // PATCH with a JSON merge patch (RFC 7386): null deletes a field, objects merge.
  absl::StatusOr<nlohmann::json> MergePatch(const ResourceType& type, const std::string& ns,
                                            const std::string& name, const nlohmann::json& patch,
                                            const std::string& subresource = "");
  // NotFound when there is no such object. Dependents (ownerReferences) go per `policy`.
  absl::Status Delete(const ResourceType& type, const std::string& ns, const std::string& name,
                      PropagationPolicy policy = PropagationPolicy::kBackground);

  // Streams events to `on_event` until the server ends the stream, the connection breaks,
  // the callback returns false or `cancel` fires. Returns the resourceVersion to resume
  // from (the last event's or bookmark's). Errors: OutOfRange when the version is too old
  // (410 Gone/Expired: List again and watch from the list's version), Cancelled after
  // cancel->Cancel(), or the error of a watch the server refused.
  absl::StatusOr<std::string> Watch(const ResourceType& type, const std::string& ns,
                                    const WatchOptions& options, const WatchCallback& on_event,
                                    const Cancellation* cancel = nullptr);

 private:
  struct Request {
    std::string method;  // "GET"
    std::string path;
    std::string query;    // "?a=b" or empty
    nlohmann::json body;  // null: none
    std::string content_type = "application/json";
    bool idempotent = true;
  };

  KubeClient(KubeConfig config, KubeClientOptions options);

  // Sends `request` until it gets an answer not worth retrying (retry_policy.h); returns
  // a 2xx response with its body unread, or the error.
  absl::StatusOr<web::http::http_response> Send(web::http::client::http_client& http,
                                                const Request& request, const Cancellation& cancel);
  // Send() and parse the JSON answer (null when empty).
  absl::StatusOr<nlohmann::json> Call(const Request& request);
  std::string BearerToken();
  absl::Duration NextDelay(int attempt);

  const KubeConfig config_;
  const KubeClientOptions options_;
  std::unique_ptr<web::http::client::http_client> http_;

  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time token_read_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dlkit::k8s

#endif  // DLKIT_K8S_CLIENT_KUBE_CLIENT_H_
