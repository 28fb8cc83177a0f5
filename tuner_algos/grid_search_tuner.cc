#include "tuner_algos/grid_search_tuner.h"

#include "base/status_macros.h"
#include "tuner_algos/class_args.h"

namespace dlkit::algos {

absl::StatusOr<std::unique_ptr<Tuner>> GridSearchTuner::Create(const AlgorithmOptions& options) {
  DLKIT_RETURN_IF_ERROR(
      CheckKnownArgs(options.class_args, {"optimize_mode", "seed"}, "GridSearch"));
  DLKIT_RETURN_IF_ERROR(DirectionArg(options.class_args, options.direction).status());
  DLKIT_RETURN_IF_ERROR(SeedArg(options.class_args, options.seed).status());
  DLKIT_RETURN_IF_ERROR(ValidateSearchSpace(options.space));
  return std::unique_ptr<Tuner>(
      new GridSearchTuner(std::make_shared<const SearchSpace>(options.space)));
}

void GridSearchTuner::Absorb(const History& history) {
  if (history.trials.size() < absorbed_) absorbed_ = 0;  // a new history: read it all
  for (size_t i = absorbed_; i < history.trials.size(); ++i) {
    seen_.insert(AssignmentKey(history.trials[i].parameters));
  }
  absorbed_ = history.trials.size();
}

absl::StatusOr<Suggestions> GridSearchTuner::Suggest(const History& history, int count) {
  if (count < 0) return absl::InvalidArgumentError("count must be >= 0");
  Absorb(history);
  // Points the history already holds are behind us for good; later calls start after them.
  while (!cursor_.Done() && seen_.count(AssignmentKey(cursor_.Current())) > 0) {
    cursor_.Advance();
  }
  Suggestions out;
  std::unordered_set<std::string> batch;  // a choice may list one value twice
  GridWalk walk = cursor_;
  auto is_new = [&](const std::string& key) {
    return seen_.count(key) == 0 && batch.count(key) == 0;
  };
  while (!walk.Done()) {
    std::string key = AssignmentKey(walk.Current());
    if (is_new(key)) {
      if (static_cast<int>(out.assignments.size()) == count) break;
      out.assignments.push_back(walk.Current());
      batch.insert(std::move(key));
    }
    walk.Advance();
  }
  out.exhausted = walk.Done();
  return out;
}

}  // namespace dlkit::algos
