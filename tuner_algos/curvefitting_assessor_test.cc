#include "tuner_algos/curvefitting_assessor.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tuner_algos/test_util.h"

namespace dlkit::algos {
namespace {

using testing::Decide;
using testing::SeriesTrial;

using Curve = std::function<double(double)>;

// Values of `curve` at steps 1..steps, plus Gaussian noise of `noise` sd (fixed seed).
std::vector<double> Sample(const Curve& curve, int steps, double noise = 0, int seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> gauss(0, 1);
  std::vector<double> series;
  for (int x = 1; x <= steps; ++x) series.push_back(curve(x) + noise * gauss(rng));
  return series;
}

Curve Pow3(double c, double a, double alpha) {
  return [=](double x) { return c - a * std::pow(x, -alpha); };
}

Curve Exp3(double c, double b, double k) {
  return [=](double x) { return c - b * std::exp(-k * x); };
}

std::unique_ptr<Assessor> Make(ClassArgs args, Direction direction = Direction::kMaximize) {
  return testing::MakeAssessor<CurvefittingAssessor>(std::move(args), direction);
}

// One succeeded trial whose accuracy curve ends near 0.9 at epoch 20.
History OneFinished() {
  History history;
  history.trials.push_back(
      SeriesTrial("done", TrialStatus::kSucceeded, Sample(Pow3(0.95, 0.6, 0.8), 20)));
  history.trials.back().final_value = history.trials.back().intermediate.back();
  return history;
}

TEST_CASE("Curvefitting predicts the final value of known curves") {
  SECTION("pow3 with noise") {
    const Curve curve = Pow3(0.9, 0.7, 0.6);
    for (int seed : {1, 2, 3}) {
      INFO("seed " << seed);
      std::optional<double> predicted =
          CurvefittingAssessor::PredictFinal(Sample(curve, 15, 0.005, seed), 50);
      REQUIRE(predicted.has_value());
      CHECK(std::fabs(*predicted - curve(50)) < 0.03);
    }
  }
  SECTION("exp3 without noise") {
    const Curve curve = Exp3(0.8, 0.6, 0.15);
    std::optional<double> predicted = CurvefittingAssessor::PredictFinal(Sample(curve, 12), 40);
    REQUIRE(predicted.has_value());
    CHECK(std::fabs(*predicted - curve(40)) < 0.01);
  }
  SECTION("a falling loss curve") {
    const Curve curve = Pow3(0.2, -1.5, 0.7);  // 1.7 falling towards 0.2
    std::optional<double> predicted =
        CurvefittingAssessor::PredictFinal(Sample(curve, 10, 0.01), 60);
    REQUIRE(predicted.has_value());
    CHECK(std::fabs(*predicted - curve(60)) < 0.06);
  }
  SECTION("too few points or garbage") {
    CHECK_FALSE(CurvefittingAssessor::PredictFinal({0.1, 0.2}, 10).has_value());
    CHECK_FALSE(CurvefittingAssessor::PredictFinal({0.1, NAN, 0.3, 0.4}, 10).has_value());
  }
}

TEST_CASE("Curvefitting stops a clearly bad curve and keeps a good one") {
  auto assessor = Make({{"epoch_num", int64_t{20}}});
  const History history = OneFinished();
  const TrialRecord bad =
      SeriesTrial("bad", TrialStatus::kRunning, Sample(Pow3(0.5, 0.4, 0.8), 6, 0.005));
  const TrialRecord good =
      SeriesTrial("good", TrialStatus::kRunning, Sample(Pow3(0.97, 0.6, 0.8), 6, 0.005));
  CHECK(Decide(*assessor, bad, history) == AssessDecision::kStop);
  CHECK(Decide(*assessor, good, history) == AssessDecision::kContinue);
  // A curve starting low but climbing steeply towards a good end goes on too.
  const TrialRecord slow =
      SeriesTrial("slow", TrialStatus::kRunning, Sample(Exp3(0.95, 0.9, 0.2), 8));
  CHECK(slow.intermediate.back() < 0.9 * history.trials[0].intermediate.back());
  CHECK(Decide(*assessor, slow, history) == AssessDecision::kContinue);
}

TEST_CASE("Curvefitting minimizes when told to, by classArg or experiment direction") {
  History history;
  history.trials.push_back(
      SeriesTrial("done", TrialStatus::kSucceeded, Sample(Pow3(0.3, -1.2, 0.8), 20)));
  const TrialRecord low =
      SeriesTrial("low", TrialStatus::kRunning, Sample(Pow3(0.2, -1.2, 0.8), 6));
  const TrialRecord high =
      SeriesTrial("high", TrialStatus::kRunning, Sample(Pow3(0.9, -1.2, 0.8), 6));
  auto by_arg = Make({{"epoch_num", int64_t{20}}, {"optimize_mode", std::string("minimize")}});
  auto by_direction = Make({{"epoch_num", int64_t{20}}}, Direction::kMinimize);
  for (Assessor* assessor : {by_arg.get(), by_direction.get()}) {
    CHECK(Decide(*assessor, low, history) == AssessDecision::kContinue);
    CHECK(Decide(*assessor, high, history) == AssessDecision::kStop);
  }
}

TEST_CASE("Curvefitting waits for start_step and judges every gap steps") {
  const History history = OneFinished();
  const std::vector<double> bad = Sample(Pow3(0.4, 0.3, 0.8), 19);
  auto at = [&bad](int steps) {
    return SeriesTrial("bad", TrialStatus::kRunning,
                       std::vector<double>(bad.begin(), bad.begin() + steps));
  };
  auto by_default = Make({{"epoch_num", int64_t{20}}});
  for (int steps = 0; steps < 6; ++steps) {
    CHECK(Decide(*by_default, at(steps), history) == AssessDecision::kContinue);
  }
  CHECK(Decide(*by_default, at(6), history) == AssessDecision::kStop);

  auto gapped = Make({{"epoch_num", int64_t{20}}, {"start_step", int64_t{4}}, {"gap", int64_t{3}}});
  std::vector<int> judged;
  for (int steps = 1; steps <= 19; ++steps) {
    if (Decide(*gapped, at(steps), history) == AssessDecision::kStop) judged.push_back(steps);
  }
  CHECK(judged == std::vector<int>{4, 7, 10, 13, 16, 19});
}

TEST_CASE("Curvefitting lets trials go on until one has succeeded") {
  auto assessor = Make({{"epoch_num", int64_t{20}}});
  const TrialRecord bad = SeriesTrial("bad", TrialStatus::kRunning, Sample(Pow3(0.4, 0.3, 0.8), 8));
  History history;
  history.trials.push_back(
      SeriesTrial("failed", TrialStatus::kFailed, Sample(Pow3(0.95, 0.6, 0.8), 20)));
  history.trials.push_back(
      SeriesTrial("running", TrialStatus::kRunning, Sample(Pow3(0.95, 0.6, 0.8), 10)));
  history.trials.push_back(bad);
  CHECK(Decide(*assessor, bad, history) == AssessDecision::kContinue);
  // A succeeded trial without intermediate results counts by its final value.
  history.trials.push_back(SeriesTrial("final", TrialStatus::kSucceeded, {}));
  history.trials.back().final_value = 0.9;
  CHECK(Decide(*assessor, bad, history) == AssessDecision::kStop);
}

TEST_CASE("Curvefitting threshold sets how much worse a prediction may be") {
  const History history = OneFinished();
  const double best = history.trials[0].intermediate.back();
  // A curve heading to about 0.85 * best: stopped at threshold 0.95, kept at 0.8.
  const TrialRecord trial =
      SeriesTrial("t", TrialStatus::kRunning, Sample(Pow3(0.85 * best + 0.02, 0.5, 1.0), 8));
  CHECK(Decide(*Make({{"epoch_num", int64_t{20}}}), trial, history) == AssessDecision::kStop);
  CHECK(Decide(*Make({{"epoch_num", int64_t{20}}, {"threshold", 0.8}}), trial, history) ==
        AssessDecision::kContinue);
}

TEST_CASE("Curvefitting rejects bad classArgs") {
  AlgorithmOptions options;
  absl::Status status = CurvefittingAssessor::Create(options).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message().find("epoch_num") != std::string::npos);
  options.class_args = {{"epoch_num", int64_t{0}}};
  CHECK(CurvefittingAssessor::Create(options).status().code() ==
        absl::StatusCode::kInvalidArgument);
  options.class_args = {{"epoch_num", int64_t{20}}, {"threshold", 1.5}};
  CHECK(CurvefittingAssessor::Create(options).status().code() ==
        absl::StatusCode::kInvalidArgument);
  options.class_args = {{"epoch_num", int64_t{20}}, {"gap", int64_t{0}}};
  CHECK(CurvefittingAssessor::Create(options).status().code() ==
        absl::StatusCode::kInvalidArgument);
  options.class_args = {{"epoch_num", int64_t{20}}, {"start_step", std::string("six")}};
  CHECK(CurvefittingAssessor::Create(options).status().code() ==
        absl::StatusCode::kInvalidArgument);
  options.class_args = {{"epoch_num", int64_t{20}}, {"patience", int64_t{3}}};
  CHECK(CurvefittingAssessor::Create(options).status().message() ==
        "unknown classArg \"patience\" for Curvefitting; accepted: epoch_num, gap, "
        "optimize_mode, start_step, threshold");
  options.class_args = {{"epoch_num", 20.0}};  // JSON numbers may arrive as doubles
  CHECK(CurvefittingAssessor::Create(options).ok());
}

}  // namespace
}  // namespace dlkit::algos
