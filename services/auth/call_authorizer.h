#ifndef DLKIT_SERVICES_AUTH_CALL_AUTHORIZER_H_
#define DLKIT_SERVICES_AUTH_CALL_AUTHORIZER_H_

// The server side of tokens: each handler asks first whether its caller may call it. The
// token travels as the call's "authorization: Bearer <token>" metadata, on loopback too.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "services/auth/access.h"
#include "services/auth/token_store.h"
#include "services/common/unary_reactor.h"

namespace dlkit::auth {

inline constexpr char kAuthorizationKey[] = "authorization";

// PERMISSION_DENIED, naming both roles, when `role` is too low for `full_method`.
absl::Status RoleAllows(Role role, absl::string_view full_method);

class CallAuthorizer {
 public:
  explicit CallAuthorizer(const TokenStore* tokens) : tokens_(tokens) {}

  // OK when the call may go on: its method proves its caller itself, or it carries a
  // token whose role suffices. UNAUTHENTICATED without a (valid) token, PERMISSION_DENIED
  // for a too-low role, both saying what to do.
  absl::Status Check(const grpc::ServerContextBase& context, absl::string_view full_method) const;
  // The role of the call's token; UNAUTHENTICATED without one of this daemon's.
  absl::StatusOr<Role> CallerRole(const grpc::ServerContextBase& context) const;
  // As Check, for a bare token ("" = none).
  absl::Status CheckToken(absl::string_view token, absl::string_view full_method) const;

 private:
  const TokenStore* tokens_;
};

// For handlers: null when `authorizer` lets the call through (or is null, a service built
// without one, as unit tests do), else the call already finished with the refusal.
inline grpc::ServerUnaryReactor* RefuseUnary(const CallAuthorizer* authorizer,
                                             grpc::CallbackServerContext* context,
                                             absl::string_view full_method) {
  if (authorizer == nullptr) return nullptr;
  absl::Status allowed = authorizer->Check(*context, full_method);
  return allowed.ok() ? nullptr : FinishUnary(context, allowed);
}

// A server stream that ends at once with a refusal.
template <typename Response>
class RefusedStream final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit RefusedStream(const absl::Status& status) { this->Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

template <typename Response>
grpc::ServerWriteReactor<Response>* RefuseStream(const CallAuthorizer* authorizer,
                                                 grpc::CallbackServerContext* context,
                                                 absl::string_view full_method) {
  if (authorizer == nullptr) return nullptr;
  absl::Status allowed = authorizer->Check(*context, full_method);
  return allowed.ok() ? nullptr : new RefusedStream<Response>(allowed);
}

}  // namespace dlkit::auth

#endif  // DLKIT_SERVICES_AUTH_CALL_AUTHORIZER_H_
