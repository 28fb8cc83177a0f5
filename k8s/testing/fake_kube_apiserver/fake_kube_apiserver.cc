#include "k8s/testing/fake_kube_apiserver/fake_kube_apiserver.h"

#include <arpa/inet.h>
#include <cpprest/http_listener.h>
#include <cpprest/producerconsumerstream.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "k8s/testing/fake_kube_apiserver/api_errors.h"
#include "k8s/testing/fake_kube_apiserver/api_path.h"
#include "k8s/testing/fake_kube_apiserver/object_store.h"

namespace dlkit::fake_kube {

namespace http = web::http;
using nlohmann::json;

namespace {

// A port free right now (the listener takes it a moment later; Start retries on a clash).
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

// The open body of a watch response. sync() after each line: without it cpprest holds
// the bytes until 4 KiB have gathered.
class BufferWatchStream : public WatchStream {
 public:
  concurrency::streams::istream body() { return buffer_.create_istream(); }

  bool Send(const std::string& line) override {
    if (!buffer_.can_write()) return false;
    try {
      buffer_.putn_nocopy(reinterpret_cast<const uint8_t*>(line.data()), line.size()).get();
      buffer_.sync().wait();
      return true;
    } catch (...) {
      return false;
    }
  }

  void Close() override {
    try {
      if (buffer_.can_write()) buffer_.close(std::ios_base::out).wait();
    } catch (...) {  // already closed by the other side
    }
  }

 private:
  concurrency::streams::producer_consumer_buffer<uint8_t> buffer_;
};

void Reply(http::http_request& request, const ApiResult& result, int retry_after_seconds = -1) {
  http::http_response response(static_cast<http::status_code>(result.code));
  response.set_body(result.body.dump(), "application/json");
  if (retry_after_seconds >= 0) {
    response.headers().add("Retry-After", std::to_string(retry_after_seconds));
  }
  request.reply(response).then([](pplx::task<void> sent) {
    try {
      sent.get();
    } catch (...) {  // the client left; nothing to clean up
    }
  });
}

std::string RbacVerb(const std::string& method, const std::string& name, bool watch) {
  if (method == "GET") return watch ? "watch" : (name.empty() ? "list" : "get");
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return name.empty() ? "deletecollection" : "delete";
  return absl::AsciiStrToLower(method);
}

ApiResult InjectedFailure(int code) {
  switch (code) {
    case 429:
      return StatusError(429, "TooManyRequests", "too many requests, please try again later");
    case 409:
      return StatusError(409, "Conflict", "injected conflict");
    case 503:
      return StatusError(503, "ServiceUnavailable",
                         "the server is currently unable to handle the request");
    default:
      return StatusError(
          code, "InternalError",
          "an error on the server (injected) has prevented the request from succeeding");
  }
}

}  // namespace

bool ApiCall::operator==(const ApiCall& other) const {
  return verb == other.verb && group == other.group && resource == other.resource &&
         subresource == other.subresource && ns == other.ns;
}

absl::StatusOr<std::unique_ptr<FakeKubeApiServer>> FakeKubeApiServer::Start(
    FakeKubeApiServerOptions options) {
  std::unique_ptr<FakeKubeApiServer> server(new FakeKubeApiServer());
  server->store_ = std::make_shared<ObjectStore>(options.event_window);
  std::string last_error;
  for (int attempt = 0; attempt < 5; ++attempt) {
    server->url_ = absl::StrCat("http://127.0.0.1:", FreeLoopbackPort());
    try {
      auto listener = std::make_unique<http::experimental::listener::http_listener>(server->url_);
      FakeKubeApiServer* self = server.get();
      auto handler = [self](http::http_request request) { self->Handle(std::move(request)); };
      listener->support(handler);
      // Each method explicitly, or cpprest answers some (OPTIONS, HEAD) itself.
      for (const http::method& method :
           {http::methods::GET, http::methods::POST, http::methods::PUT, http::methods::PATCH,
            http::methods::DEL}) {
        listener->support(method, handler);
      }
      listener->open().wait();
      server->listener_ = std::move(listener);
      return server;
    } catch (const std::exception& e) {
      last_error = e.what();
    }
  }
  return absl::UnavailableError(absl::StrCat("fake API server cannot listen: ", last_error));
}

FakeKubeApiServer::~FakeKubeApiServer() {
  store_->BreakWatches();  // else closing the listener waits for the open streams
  try {
    if (listener_) listener_->close().wait();
  } catch (...) {
  }
}

void FakeKubeApiServer::Handle(http::http_request request) {
  request.extract_vector().then(
      [this, request](pplx::task<std::vector<unsigned char>> body) mutable {
        std::string text;
        try {
          std::vector<unsigned char> bytes = body.get();
          text.assign(bytes.begin(), bytes.end());
        } catch (...) {
          return;  // the client left while sending
        }
        Serve(std::move(request), text);
      });
}

void FakeKubeApiServer::Serve(http::http_request request, const std::string& body_text) {
  const std::string method = request.method();
  const std::string path = http::uri::decode(request.relative_uri().path());
  Query query;
  for (const auto& [key, value] : http::uri::split_query(request.relative_uri().query())) {
    query[key] = http::uri::decode(value);
  }
  const bool watch = query["watch"] == "1" || query["watch"] == "true";
  const std::optional<ApiPath> api_path = ParseApiPath(path);
  if (api_path.has_value()) {
    absl::MutexLock lock(&mu_);
    calls_.push_back({RbacVerb(method, api_path->name, watch), api_path->resource->group,
                      api_path->resource->plural, api_path->subresource, api_path->ns});
  }
  if (std::optional<Failure> failure = TakeFailure(method, path)) {
    return Reply(request, InjectedFailure(failure->http_code),
                 failure->http_code == 429 ? failure->retry_after_seconds : -1);
  }
  if (!api_path.has_value()) {
    return Reply(request,
                 StatusError(404, "NotFound", "the server could not find the requested resource"));
  }
  json body;
  if (!body_text.empty()) {
    body = json::parse(body_text, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) return Reply(request, BadRequest("the request body is not JSON"));
  }
  const ApiPath& target = *api_path;
  const bool named = !target.name.empty();
  try {
    if (method == "GET" && watch && !named) return ServeWatch(std::move(request), target, query);
    if (method == "GET" && named) return Reply(request, store_->Get(target));
    if (method == "GET") {
      absl::StatusOr<LabelSelector> selector = LabelSelector::Parse(query["labelSelector"]);
      if (!selector.ok()) {
        return Reply(request, BadRequest(std::string(selector.status().message())));
      }
      return Reply(request, store_->List(target, *selector));
    }
    if (method == "POST" && !named) return Reply(request, store_->Create(target, body));
    if (method == "PUT" && named) return Reply(request, store_->Replace(target, body));
    if (method == "PATCH" && named) {
      return Reply(request, Patch(target, request.headers().content_type(), body));
    }
    if (method == "DELETE" && named) {
      // Without a policy, batch/v1 Jobs orphan their pods (the API's old default).
      std::string policy = target.resource->kind == "Job" ? "Orphan" : "Background";
      if (!query["propagationPolicy"].empty()) policy = query["propagationPolicy"];
      if (body.is_object() && body.contains("propagationPolicy")) {
        policy = body["propagationPolicy"];
      }
      return Reply(request, store_->Delete(target, policy));
    }
    Reply(request, StatusError(405, "MethodNotAllowed",
                               absl::StrCat(method, " is not supported on ", path)));
  } catch (const json::exception& e) {
    Reply(request, BadRequest(absl::StrCat("malformed object: ", e.what())));
  }
}

ApiResult FakeKubeApiServer::Patch(const ApiPath& target, const std::string& content_type,
                                   const json& patch) {
  // Strategic merge patch is approximated by a merge patch; CRDs refuse it, as for real.
  const bool merge = absl::StartsWith(content_type, "application/merge-patch+json");
  const bool strategic = absl::StartsWith(content_type, "application/strategic-merge-patch+json");
  if (!merge && !(strategic && !target.resource->custom)) {
    return StatusError(
        415, "UnsupportedMediaType",
        absl::StrCat("the body of the request was in an unknown format - accepted "
                     "media types include: application/merge-patch+json",
                     target.resource->custom ? "" : ", application/strategic-merge-patch+json"));
  }
  return store_->MergePatch(target, patch);
}

void FakeKubeApiServer::ServeWatch(http::http_request request, const ApiPath& target,
                                   Query& query) {
  WatchRequest watch;
  watch.resource = target.resource;
  watch.ns = target.ns;
  watch.bookmarks = query["allowWatchBookmarks"] == "true";
  absl::StatusOr<LabelSelector> selector = LabelSelector::Parse(query["labelSelector"]);
  if (!selector.ok()) return Reply(request, BadRequest(std::string(selector.status().message())));
  watch.selector = *std::move(selector);
  int64_t from = 0;
  const std::string& version = query["resourceVersion"];
  if (!version.empty() && !absl::SimpleAtoi(version, &from)) {
    return Reply(request, BadRequest("resourceVersion: Invalid value"));
  }
  if (from > 0) watch.from_version = from;  // "0" means "any": like no version

  // The response goes out now; its body stays open and the store writes events into it.
  auto stream = std::make_shared<BufferWatchStream>();
  http::http_response response(http::status_codes::OK);
  response.set_body(stream->body(), "application/json");
  const uint64_t id = store_->Watch(watch, stream);
  std::weak_ptr<ObjectStore> store = store_;
  request.reply(response).then([store, id](pplx::task<void> sent) {
    try {
      sent.get();
    } catch (...) {  // the client went away
    }
    if (auto alive = store.lock()) alive->StopWatch(id);
  });
}

std::optional<FakeKubeApiServer::Failure> FakeKubeApiServer::TakeFailure(const std::string& method,
                                                                         const std::string& path) {
  absl::MutexLock lock(&mu_);
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if ((!it->method.empty() && it->method != method) || !absl::StartsWith(path, it->path_prefix)) {
      continue;
    }
    Failure failure = *it;
    if (--it->times <= 0) failures_.erase(it);
    return failure;
  }
  return std::nullopt;
}

void FakeKubeApiServer::FailNext(const std::string& method, const std::string& path_prefix,
                                 int http_code, int times, int retry_after_seconds) {
  absl::MutexLock lock(&mu_);
  failures_.push_back({method, path_prefix, http_code, times, retry_after_seconds});
}

std::vector<ApiCall> FakeKubeApiServer::Calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

absl::Status FakeKubeApiServer::SetStatus(const std::string& resource, const std::string& ns,
                                          const std::string& name, const json& status) {
  const ServedResource* served = FindResourceByPlural(resource);
  if (served == nullptr) return absl::NotFoundError(absl::StrCat("no resource ", resource));
  const ApiResult result = store_->SetStatus({served, ns, name, "status"}, status);
  if (result.code == 200) return absl::OkStatus();
  return absl::NotFoundError(result.body.value("message", ""));
}

std::optional<json> FakeKubeApiServer::GetObject(const std::string& resource, const std::string& ns,
                                                 const std::string& name) const {
  const ServedResource* served = FindResourceByPlural(resource);
  if (served == nullptr) return std::nullopt;
  return store_->Find({served, ns, name, ""});
}

absl::StatusOr<json> FakeKubeApiServer::CreateObject(const std::string& resource,
                                                     const std::string& ns, const json& object) {
  const ServedResource* served = FindResourceByPlural(resource);
  if (served == nullptr) return absl::NotFoundError(absl::StrCat("no resource ", resource));
  const ApiResult result = store_->Create({served, ns, "", ""}, object);
  if (result.code == 201 || result.code == 200) return result.body;
  return absl::InvalidArgumentError(
      absl::StrCat(result.code, " ", result.body.value("message", "")));
}

std::vector<json> FakeKubeApiServer::ListObjects(const std::string& resource, const std::string& ns,
                                                 const std::string& selector) const {
  const ServedResource* served = FindResourceByPlural(resource);
  absl::StatusOr<LabelSelector> parsed = LabelSelector::Parse(selector);
  if (served == nullptr || !parsed.ok()) return {};
  const ApiResult result = store_->List({served, ns, "", ""}, *parsed);
  std::vector<json> items;
  if (result.code == 200 && result.body.contains("items")) {
    for (const json& item : result.body["items"]) items.push_back(item);
  }
  return items;
}

void FakeKubeApiServer::BreakWatches() { store_->BreakWatches(); }
void FakeKubeApiServer::Compact() { store_->Compact(); }
void FakeKubeApiServer::SendBookmarks() { store_->SendBookmarks(); }
int FakeKubeApiServer::open_watches() const { return store_->open_watches(); }
bool FakeKubeApiServer::AwaitOpenWatches(int count, absl::Duration timeout) const {
  return store_->AwaitOpenWatches(count, timeout);
}

}  // namespace dlkit::fake_kube
