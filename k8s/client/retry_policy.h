#ifndef DLKIT_K8S_CLIENT_RETRY_POLICY_H_
#define DLKIT_K8S_CLIENT_RETRY_POLICY_H_

// When and how long the client waits before trying a call again.
//
// 429 (Too Many Requests) means the server did not act on the call, so every verb is retried,
// after the server's Retry-After when it gives one. 5xx and broken connections are retried
// only for idempotent verbs (GET, PUT, PATCH, DELETE): a POST may have created the object.

#include <string>

#include "absl/random/random.h"
#include "absl/time/time.h"

namespace dlkit::k8s {

struct RetryPolicy {
  int max_attempts = 5;  // including the first
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
  double multiplier = 2.0;
  double jitter = 0.2;  // each delay is scaled by a random factor in [1 - jitter, 1 + jitter]
  absl::Duration max_retry_after = absl::Seconds(30);  // caps the server's Retry-After
};

// The wait before attempt `attempt + 1`, after `attempt` (1-based) failed.
absl::Duration BackoffDelay(const RetryPolicy& policy, int attempt, absl::BitGen& random);

// Whether a call that got `http_code` (0: no response at all) is worth another attempt.
bool ShouldRetry(int http_code, bool idempotent);

// The Retry-After header's delay-seconds form, capped at policy.max_retry_after.
// InfiniteDuration() when absent or unreadable: then the backoff applies. (The API server
// does not send the HTTP-date form.)
absl::Duration ParseRetryAfter(const std::string& header, const RetryPolicy& policy);

}  // namespace dlkit::k8s

#endif  // DLKIT_K8S_CLIENT_RETRY_POLICY_H_
