#include "base/text_parsing.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace dlkit {

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

absl::StatusOr<absl::Duration> ParseHumanDuration(absl::string_view text) {
  std::string s = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid duration \"", text, "\" (use e.g. 90s, 30m, 2h, 1h30m, 1d)"));
  };
  if (s.empty()) return invalid();
  absl::Duration total = absl::ZeroDuration();
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == start) return invalid();
    double number = 0;
    if (!absl::SimpleAtod(s.substr(start, i - start), &number)) return invalid();
    while (i < s.size() && s[i] == ' ') ++i;
    const size_t unit_start = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    const std::string unit = s.substr(unit_start, i - unit_start);
    absl::Duration scale;
    if (unit == "s" || unit == "sec") {
      scale = absl::Seconds(1);
    } else if (unit == "m" || unit == "min") {
      scale = absl::Minutes(1);
    } else if (unit == "h") {
      scale = absl::Hours(1);
    } else if (unit == "d") {
      scale = absl::Hours(24);
    } else if (unit.empty() && i == s.size() && start == 0) {
      scale = absl::Seconds(1);  // a bare number means seconds, as NNI reads it
    } else {
      return invalid();
    }
    while (i < s.size() && s[i] == ' ') ++i;
    total += number * scale;
  }
  if (total > absl::Hours(24 * 365 * 1000)) {
    return absl::InvalidArgumentError(absl::StrCat("duration \"", text, "\" is too long"));
  }
  return total;
}

absl::StatusOr<int64_t> ParseDurationSeconds(absl::string_view text) {
  absl::StatusOr<absl::Duration> parsed = ParseHumanDuration(text);
  if (!parsed.ok()) return parsed.status();
  return static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(*parsed)));
}

std::string FormatDurationSeconds(int64_t seconds) {
  if (seconds > 0 && seconds % 86400 == 0) return absl::StrCat(seconds / 86400, "d");
  if (seconds > 0 && seconds % 3600 == 0) return absl::StrCat(seconds / 3600, "h");
  if (seconds > 0 && seconds % 60 == 0) return absl::StrCat(seconds / 60, "m");
  return absl::StrCat(seconds, "s");
}

}  // namespace dlkit
