#include "tuner_algos/evolution_tuner.h"

#include <string>
#include <unordered_set>
#include <vector>

#include "base/status_macros.h"
#include "tuner_algos/class_args.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/trial_history.h"

namespace dlkit::algos {
namespace {

constexpr int64_t kDefaultPopulationSize = 32;
// Fresh mutations (then fresh random draws) tried before accepting a duplicate, so a
// small finite space that is fully explored still gets suggestions.
constexpr int kMaxAttempts = 16;

// An active parameter of an assignment: its key path (nested options' keys on the way).
struct Slot {
  std::vector<std::string> path;
  const ParamSpec* spec;
};

void CollectSlots(const SearchSpace& space, const Assignment& assignment,
                  std::vector<std::string>* prefix, std::vector<Slot>* slots) {
  for (const ParamSpec& spec : space.params) {
    prefix->push_back(spec.name);
    slots->push_back(Slot{*prefix, &spec});
    const auto* nested = std::get_if<std::shared_ptr<Assignment>>(&assignment.at(spec.name).v);
    if (nested != nullptr && *nested != nullptr) {
      const Value& name = (*nested)->at("_name");
      for (const ChoiceOption& option : spec.options) {
        if (option.is_nested && option.sub_space != nullptr && name == Value{option.nested_name}) {
          CollectSlots(*option.sub_space, **nested, prefix, slots);
          break;
        }
      }
    }
    prefix->pop_back();
  }
}

// Redraws the slot's value in `assignment`, copying nested assignments on the way down so
// the parent's (shared) nested values stay untouched.
void Redraw(const Slot& slot, size_t depth, Assignment* assignment, std::mt19937_64& rng) {
  Value& value = (*assignment)[slot.path[depth]];
  if (depth + 1 == slot.path.size()) {
    value = SampleValue(*slot.spec, rng);
    return;
  }
  auto copy = std::make_shared<Assignment>(*std::get<std::shared_ptr<Assignment>>(value.v));
  value.v = copy;
  Redraw(slot, depth + 1, copy.get(), rng);
}

Assignment Mutate(const SearchSpace& space, const Assignment& parent, std::mt19937_64& rng) {
  std::vector<Slot> slots;
  std::vector<std::string> prefix;
  CollectSlots(space, parent, &prefix, &slots);
  Assignment child = parent;
  if (slots.empty()) return child;
  std::uniform_int_distribution<size_t> pick(0, slots.size() - 1);
  Redraw(slots[pick(rng)], 0, &child, rng);
  return child;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tuner>> EvolutionTuner::Create(const AlgorithmOptions& options) {
  DLKIT_RETURN_IF_ERROR(CheckKnownArgs(options.class_args,
                                       {"optimize_mode", "population_size", "seed"}, "Evolution"));
  DLKIT_ASSIGN_OR_RETURN(Direction direction, DirectionArg(options.class_args, options.direction));
  DLKIT_ASSIGN_OR_RETURN(int64_t population_size, IntArg(options.class_args, "population_size",
                                                         kDefaultPopulationSize, 1, 1000000));
  DLKIT_ASSIGN_OR_RETURN(uint64_t seed, SeedArg(options.class_args, options.seed));
  DLKIT_RETURN_IF_ERROR(ValidateSearchSpace(options.space));
  return std::unique_ptr<Tuner>(
      new EvolutionTuner(options.space, direction, population_size, seed));
}

absl::StatusOr<Suggestions> EvolutionTuner::Suggest(const History& history, int count) {
  if (count < 0) return absl::InvalidArgumentError("count must be >= 0");
  // Members must fit the current space (a trial imported from elsewhere may not).
  std::vector<const TrialRecord*> population;
  for (const TrialRecord* trial : RankedFinished(history, direction_)) {
    if (static_cast<int64_t>(population.size()) == population_size_) break;
    if (Contains(space_, trial->parameters)) population.push_back(trial);
  }
  int64_t running = 0;
  for (const TrialRecord& trial : history.trials) {
    running += IsPending(trial);
  }
  std::unordered_set<std::string> seen = HistoryKeys(history);

  Suggestions out;
  for (int i = 0; i < count && running + i < population_size_; ++i) {
    const uint64_t index = history.trials.size() + i;
    std::mt19937_64 rng = TrialStream(seed_, index);
    const bool first_generation = static_cast<int64_t>(index) < population_size_;
    const TrialRecord* parent = nullptr;
    if (!first_generation && !population.empty()) {
      // Tournament of two distinct members (one when that is all there is).
      std::uniform_int_distribution<size_t> pick(0, population.size() - 1);
      parent = population[pick(rng)];
      if (population.size() > 1) {
        const TrialRecord* rival = parent;
        while (rival == parent) rival = population[pick(rng)];
        if (Better(*rival->final_value, *parent->final_value, direction_)) parent = rival;
      }
    }
    Assignment candidate;
    for (int attempt = 0; attempt < 2 * kMaxAttempts; ++attempt) {
      const bool mutate = parent != nullptr && attempt < kMaxAttempts;
      candidate = mutate ? Mutate(space_, parent->parameters, rng) : SampleAssignment(space_, rng);
      if (seen.count(AssignmentKey(candidate)) == 0) break;
    }
    seen.insert(AssignmentKey(candidate));
    out.assignments.push_back(std::move(candidate));
  }
  return out;
}

}  // namespace dlkit::algos
