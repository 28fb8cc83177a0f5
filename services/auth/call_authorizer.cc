#include "services/auth/call_authorizer.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace dlkit::auth {
namespace {

constexpr char kWhereTokensAre[] =
    "dlctl and the SDKs send the daemon's token by themselves, read from $DLKIT_TOKEN or else "
    "$DLKIT_HOME/token (~/.dlkit/token); other clients send it as the metadata "
    "\"authorization: Bearer <token>\"";

absl::string_view MethodName(absl::string_view full_method) {
  return full_method.substr(full_method.rfind('/') + 1);
}

absl::string_view BearerToken(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kAuthorizationKey);
  if (it == metadata.end()) return {};
  absl::string_view token(it->second.data(), it->second.size());
  return absl::ConsumePrefix(&token, "Bearer ") ? token : absl::string_view();
}

}  // namespace

absl::Status RoleAllows(Role role, absl::string_view full_method) {
  absl::StatusOr<MethodAccess> access = AccessFor(full_method);
  if (!access.ok()) return absl::PermissionDeniedError(access.status().message());
  if (access->own_credential || role >= access->role) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "a ", RoleName(role), " token may not call ", MethodName(full_method), ", which needs ",
      access->role == Role::kAdmin ? "an " : "a ", RoleName(access->role), " token"));
}

absl::Status CallAuthorizer::Check(const grpc::ServerContextBase& context,
                                   absl::string_view full_method) const {
  return CheckToken(BearerToken(context), full_method);
}

absl::StatusOr<Role> CallAuthorizer::CallerRole(const grpc::ServerContextBase& context) const {
  return tokens_->RoleOf(BearerToken(context));
}

absl::Status CallAuthorizer::CheckToken(absl::string_view token,
                                        absl::string_view full_method) const {
  absl::StatusOr<MethodAccess> access = AccessFor(full_method);
  if (!access.ok()) return absl::PermissionDeniedError(access.status().message());
  if (access->own_credential) return absl::OkStatus();
  if (token.empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat(MethodName(full_method), " needs a token: ", kWhereTokensAre));
  }
  absl::StatusOr<Role> role = tokens_->RoleOf(token);
  if (!role.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("the token sent is not one of this daemon's (a trial's session secret "
                     "is good for its TrialSession only): ",
                     kWhereTokensAre));
  }
  return RoleAllows(*role, full_method);
}

}  // namespace dlkit::auth
