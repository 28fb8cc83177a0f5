#ifndef DLKIT_SERVICES_GATEWAY_GATEWAY_H_
#define DLKIT_SERVICES_GATEWAY_GATEWAY_H_

// The dashboard's gateway: serves the built UI and forwards gRPC-web calls (HTTP/1.1, from
// the browser) to gRPC services, for any method, unary or server-streaming, with no code
// per method: each call is driven through grpc::GenericStub as raw bytes.
//
// With `sessions` set, every request but a login needs the session cookie (see
// dashboard_sessions.h), each call is held to the session's role, and a call that changes
// state must come with an Origin header of the gateway's own (or a configured) origin.
// The browser may call only the methods on the allowlist. A page from another origin is
// refused unless that origin is configured, and requests must carry a gRPC-web content
// type, so a web page the user happens to visit cannot steer their experiments.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "services/auth/access.h"
#include "services/auth/dashboard_sessions.h"

namespace web::http {
class http_request;
namespace experimental::listener {
class http_listener;
}  // namespace experimental::listener
}  // namespace web::http

namespace dlkit::gateway {

struct GatewayOptions {
  std::string listen_address = "127.0.0.1:8080";  // host:port
  // The built dashboard (ui/dist). Empty or missing: "/" explains how to build it.
  std::string static_dir;
  // What the browser may call: "pkg.Service" (every method) or "pkg.Service/Method".
  std::vector<std::string> allowed_methods;
  // Origins other than the gateway's own that may call it (e.g. "http://localhost:5173",
  // Vite's dev server). Exact matches only.
  std::vector<std::string> cors_origins;
  // Login codes and session cookies; null: no login (the gateway's own unit tests).
  auth::DashboardSessions* sessions = nullptr;
  // A server-streaming call that sent nothing for this long gets an empty message, so
  // proxies keep it open and a vanished browser is noticed (the write fails).
  absl::Duration heartbeat_interval = absl::Seconds(15);
};

class ForwardedCall;

class GrpcWebGateway {
 public:
  // Listens at once; calls go to `backend` (e.g. the daemon's in-process channel).
  static absl::StatusOr<std::unique_ptr<GrpcWebGateway>> Start(
      GatewayOptions options, std::shared_ptr<grpc::ChannelInterface> backend);
  ~GrpcWebGateway();  // stops listening, cancels the calls in flight and waits for them

  GrpcWebGateway(const GrpcWebGateway&) = delete;
  GrpcWebGateway& operator=(const GrpcWebGateway&) = delete;

  std::string url() const { return "http://" + options_.listen_address; }
  int calls_in_flight() const;

 private:
  friend class ForwardedCall;

  GrpcWebGateway(GatewayOptions options, std::shared_ptr<grpc::ChannelInterface> backend);

  void Handle(web::http::http_request request);
  void Forward(web::http::http_request request, const std::string& origin);
  void ServeStatic(web::http::http_request request);
  // Swaps the `login` query's code for a session cookie and sends the browser on.
  void LogIn(web::http::http_request request, const std::string& code);
  // The request's session role; UNAUTHENTICATED without a valid session cookie.
  absl::StatusOr<auth::Role> SessionRole(const web::http::http_request& request) const;
  bool MethodAllowed(const std::string& service, const std::string& method) const;
  bool OriginAllowed(const std::string& origin) const;
  bool HostAllowed(const std::string& host) const;

  uint64_t Register(ForwardedCall* call);
  void Unregister(uint64_t id);
  void CancelCall(uint64_t id);  // the browser went away
  void HeartbeatLoop();
  // Held by every continuation cpprest may run later (a request body read, a reply sent),
  // so that the destructor waits for them instead of leaving them a freed gateway.
  std::shared_ptr<void> HoldOpen();

  const GatewayOptions options_;
  grpc::GenericStub stub_;
  std::unique_ptr<web::http::experimental::listener::http_listener> listener_;

  mutable absl::Mutex mu_;
  std::map<uint64_t, ForwardedCall*> calls_ ABSL_GUARDED_BY(mu_);
  uint64_t next_call_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int continuations_ ABSL_GUARDED_BY(mu_) = 0;  // see HoldOpen
  std::thread heartbeat_thread_;
};

}  // namespace dlkit::gateway

#endif  // DLKIT_SERVICES_GATEWAY_GATEWAY_H_
