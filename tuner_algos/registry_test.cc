#include "tuner_algos/registry.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <string>
#include <vector>

#include "tuner_algos/test_spaces.h"

namespace dlkit::algos::testing {
namespace {

AlgorithmOptions Options() {
  AlgorithmOptions options;
  options.space = SearchSpace{{Param("x", Distribution::kUniform, {0, 1})}};
  return options;
}

TEST_CASE("the registry lists NNI's names") {
  CHECK(TunerNames() == std::vector<std::string>{"Anneal", "BOHB", "CMAES", "Evolution", "GP",
                                                 "GridSearch", "Hyperband", "Random", "Sobol",
                                                 "TPE"});
  CHECK(AssessorNames() == std::vector<std::string>{"ASHA", "Curvefitting", "Medianstop"});
}

TEST_CASE("every listed algorithm can be created, in any letter case") {
  for (const std::string& name : TunerNames()) {
    INFO(name);
    CHECK(CreateTuner(name, Options()).ok());
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    CHECK(CreateTuner(lower, Options()).ok());
  }
  CHECK(CreateTuner("GRIDSEARCH", Options()).ok());
  for (const std::string& name : AssessorNames()) {
    INFO(name);
    AlgorithmOptions options = Options();
    if (name == "Curvefitting") options.class_args = {{"epoch_num", int64_t{20}}};
    CHECK(CreateAssessor(name, options).ok());
  }
  CHECK(CreateAssessor("asha", Options()).ok());
  CHECK(CreateAssessor("medianstop", Options()).ok());
}

TEST_CASE("an unknown algorithm is INVALID_ARGUMENT listing the known ones") {
  absl::Status status = CreateTuner("TPEX", Options()).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() ==
        "unknown tuner \"TPEX\"; known tuners: Anneal, BOHB, CMAES, Evolution, "
        "GP, GridSearch, Hyperband, Random, Sobol, TPE");
  status = CreateAssessor("Curvy", Options()).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() ==
        "unknown assessor \"Curvy\"; known assessors: ASHA, Curvefitting, "
        "Medianstop");
}

TEST_CASE("classArgs are checked") {
  AlgorithmOptions options = Options();
  options.class_args = {{"optimize_mode", std::string("maximize")}, {"seed", int64_t{5}}};
  CHECK(CreateTuner("Random", options).ok());
  CHECK(CreateTuner("GridSearch", options).ok());

  options.class_args = {{"population_size", int64_t{5}}};
  absl::Status status = CreateTuner("Random", options).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() ==
        "unknown classArg \"population_size\" for Random; accepted: optimize_mode, seed");

  options.class_args = {{"optimize_mode", std::string("upwards")}};
  status = CreateTuner("GridSearch", options).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() == "classArg \"optimize_mode\" must be \"maximize\" or \"minimize\"");

  options.class_args = {{"seed", 1.5}};
  CHECK(CreateTuner("Random", options).status().code() == absl::StatusCode::kInvalidArgument);
  options.class_args = {{"seed", 12.0}};  // JSON numbers may arrive as doubles
  CHECK(CreateTuner("Random", options).ok());
}

TEST_CASE("an invalid space is INVALID_ARGUMENT naming the parameter") {
  AlgorithmOptions options = Options();
  options.space.params.push_back(Param("lr", Distribution::kLoguniform, {-1, 1}));
  for (const std::string& name : TunerNames()) {
    absl::Status status = CreateTuner(name, options).status();
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(status.message() == "lr: low must be > 0 for a log distribution");
  }
}

}  // namespace
}  // namespace dlkit::algos::testing
