#include "k8s/client/retry_policy.h"

#include <catch2/catch.hpp>

namespace dlkit::k8s {
namespace {

TEST_CASE("backoff grows, is capped and jittered within bounds") {
  RetryPolicy policy;
  policy.initial_backoff = absl::Milliseconds(100);
  policy.max_backoff = absl::Milliseconds(1000);
  policy.jitter = 0.2;
  absl::BitGen random;
  for (int i = 0; i < 50; ++i) {
    const absl::Duration first = BackoffDelay(policy, 1, random);
    CHECK(first >= absl::Milliseconds(80));
    CHECK(first <= absl::Milliseconds(120));
    const absl::Duration third = BackoffDelay(policy, 3, random);
    CHECK(third >= absl::Milliseconds(320));
    CHECK(third <= absl::Milliseconds(480));
    CHECK(BackoffDelay(policy, 20, random) <= absl::Milliseconds(1200));
  }
}

TEST_CASE("what is retried") {
  CHECK(ShouldRetry(429, /*idempotent=*/false));
  CHECK(ShouldRetry(500, true));
  CHECK(ShouldRetry(0, true));  // no response
  CHECK_FALSE(ShouldRetry(500, false));
  CHECK_FALSE(ShouldRetry(0, false));
  CHECK_FALSE(ShouldRetry(404, true));
  CHECK_FALSE(ShouldRetry(409, true));
}

TEST_CASE("Retry-After in seconds, capped") {
  RetryPolicy policy;
  policy.max_retry_after = absl::Seconds(5);
  CHECK(ParseRetryAfter("2", policy) == absl::Seconds(2));
  CHECK(ParseRetryAfter("600", policy) == absl::Seconds(5));
  CHECK(ParseRetryAfter("", policy) == absl::InfiniteDuration());
  CHECK(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", policy) == absl::InfiniteDuration());
}

}  // namespace
}  // namespace dlkit::k8s
