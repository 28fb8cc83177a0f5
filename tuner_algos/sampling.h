#ifndef DLKIT_TUNER_ALGOS_SAMPLING_H_
#define DLKIT_TUNER_ALGOS_SAMPLING_H_

// Drawing parameter values exactly as NNI's random tuner does (design.md §5), and checking
// that an assignment lies in a space. Expects a space that passed ValidateSearchSpace.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>

#include "tuner_algos/search_space.h"

namespace dlkit::algos {

// One value of `spec`. randint gives int64, choice the option's own type (a nested option:
// an Assignment holding "_name" and its sub-space's sampled parameters), the rest double.
Value SampleValue(const ParamSpec& spec, std::mt19937_64& rng);

// Every parameter of `space`, drawn in the order written (nested ones only when chosen).
Assignment SampleAssignment(const SearchSpace& space, std::mt19937_64& rng);

// True when `assignment` holds exactly the parameters of `space`, each of its type and
// within its bounds (q-types on their grid), a chosen nested option with its own parameters.
bool Contains(const SearchSpace& space, const Assignment& assignment);

// --- Building blocks shared with grid search (numeric types other than randint). ---

// The unquantised value at cumulative probability `unit` in (0, 1) of the parameter's
// underlying distribution: exp(...) applied for log types, no rounding or clipping yet.
double RawFromUnit(const ParamSpec& spec, double unit);

// NNI's finishing step: round(raw / q) * q for q-types (halves to even, as Python),
// clipped to [low, high] for quniform/qloguniform (and loguniform, against exp's last ulp).
double Quantize(const ParamSpec& spec, double raw);

// A choice option's value; a nested option gives an Assignment holding only its "_name".
Value OptionValue(const ChoiceOption& option);

// The index of the option of choice `spec` that `value` picked, matching numbers by value
// (1 == 1.0) and nested options by "_name"; nullopt when it matches none.
std::optional<size_t> OptionIndex(const ParamSpec& spec, const Value& value);

// randint's integers are [RandintLower, RandintUpper), both ends rounded up as NNI does.
int64_t RandintLower(const ParamSpec& spec);
int64_t RandintUpper(const ParamSpec& spec);

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_SAMPLING_H_
