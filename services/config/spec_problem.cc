#include "services/config/spec_problem.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace dlkit {

std::string SpecProblem::ToString() const {
  return path.empty() ? message : absl::StrCat(path, ": ", message);
}

std::vector<std::string> ProblemStrings(const SpecProblems& problems) {
  std::vector<std::string> out;
  out.reserve(problems.size());
  for (const SpecProblem& p : problems) out.push_back(p.ToString());
  return out;
}

std::string IndexPath(const std::string& prefix, size_t index) {
  return absl::StrCat(prefix, "[", index, "]");
}

std::string JoinSpecPath(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : absl::StrCat(prefix, ".", key);
}

std::string FormatSpecNumber(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buf[40];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}
void CheckCount(int64_t value, int64_t min, const std::string& path, SpecProblems* problems) {
  if (value < min) {
    AddProblem(problems, path,
               min == 0 ? absl::StrCat("must not be negative, got ", value)
                        : absl::StrCat("must be at least ", min, ", got ", value));
  }
}

}  // namespace dlkit
