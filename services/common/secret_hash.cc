#include "services/common/secret_hash.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <random>

namespace dlkit {
namespace {
constexpr char kHex[] = "0123456789abcdef";
}  // namespace

std::string RandomSecret(size_t bytes) {
  std::random_device device;  // /dev/urandom on Linux: fine for secrets
  std::string out;
  out.reserve(2 * bytes);
  for (size_t i = 0; i < bytes; ++i) {
    const unsigned v = device() & 0xff;
    out.push_back(kHex[v >> 4]);
    out.push_back(kHex[v & 15]);
  }
  return out;
}

std::string SecretHash(absl::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 15]);
  }
  return out;
}

bool SecretMatches(absl::string_view given, absl::string_view stored_hash) {
  if (given.empty()) return false;
  const std::string hash = SecretHash(given);
  return hash.size() == stored_hash.size() &&
         CRYPTO_memcmp(hash.data(), stored_hash.data(), hash.size()) == 0;
}

}  // namespace dlkit
