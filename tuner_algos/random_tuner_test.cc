#include "tuner_algos/random_tuner.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "tuner_algos/sampling.h"
#include "tuner_algos/test_spaces.h"
#include "tuner_algos/test_util.h"

namespace dlkit::algos::testing {
namespace {

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

std::unique_ptr<Tuner> Make(const AlgorithmOptions& options) {
  return MakeTuner<RandomTuner>(options);
}

TEST_CASE("Random suggests distinct in-space assignments in a batch") {
  const AlgorithmOptions options = Options(42);
  auto tuner = Make(options);
  const std::vector<Assignment> batch = SuggestExactly(*tuner, {}, 50);
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
  const std::vector<Assignment> first = SuggestExactly(*a, {}, 10);
  CHECK(first == SuggestExactly(*b, {}, 10));
  CHECK(first == SuggestExactly(*a, {}, 10));  // same history, same answer
  const std::vector<Assignment> other = SuggestExactly(*c, {}, 10);
  for (size_t i = 0; i < first.size(); ++i) CHECK_FALSE(first[i] == other[i]);
}

TEST_CASE("Random's i-th suggestion depends only on the seed and i") {
  auto tuner = Make(Options(3));
  const std::vector<Assignment> all = SuggestExactly(*tuner, {}, 6);
  // A restarted tuner told about the first two trials continues the same sequence.
  auto restarted = Make(Options(3));
  const History history = HistoryOf({all[0], all[1]});
  const std::vector<Assignment> rest = SuggestExactly(*restarted, history, 4);
  CHECK(rest == std::vector<Assignment>(all.begin() + 2, all.end()));
  // One at a time gives what one batch gives.
  std::vector<Assignment> one_by_one;
  for (int i = 0; i < 6; ++i) {
    one_by_one.push_back(SuggestExactly(*restarted, HistoryOf(one_by_one), 1)[0]);
  }
  CHECK(one_by_one == all);
}

TEST_CASE("Random's classArg seed overrides the experiment seed") {
  AlgorithmOptions with_arg = Options(1);
  with_arg.class_args["seed"] = int64_t{99};
  auto a = Make(with_arg);
  auto b = Make(Options(99));
  CHECK(SuggestExactly(*a, {}, 3) == SuggestExactly(*b, {}, 3));
}

TEST_CASE("Random rejects a negative count and a bad space") {
  auto tuner = Make(Options(1));
  CHECK(tuner->Suggest({}, -1).status().code() == absl::StatusCode::kInvalidArgument);
  AlgorithmOptions bad = Options(1);
  bad.space.params.push_back(Param("x", Distribution::kUniform, {1, 0}));
  CHECK(RandomTuner::Create(bad).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dlkit::algos::testing
