#include "tuner_algos/anneal_tuner.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/status_macros.h"
#include "tuner_algos/class_args.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/trial_history.h"

namespace dlkit::algos {
namespace {

constexpr double kShrinkCoef = 0.1;  // hyperopt's shrink_coef
constexpr double kGoodRankP = 0.5;   // hyperopt's avg_best_idx = 2: rank ~ Geometric(1/2) - 1
// Annealed draws tried before a duplicate of a known trial is replaced by a random draw.
constexpr int kMaxAttempts = 8;

// The nested options leading to a parameter: (choice name, option "_name") pairs.
using NestPath = std::vector<std::pair<std::string, std::string>>;

// The value `name` has in `parameters` under `nest`, or nullptr when it was not active.
const Value* Lookup(const Assignment& parameters, const NestPath& nest, const std::string& name) {
  const Assignment* level = &parameters;
  for (const auto& [choice, option] : nest) {
    auto it = level->find(choice);
    if (it == level->end()) return nullptr;
    const auto* nested = std::get_if<std::shared_ptr<Assignment>>(&it->second.v);
    if (nested == nullptr || *nested == nullptr) return nullptr;
    auto chosen = (*nested)->find("_name");
    if (chosen == (*nested)->end() || chosen->second != Value{option}) return nullptr;
    level = nested->get();
  }
  auto it = level->find(name);
  return it == level->end() ? nullptr : &it->second;
}

// Index in [0, k): `keep` with probability (1 - s) + s / k, else uniform.
size_t KeepOrResample(size_t keep, size_t k, double s, std::mt19937_64& rng) {
  if (std::uniform_real_distribution<double>(0, 1)(rng) >= s) return keep;
  return std::uniform_int_distribution<size_t>(0, k - 1)(rng);
}

// A numeric value near `good`, the window/sigma scaled by `s`.
double Near(const ParamSpec& spec, double good, double s, std::mt19937_64& rng) {
  const bool log = IsLogType(spec.distribution);
  if (IsNormalType(spec.distribution)) {
    // hyperopt adds 1e-16 before the log so a quantised 0 stays usable.
    const double mu = log ? std::log(1e-16 + good) : good;
    const double base = std::normal_distribution<double>(mu, spec.args[1] * s)(rng);
    return Quantize(spec, log ? std::exp(base) : base);
  }
  const double low = log ? std::log(spec.args[0]) : spec.args[0];
  const double high = log ? std::log(spec.args[1]) : spec.args[1];
  const double half = 0.5 * (high - low) * s;
  const double mid = std::clamp(log ? std::log(good) : good, low + half, high - half);
  const double base = std::uniform_real_distribution<double>(mid - half, mid + half)(rng);
  return Quantize(spec, log ? std::exp(base) : base);
}

// State of one suggestion: the ranked succeeded trials, everything tried, and the good
// trials picked so far (reused for later parameters, as hyperopt's best_tids).
class Annealer {
 public:
  Annealer(const std::vector<const TrialRecord*>& ranked, const History& history,
           std::mt19937_64& rng)
      : ranked_(ranked), history_(history), rng_(rng) {}

  Assignment Generate(const SearchSpace& space, const NestPath& nest) {
    Assignment out;
    for (const ParamSpec& spec : space.params) out[spec.name] = Anneal(spec, nest);
    return out;
  }

 private:
  Value Anneal(const ParamSpec& spec, const NestPath& nest) {
    // Observations: succeeded trials (best first) in which the parameter was active.
    std::vector<const Value*> observed;
    std::vector<const TrialRecord*> observers;
    for (const TrialRecord* trial : ranked_) {
      if (const Value* v = Lookup(trial->parameters, nest, spec.name)) {
        observed.push_back(v);
        observers.push_back(trial);
      }
    }
    const Value* good = nullptr;
    if (!observed.empty()) good = observed[PickGood(observers)];
    int64_t uses = 0;  // hyperopt counts every trial that drew the parameter
    for (const TrialRecord& trial : history_.trials) {
      uses += Lookup(trial.parameters, nest, spec.name) != nullptr;
    }
    const double s = 1.0 / (1.0 + kShrinkCoef * static_cast<double>(uses));

    switch (spec.distribution) {
      case Distribution::kChoice: {
        const size_t k = spec.options.size();
        size_t index = std::uniform_int_distribution<size_t>(0, k - 1)(rng_);
        if (good != nullptr) {
          for (size_t i = 0; i < k; ++i) {
            if (OptionValue(spec.options[i]) == *good ||
                (spec.options[i].is_nested && NameOf(*good) == spec.options[i].nested_name)) {
              index = KeepOrResample(i, k, s, rng_);
              break;
            }
          }
        }
        const ChoiceOption& option = spec.options[index];
        Value value = OptionValue(option);
        if (option.is_nested && option.sub_space != nullptr) {
          NestPath inner = nest;
          inner.emplace_back(spec.name, option.nested_name);
          auto& nested = *std::get<std::shared_ptr<Assignment>>(value.v);
          for (auto& [name, sub] : Generate(*option.sub_space, inner)) {
            nested[name] = std::move(sub);
          }
        }
        return value;
      }
      case Distribution::kRandint: {
        // Ordinal, unlike hyperopt's categorical randint (whose exact repeats would mostly
        // be duplicates): a window around the good integer, as for quniform.
        if (good == nullptr) return SampleValue(spec, rng_);
        const double low = static_cast<double>(RandintLower(spec));
        const double high = static_cast<double>(RandintUpper(spec));
        const double half = 0.5 * (high - low) * s;
        const double mid = std::clamp(AsNumber(*good).value_or(0) + 0.5, low + half, high - half);
        const double x = std::uniform_real_distribution<double>(mid - half, mid + half)(rng_);
        return Value{std::clamp(static_cast<int64_t>(std::floor(x)), RandintLower(spec),
                                RandintUpper(spec) - 1)};
      }
      default:
        if (good == nullptr) return SampleValue(spec, rng_);
        return Value{Near(spec, AsNumber(*good).value_or(0), s, rng_)};
    }
  }

  static std::string NameOf(const Value& value) {
    const auto* nested = std::get_if<std::shared_ptr<Assignment>>(&value.v);
    if (nested == nullptr || *nested == nullptr) return "";
    auto it = (*nested)->find("_name");
    if (it == (*nested)->end()) return "";
    const std::string* name = std::get_if<std::string>(&it->second.v);
    return name == nullptr ? "" : *name;
  }

  // Index into `observers` of the trial to anneal around.
  size_t PickGood(const std::vector<const TrialRecord*>& observers) {
    for (const TrialRecord* trial : picked_) {
      auto it = std::find(observers.begin(), observers.end(), trial);
      if (it != observers.end()) return static_cast<size_t>(it - observers.begin());
    }
    const size_t rank = std::min<size_t>(std::geometric_distribution<size_t>(kGoodRankP)(rng_),
                                         observers.size() - 1);
    picked_.push_back(observers[rank]);
    return rank;
  }

  const std::vector<const TrialRecord*>& ranked_;
  const History& history_;
  std::mt19937_64& rng_;
  std::vector<const TrialRecord*> picked_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Tuner>> AnnealTuner::Create(const AlgorithmOptions& options) {
  DLKIT_RETURN_IF_ERROR(CheckKnownArgs(options.class_args, {"optimize_mode", "seed"}, "Anneal"));
  DLKIT_ASSIGN_OR_RETURN(Direction direction, DirectionArg(options.class_args, options.direction));
  DLKIT_ASSIGN_OR_RETURN(uint64_t seed, SeedArg(options.class_args, options.seed));
  DLKIT_RETURN_IF_ERROR(ValidateSearchSpace(options.space));
  return std::unique_ptr<Tuner>(new AnnealTuner(options.space, direction, seed));
}

absl::StatusOr<Suggestions> AnnealTuner::Suggest(const History& history, int count) {
  if (count < 0) return absl::InvalidArgumentError("count must be >= 0");
  // Only trials that fit the current space are evidence (their values must be in range).
  std::vector<const TrialRecord*> ranked;
  for (const TrialRecord* trial : RankedFinished(history, direction_)) {
    if (Contains(space_, trial->parameters)) ranked.push_back(trial);
  }
  std::unordered_set<std::string> seen = HistoryKeys(history);
  Suggestions out;
  for (int i = 0; i < count; ++i) {
    std::mt19937_64 rng = TrialStream(seed_, history.trials.size() + i);
    Assignment candidate = Annealer(ranked, history, rng).Generate(space_, {});
    for (int attempt = 1; attempt < kMaxAttempts && seen.count(AssignmentKey(candidate)) > 0;
         ++attempt) {
      candidate = Annealer(ranked, history, rng).Generate(space_, {});
    }
    if (seen.count(AssignmentKey(candidate)) > 0) candidate = SampleAssignment(space_, rng);
    seen.insert(AssignmentKey(candidate));
    out.assignments.push_back(std::move(candidate));
  }
  return out;
}

}  // namespace dlkit::algos
