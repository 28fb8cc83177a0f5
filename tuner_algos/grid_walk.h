#ifndef DLKIT_TUNER_ALGOS_GRID_WALK_H_
#define DLKIT_TUNER_ALGOS_GRID_WALK_H_

// The grid of NNI v2's GridSearch (nni/algorithms/hpo/gridsearch_tuner.py), walked point by
// point in its order. The walk is split into epochs: categorical dimensions (choice,
// randint, and quniform/qloguniform, whose values are the finite q-grid) hold all their
// values from the start; each continuous dimension (uniform, loguniform, normal, lognormal,
// qnormal, qlognormal) starts at its median and every later epoch adds the midpoints of its
// unit-probability intervals (quarters, then eighths, ...; normal ones through the inverse
// CDF). An epoch yields, in odometer order (last parameter fastest), only the points that
// use a value added in that epoch, so no point comes twice. Nested choices are expanded:
// an option's parameters vary only while it is chosen.
//
// Unlike NNI, q-typed values at the ends of a range are reached too: NNI compares a new
// midpoint against the interval's ends, which are never grid points themselves, so e.g.
// quniform(0, 10, 1) never yields 0 or 10 there.

#include <cstdint>
#include <memory>
#include <set>
#include <vector>

#include "tuner_algos/search_space.h"

namespace dlkit::algos {

class GridWalk {
 public:
  // `space` must have passed ValidateSearchSpace. Copies share it.
  explicit GridWalk(std::shared_ptr<const SearchSpace> space);

  // True once every point of a finite grid has been visited.
  bool Done() const { return done_; }
  // The assignment at the current point; valid while !Done().
  const Assignment& Current() const { return current_; }
  void Advance();

 private:
  struct Dim {
    const ParamSpec* spec = nullptr;
    int parent = -1;      // the choice dimension whose option activates this one
    int64_t option = -1;  // that option's index
    int64_t size = 0;     // number of values of a categorical dimension; 0: continuous
    int64_t k_first = 0;  // quniform/qloguniform: the first multiple of q on the grid
  };
  struct Division {  // an interval of a continuous dimension's unit (probability) scale
    double low;
    double high;
  };

  void Flatten(const SearchSpace& space, int parent, int64_t option);
  int64_t GridSize(size_t dim) const;
  std::vector<bool> Active() const;
  bool NextVector();
  bool IsOld() const;
  bool Refine();
  bool MayHoldNewValue(size_t dim, const Division& division) const;
  double ContinuousValue(size_t dim, double unit) const;
  Value CategoricalValue(size_t dim, int64_t index) const;
  Assignment Build() const;

  std::shared_ptr<const SearchSpace> space_;
  std::vector<Dim> dims_;                         // parameters in NNI's flattened order
  std::vector<std::vector<double>> units_;        // continuous dims: grid on the unit scale
  std::vector<std::set<double>> taken_;           // continuous dims: values on the grid
  std::vector<std::vector<Division>> divisions_;  // continuous dims: intervals to halve next
  std::vector<int64_t> vector_;                   // the current point: an index per dim
  std::vector<int64_t> epoch_bar_;                // grid sizes before this epoch
  bool done_ = false;
  Assignment current_;
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_GRID_WALK_H_
