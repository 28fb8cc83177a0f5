#include "tuner_algos/grid_walk.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "tuner_algos/sampling.h"

namespace dlkit::algos {
namespace {

bool IsQuantized(Distribution d) {
  return d == Distribution::kQuniform || d == Distribution::kQloguniform ||
         d == Distribution::kQnormal || d == Distribution::kQlognormal;
}

}  // namespace

GridWalk::GridWalk(std::shared_ptr<const SearchSpace> space) : space_(std::move(space)) {
  Flatten(*space_, -1, -1);
  const size_t n = dims_.size();
  units_.resize(n);
  taken_.resize(n);
  divisions_.resize(n);
  vector_.assign(n, 0);
  epoch_bar_.assign(n, 0);
  for (size_t d = 0; d < n; ++d) {
    if (dims_[d].size > 0) continue;
    units_[d] = {0.5};
    taken_[d] = {ContinuousValue(d, 0.5)};
    for (Division half : {Division{0, 0.5}, Division{0.5, 1}}) {
      if (MayHoldNewValue(d, half)) divisions_[d].push_back(half);
    }
  }
  current_ = Build();
}

void GridWalk::Flatten(const SearchSpace& space, int parent, int64_t option) {
  for (const ParamSpec& spec : space.params) {
    Dim dim{&spec, parent, option};
    switch (spec.distribution) {
      case Distribution::kChoice:
        dim.size = static_cast<int64_t>(spec.options.size());
        break;
      case Distribution::kRandint:
        dim.size = RandintUpper(spec) - RandintLower(spec);
        break;
      case Distribution::kQuniform:
      case Distribution::kQloguniform: {
        // Multiples k*q whose rounding interval ((k-1/2)q, (k+1/2)q) meets (low, high).
        const double low = spec.args[0], high = spec.args[1], q = spec.args[2];
        dim.k_first = static_cast<int64_t>(std::floor(low / q - 0.5)) + 1;
        dim.size = static_cast<int64_t>(std::ceil(high / q + 0.5)) - dim.k_first;
        break;
      }
      default:
        break;  // continuous
    }
    const int index = static_cast<int>(dims_.size());
    dims_.push_back(dim);
    if (spec.distribution != Distribution::kChoice) continue;
    for (size_t o = 0; o < spec.options.size(); ++o) {
      const ChoiceOption& choice = spec.options[o];
      if (choice.is_nested && choice.sub_space != nullptr) {
        Flatten(*choice.sub_space, index, static_cast<int64_t>(o));
      }
    }
  }
}

int64_t GridWalk::GridSize(size_t dim) const {
  return dims_[dim].size > 0 ? dims_[dim].size : static_cast<int64_t>(units_[dim].size());
}

std::vector<bool> GridWalk::Active() const {
  std::vector<bool> active(dims_.size());
  for (size_t d = 0; d < dims_.size(); ++d) {
    const int parent = dims_[d].parent;  // parents come first in the flattened order
    active[d] = parent < 0 || (active[parent] && vector_[parent] == dims_[d].option);
  }
  return active;
}

void GridWalk::Advance() {
  while (!done_) {
    if (!NextVector()) {
      if (!Refine()) {
        done_ = true;
        current_.clear();
        return;
      }
      std::fill(vector_.begin(), vector_.end(), 0);
    }
    if (IsOld()) continue;
    current_ = Build();
    return;
  }
}

// Odometer over the active dimensions, last one fastest; inactive ones stay at 0.
bool GridWalk::NextVector() {
  const std::vector<bool> active = Active();
  for (size_t d = dims_.size(); d-- > 0;) {
    if (!active[d]) continue;
    if (vector_[d] + 1 < GridSize(d)) {
      ++vector_[d];
      return true;
    }
    vector_[d] = 0;
  }
  return false;
}

// A point made only of values from earlier epochs was visited then.
bool GridWalk::IsOld() const {
  for (size_t d = 0; d < dims_.size(); ++d) {
    if (vector_[d] >= epoch_bar_[d]) return false;
  }
  return true;
}

// Starts the next epoch by halving every interval that may still hold a new value.
// False when no continuous dimension can gain a value: the grid is complete.
bool GridWalk::Refine() {
  for (size_t d = 0; d < dims_.size(); ++d) epoch_bar_[d] = GridSize(d);
  while (true) {
    bool added = false;
    bool alive = false;
    for (size_t d = 0; d < dims_.size(); ++d) {
      std::vector<Division> next;
      for (const Division& division : divisions_[d]) {
        const double mid = (division.low + division.high) / 2;
        if (taken_[d].insert(ContinuousValue(d, mid)).second) {
          units_[d].push_back(mid);
          added = true;
        }
        for (Division half : {Division{division.low, mid}, Division{mid, division.high}}) {
          if (MayHoldNewValue(d, half)) next.push_back(half);
        }
      }
      alive = alive || !next.empty();
      divisions_[d] = std::move(next);
    }
    // An epoch that adds nothing (q-rounding hit known values) yields no point: skip it.
    if (added) return true;
    if (!alive) return false;
  }
}

// Whether a point strictly inside `division` can have a value not yet on the grid. No grid
// point lies inside, and values grow with the unit, so only the ends can be taken.
bool GridWalk::MayHoldNewValue(size_t dim, const Division& division) const {
  const double mid = (division.low + division.high) / 2;
  if (!(division.low < mid && mid < division.high)) return false;  // out of precision
  const ParamSpec& spec = *dims_[dim].spec;
  const double raw_low = RawFromUnit(spec, division.low);
  const double raw_high = RawFromUnit(spec, division.high);
  if (!IsQuantized(spec.distribution)) return raw_low < raw_high;
  // Multiples of q reached just inside each end (one-sided limits of the rounding).
  const double q = spec.args[2];
  const double k_low = std::floor(raw_low / q + 0.5);
  const double k_high = std::ceil(raw_high / q - 0.5);
  if (k_high - k_low >= 2) return true;  // a value strictly between the ends' values
  if (k_high < k_low) return false;
  return taken_[dim].count(k_low * q) == 0 || taken_[dim].count(k_high * q) == 0;
}

double GridWalk::ContinuousValue(size_t dim, double unit) const {
  const ParamSpec& spec = *dims_[dim].spec;
  return Quantize(spec, RawFromUnit(spec, unit));
}

Value GridWalk::CategoricalValue(size_t dim, int64_t index) const {
  const ParamSpec& spec = *dims_[dim].spec;
  switch (spec.distribution) {
    case Distribution::kChoice:
      return OptionValue(spec.options[index]);
    case Distribution::kRandint:
      return Value{RandintLower(spec) + index};
    default: {
      const double q = spec.args[2];
      const double x = static_cast<double>(dims_[dim].k_first + index) * q;
      return Value{std::clamp(x, spec.args[0], spec.args[1])};
    }
  }
}

Assignment GridWalk::Build() const {
  Assignment out;
  const std::vector<bool> active = Active();
  // The nested assignment a choice dimension created, where its options' parameters go.
  std::vector<Assignment*> holders(dims_.size(), nullptr);
  for (size_t d = 0; d < dims_.size(); ++d) {
    if (!active[d]) continue;
    const Dim& dim = dims_[d];
    Value value = dim.size > 0 ? CategoricalValue(d, vector_[d])
                               : Value{ContinuousValue(d, units_[d][vector_[d]])};
    if (auto* nested = std::get_if<std::shared_ptr<Assignment>>(&value.v)) {
      holders[d] = nested->get();
    }
    Assignment& target = dim.parent < 0 ? out : *holders[dim.parent];
    target[dim.spec->name] = std::move(value);
  }
  return out;
}

}  // namespace dlkit::algos
