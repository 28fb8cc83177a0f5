#ifndef DLKIT_TUNER_ALGOS_SOBOL_SEQUENCE_H_
#define DLKIT_TUNER_ALGOS_SOBOL_SEQUENCE_H_

// Scrambled Sobol points in base 2 (as SciPy's qmc.Sobol with scramble=True): Joe & Kuo's
// direction numbers, a random lower-triangular linear matrix scramble per dimension and a
// random digital shift. Both keep Sobol's (t,m,s)-net structure, so every aligned block of
// 2^m points still stratifies the unit cube.

#include <cstdint>
#include <vector>

namespace dlkit::algos {

class SobolSequence {
 public:
  // Dimensions with built-in direction numbers (Joe & Kuo new-joe-kuo-6.21201, first rows).
  static constexpr int kMaxDimensions = 32;
  // Digits per coordinate; points are indexed by 32-bit integers.
  static constexpr int kBits = 32;

  // `dimensions` in [1, kMaxDimensions]. The scramble depends only on `seed`.
  SobolSequence(int dimensions, uint64_t seed);

  int dimensions() const { return static_cast<int>(directions_.size()); }

  // The `index`-th point, each coordinate strictly inside (0, 1) (digit value + half ulp).
  std::vector<double> Point(uint64_t index) const;

 private:
  // directions_[d][j]: the scrambled generator column for bit j of the index, digit 0 in
  // the most significant bit.
  std::vector<std::vector<uint32_t>> directions_;
  std::vector<uint32_t> shift_;
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_SOBOL_SEQUENCE_H_
