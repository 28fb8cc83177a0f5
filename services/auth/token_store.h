#ifndef DLKIT_SERVICES_AUTH_TOKEN_STORE_H_
#define DLKIT_SERVICES_AUTH_TOKEN_STORE_H_

// The daemon's tokens, in DLKIT_HOME (a private folder, files 0600):
//   token   the admin token, made at first start; dlctl and the SDKs read it from here
//   tokens  more tokens with a role ("dlctl token create"), one per line as
//           "<role> <name> <sha256 of the token>": only hashes, the tokens were shown once

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "services/auth/access.h"

namespace dlkit::auth {

// The file under DLKIT_HOME that holds the admin token.
inline constexpr char kTokenFileName[] = "token";

struct TokenInfo {
  std::string name;
  Role role = Role::kRead;
};

class TokenStore {
 public:
  // Reads `home`/token (made, random, if missing) and `home`/tokens. A malformed line of
  // `tokens` is an error naming its line: a hand edit gone wrong should not lock users out
  // silently, nor let a token in with a role it was not given.
  static absl::StatusOr<std::unique_ptr<TokenStore>> Open(const std::string& home);

  const std::string& admin_token() const { return admin_token_; }

  // The role of `token`; UNAUTHENTICATED when it is none of this daemon's.
  absl::StatusOr<Role> RoleOf(absl::string_view token) const;

  // A new token named `name` (letters, digits, '-', '_'); returns it, the only time it is
  // seen. ALREADY_EXISTS when the name is taken ("admin" names the token file's).
  absl::StatusOr<std::string> Create(absl::string_view name, Role role);
  std::vector<TokenInfo> List() const;          // the admin token first
  absl::Status Revoke(absl::string_view name);  // NOT_FOUND for an unknown name

 private:
  struct Entry {
    TokenInfo info;
    std::string hash;
  };

  TokenStore(std::string home, std::string admin_token, std::vector<Entry> entries)
      : home_(std::move(home)),
        admin_token_(std::move(admin_token)),
        entries_(std::move(entries)) {}
  absl::Status SaveLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string home_;
  const std::string admin_token_;
  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dlkit::auth

#endif  // DLKIT_SERVICES_AUTH_TOKEN_STORE_H_
