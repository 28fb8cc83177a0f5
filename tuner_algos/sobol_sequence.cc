#include "tuner_algos/sobol_sequence.h"

#include <random>

namespace dlkit::algos {
namespace {

struct Primitive {
  int s;                    // degree of the primitive polynomial
  uint32_t a;               // its inner coefficients
  std::vector<uint32_t> m;  // initial direction numbers m_1..m_s
};

// Dimensions 2.. of new-joe-kuo-6.21201 (dimension 1 is the van der Corput sequence).
const std::vector<Primitive>& JoeKuo() {
  static const auto* table = new std::vector<Primitive>{
      {1, 0, {1}},
      {2, 1, {1, 3}},
      {3, 1, {1, 3, 1}},
      {3, 2, {1, 1, 1}},
      {4, 1, {1, 1, 3, 3}},
      {4, 4, {1, 3, 5, 13}},
      {5, 2, {1, 1, 5, 5, 17}},
      {5, 4, {1, 1, 5, 5, 5}},
      {5, 7, {1, 1, 7, 11, 19}},
      {5, 11, {1, 1, 5, 1, 1}},
      {5, 13, {1, 1, 1, 3, 11}},
      {5, 14, {1, 3, 5, 5, 31}},
      {6, 1, {1, 3, 3, 9, 7, 49}},
      {6, 13, {1, 1, 1, 15, 21, 21}},
      {6, 16, {1, 3, 1, 13, 27, 49}},
      {6, 19, {1, 1, 1, 15, 7, 5}},
      {6, 22, {1, 3, 1, 15, 13, 25}},
      {6, 25, {1, 1, 5, 5, 19, 61}},
      {7, 1, {1, 3, 7, 11, 23, 15, 103}},
      {7, 4, {1, 3, 7, 13, 13, 15, 69}},
      {7, 7, {1, 1, 3, 13, 7, 35, 63}},
      {7, 8, {1, 3, 5, 9, 1, 25, 53}},
      {7, 14, {1, 3, 1, 13, 9, 35, 107}},
      {7, 19, {1, 3, 1, 5, 27, 61, 31}},
      {7, 21, {1, 1, 5, 11, 19, 41, 61}},
      {7, 28, {1, 3, 5, 3, 3, 13, 69}},
      {7, 31, {1, 1, 7, 13, 1, 19, 1}},
      {7, 32, {1, 3, 7, 5, 13, 19, 59}},
      {7, 37, {1, 1, 3, 9, 25, 29, 41}},
      {7, 41, {1, 3, 5, 13, 23, 1, 55}},
      {7, 42, {1, 3, 7, 3, 13, 59, 17}},
  };
  return *table;
}

// Unscrambled generator columns of dimension `d` (0-based), Joe & Kuo's recurrence.
std::vector<uint32_t> Directions(int d) {
  constexpr int kBits = SobolSequence::kBits;
  std::vector<uint32_t> v(kBits);
  if (d == 0) {
    for (int j = 0; j < kBits; ++j) v[j] = uint32_t{1} << (kBits - 1 - j);
    return v;
  }
  const Primitive& p = JoeKuo()[d - 1];
  for (int j = 0; j < kBits; ++j) {
    if (j < p.s) {
      v[j] = p.m[j] << (kBits - 1 - j);
      continue;
    }
    v[j] = v[j - p.s] ^ (v[j - p.s] >> p.s);
    for (int k = 1; k < p.s; ++k) {
      if ((p.a >> (p.s - 1 - k)) & 1) v[j] ^= v[j - k];
    }
  }
  return v;
}

int Parity(uint32_t x) {
  x ^= x >> 16;
  x ^= x >> 8;
  x ^= x >> 4;
  x ^= x >> 2;
  x ^= x >> 1;
  return static_cast<int>(x & 1);
}

}  // namespace

SobolSequence::SobolSequence(int dimensions, uint64_t seed) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    uint32_t{0x50b01}};
  std::mt19937_64 rng(seq);
  for (int d = 0; d < dimensions; ++d) {
    // Row r of the lower-triangular matrix L: a unit diagonal and random bits left of it.
    // Output digit r mixes input digits 0..r only, so the leading m digits of every point
    // still come from an invertible map of the leading m digits: nets stay nets.
    std::vector<uint32_t> rows(kBits);
    for (int r = 0; r < kBits; ++r) {
      const uint32_t diagonal = uint32_t{1} << (kBits - 1 - r);
      const uint32_t above = r == 0 ? 0 : ~((diagonal << 1) - 1);  // more significant digits
      rows[r] = diagonal | (static_cast<uint32_t>(rng()) & above);
    }
    std::vector<uint32_t> columns = Directions(d);
    for (uint32_t& column : columns) {
      uint32_t scrambled = 0;
      for (int r = 0; r < kBits; ++r) {
        if (Parity(rows[r] & column)) scrambled |= uint32_t{1} << (kBits - 1 - r);
      }
      column = scrambled;
    }
    directions_.push_back(std::move(columns));
    shift_.push_back(static_cast<uint32_t>(rng()));
  }
}

std::vector<double> SobolSequence::Point(uint64_t index) const {
  std::vector<double> point;
  point.reserve(directions_.size());
  for (size_t d = 0; d < directions_.size(); ++d) {
    uint32_t x = shift_[d];
    for (int j = 0; j < kBits && (index >> j) != 0; ++j) {
      if ((index >> j) & 1) x ^= directions_[d][j];
    }
    point.push_back((static_cast<double>(x) + 0.5) / 4294967296.0);
  }
  return point;
}

}  // namespace dlkit::algos
