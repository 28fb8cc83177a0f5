#ifndef DLKIT_TUNER_ALGOS_MATH_UTIL_H_
#define DLKIT_TUNER_ALGOS_MATH_UTIL_H_

// Small numeric helpers shared by sampling and grid search.

namespace dlkit::algos {

// Python's round(): halves go to the even neighbour (round(2.5) == 2), as NNI rounds.
double RoundHalfEven(double x);

// Standard normal CDF.
double NormalCdf(double x);

// Inverse of NormalCdf: -inf at 0, +inf at 1, full double precision in between.
double NormalQuantile(double p);

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_MATH_UTIL_H_
