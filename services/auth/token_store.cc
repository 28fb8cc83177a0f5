#include "services/auth/token_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/private_files.h"
#include "services/common/secret_hash.h"

namespace dlkit::auth {
namespace {

constexpr char kAdminName[] = "admin";
constexpr char kTokensFileName[] = "tokens";
constexpr size_t kTokenBytes = 32;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `text` to `path` as 0600 through a temporary file, so readers see the old or the
// new file, never half of one.
absl::Status WritePrivateFile(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".new";
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot write ", temporary, ": ", strerror(errno)));
  }
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = fsync(fd) == 0;
  close(fd);
  if (!written || !synced || rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Open(const std::string& home) {
  const std::string token_path = absl::StrCat(home, "/", kTokenFileName);
  std::string admin_token;
  if (absl::StatusOr<std::string> text = ReadFile(token_path); text.ok()) {
    admin_token = std::string(absl::StripAsciiWhitespace(*text));
    if (admin_token.size() < 16) {
      return absl::FailedPreconditionError(
          absl::StrCat(token_path,
                       " holds no token (under 16 characters); delete it and a new "
                       "one is made at the next start"));
    }
    chmod(token_path.c_str(), 0600);  // tightened like the rest of DLKIT_HOME
  } else {
    admin_token = RandomSecret(kTokenBytes);
    if (absl::Status written = WritePrivateFile(token_path, admin_token + "\n"); !written.ok()) {
      return written;
    }
  }

  std::vector<Entry> entries;
  const std::string tokens_path = absl::StrCat(home, "/", kTokensFileName);
  if (absl::StatusOr<std::string> text = ReadFile(tokens_path); text.ok()) {
    int line_number = 0;
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      ++line_number;
      line = absl::StripAsciiWhitespace(line);
      if (line.empty()) continue;
      std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
      absl::StatusOr<Role> role =
          fields.size() == 3 ? ParseRole(fields[0]) : absl::InvalidArgumentError("");
      if (!role.ok() || fields[2].size() != 64) {
        return absl::FailedPreconditionError(absl::StrCat(
            tokens_path, " line ", line_number,
            " is not \"<admin|write|read> <name> <64 hex digits>\"; fix or remove that line"));
      }
      entries.push_back({{fields[1], *role}, fields[2]});
    }
    chmod(tokens_path.c_str(), 0600);
  }
  return std::unique_ptr<TokenStore>(new TokenStore(home, admin_token, std::move(entries)));
}

absl::StatusOr<Role> TokenStore::RoleOf(absl::string_view token) const {
  if (!token.empty() && token.size() == admin_token_.size() &&
      SecretMatches(token, SecretHash(admin_token_))) {
    return Role::kAdmin;
  }
  absl::MutexLock lock(&mu_);
  for (const Entry& entry : entries_) {
    if (SecretMatches(token, entry.hash)) return entry.info.role;
  }
  return absl::UnauthenticatedError("the token is not one of this daemon's");
}

absl::StatusOr<std::string> TokenStore::Create(absl::string_view name, Role role) {
  if (absl::Status safe = CheckPathSafeId("token name", name); !safe.ok()) return safe;
  absl::MutexLock lock(&mu_);
  if (name == kAdminName) {
    return absl::AlreadyExistsError("\"admin\" names the daemon's own token; choose another");
  }
  for (const Entry& entry : entries_) {
    if (entry.info.name == name) {
      return absl::AlreadyExistsError(
          absl::StrCat("a token named \"", name, "\" exists; revoke it first or choose another"));
    }
  }
  std::string token = RandomSecret(kTokenBytes);
  entries_.push_back({{std::string(name), role}, SecretHash(token)});
  if (absl::Status saved = SaveLocked(); !saved.ok()) {
    entries_.pop_back();
    return saved;
  }
  return token;
}

std::vector<TokenInfo> TokenStore::List() const {
  std::vector<TokenInfo> out = {{kAdminName, Role::kAdmin}};
  absl::MutexLock lock(&mu_);
  for (const Entry& entry : entries_) out.push_back(entry.info);
  return out;
}

absl::Status TokenStore::Revoke(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  if (name == kAdminName) {
    return absl::InvalidArgumentError(
        absl::StrCat("the admin token cannot be revoked; to replace it, stop the daemon, delete ",
                     home_, "/", kTokenFileName, " and start it again"));
  }
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->info.name == name) {
      Entry removed = std::move(*it);
      entries_.erase(it);
      if (absl::Status saved = SaveLocked(); !saved.ok()) {
        entries_.push_back(std::move(removed));
        return saved;
      }
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(absl::StrCat("no token named \"", name, "\""));
}

absl::Status TokenStore::SaveLocked() const {
  std::string text;
  for (const Entry& entry : entries_) {
    absl::StrAppend(&text, RoleName(entry.info.role), " ", entry.info.name, " ", entry.hash, "\n");
  }
  return WritePrivateFile(absl::StrCat(home_, "/", kTokensFileName), text);
}

}  // namespace dlkit::auth
