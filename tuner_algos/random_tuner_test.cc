#include "tuner_algos/random_tuner.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "tuner_algos/sampling.h"
#include "tuner_algos/test_spaces.h"

namespace dlkit::algos {
namespace {

using testing::Choice;
using testing::Nested;
using testing::Param;

AlgorithmOptions Options(uint64_t seed) {
  AlgorithmOptions options;
  options.space = SearchSpace{{
      Param("lr", Distribution::kLoguniform, {1e-5, 1e-1}),
      Param("dropout", Distribution::kUniform, {0, 0.5}),
      Choice("opt", {Nested("sgd", {Param("momentum", Distribution::kUniform, {0, 1})}),
                     Nested("adam", {})}),
  }};
  options.seed = seed;
  return options;
}

std::vector<Assignment> Suggest(Tuner& tuner, const History& history, int count) {
  absl::StatusOr<Suggestions> out = tuner.Suggest(history, count);
  REQUIRE(out.ok());
  CHECK_FALSE(out->exhausted);
  REQUIRE(out->assignments.size() == static_cast<size_t>(count));
  return out->assignments;
}

History HistoryOf(const std::vector<Assignment>& assignments) {
  History history;
  for (size_t i = 0; i < assignments.size(); ++i) {
    TrialRecord trial;
    trial.trial_id = "t" + std::to_string(i + 1);
    trial.index = static_cast<int64_t>(i + 1);
    trial.parameters = assignments[i];
    history.trials.push_back(trial);
  }
  return history;
}

std::unique_ptr<Tuner> Make(const AlgorithmOptions& options) {
  absl::StatusOr<std::unique_ptr<Tuner>> tuner = RandomTuner::Create(options);
  REQUIRE(tuner.ok());
  return std::move(tuner).value();
}

TEST_CASE("Random suggests distinct in-space assignments in a batch") {
  const AlgorithmOptions options = Options(42);
  auto tuner = Make(options);
  const std::vector<Assignment> batch = Suggest(*tuner, {}, 50);
  std::set<std::string> keys;
  for (const Assignment& a : batch) {
    CHECK(Contains(options.space, a));
    keys.insert(AssignmentKey(a));
  }
  CHECK(keys.size() == batch.size());
}

TEST_CASE("Random is reproducible from its seed") {
  auto a = Make(Options(7));
  auto b = Make(Options(7));
  auto c = Make(Options(8));
  const std::vector<Assignment> first = Suggest(*a, {}, 10);
  CHECK(first == Suggest(*b, {}, 10));
  CHECK(first == Suggest(*a, {}, 10));  // same history, same answer
  const std::vector<Assignment> other = Suggest(*c, {}, 10);
  for (size_t i = 0; i < first.size(); ++i) CHECK_FALSE(first[i] == other[i]);
}

TEST_CASE("Random's i-th suggestion depends only on the seed and i") {
  auto tuner = Make(Options(3));
  const std::vector<Assignment> all = Suggest(*tuner, {}, 6);
  // A restarted tuner told about the first two trials continues the same sequence.
  auto restarted = Make(Options(3));
  const History history = HistoryOf({all[0], all[1]});
  const std::vector<Assignment> rest = Suggest(*restarted, history, 4);
  CHECK(rest == std::vector<Assignment>(all.begin() + 2, all.end()));
  // One at a time gives what one batch gives.
  std::vector<Assignment> one_by_one;
  for (int i = 0; i < 6; ++i) {
    one_by_one.push_back(Suggest(*restarted, HistoryOf(one_by_one), 1)[0]);
  }
  CHECK(one_by_one == all);
}

TEST_CASE("Random's classArg seed overrides the experiment seed") {
  AlgorithmOptions with_arg = Options(1);
  with_arg.class_args["seed"] = int64_t{99};
  auto a = Make(with_arg);
  auto b = Make(Options(99));
  CHECK(Suggest(*a, {}, 3) == Suggest(*b, {}, 3));
}

TEST_CASE("Random rejects a negative count and a bad space") {
  auto tuner = Make(Options(1));
  CHECK(tuner->Suggest({}, -1).status().code() == absl::StatusCode::kInvalidArgument);
  AlgorithmOptions bad = Options(1);
  bad.space.params.push_back(Param("x", Distribution::kUniform, {1, 0}));
  CHECK(RandomTuner::Create(bad).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dlkit::algos
