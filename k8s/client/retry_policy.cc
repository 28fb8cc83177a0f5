#include "k8s/client/retry_policy.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace dlkit::k8s {

absl::Duration BackoffDelay(const RetryPolicy& policy, int attempt, absl::BitGen& random) {
  const absl::Duration base = std::min(
      policy.max_backoff, policy.initial_backoff * std::pow(policy.multiplier, attempt - 1));
  const double factor =
      policy.jitter > 0 ? absl::Uniform(random, 1.0 - policy.jitter, 1.0 + policy.jitter) : 1.0;
  return base * factor;
}

bool ShouldRetry(int http_code, bool idempotent) {
  if (http_code == 429) return true;
  return idempotent && (http_code == 0 || http_code >= 500);
}

absl::Duration ParseRetryAfter(const std::string& header, const RetryPolicy& policy) {
  int seconds = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(header), &seconds) || seconds < 0) {
    return absl::InfiniteDuration();
  }
  return std::min(absl::Seconds(seconds), policy.max_retry_after);
}

}  // namespace dlkit::k8s
