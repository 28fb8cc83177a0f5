#include "services/config/config_reader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/text_parsing.h"

namespace dlkit::config {

// ---------------------------------------------------------------------------------------
// Problems of one parse.

// `a` is `b` or lies below it (`b.x`, `b[3]`).
bool PathWithin(const std::string& a, const std::string& b) {
  if (a == b) return true;
  return a.size() > b.size() && absl::StartsWith(a, b) && !b.empty() &&
         (a[b.size()] == '.' || a[b.size()] == '[');
}

bool Related(const std::string& a, const std::string& b) {
  return PathWithin(a, b) || PathWithin(b, a);
}

bool Report::Covers(const std::string& path) const {
  for (const SpecProblem& p : errors_) {
    if (Related(p.path, path)) return true;
  }
  for (const std::string& s : suppressed_) {
    if (Related(s, path)) return true;
  }
  return false;
}

std::string Quote(const std::string& s) { return absl::StrCat("\"", s, "\""); }

// A short description of a JSON value for "got ..." in messages.
std::string Describe(const Json& j) {
  switch (j.type()) {
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "a list";
    case Json::value_t::null:
      return "null";
    default: {
      std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
      if (s.size() > 60) s = s.substr(0, 57) + "...";
      return s;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Key matching with suggestions.

// NNI matches keys ignoring case and underscores (trial_concurrency = trialConcurrency).
std::string NormalizeKey(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c != '_') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

// The candidate closest to `key`, if close enough to be a likely typo; else "".
std::string Closest(const std::string& key, const std::vector<std::string>& candidates) {
  const std::string k = NormalizeKey(key);
  std::string best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const std::string& c : candidates) {
    const std::string n = NormalizeKey(c);
    const size_t d = EditDistance(k, n);
    const size_t limit = std::max<size_t>(2, std::max(k.size(), n.size()) / 3);
    if (d <= limit && d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

// "<what>; did you mean "x"?" when a candidate is close, else "<what>; expected one of
// <listed>" (`listed` defaults to the candidates).
std::string UnknownMessage(const std::string& what, const std::string& given,
                           const std::vector<std::string>& candidates,
                           const std::vector<std::string>* listed) {
  const std::string closest = Closest(given, candidates);
  if (!closest.empty()) return absl::StrCat(what, "; did you mean ", Quote(closest), "?");
  return absl::StrCat(what, "; expected one of ",
                      absl::StrJoin(listed != nullptr ? *listed : candidates, ", "));
}

const Json* Get(const Fields& fields, const std::string& key) {
  auto it = fields.find(key);
  return it == fields.end() ? nullptr : it->second;
}

std::string MatchKey(const std::string& key, const std::vector<std::string>& keys) {
  for (const std::string& k : keys) {
    if (k == key) return k;
  }
  const std::string n = NormalizeKey(key);
  for (const std::string& k : keys) {
    if (NormalizeKey(k) == n) return k;
  }
  return "";
}

// Sorts the keys of `obj` into known (returned; null values mean "not set", as in NNI),
// ignored (warnings), retired and unknown (errors).
Fields ReadFields(const Json& obj, const std::string& path, const KeyTable& table, Report* report) {
  Fields fields;
  std::map<std::string, std::string> spelled;
  for (const auto& [key, value] : obj.items()) {
    const std::string key_path = JoinSpecPath(path, key);
    std::string canonical = MatchKey(key, table.known);
    if (!canonical.empty()) {
      auto [it, inserted] = spelled.emplace(canonical, key);
      if (!inserted) {
        report->Error(key_path, absl::StrCat("same key as ", Quote(it->second), "; give it once"));
        continue;
      }
      if (!value.is_null()) fields[canonical] = &value;
      continue;
    }
    if (!MatchKey(key, table.ignored).empty()) {
      report->Warn(key_path, "accepted for NNI compatibility, ignored by dlkit");
      continue;
    }
    const RetiredKey* retired = nullptr;
    for (const RetiredKey& r : table.retired) {
      if (NormalizeKey(r.key) == NormalizeKey(key)) retired = &r;
    }
    if (retired != nullptr) {
      if (retired->error) {
        report->Error(key_path, retired->message);
      } else {
        report->Warn(key_path, retired->message);
      }
      continue;
    }
    std::vector<std::string> candidates = table.known;
    candidates.insert(candidates.end(), table.ignored.begin(), table.ignored.end());
    report->Error(key_path, UnknownMessage("unknown key", key, candidates, &table.known));
  }
  return fields;
}

// ---------------------------------------------------------------------------------------
// Typed readers. Each reports a problem at `path` and returns false on a bad value.

bool ReadString(const Json& j, const std::string& path, Report* report, std::string* out) {
  if (!j.is_string()) {
    report->Error(path, absl::StrCat("expected a string, got ", Describe(j)));
    return false;
  }
  *out = j.get<std::string>();
  return true;
}

bool ReadBool(const Json& j, const std::string& path, Report* report, bool* out) {
  if (!j.is_boolean()) {
    report->Error(path, absl::StrCat("expected true or false, got ", Describe(j)));
    return false;
  }
  *out = j.get<bool>();
  return true;
}

// An integer within [min, max]; integral floats (10.0) pass.
bool ReadInt(const Json& j, const std::string& path, int64_t min, int64_t max, Report* report,
             int64_t* out) {
  std::string what = "an integer";
  if (min == 0) what = "a non-negative integer";
  if (min == 1) what = "a positive integer";
  bool integral = false;  // an integer value, maybe beyond int64
  bool fits = false;      // ... that fits int64 (then in `value`)
  int64_t value = 0;
  if (j.is_number_unsigned()) {
    const uint64_t u = j.get<uint64_t>();
    integral = true;
    fits = u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    value = fits ? static_cast<int64_t>(u) : 0;
  } else if (j.is_number_integer()) {
    integral = fits = true;
    value = j.get<int64_t>();
  } else if (j.is_number_float()) {
    const double d = j.get<double>();
    integral = std::isfinite(d) && d == std::trunc(d);
    fits = integral && std::fabs(d) < 9e18;
    value = fits ? static_cast<int64_t>(d) : 0;
  }
  if (fits && value >= min && value <= max) {
    *out = value;
    return true;
  }
  // Name the upper bound only when it is what was crossed.
  if (integral && (!fits || value > max)) absl::StrAppend(&what, " up to ", max);
  report->Error(path, absl::StrCat("expected ", what, ", got ", Describe(j)));
  return false;
}

bool ReadInt32(const Json& j, const std::string& path, int64_t min, Report* report, int32_t* out) {
  int64_t value = 0;
  if (!ReadInt(j, path, min, std::numeric_limits<int32_t>::max(), report, &value)) return false;
  *out = static_cast<int32_t>(value);
  return true;
}

// A scalar as text (Kubernetes quantities and environment values may be written as numbers).
bool ReadScalarText(const Json& j, const std::string& path, Report* report, std::string* out) {
  if (j.is_string()) {
    *out = j.get<std::string>();
  } else if (j.is_number_float()) {
    *out = FormatSpecNumber(j.get<double>());
  } else if (j.is_number()) {
    *out = j.dump();
  } else if (j.is_boolean()) {
    *out = j.get<bool>() ? "true" : "false";
  } else {
    report->Error(path, absl::StrCat("expected a string or a number, got ", Describe(j)));
    return false;
  }
  return true;
}

const char kDurationForms[] =
    "a duration like \"30s\", \"10m\", \"2h\", \"1d\" or a number "
    "of seconds";

bool ReadDuration(const Json& j, const std::string& path, Report* report, int64_t* seconds) {
  if (j.is_number()) {
    const double d = j.get<double>();
    if (std::isfinite(d) && d >= 0 && d < 1e15) {
      *seconds = static_cast<int64_t>(std::ceil(d));
      return true;
    }
  } else if (j.is_string()) {
    absl::StatusOr<int64_t> parsed = ParseDurationSeconds(j.get<std::string>());
    if (parsed.ok()) {
      *seconds = *parsed;
      return true;
    }
  }
  report->Error(path, absl::StrCat("expected ", kDurationForms, ", got ", Describe(j)));
  return false;
}

}  // namespace dlkit::config
