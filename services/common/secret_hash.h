#ifndef DLKIT_SERVICES_COMMON_SECRET_HASH_H_
#define DLKIT_SERVICES_COMMON_SECRET_HASH_H_

// Secrets are kept on disk only as hashes: whoever reads a store (or a backup of it) learns
// nothing that lets them report for a trial.

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace dlkit {

// `bytes` random bytes from the kernel (/dev/urandom), as 2 * `bytes` hex digits.
std::string RandomSecret(size_t bytes);

// SHA-256 of `secret`, as 64 lower-case hex digits.
std::string SecretHash(absl::string_view secret);

// Whether `given` is the secret whose hash is `stored_hash`, compared in constant time.
bool SecretMatches(absl::string_view given, absl::string_view stored_hash);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_SECRET_HASH_H_
