#ifndef DLKIT_TUNER_ALGOS_TEST_UTIL_H_
#define DLKIT_TUNER_ALGOS_TEST_UTIL_H_

// Helpers shared by the tuner tests: building tuners and histories, running a tuner on an
// objective one trial at a time, and the common reproducibility check.

#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"
#include "tuner_algos/search_space.h"

namespace dlkit::algos::testing {

using Objective = std::function<double(const Assignment&)>;
using TunerFactory = std::function<std::unique_ptr<Tuner>(const AlgorithmOptions&)>;

// T::Create(options), which must succeed.
template <typename T>
std::unique_ptr<Tuner> MakeTuner(const AlgorithmOptions& options) {
  absl::StatusOr<std::unique_ptr<Tuner>> tuner = T::Create(options);
  REQUIRE(tuner.ok());
  return std::move(tuner).value();
}

// A succeeded trial "t<index>" with `parameters` and final value `value`.
TrialRecord Finished(const Assignment& parameters, double value, int64_t index);

// Appends a succeeded trial numbered after the ones already in `history`.
void AppendFinished(History* history, const Assignment& parameters, double value);

// Appends waiting trials (no status change, no value) numbered after those in `history`.
void AppendWaiting(History* history, const std::vector<Assignment>& assignments);

// A history of waiting trials t1, t2, ... with `assignments`.
History HistoryOf(const std::vector<Assignment>& assignments);

// Asks for `count` assignments and requires exactly that many, not exhausted.
std::vector<Assignment> SuggestExactly(Tuner& tuner, const History& history, int count);

// Runs `budget` sequential trials of `objective`, each reported before the next is asked
// for; when `space` is given, every suggestion must lie in it.
History RunSequential(Tuner& tuner, const Objective& objective, int budget,
                      const SearchSpace* space = nullptr);

// The upper median (element size / 2 after sorting); `values` must not be empty.
double Median(std::vector<double> values);

// Two tuners made from `options` give the same `budget` sequential trials, one with
// `other_seed` ends elsewhere, and a fresh tuner told the history suggests the same
// `batch` as the one that produced it.
void CheckReproducible(const TunerFactory& make, const AlgorithmOptions& options,
                       uint64_t other_seed, const Objective& objective, int budget, int batch);

}  // namespace dlkit::algos::testing

#endif  // DLKIT_TUNER_ALGOS_TEST_UTIL_H_
