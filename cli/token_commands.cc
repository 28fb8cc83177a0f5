// dlctl token create|list|revoke: the daemon's tokens (admin only; see docs/security.md).

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "nlohmann/json.hpp"
#include "services/auth/access.h"

namespace dlkit::cli {
namespace {

// The names are the daemon's own (auth::RoleName); the enum values match auth::Role.
std::string RoleText(v1::TokenRole role) {
  return std::string(auth::RoleName(static_cast<auth::Role>(role)));
}

}  // namespace

absl::Status RunToken(LauncherStub* launcher, const TokenOptions& options,
                      const CommandContext& ctx, std::ostream& out) {
  if (options.action == "create") {
    v1::CreateTokenRequest request;
    request.set_name(options.name);
    request.set_role(options.role);
    absl::StatusOr<v1::CreateTokenResponse> created =
        CallOrError(launcher, &LauncherStub::CreateToken, request, ctx, "cannot create the token");
    if (!created.ok()) return created.status();
    if (ctx.output == OutputFormat::kJson) {
      out << nlohmann::json{{"name", options.name},
                            {"role", RoleText(options.role)},
                            {"token", created->token()}}
                 .dump(2)
          << "\n";
    } else {
      out << created->token() << "\n";
      *ctx.err << "a " << RoleText(options.role) << " token named " << options.name
               << "; it is shown this once. Give it as DLKIT_TOKEN.\n";
    }
    return absl::OkStatus();
  }
  if (options.action == "revoke") {
    v1::RevokeTokenRequest request;
    request.set_name(options.name);
    absl::StatusOr<v1::RevokeTokenResponse> revoked =
        CallOrError(launcher, &LauncherStub::RevokeToken, request, ctx, "cannot revoke the token");
    if (!revoked.ok()) return revoked.status();
    out << "token " << options.name << " revoked\n";
    return absl::OkStatus();
  }
  absl::StatusOr<v1::ListTokensResponse> listed = CallOrError(
      launcher, &LauncherStub::ListTokens, v1::ListTokensRequest(), ctx, "cannot list tokens");
  if (!listed.ok()) return listed.status();
  if (ctx.output == OutputFormat::kJson) {
    nlohmann::json all = nlohmann::json::array();
    for (const v1::TokenSummary& t : listed->tokens()) {
      all.push_back({{"name", t.name()}, {"role", RoleText(t.role())}});
    }
    out << all.dump(2) << "\n";
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  for (const v1::TokenSummary& t : listed->tokens()) rows.push_back({t.name(), RoleText(t.role())});
  out << RenderTable({{"NAME"}, {"ROLE"}}, rows);
  return absl::OkStatus();
}

}  // namespace dlkit::cli
