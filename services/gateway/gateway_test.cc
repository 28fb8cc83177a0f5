// The gateway between a raw HTTP/1.1 client (what a browser sends, byte for byte) and a real
// gRPC server on a real socket.

#include "services/gateway/gateway.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "dlkit/testing/echo.grpc.pb.h"
#include "services/common/server_runner.h"
#include "services/gateway/grpc_web_framing.h"

namespace dlkit::gateway {
namespace {

using dlkit::testing::EchoRequest;
using dlkit::testing::EchoResponse;

std::atomic<int> hang_calls_ended{0};

class EchoServiceImpl final : public dlkit::testing::EchoService::Service {
  grpc::Status Echo(grpc::ServerContext*, const EchoRequest* request,
                    EchoResponse* response) override {
    response->set_text("echo: " + request->text());
    return grpc::Status::OK;
  }
  grpc::Status Count(grpc::ServerContext*, const EchoRequest* request,
                     grpc::ServerWriter<EchoResponse>* writer) override {
    for (int i = 0; i < request->count(); ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(request->interval_ms()));
      EchoResponse response;
      response.set_text(request->text());
      response.set_index(i);
      if (!writer->Write(response)) break;
    }
    return grpc::Status::OK;
  }
  grpc::Status Fail(grpc::ServerContext*, const EchoRequest* request, EchoResponse*) override {
    return grpc::Status(static_cast<grpc::StatusCode>(request->error_code()), request->text());
  }
  grpc::Status Hang(grpc::ServerContext* context, const EchoRequest*,
                    grpc::ServerWriter<EchoResponse>*) override {
    while (!context->IsCancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ++hang_calls_ended;
    return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
  }
};

class HiddenServiceImpl final : public dlkit::testing::HiddenService::Service {
  grpc::Status Echo(grpc::ServerContext*, const EchoRequest*, EchoResponse*) override {
    return grpc::Status::OK;
  }
};

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// An HTTP/1.1 response as read off the socket, chunked encoding undone.
struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// A plain socket speaking HTTP/1.1, so every byte the gateway sends is visible.
class RawHttpClient {
 public:
  explicit RawHttpClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~RawHttpClient() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  void Send(const std::string& method, const std::string& path,
            std::vector<std::pair<std::string, std::string>> headers, const std::string& body) {
    std::string request = absl::StrCat(method, " ", path, " HTTP/1.1\r\n");
    bool has_host = false;
    for (const auto& [name, value] : headers) {
      absl::StrAppend(&request, name, ": ", value, "\r\n");
      has_host |= absl::AsciiStrToLower(name) == "host";
    }
    if (!has_host) absl::StrAppend(&request, "Host: 127.0.0.1:", port_of_socket(), "\r\n");
    absl::StrAppend(&request, "Content-Length: ", body.size(), "\r\n\r\n", body);
    REQUIRE(write(fd_, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  }

  // Sends a request's head announcing `content_length` bytes of body, then only `part`.
  void SendPartial(const std::string& path,
                   const std::vector<std::pair<std::string, std::string>>& headers,
                   size_t content_length, const std::string& part) {
    std::string request = absl::StrCat("POST ", path, " HTTP/1.1\r\n");
    for (const auto& [name, value] : headers) absl::StrAppend(&request, name, ": ", value, "\r\n");
    absl::StrAppend(&request, "Host: 127.0.0.1:", port_of_socket(), "\r\n",
                    "Content-Length: ", content_length, "\r\n\r\n", part);
    REQUIRE(write(fd_, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  }
  // Writes more bytes; false once the peer has closed.
  bool SendMore(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // Reads the status line and headers.
  HttpResponse ReadHead() {
    HttpResponse response;
    while (buffer_.find("\r\n\r\n") == std::string::npos) REQUIRE(Fill());
    const size_t end = buffer_.find("\r\n\r\n");
    std::vector<std::string> lines = absl::StrSplit(buffer_.substr(0, end), "\r\n");
    buffer_.erase(0, end + 4);
    std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
    REQUIRE(absl::SimpleAtoi(status_line[1], &response.status));
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      response.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
    return response;
  }

  // Reads body bytes until `min_bytes` have arrived or the body ended; chunked or sized.
  void ReadBody(HttpResponse* response, size_t min_bytes = SIZE_MAX) {
    if (response->headers["transfer-encoding"] != "chunked") {
      size_t length = 0;
      REQUIRE(absl::SimpleAtoi(response->headers["content-length"], &length));
      while (buffer_.size() < length) REQUIRE(Fill());
      response->body = buffer_.substr(0, length);
      buffer_.erase(0, length);
      return;
    }
    while (response->body.size() < min_bytes) {
      while (buffer_.find("\r\n") == std::string::npos) REQUIRE(Fill());
      size_t size = 0;
      REQUIRE(absl::SimpleHexAtoi(buffer_.substr(0, buffer_.find("\r\n")), &size));
      const size_t start = buffer_.find("\r\n") + 2;
      while (buffer_.size() < start + size + 2) REQUIRE(Fill());
      response->body += buffer_.substr(start, size);
      buffer_.erase(0, start + size + 2);
      if (size == 0) return;
    }
  }

  HttpResponse Exchange(const std::string& method, const std::string& path,
                        std::vector<std::pair<std::string, std::string>> headers,
                        const std::string& body) {
    Send(method, path, std::move(headers), body);
    HttpResponse response = ReadHead();
    if (method != "HEAD" && response.status != 204) ReadBody(&response);
    return response;
  }

 private:
  bool Fill() {
    char chunk[4096];
    const ssize_t n = read(fd_, chunk, sizeof(chunk));
    if (n <= 0) return false;
    buffer_.append(chunk, n);
    return true;
  }
  int port_of_socket() const {
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
  }

  int fd_ = -1;
  std::string buffer_;
};

struct Frame {
  unsigned char flag;
  std::string payload;
};

std::vector<Frame> SplitFrames(const std::string& body) {
  std::vector<Frame> frames;
  size_t at = 0;
  while (at + 5 <= body.size()) {
    uint32_t size = 0;
    for (int i = 1; i < 5; ++i) size = (size << 8) | static_cast<unsigned char>(body[at + i]);
    REQUIRE(at + 5 + size <= body.size());
    frames.push_back({static_cast<unsigned char>(body[at]), body.substr(at + 5, size)});
    at += 5 + size;
  }
  REQUIRE(at == body.size());
  return frames;
}

std::string GrpcWebBody(const EchoRequest& request) {
  return EncodeFrame(kMessageFlag, request.SerializeAsString());
}

const std::vector<std::pair<std::string, std::string>> kGrpcWeb = {
    {"Content-Type", "application/grpc-web+proto"}, {"X-Grpc-Web", "1"}};

// One echo server and one channel to it for the whole binary. gRPC 1.51 runs callback calls
// on a shared completion queue that it shuts down with the last channel using it; a new
// channel created during that shutdown aborts the process ("prior > 0"). The daemon never
// drops its channel; the tests must not either.
struct EchoBackend {
  EchoBackend() {
    absl::StatusOr<StartedServer> started = StartServer("127.0.0.1:0", {&echo, &hidden});
    REQUIRE(started.ok());
    server = std::move(started->server);
    channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", started->port),
                                  grpc::InsecureChannelCredentials());
  }
  EchoServiceImpl echo;
  HiddenServiceImpl hidden;
  std::unique_ptr<grpc::Server> server;
  std::shared_ptr<grpc::Channel> channel;
};

EchoBackend& Backend() {
  static EchoBackend* backend = new EchoBackend();  // never destroyed, see above
  return *backend;
}

class GatewayFixture {
 public:
  GatewayFixture() {
    static_dir_ = std::filesystem::temp_directory_path() /
                  absl::StrCat("gateway_test_", getpid(), "_", FreePort());
    std::filesystem::create_directories(static_dir_ / "assets");
    std::ofstream(static_dir_ / "index.html") << "<!doctype html><title>dlkit</title>";
    std::ofstream(static_dir_ / "assets" / "app-1a2b.js") << "console.log('dlkit')";
    port_ = FreePort();
    GatewayOptions options;
    options.listen_address = absl::StrCat("127.0.0.1:", port_);
    options.static_dir = static_dir_.string();
    options.allowed_methods = {"dlkit.testing.EchoService"};
    options.cors_origins = {"http://localhost:5173"};
    options.heartbeat_interval = absl::Milliseconds(200);
    absl::StatusOr<std::unique_ptr<GrpcWebGateway>> gateway =
        GrpcWebGateway::Start(options, Backend().channel);
    REQUIRE(gateway.ok());
    gateway_ = std::move(*gateway);
  }
  ~GatewayFixture() {
    gateway_.reset();
    std::filesystem::remove_all(static_dir_);
  }

  HttpResponse Call(const std::string& method, const EchoRequest& request,
                    std::vector<std::pair<std::string, std::string>> extra_headers = {}) {
    RawHttpClient client(port_);
    std::vector<std::pair<std::string, std::string>> headers = kGrpcWeb;
    headers.insert(headers.end(), extra_headers.begin(), extra_headers.end());
    return client.Exchange("POST", method, headers, GrpcWebBody(request));
  }

  std::filesystem::path static_dir_;
  int port_ = 0;
  std::unique_ptr<GrpcWebGateway> gateway_;
};

std::string TrailerOf(const std::vector<Frame>& frames) {
  REQUIRE(!frames.empty());
  REQUIRE(frames.back().flag == 0x80);
  return frames.back().payload;
}

TEST_CASE_METHOD(GatewayFixture, "a unary call: one message frame, then trailers", "[gateway]") {
  EchoRequest request;
  request.set_text("hello");
  HttpResponse response = Call("/dlkit.testing.EchoService/Echo", request);
  CHECK(response.status == 200);
  CHECK(response.headers["content-type"] == "application/grpc-web+proto");
  std::vector<Frame> frames = SplitFrames(response.body);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].flag == 0x00);
  EchoResponse echoed;
  REQUIRE(echoed.ParseFromString(frames[0].payload));
  CHECK(echoed.text() == "echo: hello");
  CHECK(TrailerOf(frames) == "grpc-status:0\r\n");
}

TEST_CASE_METHOD(GatewayFixture, "a server stream arrives frame by frame, in order", "[gateway]") {
  EchoRequest request;
  request.set_text("tick");
  request.set_count(4);
  request.set_interval_ms(150);
  RawHttpClient client(port_);
  client.Send("POST", "/dlkit.testing.EchoService/Count", kGrpcWeb, GrpcWebBody(request));
  HttpResponse response = client.ReadHead();
  CHECK(response.headers["transfer-encoding"] == "chunked");
  // The first message comes long before the stream ends (3 x 150 ms later): not buffered.
  const auto start = std::chrono::steady_clock::now();
  client.ReadBody(&response, 5);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(400));
  client.ReadBody(&response);
  std::vector<Frame> frames = SplitFrames(response.body);
  std::vector<int> indexes;
  for (const Frame& frame : frames) {
    if (frame.flag != 0x00 || frame.payload.empty()) continue;  // skip heartbeats
    EchoResponse message;
    REQUIRE(message.ParseFromString(frame.payload));
    indexes.push_back(message.index());
  }
  CHECK(indexes == std::vector<int>{0, 1, 2, 3});
  CHECK(TrailerOf(frames) == "grpc-status:0\r\n");
}

TEST_CASE_METHOD(GatewayFixture, "a backend error is HTTP 200 with the status in the trailers",
                 "[gateway]") {
  EchoRequest request;
  request.set_error_code(static_cast<int>(grpc::StatusCode::NOT_FOUND));
  request.set_text("no experiment 'x' (100% sure)");
  HttpResponse response = Call("/dlkit.testing.EchoService/Fail", request);
  CHECK(response.status == 200);
  std::vector<Frame> frames = SplitFrames(response.body);
  REQUIRE(frames.size() == 1);
  CHECK(TrailerOf(frames) == "grpc-status:5\r\ngrpc-message:no experiment 'x' (100%25 sure)\r\n");
}

TEST_CASE_METHOD(GatewayFixture, "grpc-timeout becomes the backend call's deadline", "[gateway]") {
  const int ended_before = hang_calls_ended.load();
  const auto start = std::chrono::steady_clock::now();
  HttpResponse response =
      Call("/dlkit.testing.EchoService/Hang", EchoRequest(), {{"grpc-timeout", "300m"}});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= std::chrono::milliseconds(290));
  CHECK(elapsed < std::chrono::seconds(5));
  CHECK(absl::StartsWith(TrailerOf(SplitFrames(response.body)), "grpc-status:4\r\n"));
  // The server saw its deadline too.
  for (int i = 0; i < 200 && hang_calls_ended.load() == ended_before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(hang_calls_ended.load() == ended_before + 1);

  HttpResponse bad =
      Call("/dlkit.testing.EchoService/Echo", EchoRequest(), {{"grpc-timeout", "soon"}});
  CHECK(TrailerOf(SplitFrames(bad.body)) ==
        "grpc-status:3\r\ngrpc-message:grpc-timeout 'soon' is not 1 to 8 digits followed by H, "
        "M, S, m, u or n\r\n");
}

TEST_CASE_METHOD(GatewayFixture, "a browser that goes away cancels the backend call", "[gateway]") {
  const int ended_before = hang_calls_ended.load();
  {
    RawHttpClient client(port_);
    client.Send("POST", "/dlkit.testing.EchoService/Hang", kGrpcWeb, GrpcWebBody(EchoRequest()));
    HttpResponse response = client.ReadHead();
    CHECK(response.status == 200);
    // The idle stream gets an empty message as heartbeat (every 200 ms in this test).
    client.ReadBody(&response, 5);
    CHECK(response.body.substr(0, 5) == std::string("\0\0\0\0\0", 5));
    CHECK(gateway_->calls_in_flight() == 1);
  }  // the socket closes
  for (int i = 0; i < 500 && gateway_->calls_in_flight() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(gateway_->calls_in_flight() == 0);
  for (int i = 0; i < 200 && hang_calls_ended.load() == ended_before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(hang_calls_ended.load() == ended_before + 1);
}

TEST_CASE_METHOD(GatewayFixture,
                 "a gateway closed while a request body is still arriving closes at once",
                 "[gateway]") {
  RawHttpClient client(port_);
  const std::string body = GrpcWebBody(EchoRequest());
  client.SendPartial("/dlkit.testing.EchoService/Echo", kGrpcWeb, body.size() + 100, body);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the body read is pending
  std::atomic<bool> closed{false};
  std::thread closer([&] {
    gateway_.reset();
    closed = true;
  });
  for (int i = 0; i < 1000 && !closed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(closed);  // the destructor does not wait for the browser to finish sending
  // The rest of the body, if the socket still takes it, reaches no freed gateway.
  (void)client.SendMore(std::string(100, 'x'));
  closer.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

TEST_CASE_METHOD(GatewayFixture, "only allowlisted, browser-callable methods are forwarded",
                 "[gateway]") {
  CHECK(TrailerOf(SplitFrames(Call("/dlkit.testing.HiddenService/Echo", EchoRequest()).body)) ==
        "grpc-status:7\r\ngrpc-message:dlkit.testing.HiddenService/Echo is not open to the "
        "browser\r\n");
  CHECK(TrailerOf(SplitFrames(Call("/dlkit.testing.EchoService/Nope", EchoRequest()).body)) ==
        "grpc-status:12\r\ngrpc-message:no method dlkit.testing.EchoService/Nope behind this "
        "gateway\r\n");
  CHECK(absl::StartsWith(
      TrailerOf(SplitFrames(Call("/dlkit.testing.EchoService/Collect", EchoRequest()).body)),
      "grpc-status:12\r\ngrpc-message:dlkit.testing.EchoService/Collect streams from the client"));
  CHECK(absl::StartsWith(TrailerOf(SplitFrames(Call("/just-a-path", EchoRequest()).body)),
                         "grpc-status:12\r\n"));
}

TEST_CASE_METHOD(GatewayFixture, "a malformed body is INVALID_ARGUMENT, naming the problem",
                 "[gateway]") {
  RawHttpClient client(port_);
  HttpResponse response = client.Exchange("POST", "/dlkit.testing.EchoService/Echo", kGrpcWeb,
                                          std::string("\0\0\0\0\x09hi", 7));
  CHECK(TrailerOf(SplitFrames(response.body)) ==
        "grpc-status:3\r\ngrpc-message:gRPC-web request frame says 9 bytes but the body holds 2 "
        "after the header; only one message per request\r\n");
  RawHttpClient client2(port_);
  HttpResponse plain = client2.Exchange("POST", "/dlkit.testing.EchoService/Echo",
                                        {{"Content-Type", "text/plain"}}, "hi");
  CHECK(plain.status == 415);
}

TEST_CASE_METHOD(GatewayFixture, "grpc-web-text: base64 both ways", "[gateway]") {
  EchoRequest request;
  request.set_text("as text");
  RawHttpClient client(port_);
  HttpResponse response = client.Exchange("POST", "/dlkit.testing.EchoService/Echo",
                                          {{"Content-Type", "application/grpc-web-text"}},
                                          absl::Base64Escape(GrpcWebBody(request)));
  CHECK(response.headers["content-type"] == "application/grpc-web-text+proto");
  // Each frame is its own padded base64 run.
  std::string body = response.body;
  std::string all;
  size_t at = 0;
  while (at < body.size()) {
    size_t end = at;
    while (end < body.size() && body[end] != '=') ++end;
    while (end < body.size() && body[end] == '=') ++end;
    std::string part;
    REQUIRE(absl::Base64Unescape(body.substr(at, end - at), &part));
    all += part;
    at = end;
  }
  std::vector<Frame> frames = SplitFrames(all);
  REQUIRE(frames.size() == 2);
  EchoResponse echoed;
  REQUIRE(echoed.ParseFromString(frames[0].payload));
  CHECK(echoed.text() == "echo: as text");
}

TEST_CASE_METHOD(GatewayFixture, "CORS: preflight and calls from allowed origins only",
                 "[gateway]") {
  RawHttpClient client(port_);
  HttpResponse preflight =
      client.Exchange("OPTIONS", "/dlkit.testing.EchoService/Echo",
                      {{"Origin", "http://localhost:5173"},
                       {"Access-Control-Request-Method", "POST"},
                       {"Access-Control-Request-Headers", "content-type,x-grpc-web"}},
                      "");
  CHECK(preflight.status == 204);
  CHECK(preflight.headers["access-control-allow-origin"] == "http://localhost:5173");
  CHECK(absl::StrContains(preflight.headers["access-control-allow-headers"], "x-grpc-web"));
  CHECK(absl::StrContains(preflight.headers["access-control-allow-headers"], "grpc-timeout"));
  CHECK(absl::StrContains(preflight.headers["access-control-allow-methods"], "POST"));

  HttpResponse allowed =
      Call("/dlkit.testing.EchoService/Echo", EchoRequest(), {{"Origin", "http://localhost:5173"}});
  CHECK(allowed.headers["access-control-allow-origin"] == "http://localhost:5173");
  CHECK(absl::StrContains(allowed.headers["access-control-expose-headers"], "grpc-status"));

  RawHttpClient client2(port_);
  HttpResponse evil_preflight = client2.Exchange(
      "OPTIONS", "/dlkit.testing.EchoService/Echo",
      {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}}, "");
  CHECK(evil_preflight.status == 403);
  CHECK(evil_preflight.headers.count("access-control-allow-origin") == 0);
  HttpResponse evil_call =
      Call("/dlkit.testing.EchoService/Echo", EchoRequest(), {{"Origin", "https://evil.example"}});
  CHECK(evil_call.status == 403);
  CHECK(absl::StrContains(evil_call.body, "origin https://evil.example may not call"));

  // The gateway's own origin needs no CORS at all.
  HttpResponse same = Call("/dlkit.testing.EchoService/Echo", EchoRequest(),
                           {{"Origin", absl::StrCat("http://127.0.0.1:", port_)}});
  CHECK(same.status == 200);
  CHECK(same.headers.count("access-control-allow-origin") == 0);
}

TEST_CASE_METHOD(GatewayFixture, "a foreign Host (DNS rebinding) is refused", "[gateway]") {
  RawHttpClient client(port_);
  HttpResponse response =
      client.Exchange("GET", "/", {{"Host", absl::StrCat("rebind.example:", port_)}}, "");
  CHECK(response.status == 403);
  RawHttpClient client2(port_);
  CHECK(client2.Exchange("GET", "/", {{"Host", absl::StrCat("localhost:", port_)}}, "").status ==
        200);
}

TEST_CASE_METHOD(GatewayFixture, "the dashboard's files, client-side routes and misses",
                 "[gateway]") {
  auto get = [&](const std::string& path) {
    RawHttpClient client(port_);
    return client.Exchange("GET", path, {}, "");
  };
  HttpResponse index = get("/");
  CHECK(index.status == 200);
  CHECK(index.body == "<!doctype html><title>dlkit</title>");
  CHECK(index.headers["content-type"] == "text/html; charset=utf-8");
  CHECK(index.headers["cache-control"] == "no-cache");
  HttpResponse script = get("/assets/app-1a2b.js");
  CHECK(script.body == "console.log('dlkit')");
  CHECK(script.headers["content-type"] == "text/javascript; charset=utf-8");
  CHECK(absl::StrContains(script.headers["cache-control"], "immutable"));
  CHECK(get("/experiments/abc123/trials").body == index.body);
  CHECK(get("/assets/missing.js").status == 404);
  CHECK(get("/assets/../../etc/passwd").status == 400);
}

}  // namespace
}  // namespace dlkit::gateway
