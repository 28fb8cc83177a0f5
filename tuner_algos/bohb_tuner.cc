#include "tuner_algos/bohb_tuner.h"

#include <map>
#include <optional>
#include <random>

#include "base/status_macros.h"
#include "tuner_algos/class_args.h"
#include "tuner_algos/tpe_tuner.h"
#include "tuner_algos/trial_history.h"

namespace dlkit::algos {
namespace {

constexpr uint64_t kCoinSalt = 0xb0b;
constexpr uint64_t kModelSalt = 0x7be;

std::optional<int64_t> BudgetOf(const TrialRecord& trial) {
  auto it = trial.parameters.find(kTrialBudgetKey);
  if (it == trial.parameters.end()) return std::nullopt;
  if (const auto* b = std::get_if<int64_t>(&it->second.v)) return *b;
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tuner>> BohbTuner::Create(const AlgorithmOptions& options) {
  const ClassArgs& args = options.class_args;
  DLKIT_RETURN_IF_ERROR(CheckKnownArgs(
      args,
      {"optimize_mode", "min_budget", "max_budget", "eta", "min_points_in_model", "top_n_percent",
       "num_samples", "random_fraction", "bandwidth_factor", "min_bandwidth", "seed"},
      "BOHB"));
  DLKIT_ASSIGN_OR_RETURN(Direction direction, DirectionArg(args, options.direction));
  DLKIT_ASSIGN_OR_RETURN(int64_t min_budget, IntArg(args, "min_budget", 1, 1, 1000000));
  DLKIT_ASSIGN_OR_RETURN(int64_t max_budget, IntArg(args, "max_budget", 3, 1, 1000000));
  if (max_budget < min_budget) {
    return absl::InvalidArgumentError("classArg \"max_budget\" must be >= min_budget");
  }
  DLKIT_ASSIGN_OR_RETURN(int64_t eta, IntArg(args, "eta", 3, 2, 1000000));
  BohbConfig config;
  DLKIT_ASSIGN_OR_RETURN(config.min_points_in_model,
                         IntArg(args, "min_points_in_model", 0, 1, 1000000));
  if (config.min_points_in_model == 0) {
    config.min_points_in_model = static_cast<int64_t>(options.space.params.size()) + 1;
  }
  DLKIT_ASSIGN_OR_RETURN(config.top_n_percent,
                         DoubleArg(args, "top_n_percent", config.top_n_percent, 1, 99));
  DLKIT_ASSIGN_OR_RETURN(config.num_samples,
                         IntArg(args, "num_samples", config.num_samples, 1, 100000));
  DLKIT_ASSIGN_OR_RETURN(config.random_fraction,
                         DoubleArg(args, "random_fraction", config.random_fraction, 0, 1));
  DLKIT_ASSIGN_OR_RETURN(double bandwidth_factor, DoubleArg(args, "bandwidth_factor", 3, 0, 1e6));
  DLKIT_ASSIGN_OR_RETURN(double min_bandwidth, DoubleArg(args, "min_bandwidth", 1e-3, 0, 1e6));
  if (bandwidth_factor <= 0) {
    return absl::InvalidArgumentError("classArg \"bandwidth_factor\" must be > 0");
  }
  if (min_bandwidth <= 0) {
    return absl::InvalidArgumentError("classArg \"min_bandwidth\" must be > 0");
  }
  DLKIT_ASSIGN_OR_RETURN(uint64_t seed, SeedArg(args, options.seed));
  DLKIT_RETURN_IF_ERROR(ValidateSearchSpace(options.space));
  DLKIT_RETURN_IF_ERROR(CheckNoBudgetParam(options.space, "BOHB"));
  return std::unique_ptr<Tuner>(new BohbTuner(
      options.space, direction, seed,
      HyperbandSchedule(static_cast<double>(max_budget), static_cast<double>(min_budget), eta),
      config));
}

absl::StatusOr<Assignment> BohbTuner::NewConfig(const History& history,
                                                const std::vector<Assignment>& batch,
                                                const HyperbandSlot& slot, uint64_t index) {
  // The largest budget with enough finished results to model.
  std::map<int64_t, int64_t> finished_at;
  for (const TrialRecord& trial : history.trials) {
    std::optional<int64_t> budget = BudgetOf(trial);
    if (budget.has_value() && FinishedValue(trial).has_value()) ++finished_at[*budget];
  }
  std::optional<int64_t> model_budget;
  for (const auto& [budget, n] : finished_at) {
    if (n >= config_.min_points_in_model) model_budget = budget;
  }
  std::mt19937_64 coin = TrialStream(seed(), index, kCoinSalt);
  const bool random = std::uniform_real_distribution<double>(0, 1)(coin) < config_.random_fraction;
  if (random || !model_budget.has_value()) {
    return HyperbandTuner::NewConfig(history, batch, slot, index);
  }
  // TPE on that budget's results alone. No constant liar: with a whole rung asked at once
  // the pending points would outnumber the results and push draws away from the best; each
  // slot's own seed already spreads a batch out.
  History model;
  for (const TrialRecord& trial : history.trials) {
    if (BudgetOf(trial) != model_budget || !FinishedValue(trial).has_value()) continue;
    TrialRecord copy = trial;
    copy.parameters = WithoutBudget(trial.parameters);
    model.trials.push_back(std::move(copy));
  }
  AlgorithmOptions tpe_options;
  tpe_options.space = space();
  tpe_options.direction = direction();
  tpe_options.seed = TrialStream(seed(), index, kModelSalt)();
  tpe_options.class_args = {{"n_startup_jobs", int64_t{0}},
                            {"n_ei_candidates", config_.num_samples},
                            {"gamma", config_.top_n_percent / 100}};
  DLKIT_ASSIGN_OR_RETURN(std::unique_ptr<Tuner> tpe, TpeTuner::Create(tpe_options));
  DLKIT_ASSIGN_OR_RETURN(Suggestions suggestions, tpe->Suggest(model, 1));
  if (suggestions.assignments.empty()) return absl::InternalError("TPE proposed nothing");
  return std::move(suggestions.assignments.front());
}

}  // namespace dlkit::algos
