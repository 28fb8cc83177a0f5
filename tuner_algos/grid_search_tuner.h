#ifndef DLKIT_TUNER_ALGOS_GRID_SEARCH_TUNER_H_
#define DLKIT_TUNER_ALGOS_GRID_SEARCH_TUNER_H_

// NNI's `GridSearch`: every point of the grid (see grid_walk.h) once, in a fixed order.

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_set>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"
#include "tuner_algos/grid_walk.h"

namespace dlkit::algos {

class GridSearchTuner : public Tuner {
 public:
  // classArgs: optimize_mode, seed (both accepted for NNI compatibility; the order is fixed).
  static absl::StatusOr<std::unique_ptr<Tuner>> Create(const AlgorithmOptions& options);

  // The next grid points whose parameters are in no trial of `history`. History is taken
  // as growing by appending; a caller must add what it was given (as waiting trials)
  // before asking again, or it gets the same points back. `exhausted` once the finite
  // grid holds nothing more.
  absl::StatusOr<Suggestions> Suggest(const History& history, int count) override;

 private:
  explicit GridSearchTuner(std::shared_ptr<const SearchSpace> space) : cursor_(space) {}

  void Absorb(const History& history);

  GridWalk cursor_;                       // every point before it is in seen_
  std::unordered_set<std::string> seen_;  // AssignmentKey of every trial seen in history
  size_t absorbed_ = 0;                   // history.trials already in seen_
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_GRID_SEARCH_TUNER_H_
