#include "services/common/secret_hash.h"

#include <catch2/catch.hpp>

namespace dlkit {
namespace {

TEST_CASE("SecretHash is SHA-256 in hex") {
  // The well-known digests of "" and "abc".
  CHECK(SecretHash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(SecretHash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("Only the secret itself matches its hash") {
  const std::string stored = SecretHash("0123456789abcdef0123456789abcdef");
  CHECK(SecretMatches("0123456789abcdef0123456789abcdef", stored));
  CHECK_FALSE(SecretMatches("0123456789abcdef0123456789abcdee", stored));
  CHECK_FALSE(SecretMatches(stored, stored));      // the hash is not a key
  CHECK_FALSE(SecretMatches("", SecretHash("")));  // no secret never matches
}

}  // namespace
}  // namespace dlkit
