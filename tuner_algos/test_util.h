#ifndef DLKIT_TUNER_ALGOS_TEST_UTIL_H_
#define DLKIT_TUNER_ALGOS_TEST_UTIL_H_

// Helpers shared by the tuner and assessor tests: building tuners, assessors and histories,
// running a tuner on an objective one trial at a time, and the common checks.

#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
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

// An options with one parameter x uniform in [-1, 1] and `seed`.
AlgorithmOptions OneDim(uint64_t seed);

// A mixed space of every numeric type and a nested choice (sgd: momentum, steps; adam:
// beta, amsgrad; plain; and a plain 7).
SearchSpace MixedNestedSpace();

// Six parameters a..f of different types (uniform, loguniform, quniform, randint, normal,
// a choice of 1, 2, 3), as the timing tests use.
SearchSpace SixDimSpace();

// A succeeded trial "t<index>" with `parameters` and final value `value`.
TrialRecord Finished(const Assignment& parameters, double value, int64_t index);

// Appends a succeeded trial numbered after the ones already in `history`.
void AppendFinished(History* history, const Assignment& parameters, double value);

// Appends waiting trials (no status change, no value) numbered after those in `history`.
void AppendWaiting(History* history, const std::vector<Assignment>& assignments);

// A history of waiting trials t1, t2, ... with `assignments`.
History HistoryOf(const std::vector<Assignment>& assignments);

// `n` succeeded trials t1..tn drawn at random from `options.space` (fixed seed 123), each
// with value f(assignment).
History RandomFinished(const AlgorithmOptions& options, const Objective& f, int n);

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

// Creating from `base` with each (key, value) of `bad` set as a classArg fails with
// INVALID_ARGUMENT naming the key.
void CheckRejectsEachArg(const std::function<absl::Status(const AlgorithmOptions&)>& create,
                         const AlgorithmOptions& base,
                         const std::vector<std::pair<std::string, ClassArgs::mapped_type>>& bad);

// --- Assessors ---

// A trial `id` with `status` and intermediate results `series` (no final value).
TrialRecord SeriesTrial(const std::string& id, TrialStatus status, std::vector<double> series);

// A::Create with `args` and `direction`, which must succeed.
template <typename A>
std::unique_ptr<Assessor> MakeAssessor(ClassArgs args, Direction direction) {
  AlgorithmOptions options;
  options.class_args = std::move(args);
  options.direction = direction;
  absl::StatusOr<std::unique_ptr<Assessor>> assessor = A::Create(options);
  REQUIRE(assessor.ok());
  return std::move(assessor).value();
}

// assessor.Assess(trial, history), which must succeed.
AssessDecision Decide(Assessor& assessor, const TrialRecord& trial, const History& history);

}  // namespace dlkit::algos::testing

#endif  // DLKIT_TUNER_ALGOS_TEST_UTIL_H_
