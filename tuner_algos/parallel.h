#ifndef DLKIT_TUNER_ALGOS_PARALLEL_H_
#define DLKIT_TUNER_ALGOS_PARALLEL_H_

// A parallel loop for the tuners' independent pieces of work (GP restarts, searches).

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace dlkit::algos {

// Runs body(i) once for every i in [0, n), on as many threads as the machine has cores (the
// calling thread included) and returns when all are done. The order is not fixed: a body
// must write only what belongs to its i, so the results do not depend on the threads.
template <typename Body>
void ParallelFor(size_t n, const Body& body) {
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = std::min(n, cores);
  std::atomic<size_t> next{0};
  const auto work = [&] {
    for (size_t i = next++; i < n; i = next++) body(i);
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& helper : helpers) helper.join();
}

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_PARALLEL_H_
