#ifndef DLKIT_BASE_TESTING_WAIT_FOR_H_
#define DLKIT_BASE_TESTING_WAIT_FOR_H_

// For tests of threads and processes: polls a condition until it holds or time runs out.

#include <chrono>
#include <functional>
#include <thread>

namespace dlkit::testing {

// Whether `condition` held within `seconds` (checked every 5 ms, and once more at the end).
inline bool WaitFor(const std::function<bool()>& condition, double seconds = 20) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

}  // namespace dlkit::testing

#endif  // DLKIT_BASE_TESTING_WAIT_FOR_H_
