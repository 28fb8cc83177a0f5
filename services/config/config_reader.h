#ifndef DLKIT_SERVICES_CONFIG_CONFIG_READER_H_
#define DLKIT_SERVICES_CONFIG_CONFIG_READER_H_

// The pieces every part of the config reader is made of: a Report that collects every
// problem of one parse with its JSON path, key tables that sort an object's keys into known,
// ignored (NNI keys that mean nothing here: a warning), retired and unknown (an error with
// the closest valid key), and typed readers that report a bad value at its path.
//
// Internal to services/config/ and services/kubernetes/kubernetes_config (namespace
// dlkit::config); the public entry points are experiment_config.h and its siblings.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "services/config/spec_problem.h"

namespace dlkit::config {

// Configs keep their keys in the order written (export and error messages follow it).
using Json = nlohmann::ordered_json;

// Problems of one parse.
class Report {
 public:
  void Error(const std::string& path, std::string message) {
    errors_.push_back(SpecProblem{path, std::move(message)});
  }
  void Warn(const std::string& path, const std::string& message) {
    warnings_.push_back(SpecProblem{path, message}.ToString());
  }
  // Marks `path` as dealt with, so later checks of the same spot stay quiet.
  void Suppress(const std::string& path) { suppressed_.push_back(path); }

  void Append(const Report& other) {
    errors_.insert(errors_.end(), other.errors_.begin(), other.errors_.end());
    warnings_.insert(warnings_.end(), other.warnings_.begin(), other.warnings_.end());
    suppressed_.insert(suppressed_.end(), other.suppressed_.begin(), other.suppressed_.end());
  }

  // Whether a problem at `path` was already reported (here, above or below it).
  bool Covers(const std::string& path) const;

  bool ok() const { return errors_.empty(); }
  const std::vector<SpecProblem>& errors() const { return errors_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  absl::Status ToStatus() const {
    std::vector<std::string> lines;
    for (const SpecProblem& p : errors_) lines.push_back(p.ToString());
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }

 private:
  std::vector<SpecProblem> errors_;
  std::vector<std::string> warnings_;
  std::vector<std::string> suppressed_;
};

// `a` is `b` or lies below it (`b.x`, `b[3]`).
bool PathWithin(const std::string& a, const std::string& b);
// One of `a` and `b` lies within the other.
bool Related(const std::string& a, const std::string& b);
std::string Quote(const std::string& s);
// A short description of a JSON value for "got ..." in messages.
std::string Describe(const Json& j);

// ---- Key matching with suggestions --------------------------------------------------------

// NNI matches keys ignoring case and underscores (trial_concurrency = trialConcurrency).
std::string NormalizeKey(const std::string& key);
// The candidate closest to `key`, if close enough to be a likely typo; else "".
std::string Closest(const std::string& key, const std::vector<std::string>& candidates);
// "<what>; did you mean "x"?" when a candidate is close, else "<what>; expected one of
// <listed>" (`listed` defaults to the candidates).
std::string UnknownMessage(const std::string& what, const std::string& given,
                           const std::vector<std::string>& candidates,
                           const std::vector<std::string>* listed = nullptr);

// A key with its own message: NNI v1 spellings and the like.
struct RetiredKey {
  std::string key;
  std::string message;
  bool error;  // false: a warning, the value is ignored
};

struct KeyTable {
  std::vector<std::string> known;    // read by dlkit
  std::vector<std::string> ignored;  // NNI keys that mean nothing here: a warning
  std::vector<RetiredKey> retired;
};

using Fields = std::map<std::string, const Json*>;  // canonical key -> value (not null)

// fields[key], or null.
const Json* Get(const Fields& fields, const std::string& key);
// The key of `keys` that `key` spells (exactly, else ignoring case and underscores), or "".
std::string MatchKey(const std::string& key, const std::vector<std::string>& keys);
// Sorts the keys of `obj` into known (returned; null values mean "not set", as in NNI),
// ignored (warnings), retired and unknown (errors).
Fields ReadFields(const Json& obj, const std::string& path, const KeyTable& table, Report* report);

// ---- Typed readers: each reports a problem at `path` and returns false on a bad value -----

bool ReadString(const Json& j, const std::string& path, Report* report, std::string* out);
bool ReadBool(const Json& j, const std::string& path, Report* report, bool* out);
// An integer within [min, max]; integral floats (10.0) pass.
bool ReadInt(const Json& j, const std::string& path, int64_t min, int64_t max, Report* report,
             int64_t* out);
bool ReadInt32(const Json& j, const std::string& path, int64_t min, Report* report, int32_t* out);
// A scalar as text (Kubernetes quantities and environment values may be written as numbers).
bool ReadScalarText(const Json& j, const std::string& path, Report* report, std::string* out);
// NNI durations ("30s", "2h", a number of seconds), rounded up to whole seconds.
bool ReadDuration(const Json& j, const std::string& path, Report* report, int64_t* seconds);

// fields[key], when given, read with `read` (ReadString or ReadScalarText) and passed to `set`.
template <typename Set>
void ReadTextField(const Fields& fields, const std::string& key, const std::string& path,
                   bool (*read)(const Json&, const std::string&, Report*, std::string*),
                   Report* report, Set set) {
  std::string text;
  if (const Json* value = Get(fields, key)) {
    if (read(*value, JoinSpecPath(path, key), report, &text)) set(text);
  }
}

}  // namespace dlkit::config

#endif  // DLKIT_SERVICES_CONFIG_CONFIG_READER_H_
