#ifndef DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_FAKE_KUBE_APISERVER_H_
#define DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_FAKE_KUBE_APISERVER_H_

// A kube-apiserver stand-in on a loopback port, for tests of code that drives Kubernetes.
// It serves ConfigMaps, Secrets, Services, Pods, PVCs, Events, Jobs, Deployments and the
// kubeflow.org/v1 PyTorchJob/TFJob CRDs with the API server's behaviour on create, get,
// list, update, merge patch, delete and watch (see object_store.h and README.md). Nothing
// runs the objects: tests play the controllers and the kubelet with SetStatus().

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "k8s/testing/fake_kube_apiserver/api_errors.h"
#include "k8s/testing/fake_kube_apiserver/api_path.h"
#include "nlohmann/json.hpp"

namespace web::http {
class http_request;
namespace experimental::listener {
class http_listener;
}  // namespace experimental::listener
}  // namespace web::http

namespace dlkit::fake_kube {

class ObjectStore;

// One request served, in RBAC terms, for checking a Role against what code really does.
struct ApiCall {
  std::string verb;         // get, list, watch, create, update, patch, delete
  std::string group;        // "" for core
  std::string resource;     // plural
  std::string subresource;  // "status" or ""
  std::string ns;

  bool operator==(const ApiCall& other) const;
};

struct FakeKubeApiServerOptions {
  size_t event_window = 1000;  // past events kept for resuming watches
};

class FakeKubeApiServer {
 public:
  // Listens on a free loopback port.
  static absl::StatusOr<std::unique_ptr<FakeKubeApiServer>> Start(
      FakeKubeApiServerOptions options = {});
  ~FakeKubeApiServer();

  FakeKubeApiServer(const FakeKubeApiServer&) = delete;
  FakeKubeApiServer& operator=(const FakeKubeApiServer&) = delete;

  std::string url() const { return url_; }  // "http://127.0.0.1:PORT"

  // As a controller or the kubelet would, through the status subresource. `resource` is
  // the plural ("jobs", "pytorchjobs").
  absl::Status SetStatus(const std::string& resource, const std::string& ns,
                         const std::string& name, const nlohmann::json& status);
  std::optional<nlohmann::json> GetObject(const std::string& resource, const std::string& ns,
                                          const std::string& name) const;
  // As a controller inside the cluster would (the Job controller creating pods): not a
  // request, so not in Calls(). Same checks and events as a POST; the created object.
  absl::StatusOr<nlohmann::json> CreateObject(const std::string& resource, const std::string& ns,
                                              const nlohmann::json& object);
  // Every object of `resource` in `ns` (all namespaces when empty) matching `selector`.
  std::vector<nlohmann::json> ListObjects(const std::string& resource, const std::string& ns,
                                          const std::string& selector = "") const;

  void BreakWatches();   // closes every open watch stream mid-flight
  void Compact();        // drops the event history: older resourceVersions get 410
  void SendBookmarks();  // a BOOKMARK to every watch that allows them
  int open_watches() const;
  bool AwaitOpenWatches(int count, absl::Duration timeout = absl::Seconds(10)) const;

  // The next `times` requests whose method ("GET", "POST", ...; "" for any) and path start
  // match get `http_code` with a Status body. 429 carries Retry-After: `retry_after_seconds`
  // (none if negative).
  void FailNext(const std::string& method, const std::string& path_prefix, int http_code,
                int times = 1, int retry_after_seconds = -1);

  std::vector<ApiCall> Calls() const;

 private:
  struct Failure {
    std::string method;
    std::string path_prefix;
    int http_code;
    int times;
    int retry_after_seconds;
  };

  using Query = std::map<std::string, std::string>;

  FakeKubeApiServer() = default;
  void Handle(web::http::http_request request);  // reads the body, then Serve()
  void Serve(web::http::http_request request, const std::string& body);
  void ServeWatch(web::http::http_request request, const ApiPath& target, Query& query);
  ApiResult Patch(const ApiPath& target, const std::string& content_type,
                  const nlohmann::json& patch);
  std::optional<Failure> TakeFailure(const std::string& method, const std::string& path);

  std::string url_;
  std::shared_ptr<ObjectStore> store_;  // shared with replies still being sent
  std::unique_ptr<web::http::experimental::listener::http_listener> listener_;

  mutable absl::Mutex mu_;
  std::vector<Failure> failures_ ABSL_GUARDED_BY(mu_);
  std::vector<ApiCall> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dlkit::fake_kube

#endif  // DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_FAKE_KUBE_APISERVER_H_
