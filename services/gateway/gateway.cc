#include "services/gateway/gateway.h"

#include <cpprest/http_listener.h>
#include <cpprest/producerconsumerstream.h>

#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/logging.h"
#include "google/protobuf/descriptor.h"
#include "services/auth/call_authorizer.h"
#include "services/gateway/grpc_web_framing.h"

namespace dlkit::gateway {

namespace http = web::http;
using http::experimental::listener::http_listener;

namespace {

constexpr char kNotLoggedInPage[] =
    "<!doctype html><title>dlkit</title><p>Not logged in to this dlkit dashboard. Open the "
    "link that <code>dlctl daemon status</code> (or <code>dlctl submit</code>) prints: it "
    "carries a one-time login code.</p>";

constexpr char kAllowedHeaders[] =
    "content-type, x-grpc-web, x-user-agent, grpc-timeout, connect-protocol-version";
constexpr char kExposedHeaders[] = "grpc-status, grpc-message";

std::string Header(const http::http_request& request, const std::string& name) {
  auto it = request.headers().find(name);
  return it == request.headers().end() ? "" : it->second;
}

void AddCorsHeaders(http::http_headers& headers, const std::string& origin) {
  if (origin.empty()) return;
  headers.add("Access-Control-Allow-Origin", origin);
  headers.add("Access-Control-Expose-Headers", kExposedHeaders);
  headers.add("Vary", "Origin");
}

// Sends a complete response. A client that left before it arrives needs no cleanup.
void Send(http::http_request& request, const http::http_response& response) {
  request.reply(response).then([](pplx::task<void> sent) {
    try {
      sent.get();
    } catch (...) {
    }
  });
}

void ReplyText(http::http_request& request, http::status_code code, const std::string& text) {
  http::http_response response(code);
  response.set_body(text + "\n", "text/plain; charset=utf-8");
  Send(request, response);
}

std::string ContentTypeFor(const std::string& path) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"}};
  const size_t dot = path.rfind('.');
  if (dot != std::string::npos && path.find('/', dot) == std::string::npos) {
    auto it = kTypes.find(absl::AsciiStrToLower(path.substr(dot)));
    if (it != kTypes.end()) return it->second;
  }
  return "application/octet-stream";
}

bool ReadWholeFile(const std::string& path, std::vector<unsigned char>* data) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  data->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

constexpr char kNoDashboardPage[] =
    "<!doctype html><html><head><meta charset=utf-8><title>dlkit</title>"
    "<link rel=icon href=\"data:,\"></head><body style=\"font-family:sans-serif\">"
    "<h1>dlkit</h1><p>The dashboard has not been built. Run <code>tools/build.sh</code> "
    "(it builds <code>ui/</code> into <code>dist/ui</code>), or start dlkitd with "
    "<code>--ui_dir</code> pointing at a built <code>ui/dist</code>.</p></body></html>";

}  // namespace

// One browser call forwarded to the backend. Every method is driven as a bidirectional
// stream: one request written with "last", then responses read until the end, which suits
// unary and server-streaming methods alike. Deletes itself when the backend call is done.
class ForwardedCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  ForwardedCall(GrpcWebGateway* gateway, bool text_encoding, bool server_streaming)
      : gateway_(gateway), text_encoding_(text_encoding), server_streaming_(server_streaming) {}

  concurrency::streams::istream body() { return body_.create_istream(); }
  void set_id(uint64_t id) { id_ = id; }
  bool server_streaming() const { return server_streaming_; }

  void Start(const std::string& method, const std::string& request_bytes,
             std::optional<absl::Duration> timeout) {
    if (timeout.has_value()) context_.set_deadline(absl::ToChronoTime(absl::Now() + *timeout));
    grpc::Slice slice(request_bytes);
    request_ = grpc::ByteBuffer(&slice, 1);
    gateway_->stub_.PrepareBidiStreamingCall(&context_, method, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }

  void Cancel() { context_.TryCancel(); }

  // An empty message on a quiet stream (the UI skips empty messages).
  void Heartbeat(absl::Time now, absl::Duration interval) {
    {
      absl::MutexLock lock(&mu_);
      if (now - last_write_ < interval) return;
    }
    Write(kMessageFlag, "");
  }

  void OnWriteDone(bool /*ok*/) override {}

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended; OnDone follows with the status
    std::vector<grpc::Slice> slices;
    std::string message;
    if (response_.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        message.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
    response_.Clear();
    if (Write(kMessageFlag, message)) StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    gateway_->Unregister(id_);
    grpc::Status reported = status;
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      reported =
          grpc::Status(status.error_code(), "deadline exceeded (the grpc-timeout the request set)");
    }
    Write(kTrailerFlag, "", &reported);
    body_.close(std::ios_base::out).wait();
    delete this;
  }

 private:
  // Returns false once the browser is gone (the response stream was closed under us); the
  // backend call is then cancelled.
  bool Write(char flag, const std::string& payload, const grpc::Status* trailers = nullptr) {
    std::string frame =
        trailers != nullptr ? EncodeTrailers(*trailers) : EncodeFrame(flag, payload);
    if (text_encoding_) frame = absl::Base64Escape(frame);
    absl::MutexLock lock(&mu_);
    last_write_ = absl::Now();
    bool written = false;
    if (body_.can_write()) {
      try {
        written =
            body_.putn_nocopy(reinterpret_cast<const uint8_t*>(frame.data()), frame.size()).get() ==
            frame.size();
        body_.sync().wait();  // hand the frame to the socket now, not at 4 KiB
      } catch (...) {
        written = false;
      }
    }
    if (!written) context_.TryCancel();
    return written;
  }

  GrpcWebGateway* const gateway_;
  const bool text_encoding_;
  const bool server_streaming_;
  uint64_t id_ = 0;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  concurrency::streams::producer_consumer_buffer<uint8_t> body_;
  absl::Mutex mu_;
  absl::Time last_write_ ABSL_GUARDED_BY(mu_) = absl::Now();
};

GrpcWebGateway::GrpcWebGateway(GatewayOptions options,
                               std::shared_ptr<grpc::ChannelInterface> backend)
    : options_(std::move(options)), stub_(std::move(backend)) {}

absl::StatusOr<std::unique_ptr<GrpcWebGateway>> GrpcWebGateway::Start(
    GatewayOptions options, std::shared_ptr<grpc::ChannelInterface> backend) {
  std::unique_ptr<GrpcWebGateway> gateway(
      new GrpcWebGateway(std::move(options), std::move(backend)));
  http::experimental::listener::http_listener_config config;
  config.set_timeout(utility::seconds(60));
  try {
    gateway->listener_ = std::make_unique<http_listener>(gateway->url(), config);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "gateway address '", gateway->options_.listen_address, "' is not host:port: ", e.what()));
  }
  GrpcWebGateway* self = gateway.get();
  auto handler = [self](http::http_request request) { self->Handle(std::move(request)); };
  // Registered one by one: for OPTIONS without its own handler cpprest answers by itself,
  // without the CORS headers a preflight needs.
  gateway->listener_->support(handler);
  for (const http::method& m :
       {http::methods::GET, http::methods::HEAD, http::methods::POST, http::methods::OPTIONS}) {
    gateway->listener_->support(m, handler);
  }
  try {
    gateway->listener_->open().wait();
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("the dashboard gateway cannot listen on ",
                                               gateway->options_.listen_address, ": ", e.what()));
  }
  gateway->heartbeat_thread_ = std::thread([self] { self->HeartbeatLoop(); });
  return gateway;
}

GrpcWebGateway::~GrpcWebGateway() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& [id, call] : calls_) call->Cancel();
  }
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](std::map<uint64_t, ForwardedCall*>* calls) { return calls->empty(); }, &calls_));
  }
  try {
    listener_->close().wait();
  } catch (...) {  // closing a listener that failed half-way; nothing more to release
  }
  // The listener is closed, so a body still being read fails soon: wait for its continuation.
  absl::MutexLock lock(&mu_);
  if (!mu_.AwaitWithTimeout(absl::Condition(
                                +[](int* pending) { return *pending == 0; }, &continuations_),
                            absl::Seconds(30))) {
    dlkit::Log() << "gateway: " << continuations_ << " request continuations still pending";
  }
}

std::shared_ptr<void> GrpcWebGateway::HoldOpen() {
  absl::MutexLock lock(&mu_);
  ++continuations_;
  // A null pointer's deleter still runs when the last copy goes.
  return std::shared_ptr<void>(nullptr, [this](void*) {
    absl::MutexLock lock(&mu_);
    --continuations_;
  });
}

int GrpcWebGateway::calls_in_flight() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(calls_.size());
}

bool GrpcWebGateway::HostAllowed(const std::string& host) const {
  // Only for a loopback listener: a DNS name rebound to 127.0.0.1 carries its own Host.
  const std::string port = options_.listen_address.substr(options_.listen_address.rfind(':'));
  const std::string listen_host =
      options_.listen_address.substr(0, options_.listen_address.rfind(':'));
  if (listen_host != "127.0.0.1" && listen_host != "localhost" && listen_host != "[::1]") {
    return true;
  }
  return host == "127.0.0.1" + port || host == "localhost" + port || host == "[::1]" + port;
}

bool GrpcWebGateway::OriginAllowed(const std::string& origin) const {
  for (const std::string& allowed : options_.cors_origins) {
    if (allowed == origin) return true;
  }
  return false;
}

bool GrpcWebGateway::MethodAllowed(const std::string& service, const std::string& method) const {
  for (const std::string& entry : options_.allowed_methods) {
    if (entry == service || entry == absl::StrCat(service, "/", method)) return true;
  }
  return false;
}

void GrpcWebGateway::Handle(http::http_request request) {
  const std::string host = Header(request, "Host");
  if (!HostAllowed(host)) {
    ReplyText(
        request, http::status_codes::Forbidden,
        absl::StrCat("Host '", host, "' is not this gateway's address ", options_.listen_address));
    return;
  }
  // Browsers send Origin on every cross-origin call (and on same-origin POSTs).
  std::string origin = Header(request, "Origin");
  if (origin == absl::StrCat("http://", host)) {
    origin.clear();  // same origin: no CORS headers needed
  } else if (!origin.empty() && !OriginAllowed(origin)) {
    ReplyText(request, http::status_codes::Forbidden,
              absl::StrCat("origin ", origin,
                           " may not call this gateway; allow it with "
                           "dlkitd --gateway_cors_origins=",
                           origin));
    return;
  }
  const http::method& method = request.method();
  if (options_.sessions != nullptr && method != http::methods::OPTIONS) {
    // Preflights carry no cookies; the call they precede does.
    const std::map<std::string, std::string> query =
        http::uri::split_query(request.relative_uri().query());
    if (auto login = query.find(auth::kLoginQueryKey);
        login != query.end() && (method == http::methods::GET || method == http::methods::HEAD)) {
      LogIn(std::move(request), login->second);
      return;
    }
    if (absl::StatusOr<auth::Role> role = SessionRole(request); !role.ok()) {
      if (method == http::methods::POST) {
        http::http_response response(http::status_codes::OK);
        const std::string frame = EncodeTrailers(
            grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(role.status().message())));
        response.set_body(std::vector<unsigned char>(frame.begin(), frame.end()));
        response.headers().set_content_type("application/grpc-web+proto");
        AddCorsHeaders(response.headers(), origin);
        Send(request, response);
      } else {
        http::http_response response(http::status_codes::Unauthorized);
        response.set_body(absl::StrCat(kNotLoggedInPage, "\n"), "text/html; charset=utf-8");
        Send(request, response);
      }
      return;
    }
  }
  if (method == http::methods::OPTIONS) {
    http::http_response response(http::status_codes::NoContent);
    AddCorsHeaders(response.headers(), origin);
    response.headers().add("Access-Control-Allow-Methods", "POST, GET, OPTIONS");
    response.headers().add("Access-Control-Allow-Headers", kAllowedHeaders);
    response.headers().add("Access-Control-Max-Age", "600");
    Send(request, response);
  } else if (method == http::methods::POST) {
    Forward(std::move(request), origin);
  } else if (method == http::methods::GET || method == http::methods::HEAD) {
    ServeStatic(std::move(request));
  } else {
    ReplyText(request, http::status_codes::MethodNotAllowed,
              absl::StrCat("method ", method,
                           " is not served; use POST for gRPC-web calls, "
                           "GET for the dashboard"));
  }
}

void GrpcWebGateway::Forward(http::http_request request, const std::string& origin) {
  const std::string content_type = absl::AsciiStrToLower(Header(request, "Content-Type"));
  const bool text_encoding = absl::StartsWith(content_type, "application/grpc-web-text");
  if (!absl::StartsWith(content_type, "application/grpc-web")) {
    ReplyText(request, http::status_codes::UnsupportedMediaType,
              absl::StrCat("Content-Type '", content_type,
                           "' is not gRPC-web; send application/grpc-web+proto"));
    return;
  }
  const std::string path = http::uri::decode(request.relative_uri().path());
  const std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());

  // Answers an error the gRPC-web way: HTTP 200 with only a trailer frame.
  const std::string response_type =
      text_encoding ? "application/grpc-web-text+proto" : "application/grpc-web+proto";
  // By value: it also runs in the body's continuation, after this function returned.
  auto fail = [request, origin, text_encoding, response_type](grpc::StatusCode code,
                                                              const std::string& message) mutable {
    http::http_response response(http::status_codes::OK);
    std::string frame = EncodeTrailers(grpc::Status(code, message));
    if (text_encoding) frame = absl::Base64Escape(frame);
    response.set_body(std::vector<unsigned char>(frame.begin(), frame.end()));
    response.headers().set_content_type(response_type);
    AddCorsHeaders(response.headers(), origin);
    Send(request, response);
  };

  if (parts.size() != 2) {
    fail(grpc::StatusCode::UNIMPLEMENTED,
         absl::StrCat("path '", path, "' is not /package.Service/Method"));
    return;
  }
  const std::string& service = parts[0];
  const std::string& method_name = parts[1];
  const google::protobuf::ServiceDescriptor* service_descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  const google::protobuf::MethodDescriptor* method_descriptor =
      service_descriptor == nullptr ? nullptr : service_descriptor->FindMethodByName(method_name);
  if (method_descriptor == nullptr) {
    fail(grpc::StatusCode::UNIMPLEMENTED,
         absl::StrCat("no method ", service, "/", method_name, " behind this gateway"));
    return;
  }
  if (!MethodAllowed(service, method_name)) {
    fail(grpc::StatusCode::PERMISSION_DENIED,
         absl::StrCat(service, "/", method_name, " is not open to the browser"));
    return;
  }
  if (options_.sessions != nullptr) {
    const std::string full_method = absl::StrCat(service, "/", method_name);
    absl::StatusOr<auth::Role> role = SessionRole(request);
    absl::Status allowed = role.ok() ? auth::RoleAllows(*role, full_method) : role.status();
    if (!allowed.ok()) {
      fail(static_cast<grpc::StatusCode>(allowed.code()), std::string(allowed.message()));
      return;
    }
    // SameSite=Strict keeps the cookie off other sites' requests; checking Origin as well
    // stops a state change from anywhere but this dashboard's own pages.
    absl::StatusOr<auth::MethodAccess> access = auth::AccessFor(full_method);
    if (access.ok() && access->role >= auth::Role::kWrite && Header(request, "Origin").empty()) {
      fail(grpc::StatusCode::PERMISSION_DENIED,
           absl::StrCat(method_name,
                        " changes state and must come from the dashboard's own "
                        "page (the request has no Origin header)"));
      return;
    }
  }
  if (method_descriptor->client_streaming()) {
    fail(grpc::StatusCode::UNIMPLEMENTED,
         absl::StrCat(service, "/", method_name,
                      " streams from the client, which gRPC-web cannot carry"));
    return;
  }
  std::optional<absl::Duration> timeout;
  if (const std::string value = Header(request, "grpc-timeout"); !value.empty()) {
    absl::StatusOr<absl::Duration> parsed = ParseGrpcTimeout(value);
    if (!parsed.ok()) {
      fail(grpc::StatusCode::INVALID_ARGUMENT, std::string(parsed.status().message()));
      return;
    }
    timeout = *parsed;
  }

  const std::string full_method = absl::StrCat("/", service, "/", method_name);
  const bool server_streaming = method_descriptor->server_streaming();
  request.extract_vector().then([this, hold = HoldOpen(), request, origin, fail, text_encoding,
                                 response_type, full_method, server_streaming, timeout](
                                    pplx::task<std::vector<unsigned char>> body_task) mutable {
    std::string body;
    try {
      std::vector<unsigned char> bytes = body_task.get();
      body.assign(bytes.begin(), bytes.end());
    } catch (const std::exception& e) {
      return;  // the browser left while sending; there is no one to answer
    }
    if (text_encoding) {
      std::string decoded;
      if (!absl::Base64Unescape(absl::StripAsciiWhitespace(body), &decoded)) {
        fail(grpc::StatusCode::INVALID_ARGUMENT, "grpc-web-text request body is not valid base64");
        return;
      }
      body = std::move(decoded);
    }
    absl::StatusOr<std::string> message = DecodeSingleMessage(body);
    if (!message.ok()) {
      fail(grpc::StatusCode::INVALID_ARGUMENT, std::string(message.status().message()));
      return;
    }
    auto* call = new ForwardedCall(this, text_encoding, server_streaming);
    const uint64_t id = Register(call);
    if (id == 0) {
      delete call;
      fail(grpc::StatusCode::UNAVAILABLE, "the gateway is shutting down");
      return;
    }
    http::http_response response(http::status_codes::OK);
    response.set_body(call->body(), response_type);
    AddCorsHeaders(response.headers(), origin);
    response.headers().add("Cache-Control", "no-store");
    // Replying first sends the headers; frames follow as the backend produces them.
    request.reply(response).then([this, hold, id](pplx::task<void> sent) {
      try {
        sent.get();
      } catch (...) {
        CancelCall(id);
      }
    });
    call->Start(full_method, *message, timeout);
  });
}

void GrpcWebGateway::LogIn(http::http_request request, const std::string& code) {
  absl::StatusOr<auth::Role> role = options_.sessions->RedeemLoginCode(code);
  if (!role.ok()) {
    http::http_response response(http::status_codes::Unauthorized);
    response.set_body(
        absl::StrCat("<!doctype html><title>dlkit</title><p>", role.status().message(), "</p>\n"),
        "text/html; charset=utf-8");
    Send(request, response);
    return;
  }
  // 303 to the same path without the code: it leaves the address bar and the history. The
  // browser keeps the URL's #fragment (the page to show) across the redirect.
  http::http_response response(http::status_codes::SeeOther);
  const std::string path = request.relative_uri().path();
  response.headers().add("Location", path.empty() ? "/" : path);
  response.headers().add("Set-Cookie", absl::StrCat(auth::kSessionCookieName, "=",
                                                    options_.sessions->OpenSession(*role),
                                                    "; Path=/; HttpOnly; SameSite=Strict"));
  response.headers().add("Cache-Control", "no-store");
  Send(request, response);
}

absl::StatusOr<auth::Role> GrpcWebGateway::SessionRole(const http::http_request& request) const {
  const std::string prefix = absl::StrCat(auth::kSessionCookieName, "=");
  for (absl::string_view cookie : absl::StrSplit(Header(request, "Cookie"), ';')) {
    cookie = absl::StripAsciiWhitespace(cookie);
    if (absl::ConsumePrefix(&cookie, prefix)) {
      return options_.sessions->SessionRole(std::string(cookie));
    }
  }
  return options_.sessions->SessionRole("");
}

void GrpcWebGateway::ServeStatic(http::http_request request) {
  std::string path = http::uri::decode(request.relative_uri().path());
  if (path.find("..") != std::string::npos || path.find('\0') != std::string::npos) {
    ReplyText(request, http::status_codes::BadRequest, "path may not contain '..'");
    return;
  }
  if (path.empty() || path == "/") path = "/index.html";
  std::vector<unsigned char> data;
  std::string file = options_.static_dir + path;
  bool found = !options_.static_dir.empty() && ReadWholeFile(file, &data);
  const std::string last_segment = path.substr(path.rfind('/') + 1);
  if (!found && (last_segment.find('.') == std::string::npos || path == "/index.html")) {
    // A client-side route (/experiments/abc): the single-page app handles it.
    file = options_.static_dir + "/index.html";
    found = !options_.static_dir.empty() && ReadWholeFile(file, &data);
    if (!found) {
      http::http_response response(http::status_codes::OK);
      response.set_body(std::string(kNoDashboardPage), "text/html; charset=utf-8");
      Send(request, response);
      return;
    }
  }
  if (!found) {
    ReplyText(request, http::status_codes::NotFound, absl::StrCat("no file ", path));
    return;
  }
  http::http_response response(http::status_codes::OK);
  response.set_body(std::move(data));
  response.headers().set_content_type(ContentTypeFor(file));
  // Vite names built assets by their content hash; index.html must always be fresh.
  response.headers().add("Cache-Control", absl::StrContains(path, "/assets/")
                                              ? "public, max-age=31536000, immutable"
                                              : "no-cache");
  Send(request, response);
}

uint64_t GrpcWebGateway::Register(ForwardedCall* call) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return 0;
  const uint64_t id = next_call_id_++;
  call->set_id(id);
  calls_[id] = call;
  return id;
}

void GrpcWebGateway::Unregister(uint64_t id) {
  absl::MutexLock lock(&mu_);
  calls_.erase(id);
}

void GrpcWebGateway::CancelCall(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(id);
  if (it != calls_.end()) it->second->Cancel();
}

void GrpcWebGateway::HeartbeatLoop() {
  const absl::Duration tick = std::min(absl::Seconds(1), options_.heartbeat_interval / 2);
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), tick)) {
    const absl::Time now = absl::Now();
    for (auto& [id, call] : calls_) {
      if (call->server_streaming()) call->Heartbeat(now, options_.heartbeat_interval);
    }
  }
}

}  // namespace dlkit::gateway
