#include "tuner_algos/parallel.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

namespace dlkit::algos {
namespace {

TEST_CASE("ParallelFor runs every index exactly once and returns when all are done") {
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{1000}}) {
    std::vector<int> runs(n, 0);
    ParallelFor(n, [&](size_t i) { ++runs[i]; });  // each i writes only its own slot
    CHECK(runs == std::vector<int>(n, 1));
  }
}

TEST_CASE("ParallelFor spreads the work over the cores there are") {
  if (std::thread::hardware_concurrency() < 2) {
    WARN("one core: nothing to spread over");
    return;
  }
  // Each body waits (up to 10 s) for the other to start: both see it only if two ran at once.
  std::atomic<int> started{0};
  std::vector<int> saw_both(2, 0);
  ParallelFor(2, [&](size_t i) {
    ++started;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.load() < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    saw_both[i] = started.load() == 2;
  });
  CHECK(saw_both == std::vector<int>{1, 1});
}

}  // namespace
}  // namespace dlkit::algos
