#include "tuner_algos/sobol_tuner.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "base/status_macros.h"
#include "tuner_algos/class_args.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/trial_history.h"

namespace dlkit::algos {
namespace {

// Dimensions of `space`: one per parameter plus those of every nested option's sub-space.
int CountDimensions(const SearchSpace& space) {
  int n = 0;
  for (const ParamSpec& spec : space.params) {
    ++n;
    for (const ChoiceOption& option : spec.options) {
      if (option.is_nested && option.sub_space != nullptr) n += CountDimensions(*option.sub_space);
    }
  }
  return n;
}

// Index in [0, n) for unit in (0, 1).
int64_t Bucket(double unit, int64_t n) {
  return std::min<int64_t>(static_cast<int64_t>(std::floor(unit * n)), n - 1);
}

// Fills `out` with `space`'s parameters read from point[*next...]; advances *next past all
// of the space's dimensions, chosen nested options or not, so the layout never shifts.
void Decode(const SearchSpace& space, const std::vector<double>& point, size_t* next,
            Assignment* out) {
  for (const ParamSpec& spec : space.params) {
    const double unit = point[(*next)++];
    switch (spec.distribution) {
      case Distribution::kChoice: {
        const size_t chosen = Bucket(unit, static_cast<int64_t>(spec.options.size()));
        for (size_t k = 0; k < spec.options.size(); ++k) {
          const ChoiceOption& option = spec.options[k];
          if (k == chosen) (*out)[spec.name] = OptionValue(option);
          if (!option.is_nested || option.sub_space == nullptr) continue;
          if (k == chosen) {
            Decode(*option.sub_space, point, next,
                   std::get<std::shared_ptr<Assignment>>((*out)[spec.name].v).get());
          } else {
            *next += CountDimensions(*option.sub_space);
          }
        }
        break;
      }
      case Distribution::kRandint: {
        const int64_t low = RandintLower(spec);
        (*out)[spec.name] = Value{low + Bucket(unit, RandintUpper(spec) - low)};
        break;
      }
      default:
        (*out)[spec.name] = Value{Quantize(spec, RawFromUnit(spec, unit))};
    }
  }
}

}  // namespace

SobolTuner::SobolTuner(SearchSpace space, uint64_t seed, int dimensions)
    : space_(std::move(space)),
      seed_(seed),
      dimensions_(dimensions),
      sequence_(std::clamp(dimensions, 1, SobolSequence::kMaxDimensions), seed) {}

absl::StatusOr<std::unique_ptr<Tuner>> SobolTuner::Create(const AlgorithmOptions& options) {
  DLKIT_RETURN_IF_ERROR(CheckKnownArgs(options.class_args, {"optimize_mode", "seed"}, "Sobol"));
  DLKIT_RETURN_IF_ERROR(DirectionArg(options.class_args, options.direction).status());
  DLKIT_ASSIGN_OR_RETURN(uint64_t seed, SeedArg(options.class_args, options.seed));
  DLKIT_RETURN_IF_ERROR(ValidateSearchSpace(options.space));
  const int dimensions = CountDimensions(options.space);
  return std::unique_ptr<Tuner>(new SobolTuner(options.space, seed, dimensions));
}

std::vector<double> SobolTuner::UnitPoint(uint64_t index) const {
  std::vector<double> point = sequence_.Point(index);
  if (dimensions_ > SobolSequence::kMaxDimensions) {
    std::mt19937_64 rng = TrialStream(seed_, index, /*salt=*/0x50b01);
    while (static_cast<int>(point.size()) < dimensions_) {
      point.push_back((static_cast<double>(rng() >> 11) + 0.5) / 9007199254740992.0);  // 2^53
    }
  }
  return point;
}

absl::StatusOr<Suggestions> SobolTuner::Suggest(const History& history, int count) {
  if (count < 0) return absl::InvalidArgumentError("count must be >= 0");
  Suggestions out;
  const uint64_t first = history.trials.size();
  for (int i = 0; i < count; ++i) {
    const std::vector<double> point = UnitPoint(first + i);
    size_t next = 0;
    Assignment assignment;
    Decode(space_, point, &next, &assignment);
    out.assignments.push_back(std::move(assignment));
  }
  return out;
}

}  // namespace dlkit::algos
