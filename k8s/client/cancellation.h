#ifndef DLKIT_K8S_CLIENT_CANCELLATION_H_
#define DLKIT_K8S_CLIENT_CANCELLATION_H_

// Stops a long call (a watch, or the waits between retries) from another thread. Cancel()
// is final and may be called any number of times, from any thread.

#include <pplx/pplxtasks.h>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace dlkit::k8s {

class Cancellation {
 public:
  Cancellation() = default;
  // Cancelled by its own Cancel() or when `parent` is.
  explicit Cancellation(pplx::cancellation_token parent)
      : source_(pplx::cancellation_token_source::create_linked_source(parent)) {}
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  void Cancel() { source_.cancel(); }  // also aborts the HTTP request in flight, mid-body
  bool cancelled() const { return source_.get_token().is_canceled(); }
  pplx::cancellation_token token() const { return source_.get_token(); }

  // Sleeps for `delay` unless cancelled first; true if cancelled.
  bool SleepFor(absl::Duration delay) const {
    absl::Notification woken;
    pplx::cancellation_token token = source_.get_token();
    // Runs at once if already cancelled; deregistering waits for a callback in progress.
    const pplx::cancellation_token_registration registration =
        token.register_callback([&woken] { woken.Notify(); });
    const bool cancelled = woken.WaitForNotificationWithTimeout(delay);
    token.deregister_callback(registration);
    return cancelled;
  }

 private:
  pplx::cancellation_token_source source_;
};

}  // namespace dlkit::k8s

#endif  // DLKIT_K8S_CLIENT_CANCELLATION_H_
