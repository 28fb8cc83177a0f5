#ifndef DLKIT_SERVICES_CONFIG_SPEC_PROBLEM_H_
#define DLKIT_SERVICES_CONFIG_SPEC_PROBLEM_H_

// A problem of an experiment spec or config, named by the JSON path of the key to fix, and
// the small path and number helpers every check of the experiment-spec domain uses.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dlkit {

// One problem: where (a JSON path such as `searchSpace.lr._value`, empty for the whole
// document) and what.
struct SpecProblem {
  std::string path;
  std::string message;

  // "path: message", or the message alone when the path is empty.
  std::string ToString() const;
};

using SpecProblems = std::vector<SpecProblem>;

inline void AddProblem(SpecProblems* problems, std::string path, std::string message) {
  problems->push_back(SpecProblem{std::move(path), std::move(message)});
}

// A problem at `path` unless value >= min ("must not be negative" for min 0).
void CheckCount(int64_t value, int64_t min, const std::string& path, SpecProblems* problems);

// Each problem as "path: message".
std::vector<std::string> ProblemStrings(const SpecProblems& problems);

// `prefix.key` (or `key` when the prefix is empty).
std::string JoinSpecPath(const std::string& prefix, const std::string& key);
// `prefix[index]`.
std::string IndexPath(const std::string& prefix, size_t index);
// Shortest text that reads back as the same double ("0.1", "1e-05", "3").
std::string FormatSpecNumber(double value);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_CONFIG_SPEC_PROBLEM_H_
