#include "services/common/experiment_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/spec_validation.h"
#include "base/text_parsing.h"

namespace dlkit {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------
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

std::string IndexPath(const std::string& prefix, size_t index) {
  return absl::StrCat(prefix, "[", index, "]");
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
                           const std::vector<std::string>* listed = nullptr) {
  const std::string closest = Closest(given, candidates);
  if (!closest.empty()) return absl::StrCat(what, "; did you mean ", Quote(closest), "?");
  return absl::StrCat(what, "; expected one of ",
                      absl::StrJoin(listed != nullptr ? *listed : candidates, ", "));
}

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

constexpr char kDurationForms[] =
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

// ---------------------------------------------------------------------------------------
// Parameter values (classArgs, parameter sets).

template <typename J>
bool ValueFromJson(const J& j, const std::string& path, bool nested_needs_name, Report* report,
                   v1::ParameterValue* out);

template <typename J>
bool SetFromJson(const J& j, const std::string& path, bool nested_needs_name, Report* report,
                 v1::ParameterSet* out) {
  if (!j.is_object()) {
    report->Error(
        path, absl::StrCat(
                  "expected an object, got ",
                  j.is_array() ? "a list" : j.dump(-1, ' ', false, J::error_handler_t::replace)));
    return false;
  }
  bool ok = true;
  for (const auto& [key, value] : j.items()) {
    v1::ParameterValue converted;
    if (ValueFromJson(value, JoinSpecPath(path, key), nested_needs_name, report, &converted)) {
      (*out->mutable_values())[key] = std::move(converted);
    } else {
      ok = false;
    }
  }
  return ok;
}

template <typename J>
bool ValueFromJson(const J& j, const std::string& path, bool nested_needs_name, Report* report,
                   v1::ParameterValue* out) {
  if (j.is_number_unsigned()) {
    const uint64_t u = j.template get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      out->set_int_value(static_cast<int64_t>(u));
    } else {
      out->set_double_value(static_cast<double>(u));
    }
  } else if (j.is_number_integer()) {
    out->set_int_value(j.template get<int64_t>());
  } else if (j.is_number_float()) {
    out->set_double_value(j.template get<double>());
  } else if (j.is_string()) {
    out->set_string_value(j.template get<std::string>());
  } else if (j.is_boolean()) {
    out->set_bool_value(j.template get<bool>());
  } else if (j.is_object()) {
    if (nested_needs_name) {
      auto it = j.find("_name");
      if (it == j.end() || !it->is_string()) {
        report->Error(path, "nested value needs a \"_name\" (a string naming the chosen option)");
        return false;
      }
    }
    return SetFromJson(j, path, nested_needs_name, report, out->mutable_nested());
  } else {
    report->Error(path, absl::StrCat("expected a number, string, bool or object, got ",
                                     j.is_array() ? "a list" : "null"));
    return false;
  }
  return true;
}

template <typename J>
J ValueToJson(const v1::ParameterValue& v);

template <typename J>
J SetToJson(const v1::ParameterSet& set) {
  // Protobuf maps have no order: "_name" first, then by name, for stable output.
  std::vector<std::string> keys;
  for (const auto& [key, value] : set.values()) keys.push_back(key);
  std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
    if ((a == "_name") != (b == "_name")) return a == "_name";
    return a < b;
  });
  J out = J::object();
  for (const std::string& key : keys) out[key] = ValueToJson<J>(set.values().at(key));
  return out;
}

template <typename J>
J ValueToJson(const v1::ParameterValue& v) {
  switch (v.kind_case()) {
    case v1::ParameterValue::kDoubleValue:
      return J(v.double_value());
    case v1::ParameterValue::kIntValue:
      return J(v.int_value());
    case v1::ParameterValue::kStringValue:
      return J(v.string_value());
    case v1::ParameterValue::kBoolValue:
      return J(v.bool_value());
    case v1::ParameterValue::kNested:
      return SetToJson<J>(v.nested());
    default:
      return J(nullptr);
  }
}

// ---------------------------------------------------------------------------------------
// Text -> JSON (with duplicate-key detection), YAML -> JSON.

struct ParseFrame {
  bool is_array = false;
  size_t index = 0;
  std::string key;
  std::set<std::string> keys;
};

std::string FramesPath(const std::vector<ParseFrame>& frames, size_t count) {
  std::string path;
  for (size_t i = 0; i < count; ++i) {
    const ParseFrame& f = frames[i];
    path = f.is_array ? IndexPath(path, f.index) : JoinSpecPath(path, f.key);
  }
  return path;
}

std::optional<Json> ParseJsonText(const std::string& text, Report* report) {
  std::vector<ParseFrame> frames;
  std::vector<std::string> duplicates;
  auto element_done = [&frames] {
    if (!frames.empty() && frames.back().is_array) ++frames.back().index;
  };
  Json::parser_callback_t callback = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        frames.push_back(ParseFrame{});
        break;
      case Json::parse_event_t::array_start:
        frames.emplace_back();
        frames.back().is_array = true;
        break;
      case Json::parse_event_t::key: {
        ParseFrame& top = frames.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second) {
          duplicates.push_back(FramesPath(frames, frames.size()));
        }
        break;
      }
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        frames.pop_back();
        element_done();
        break;
      case Json::parse_event_t::value:
        element_done();
        break;
    }
    return true;
  };
  Json root;
  try {
    root = Json::parse(text, callback, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const Json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ..."
    std::string message = e.what();
    const size_t bracket = message.find("] ");
    if (bracket != std::string::npos) message = message.substr(bracket + 2);
    absl::string_view view = message;
    absl::ConsumePrefix(&view, "parse error at ");
    absl::ConsumePrefix(&view, "parse error: ");
    report->Error("", absl::StrCat("invalid JSON: ", view));
    return std::nullopt;
  }
  for (const std::string& path : duplicates) {
    report->Error(path, "key given twice (JSON keeps only the last; remove one)");
  }
  if (!duplicates.empty()) return std::nullopt;
  return root;
}

// YAML 1.2 core schema for plain scalars (so 1e-4 is a number, yes/no are strings).
Json PlainScalarToJson(const std::string& s) {
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kHex("0x[0-9a-fA-F]+");
  static const std::regex kOct("0o[0-7]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  static const std::regex kInf("[-+]?\\.(inf|Inf|INF)");
  static const std::regex kNan("\\.(nan|NaN|NAN)");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Json(nullptr);
  if (s == "true" || s == "True" || s == "TRUE") return Json(true);
  if (s == "false" || s == "False" || s == "FALSE") return Json(false);
  if (std::regex_match(s, kInt)) {
    int64_t v = 0;
    if (absl::SimpleAtoi(s, &v)) return Json(v);
    return Json(std::strtod(s.c_str(), nullptr));
  }
  if (std::regex_match(s, kHex) || std::regex_match(s, kOct)) {
    errno = 0;
    const long long v = std::strtoll(s.c_str() + 2, nullptr, s[1] == 'x' ? 16 : 8);
    if (errno == 0) return Json(static_cast<int64_t>(v));
    return Json(s);
  }
  if (std::regex_match(s, kFloat)) return Json(std::strtod(s.c_str(), nullptr));
  if (std::regex_match(s, kInf)) {
    return Json(s[0] == '-' ? -std::numeric_limits<double>::infinity()
                            : std::numeric_limits<double>::infinity());
  }
  if (std::regex_match(s, kNan)) return Json(std::numeric_limits<double>::quiet_NaN());
  return Json(s);
}

Json YamlToJson(const YAML::Node& node, const std::string& path, Report* report) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: {
      const std::string& tag = node.Tag();
      if (tag == "!" || tag == "tag:yaml.org,2002:str") return Json(node.Scalar());
      return PlainScalarToJson(node.Scalar());
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      size_t i = 0;
      for (const YAML::Node& child : node) {
        out.push_back(YamlToJson(child, IndexPath(path, i), report));
        ++i;
      }
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar()) {
          report->Error(path, "keys must be plain strings");
          continue;
        }
        const std::string key = it->first.Scalar();
        const std::string key_path = JoinSpecPath(path, key);
        if (out.contains(key)) {
          report->Error(key_path, "key given twice; remove one");
          continue;
        }
        out[key] = YamlToJson(it->second, key_path, report);
      }
      return out;
    }
    default:
      return Json(nullptr);
  }
}

std::optional<Json> ParseYamlText(const std::string& text, Report* report) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    report->Error("", absl::StrCat("invalid YAML: line ", e.mark.line + 1, ", column ",
                                   e.mark.column + 1, ": ", e.msg));
    return std::nullopt;
  }
  Report conversion;
  Json json = YamlToJson(root, "", &conversion);
  report->Append(conversion);
  if (!conversion.ok()) return std::nullopt;
  return json;
}

bool IsYamlPath(const std::string& path) {
  const std::string ext = absl::AsciiStrToLower(fs::path(path).extension().string());
  return ext == ".yml" || ext == ".yaml";
}

bool IsJsonPath(const std::string& path) {
  return absl::AsciiStrToLower(fs::path(path).extension().string()) == ".json";
}

// By extension; otherwise JSON, then YAML (NNI does the same for search space files).
std::optional<Json> ParseDocument(const std::string& text, const std::string& path,
                                  Report* report) {
  if (IsYamlPath(path)) return ParseYamlText(text, report);
  if (IsJsonPath(path)) return ParseJsonText(text, report);
  Report as_json;
  std::optional<Json> json = ParseJsonText(text, &as_json);
  if (json.has_value()) return json;
  Report as_yaml;
  std::optional<Json> yaml = ParseYamlText(text, &as_yaml);
  if (yaml.has_value() && yaml->is_object()) {
    report->Append(as_yaml);
    return yaml;
  }
  report->Append(as_json);
  return std::nullopt;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const std::string reason = std::strerror(errno);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      return absl::InvalidArgumentError(absl::StrCat(Quote(path), " is a directory, not a file"));
    }
    return absl::NotFoundError(absl::StrCat("cannot read ", Quote(path), ": ", reason));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// `~` expanded, relative paths against `base`, normalised, without a trailing slash.
std::string ResolvePath(const std::string& given, const std::string& base) {
  std::string s = given;
  if (s == "~" || absl::StartsWith(s, "~/")) {
    const char* home = std::getenv("HOME");
    if (home != nullptr) s = absl::StrCat(home, s.substr(1));
  }
  fs::path p(s);
  if (p.is_relative()) p = fs::path(base) / p;
  std::string out = p.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path.empty() ? fs::path(".") : fs::path(path), ec);
  if (ec) p = fs::path(path);
  return ResolvePath(p.string(), "/");
}

// ---------------------------------------------------------------------------------------
// Search space JSON -> proto.

void ParseSpaceInto(const Json& j, const std::string& prefix, v1::SearchSpace* out, Report* report);

// A choice option; a bad one stays as an empty placeholder so later indices keep their
// place.
void ParseOption(const Json& j, const std::string& path, v1::ChoiceOption* out, Report* report) {
  if (j.is_number_unsigned()) {
    const uint64_t u = j.get<uint64_t>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      out->set_int_value(static_cast<int64_t>(u));
    } else {
      out->set_double_value(static_cast<double>(u));
    }
  } else if (j.is_number_integer()) {
    out->set_int_value(j.get<int64_t>());
  } else if (j.is_number_float()) {
    out->set_double_value(j.get<double>());
  } else if (j.is_string()) {
    out->set_string_value(j.get<std::string>());
  } else if (j.is_boolean()) {
    out->set_bool_value(j.get<bool>());
  } else if (j.is_object()) {
    auto name = j.find("_name");
    if (name == j.end()) {
      report->Error(path, "nested option needs a \"_name\" key naming it");
      return;
    }
    if (!name->is_string() || name->get<std::string>().empty()) {
      report->Error(JoinSpecPath(path, "_name"),
                    absl::StrCat("expected a non-empty string, got ", Describe(*name)));
      return;
    }
    v1::NestedSpace* nested = out->mutable_nested();
    nested->set_name(name->get<std::string>());
    Json params = Json::object();
    for (const auto& [key, value] : j.items()) {
      if (key != "_name") params[key] = value;
    }
    ParseSpaceInto(params, path, nested->mutable_space(), report);
  } else {
    report->Error(path, absl::StrCat("expected a number, string, bool or an object with "
                                     "\"_name\", got ",
                                     Describe(j)));
  }
}

void ParseParameter(const std::string& name, const Json& j, const std::string& path,
                    v1::SearchSpace* out, Report* report) {
  if (!j.is_object()) {
    report->Error(path, absl::StrCat("expected an object {\"_type\": ..., \"_value\": [...]}, "
                                     "got ",
                                     Describe(j)));
    return;
  }
  const Json* type = nullptr;
  const Json* value = nullptr;
  for (const auto& [key, v] : j.items()) {
    if (key == "_type") {
      type = &v;
    } else if (key == "_value") {
      value = &v;
    } else {
      report->Error(JoinSpecPath(path, key),
                    UnknownMessage("unknown key", key, {"_type", "_value"}));
    }
  }
  if (type == nullptr) {
    report->Error(path, absl::StrCat("missing \"_type\" (one of ",
                                     absl::StrJoin(DistributionNames(), ", "), ")"));
  }
  if (value == nullptr) report->Error(path, "missing \"_value\"");
  if (type == nullptr || value == nullptr) return;
  const std::string type_path = JoinSpecPath(path, "_type");
  const std::string value_path = JoinSpecPath(path, "_value");
  if (!type->is_string()) {
    report->Error(type_path, absl::StrCat("expected a string, got ", Describe(*type)));
    return;
  }
  const std::string type_name = type->get<std::string>();
  const v1::Distribution distribution = DistributionFromName(type_name);
  if (distribution == v1::DISTRIBUTION_UNSPECIFIED) {
    report->Error(type_path, UnknownMessage(absl::StrCat("unknown type ", Quote(type_name)),
                                            type_name, DistributionNames()));
    return;
  }
  if (!value->is_array()) {
    report->Error(value_path, absl::StrCat("expected a list, got ", Describe(*value)));
    return;
  }
  v1::ParameterSpec param;
  param.set_name(name);
  param.set_distribution(distribution);
  if (distribution == v1::CHOICE) {
    size_t i = 0;
    for (const Json& option : *value) {
      ParseOption(option, IndexPath(value_path, i), param.add_options(), report);
      ++i;
    }
  } else {
    bool ok = true;
    size_t i = 0;
    for (const Json& a : *value) {
      if (a.is_number()) {
        param.add_args(a.get<double>());
      } else {
        report->Error(IndexPath(value_path, i),
                      absl::StrCat("expected a number, got ", Describe(a)));
        ok = false;
      }
      ++i;
    }
    if (!ok) return;
  }
  *out->add_parameters() = std::move(param);
}

void ParseSpaceInto(const Json& j, const std::string& prefix, v1::SearchSpace* out,
                    Report* report) {
  if (!j.is_object()) {
    report->Error(prefix, absl::StrCat("expected an object mapping parameter names to "
                                       "{\"_type\": ..., \"_value\": [...]}, got ",
                                       Describe(j)));
    return;
  }
  for (const auto& [name, spec] : j.items()) {
    ParseParameter(name, spec, JoinSpecPath(prefix, name), out, report);
  }
}

// Shape checks while converting, then the semantic ones of spec_validation on what
// converted (quiet where a shape problem was already reported).
void ParseSearchSpace(const Json& j, const std::string& prefix, v1::SearchSpace* out,
                      Report* report) {
  Report shape;
  ParseSpaceInto(j, prefix, out, &shape);
  Report semantic;
  for (const SpecProblem& p : FindSearchSpaceProblems(*out, prefix)) {
    if (!shape.Covers(p.path)) semantic.Error(p.path, p.message);
  }
  report->Append(shape);
  report->Append(semantic);
}

// ---------------------------------------------------------------------------------------
// Config keys.

const KeyTable& TopLevelKeys() {
  static const auto* const kTable = new KeyTable{
      {"experimentName", "searchSpace", "searchSpaceFile", "trialCommand", "trialCodeDirectory",
       "trialConcurrency", "maxTrialNumber", "maxExperimentDuration", "maxFailedTrials",
       "trialRetries", "tuner", "assessor", "advisor", "objective", "trainingService", "seed",
       "trialEnv", "experimentType", "useAnnotation"},
      {"trialGpuNumber", "maxTrialDuration", "nniManagerIp", "debug", "logLevel",
       "experimentWorkingDirectory", "tunerGpuIndices", "sharedStorage"},
      {
          {"name", "unknown key; did you mean \"experimentName\"?", true},
          {"authorName", "NNI v1 key, ignored by dlkit", false},
          {"maxExecDuration",
           "NNI v1 key; dlkit reads NNI v2 configs: use \"maxExperimentDuration\"", true},
          {"maxTrialNum", "NNI v1 key; dlkit reads NNI v2 configs: use \"maxTrialNumber\"", true},
          {"trainingServicePlatform",
           "NNI v1 key; dlkit reads NNI v2 configs: use \"trainingService\": {\"platform\": ...}",
           true},
          {"searchSpacePath", "NNI v1 key; dlkit reads NNI v2 configs: use \"searchSpaceFile\"",
           true},
          {"trial",
           "NNI v1 key; dlkit reads NNI v2 configs: use \"trialCommand\" and "
           "\"trialCodeDirectory\"",
           true},
          {"localConfig", "NNI v1 key; dlkit reads NNI v2 configs: use \"trainingService\"", true},
          {"logDir", "NNI v1 key, ignored by dlkit", false},
          {"multiThread", "NNI v1 key, ignored by dlkit", false},
          {"versionCheck", "NNI v1 key, ignored by dlkit", false},
          {"logCollection", "NNI v1 key, ignored by dlkit", false},
      }};
  return *kTable;
}

const KeyTable& AlgorithmKeys() {
  static const std::string kCustom =
      "custom algorithms are not supported by dlkit; use a built-in algorithm \"name\"";
  static const std::string kV1Name = "NNI v1 key; dlkit reads NNI v2 configs: use \"name\"";
  static const auto* const kTable =
      new KeyTable{{"name", "classArgs"},
                   {},
                   {
                       {"className", kCustom, true},
                       {"codeDirectory", kCustom, true},
                       {"classFileName", kCustom, true},
                       {"codeDir", kCustom, true},
                       {"builtinTunerName", kV1Name, true},
                       {"builtinAssessorName", kV1Name, true},
                       {"builtinAdvisorName", kV1Name, true},
                       {"gpuIndices", "NNI v1 key, ignored by dlkit", false},
                       {"includeIntermediateResults", "NNI v1 key, ignored by dlkit", false},
                   }};
  return *kTable;
}

const std::vector<std::string>& LocalOnlyKeys() {
  static const auto* const kKeys =
      new std::vector<std::string>{"useActiveGpu", "maxTrialNumberPerGpu", "gpuIndices"};
  return *kKeys;
}

const std::vector<std::string>& KubernetesOnlyKeys() {
  static const auto* const kKeys = new std::vector<std::string>{
      "namespace", "image",        "jobKind",     "replicas", "resources",  "volumes",
      "serviceAccount", "nodeSelector", "tolerations", "storage", "storageSize", "gitRepository"};
  return *kKeys;
}

const KeyTable& TrainingServiceKeys() {
  static const auto* const kTable = [] {
    auto* table = new KeyTable;
    table->known = {"platform", "trialCommand", "trialCodeDirectory"};
    for (const std::string& k : LocalOnlyKeys()) table->known.push_back(k);
    for (const std::string& k : KubernetesOnlyKeys()) table->known.push_back(k);
    table->ignored = {"trialGpuNumber", "nniManagerIp", "reuseMode"};
    return table;
  }();
  return *kTable;
}

// Where the optimisation direction was given, to find conflicts.
struct DirectionSource {
  std::string path;
  v1::Direction direction;
};

bool ParseDirection(const Json& j, const std::string& path, Report* report, v1::Direction* out) {
  std::string s;
  if (!ReadString(j, path, report, &s)) return false;
  const std::string lower = absl::AsciiStrToLower(s);
  if (lower == "maximize") {
    *out = v1::MAXIMIZE;
  } else if (lower == "minimize") {
    *out = v1::MINIMIZE;
  } else {
    report->Error(path, absl::StrCat("expected \"maximize\" or \"minimize\", got ", Quote(s)));
    return false;
  }
  return true;
}

void ParseAlgorithm(const Json& j, const std::string& path, Report* report, v1::AlgorithmSpec* out,
                    std::vector<DirectionSource>* directions) {
  if (j.is_string()) {  // shorthand: "tuner": "TPE"
    out->set_name(j.get<std::string>());
    if (out->name().empty()) report->Error(path, "algorithm name must not be empty");
    return;
  }
  if (!j.is_object()) {
    report->Error(path,
                  absl::StrCat("expected an object {\"name\": ..., \"classArgs\": {...}}, got ",
                               Describe(j)));
    return;
  }
  const Fields f = ReadFields(j, path, AlgorithmKeys(), report);
  const std::string name_path = JoinSpecPath(path, "name");
  if (const Json* name = Get(f, "name")) {
    std::string s;
    if (ReadString(*name, name_path, report, &s)) {
      if (s.empty()) report->Error(name_path, "must not be empty");
      out->set_name(s);
    }
  } else {
    report->Error(name_path, "required (an algorithm name, e.g. \"TPE\")");
  }
  if (const Json* args = Get(f, "classArgs")) {
    const std::string args_path = JoinSpecPath(path, "classArgs");
    if (!args->is_object()) {
      report->Error(args_path, absl::StrCat("expected an object, got ", Describe(*args)));
      return;
    }
    for (const auto& [key, value] : args->items()) {
      const std::string arg_path = JoinSpecPath(args_path, key);
      if (value.is_null()) continue;  // NNI: null = not set
      if (key == "optimize_mode") {
        v1::Direction direction = v1::DIRECTION_UNSPECIFIED;
        if (ParseDirection(value, arg_path, report, &direction)) {
          directions->push_back(DirectionSource{arg_path, direction});
        }
      }
      if (value.is_array()) {
        report->Error(arg_path, "lists are not supported in classArgs");
        continue;
      }
      v1::ParameterValue converted;
      if (ValueFromJson(value, arg_path, /*nested_needs_name=*/false, report, &converted)) {
        (*out->mutable_class_args())[key] = std::move(converted);
      }
    }
  }
}

std::string DirectionName(v1::Direction d) { return d == v1::MINIMIZE ? "minimize" : "maximize"; }

void ParseObjective(const Json& j, Report* report, v1::Objective* out,
                    std::vector<DirectionSource>* directions) {
  const std::string path = "objective";
  if (!j.is_object()) {
    report->Error(path, absl::StrCat("expected an object {\"metric\": ..., \"direction\": "
                                     "\"maximize\"|\"minimize\"}, got ",
                                     Describe(j)));
    return;
  }
  const Fields f = ReadFields(j, path, KeyTable{{"metric", "direction"}, {}, {}}, report);
  if (const Json* metric = Get(f, "metric")) {
    std::string s;
    if (ReadString(*metric, "objective.metric", report, &s)) {
      if (s.empty()) report->Error("objective.metric", "must not be empty");
      out->set_metric(s);
    }
  }
  if (const Json* direction = Get(f, "direction")) {
    v1::Direction d = v1::DIRECTION_UNSPECIFIED;
    if (ParseDirection(*direction, "objective.direction", report, &d)) {
      directions->insert(directions->begin(), DirectionSource{"objective.direction", d});
    }
  }
}

bool ParseGpuIndices(const Json& j, const std::string& path, Report* report,
                     v1::TrainingService* out) {
  std::vector<int32_t> indices;
  bool ok = true;
  if (j.is_number()) {
    int32_t i = 0;
    ok = ReadInt32(j, path, 0, report, &i);
    indices.push_back(i);
  } else if (j.is_array()) {
    size_t n = 0;
    for (const Json& item : j) {
      int32_t i = 0;
      if (ReadInt32(item, IndexPath(path, n), 0, report, &i)) {
        indices.push_back(i);
      } else {
        ok = false;
      }
      ++n;
    }
  } else if (j.is_string()) {
    for (absl::string_view part : absl::StrSplit(j.get<std::string>(), ',')) {
      int32_t i = 0;
      if (!absl::SimpleAtoi(part, &i) || i < 0) {
        report->Error(path, absl::StrCat("expected GPU indices like \"0,1\", got ", Describe(j)));
        return false;
      }
      indices.push_back(i);
    }
  } else {
    report->Error(path, absl::StrCat("expected an index, a list of indices or a string like "
                                     "\"0,1\", got ",
                                     Describe(j)));
    return false;
  }
  for (int32_t i : indices) out->add_gpu_indices(i);
  return ok;
}

bool ParseVolume(const Json& j, const std::string& path, Report* report, v1::Volume* out) {
  if (!j.is_object()) {
    report->Error(path, absl::StrCat("expected an object {name, mountPath, "
                                     "persistentVolumeClaim|hostPath|emptyDir}, got ",
                                     Describe(j)));
    return false;
  }
  const size_t errors_before = report->errors().size();
  const Fields f = ReadFields(
      j, path,
      KeyTable{{"name", "mountPath", "persistentVolumeClaim", "hostPath", "emptyDir"}, {}, {}},
      report);
  std::string s;
  if (const Json* name = Get(f, "name")) {
    if (ReadString(*name, JoinSpecPath(path, "name"), report, &s)) out->set_name(s);
  } else {
    report->Error(JoinSpecPath(path, "name"), "required");
  }
  if (const Json* mount = Get(f, "mountPath")) {
    if (ReadString(*mount, JoinSpecPath(path, "mountPath"), report, &s)) out->set_mount_path(s);
  } else {
    report->Error(JoinSpecPath(path, "mountPath"), "required");
  }
  // Each source as Kubernetes writes it ({claimName: x}, {path: x}, {}) or as a plain value.
  auto read_source = [&](const char* key, const char* inner_key, std::string* value) {
    const Json* source = Get(f, key);
    if (source == nullptr) return false;
    const std::string source_path = JoinSpecPath(path, key);
    if (!source->is_object()) return ReadString(*source, source_path, report, value);
    const Fields inner = ReadFields(*source, source_path, KeyTable{{inner_key}, {}, {}}, report);
    const Json* field = Get(inner, inner_key);
    if (field == nullptr) {
      report->Error(JoinSpecPath(source_path, inner_key), "required");
      return false;
    }
    return ReadString(*field, JoinSpecPath(source_path, inner_key), report, value);
  };
  if (read_source("persistentVolumeClaim", "claimName", &s)) out->set_persistent_volume_claim(s);
  if (read_source("hostPath", "path", &s)) out->set_host_path(s);
  if (const Json* empty = Get(f, "emptyDir")) {
    const std::string empty_path = JoinSpecPath(path, "emptyDir");
    if (empty->is_object()) {
      if (!empty->empty()) {
        report->Error(empty_path, "only {} (or true) is supported");
      } else {
        out->set_empty_dir(true);
      }
    } else {
      bool b = false;
      if (ReadBool(*empty, empty_path, report, &b)) out->set_empty_dir(b);
    }
  }
  return report->errors().size() == errors_before;
}

void ParseKubernetes(const Fields& f, Report* report, v1::KubernetesService* out) {
  const std::string ts = "trainingService";
  std::string s;
  if (const Json* ns = Get(f, "namespace")) {
    if (ReadString(*ns, JoinSpecPath(ts, "namespace"), report, &s)) out->set_namespace_(s);
  }
  if (const Json* image = Get(f, "image")) {
    if (ReadString(*image, JoinSpecPath(ts, "image"), report, &s)) out->set_image(s);
  }
  if (const Json* kind = Get(f, "jobKind")) {
    const std::string kind_path = JoinSpecPath(ts, "jobKind");
    if (ReadString(*kind, kind_path, report, &s)) {
      const std::string lower = absl::AsciiStrToLower(s);
      if (lower == "job") {
        out->set_job_kind(v1::JOB);
      } else if (lower == "pytorchjob") {
        out->set_job_kind(v1::PYTORCH_JOB);
      } else if (lower == "tfjob") {
        out->set_job_kind(v1::TF_JOB);
      } else {
        report->Error(kind_path, UnknownMessage(absl::StrCat("unknown job kind ", Quote(s)), s,
                                                {"Job", "PyTorchJob", "TFJob"}));
      }
    }
  }
  if (const Json* replicas = Get(f, "replicas")) {
    int32_t n = 0;
    if (ReadInt32(*replicas, JoinSpecPath(ts, "replicas"), 1, report, &n)) out->set_replicas(n);
  }
  if (const Json* account = Get(f, "serviceAccount")) {
    if (ReadString(*account, JoinSpecPath(ts, "serviceAccount"), report, &s)) {
      out->set_service_account(s);
    }
  }
  if (const Json* resources = Get(f, "resources")) {
    const std::string res_path = JoinSpecPath(ts, "resources");
    if (!resources->is_object()) {
      report->Error(res_path, absl::StrCat("expected an object {cpu, memory, gpu}, got ",
                                           Describe(*resources)));
    } else {
      const Fields rf =
          ReadFields(*resources, res_path, KeyTable{{"cpu", "memory", "gpu"}, {}, {}}, report);
      if (const Json* cpu = Get(rf, "cpu")) {
        if (ReadScalarText(*cpu, JoinSpecPath(res_path, "cpu"), report, &s)) {
          out->mutable_resources()->set_cpu(s);
        }
      }
      if (const Json* memory = Get(rf, "memory")) {
        if (ReadScalarText(*memory, JoinSpecPath(res_path, "memory"), report, &s)) {
          out->mutable_resources()->set_memory(s);
        }
      }
      if (const Json* gpu = Get(rf, "gpu")) {
        int32_t n = 0;
        if (ReadInt32(*gpu, JoinSpecPath(res_path, "gpu"), 0, report, &n)) {
          out->mutable_resources()->set_gpu(n);
        }
      }
    }
  }
  if (const Json* selector = Get(f, "nodeSelector")) {
    const std::string sel_path = JoinSpecPath(ts, "nodeSelector");
    if (!selector->is_object()) {
      report->Error(sel_path, absl::StrCat("expected an object of label: value, got ",
                                           Describe(*selector)));
    } else {
      for (const auto& [key, value] : selector->items()) {
        if (ReadScalarText(value, JoinSpecPath(sel_path, key), report, &s)) {
          (*out->mutable_node_selector())[key] = s;
        }
      }
    }
  }
  if (const Json* tolerations = Get(f, "tolerations")) {
    const std::string tol_path = JoinSpecPath(ts, "tolerations");
    if (!tolerations->is_array()) {
      report->Error(tol_path, absl::StrCat("expected a list of {key, operator, value, effect}, "
                                           "got ", Describe(*tolerations)));
    } else {
      size_t i = 0;
      for (const Json& t : *tolerations) {
        const std::string path = IndexPath(tol_path, i++);
        v1::Toleration* toleration = out->add_tolerations();  // kept: indices stay aligned
        if (!t.is_object()) {
          report->Error(path, absl::StrCat("expected an object {key, operator, value, effect}, "
                                           "got ", Describe(t)));
          continue;
        }
        const Fields tf = ReadFields(
            t, path, KeyTable{{"key", "operator", "value", "effect"}, {}, {}}, report);
        ReadTextField(tf, "key", path, ReadString, report,
                      [&](const std::string& v) { toleration->set_key(v); });
        ReadTextField(tf, "operator", path, ReadString, report,
                      [&](const std::string& v) { toleration->set_operator_(v); });
        ReadTextField(tf, "value", path, ReadScalarText, report,
                      [&](const std::string& v) { toleration->set_value(v); });
        ReadTextField(tf, "effect", path, ReadString, report,
                      [&](const std::string& v) { toleration->set_effect(v); });
      }
    }
  }
  if (const Json* storage = Get(f, "storage")) {
    const std::string storage_path = JoinSpecPath(ts, "storage");
    if (ReadString(*storage, storage_path, report, &s)) {
      const std::string lower = absl::AsciiStrToLower(s);
      if (lower == "pvc") {
        out->set_storage(v1::STORAGE_PVC);
      } else if (lower == "emptydir") {
        out->set_storage(v1::STORAGE_EMPTY_DIR);
      } else {
        report->Error(storage_path, UnknownMessage(absl::StrCat("unknown storage ", Quote(s)), s,
                                                   {"pvc", "emptyDir"}));
      }
    }
  }
  if (const Json* size = Get(f, "storageSize")) {
    if (ReadScalarText(*size, JoinSpecPath(ts, "storageSize"), report, &s)) {
      out->set_storage_size(s);
    }
  }
  if (const Json* git = Get(f, "gitRepository")) {
    const std::string git_path = JoinSpecPath(ts, "gitRepository");
    if (!git->is_object()) {
      report->Error(git_path,
                    absl::StrCat("expected an object {url, revision, image, secretName}, got ",
                                 Describe(*git)));
    } else {
      const Fields gf =
          ReadFields(*git, git_path,
                     KeyTable{{"url", "revision", "image", "secretName"}, {}, {}}, report);
      v1::GitRepository* repository = out->mutable_git_repository();
      if (const Json* url = Get(gf, "url")) {
        if (ReadString(*url, JoinSpecPath(git_path, "url"), report, &s)) {
          if (s.empty()) report->Error(JoinSpecPath(git_path, "url"), "must not be empty");
          repository->set_url(s);
        }
      } else {
        report->Error(JoinSpecPath(git_path, "url"), "required: the repository to clone");
      }
      ReadTextField(gf, "revision", git_path, ReadScalarText, report,
                    [&](const std::string& v) { repository->set_revision(v); });
      ReadTextField(gf, "image", git_path, ReadString, report,
                    [&](const std::string& v) { repository->set_image(v); });
      ReadTextField(gf, "secretName", git_path, ReadString, report,
                    [&](const std::string& v) { repository->set_secret_name(v); });
    }
  }
  if (const Json* volumes = Get(f, "volumes")) {
    const std::string vol_path = JoinSpecPath(ts, "volumes");
    if (!volumes->is_array()) {
      report->Error(vol_path, absl::StrCat("expected a list, got ", Describe(*volumes)));
    } else {
      size_t i = 0;
      for (const Json& v : *volumes) {
        v1::Volume volume;
        ParseVolume(v, IndexPath(vol_path, i), report, &volume);
        *out->add_volumes() = std::move(volume);  // kept even if bad: indices stay aligned
        ++i;
      }
    }
  }
}

// Trial command / code directory may also sit inside trainingService (NNI allows both).
struct TrialOverrides {
  const Json* command = nullptr;
  const Json* code_directory = nullptr;
};

// Returns false if the platform is unknown (its keys are then not read).
bool ParseTrainingService(const Json& j, Report* report, v1::TrainingService* out,
                          TrialOverrides* overrides) {
  const std::string path = "trainingService";
  const std::string platform_path = "trainingService.platform";
  const Json* platform = nullptr;
  Fields f;
  if (j.is_string()) {
    platform = &j;
  } else if (j.is_array()) {
    report->Error(path,
                  "a list of training services (NNI's hybrid mode) is not supported; "
                  "give one");
    return false;
  } else if (j.is_object()) {
    f = ReadFields(j, path, TrainingServiceKeys(), report);
    platform = Get(f, "platform");
    if (platform == nullptr) {
      report->Error(platform_path, "required: \"local\" or \"kubernetes\"");
      return false;
    }
  } else {
    report->Error(
        path, absl::StrCat("expected an object {\"platform\": \"local\", ...}, got ", Describe(j)));
    return false;
  }
  std::string name;
  if (!ReadString(*platform, j.is_string() ? path : platform_path, report, &name)) return false;
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "local") {
    out->set_platform(v1::LOCAL);
  } else if (lower == "kubernetes") {
    out->set_platform(v1::KUBERNETES);
  } else if (lower == "kubeflow" || lower == "frameworkcontroller" || lower == "adl") {
    report->Error(platform_path,
                  absl::StrCat("platform ", Quote(name),
                               " is not supported by dlkit; use \"kubernetes\" (jobKind Job, "
                               "PyTorchJob or TFJob)"));
    return false;
  } else if (lower == "remote" || lower == "openpai" || lower == "pai" || lower == "aml" ||
             lower == "dlc" || lower == "hybrid") {
    report->Error(platform_path, absl::StrCat("platform ", Quote(name),
                                              " is not supported by dlkit; use \"local\" or "
                                              "\"kubernetes\""));
    return false;
  } else {
    report->Error(platform_path, UnknownMessage(absl::StrCat("unknown platform ", Quote(name)),
                                                name, {"local", "kubernetes"}));
    return false;
  }
  overrides->command = Get(f, "trialCommand");
  overrides->code_directory = Get(f, "trialCodeDirectory");
  const bool local = out->platform() == v1::LOCAL;
  for (const std::string& key : local ? KubernetesOnlyKeys() : LocalOnlyKeys()) {
    if (Get(f, key) != nullptr) {
      report->Error(JoinSpecPath(path, key),
                    absl::StrCat("applies to platform ", local ? "kubernetes" : "local",
                                 " only (platform here is ", Quote(lower), ")"));
    }
  }
  if (!local) {
    ParseKubernetes(f, report, out->mutable_kubernetes());
    return true;
  }
  if (const Json* active = Get(f, "useActiveGpu")) {
    bool b = false;
    if (ReadBool(*active, JoinSpecPath(path, "useActiveGpu"), report, &b)) {
      out->set_use_active_gpu(b);
    }
  }
  if (const Json* per_gpu = Get(f, "maxTrialNumberPerGpu")) {
    int32_t n = 0;
    if (ReadInt32(*per_gpu, JoinSpecPath(path, "maxTrialNumberPerGpu"), 1, report, &n)) {
      out->set_max_trial_number_per_gpu(n);
    }
  }
  if (const Json* gpus = Get(f, "gpuIndices")) {
    ParseGpuIndices(*gpus, JoinSpecPath(path, "gpuIndices"), report, out);
  }
  return true;
}

void ParseTrialEnv(const Json& j, Report* report, v1::ExperimentSpec* spec) {
  if (!j.is_object()) {
    report->Error("trialEnv", absl::StrCat("expected an object of NAME: value, got ", Describe(j)));
    return;
  }
  for (const auto& [key, value] : j.items()) {
    std::string text;
    if (ReadScalarText(value, JoinSpecPath("trialEnv", key), report, &text)) {
      (*spec->mutable_trial_env())[key] = text;
    }
  }
}

void ReadSearchSpaceFile(const Json& j, const std::string& base_dir, Report* report,
                         v1::SearchSpace* out) {
  const std::string path = "searchSpaceFile";
  std::string given;
  if (!ReadString(j, path, report, &given)) return;
  if (given.empty()) {
    report->Error(path, "must not be empty");
    return;
  }
  const std::string file = ResolvePath(given, base_dir);
  absl::StatusOr<std::string> text = ReadFile(file);
  if (!text.ok()) {
    report->Error(path, std::string(text.status().message()));
    return;
  }
  Report inner;
  std::optional<Json> json = ParseDocument(*text, file, &inner);
  if (json.has_value()) ParseSearchSpace(*json, "", out, &inner);
  for (const SpecProblem& p : inner.errors()) {
    report->Error(path, absl::StrCat("in ", Quote(given), ": ", p.ToString()));
  }
}

void BuildSpec(const Json& root, const std::string& base_dir, Report* report,
               v1::ExperimentSpec* spec) {
  if (!root.is_object()) {
    report->Error("", absl::StrCat("expected an object of config keys at the top level, got ",
                                   Describe(root)));
    return;
  }
  const Fields f = ReadFields(root, "", TopLevelKeys(), report);
  std::string s;

  if (const Json* type = Get(f, "experimentType")) {
    if (type->is_string() && type->get<std::string>() == "hpo") {
      report->Warn("experimentType", "accepted for NNI compatibility, ignored by dlkit");
    } else {
      report->Error("experimentType", absl::StrCat("dlkit runs hyperparameter experiments "
                                                   "(\"hpo\") only, got ",
                                                   Describe(*type)));
    }
  }
  if (const Json* annotation = Get(f, "useAnnotation")) {
    bool b = false;
    if (ReadBool(*annotation, "useAnnotation", report, &b)) {
      if (b) {
        report->Error("useAnnotation",
                      "NNI annotations are not supported; give searchSpace "
                      "or searchSpaceFile");
      } else {
        report->Warn("useAnnotation", "accepted for NNI compatibility, ignored by dlkit");
      }
    }
  }
  if (const Json* name = Get(f, "experimentName")) {
    if (ReadString(*name, "experimentName", report, &s)) spec->set_name(s);
  }

  const Json* space = Get(f, "searchSpace");
  const Json* space_file = Get(f, "searchSpaceFile");
  if (space != nullptr && space_file != nullptr) {
    report->Error("searchSpace", "give searchSpace or searchSpaceFile, not both");
  } else if (space != nullptr || space_file != nullptr) {
    const size_t errors_before = report->errors().size();
    if (space != nullptr) {
      ParseSearchSpace(*space, "searchSpace", spec->mutable_search_space(), report);
    } else {
      ReadSearchSpaceFile(*space_file, base_dir, report, spec->mutable_search_space());
    }
    if (report->errors().size() == errors_before && spec->search_space().parameters_size() == 0) {
      report->Warn(space != nullptr ? "searchSpace" : "searchSpaceFile",
                   "the search space is empty: every trial gets the same (empty) parameters");
    }
  } else {
    report->Error("searchSpace",
                  "missing: give searchSpace (inline) or searchSpaceFile (a "
                  "JSON file)");
  }

  TrialOverrides overrides;
  bool platform_known = true;
  if (const Json* ts = Get(f, "trainingService")) {
    platform_known =
        ParseTrainingService(*ts, report, spec->mutable_training_service(), &overrides);
  }

  const Json* command = Get(f, "trialCommand");
  std::string command_path = "trialCommand";
  if (overrides.command != nullptr) {
    command = overrides.command;
    command_path = "trainingService.trialCommand";
  }
  if (command == nullptr) {
    report->Error("trialCommand",
                  "required (the command that runs one trial, e.g. "
                  "\"python3 train.py\")");
  } else if (ReadString(*command, command_path, report, &s)) {
    if (s.empty()) report->Error(command_path, "must not be empty");
    spec->set_trial_command(s);
  }
  report->Suppress("trialCommand");  // reported here, not again by the spec checks

  const Json* code_dir = Get(f, "trialCodeDirectory");
  std::string code_dir_path = "trialCodeDirectory";
  if (overrides.code_directory != nullptr) {
    code_dir = overrides.code_directory;
    code_dir_path = "trainingService.trialCodeDirectory";
  }
  std::string dir = ".";
  if (code_dir == nullptr || ReadString(*code_dir, code_dir_path, report, &dir)) {
    if (dir.empty()) dir = ".";
    const std::string resolved = ResolvePath(dir, base_dir);
    spec->set_trial_code_directory(resolved);
    std::error_code ec;
    // Trials of the local platform run here; in a cluster the code comes with the image.
    if (platform_known && spec->training_service().platform() != v1::KUBERNETES &&
        !fs::is_directory(resolved, ec)) {
      report->Error(code_dir_path, absl::StrCat(Quote(resolved), " is not a directory"));
    }
  }
  report->Suppress("trialCodeDirectory");

  int32_t n = 0;
  if (const Json* v = Get(f, "trialConcurrency")) {
    if (ReadInt32(*v, "trialConcurrency", 1, report, &n)) spec->set_trial_concurrency(n);
  }
  if (const Json* v = Get(f, "maxTrialNumber")) {
    if (ReadInt32(*v, "maxTrialNumber", 0, report, &n)) spec->set_max_trial_number(n);
  }
  if (const Json* v = Get(f, "maxFailedTrials")) {
    if (ReadInt32(*v, "maxFailedTrials", 0, report, &n)) spec->set_max_failed_trials(n);
  }
  if (const Json* v = Get(f, "trialRetries")) {
    if (ReadInt32(*v, "trialRetries", 0, report, &n)) spec->set_trial_retries(n);
  }
  if (const Json* v = Get(f, "maxExperimentDuration")) {
    int64_t seconds = 0;
    if (ReadDuration(*v, "maxExperimentDuration", report, &seconds)) {
      spec->mutable_max_experiment_duration()->set_seconds(seconds);
    }
  }
  if (const Json* v = Get(f, "seed")) {
    int64_t seed = 0;
    if (ReadInt(*v, "seed", std::numeric_limits<int64_t>::min(),
                std::numeric_limits<int64_t>::max(), report, &seed)) {
      spec->set_seed(seed);
    }
  }

  std::vector<DirectionSource> directions;
  const Json* tuner = Get(f, "tuner");
  if (const Json* advisor = Get(f, "advisor")) {
    if (tuner != nullptr) {
      report->Error("advisor", "NNI's deprecated form of \"tuner\"; give tuner only");
    } else {
      report->Warn("advisor", "deprecated in NNI; read as \"tuner\"");
      ParseAlgorithm(*advisor, "advisor", report, spec->mutable_tuner(), &directions);
    }
  }
  if (tuner != nullptr) {
    ParseAlgorithm(*tuner, "tuner", report, spec->mutable_tuner(), &directions);
  }
  if (const Json* assessor = Get(f, "assessor")) {
    ParseAlgorithm(*assessor, "assessor", report, spec->mutable_assessor(), &directions);
  }
  if (const Json* objective = Get(f, "objective")) {
    ParseObjective(*objective, report, spec->mutable_objective(), &directions);
  }
  if (!directions.empty()) {
    const DirectionSource& first = directions.front();
    spec->mutable_objective()->set_direction(first.direction);
    for (size_t i = 1; i < directions.size(); ++i) {
      if (directions[i].direction != first.direction) {
        report->Error(
            directions[i].path,
            absl::StrCat(Quote(DirectionName(directions[i].direction)), " conflicts with ",
                         first.path, " (", Quote(DirectionName(first.direction)), ")"));
      }
    }
  }

  if (const Json* env = Get(f, "trialEnv")) ParseTrialEnv(*env, report, spec);
}

absl::StatusOr<LoadedConfig> ConfigFromJson(const Json& root, const std::string& text,
                                            const std::string& base_dir) {
  Report report;
  LoadedConfig config;
  BuildSpec(root, base_dir, &report, &config.spec);
  if (!root.is_object()) return report.ToStatus();
  ApplyExperimentDefaults(&config.spec);
  Report semantic;
  for (const SpecProblem& p : FindExperimentSpecProblems(config.spec)) {
    // The search space was checked while it was read (with its file's name, if any).
    if (Related(p.path, "searchSpace") || report.Covers(p.path)) continue;
    semantic.Error(p.path, p.message);
  }
  report.Append(semantic);
  if (!report.ok()) return report.ToStatus();
  config.spec.set_source_config(text);
  config.warnings = report.warnings();
  return config;
}

const char kStarterConfig[] = R"({
  "experimentName": "my-experiment",
  "searchSpace": {
    "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
    "batch_size": {"_type": "choice", "_value": [16, 32, 64, 128]},
    "momentum": {"_type": "uniform", "_value": [0.0, 0.99]},
    "hidden_size": {"_type": "choice", "_value": [128, 256, 512]}
  },
  "trialCommand": "python3 train.py",
  "trialCodeDirectory": ".",
  "trialConcurrency": 2,
  "maxTrialNumber": 20,
  "maxExperimentDuration": "1h",
  "maxFailedTrials": 5,
  "tuner": {"name": "TPE", "classArgs": {"seed": 1}},
  "objective": {"metric": "default", "direction": "maximize"},
  "trainingService": {"platform": "local"}
}
)";

}  // namespace

// ---------------------------------------------------------------------------------------
// Public API.

absl::StatusOr<LoadedConfig> ParseExperimentConfig(const std::string& text,
                                                   const std::string& base_dir, bool yaml) {
  Report report;
  std::optional<Json> root = yaml ? ParseYamlText(text, &report) : ParseJsonText(text, &report);
  if (!root.has_value()) return report.ToStatus();
  return ConfigFromJson(*root, text, AbsolutePath(base_dir));
}

absl::StatusOr<LoadedConfig> LoadExperimentConfig(const std::string& path) {
  const std::string absolute = AbsolutePath(path);
  absl::StatusOr<std::string> text = ReadFile(absolute);
  if (!text.ok()) return text.status();
  Report report;
  std::optional<Json> root = ParseDocument(*text, absolute, &report);
  if (!root.has_value()) return report.ToStatus();
  absl::StatusOr<LoadedConfig> config =
      ConfigFromJson(*root, *text, fs::path(absolute).parent_path().string());
  if (config.ok()) config->spec.set_source_path(absolute);
  return config;
}

absl::StatusOr<v1::SearchSpace> ParseSearchSpaceJson(const std::string& text,
                                                     const std::string& path_prefix) {
  Report report;
  std::optional<Json> json = ParseJsonText(text, &report);
  v1::SearchSpace space;
  if (json.has_value()) ParseSearchSpace(*json, path_prefix, &space, &report);
  if (!report.ok()) return report.ToStatus();
  return space;
}

std::string StarterConfigJson() { return kStarterConfig; }

nlohmann::json ParameterSetToJson(const v1::ParameterSet& params) {
  return SetToJson<nlohmann::json>(params);
}

absl::StatusOr<v1::ParameterSet> ParameterSetFromJson(const nlohmann::json& json,
                                                      const std::string& path) {
  Report report;
  v1::ParameterSet out;
  SetFromJson(json, path, /*nested_needs_name=*/true, &report, &out);
  if (!report.ok()) return report.ToStatus();
  return out;
}

absl::StatusOr<v1::ParameterSet> ParameterSetFromJson(const nlohmann::ordered_json& json,
                                                      const std::string& path) {
  Report report;
  v1::ParameterSet out;
  SetFromJson(json, path, /*nested_needs_name=*/true, &report, &out);
  if (!report.ok()) return report.ToStatus();
  return out;
}

nlohmann::ordered_json SearchSpaceToJson(const v1::SearchSpace& space) {
  Json out = Json::object();
  for (const v1::ParameterSpec& param : space.parameters()) {
    Json values = Json::array();
    if (param.distribution() == v1::CHOICE) {
      for (const v1::ChoiceOption& option : param.options()) {
        switch (option.kind_case()) {
          case v1::ChoiceOption::kDoubleValue:
            values.push_back(option.double_value());
            break;
          case v1::ChoiceOption::kIntValue:
            values.push_back(option.int_value());
            break;
          case v1::ChoiceOption::kStringValue:
            values.push_back(option.string_value());
            break;
          case v1::ChoiceOption::kBoolValue:
            values.push_back(option.bool_value());
            break;
          case v1::ChoiceOption::kNested: {
            Json nested = SearchSpaceToJson(option.nested().space());
            Json named = Json::object();
            named["_name"] = option.nested().name();
            for (auto& [key, value] : nested.items()) named[key] = value;
            values.push_back(std::move(named));
            break;
          }
          default:
            values.push_back(nullptr);
        }
      }
    } else {
      for (double a : param.args()) {
        // randint bounds are integers in NNI's format.
        if (param.distribution() == v1::RANDINT && a == std::trunc(a) && std::fabs(a) < 9e18) {
          values.push_back(static_cast<int64_t>(a));
        } else {
          values.push_back(a);
        }
      }
    }
    Json entry = Json::object();
    entry["_type"] = DistributionName(param.distribution());
    entry["_value"] = std::move(values);
    out[param.name()] = std::move(entry);
  }
  return out;
}

nlohmann::ordered_json ExperimentSpecToJson(const v1::ExperimentSpec& spec) {
  Json out = Json::object();
  if (!spec.name().empty()) out["experimentName"] = spec.name();
  out["searchSpace"] = SearchSpaceToJson(spec.search_space());
  out["trialCommand"] = spec.trial_command();
  out["trialCodeDirectory"] = spec.trial_code_directory();
  out["trialConcurrency"] = spec.trial_concurrency();
  if (spec.max_trial_number() > 0) out["maxTrialNumber"] = spec.max_trial_number();
  const google::protobuf::Duration& duration = spec.max_experiment_duration();
  if (duration.seconds() > 0 || duration.nanos() > 0) {
    out["maxExperimentDuration"] =
        FormatDurationSeconds(duration.seconds() + (duration.nanos() > 0 ? 1 : 0));
  }
  if (spec.max_failed_trials() > 0) out["maxFailedTrials"] = spec.max_failed_trials();
  if (spec.trial_retries() > 0) out["trialRetries"] = spec.trial_retries();
  auto algorithm = [](const v1::AlgorithmSpec& algo) {
    Json j = Json::object();
    j["name"] = algo.name();
    if (!algo.class_args().empty()) {
      v1::ParameterSet args;
      *args.mutable_values() = algo.class_args();
      j["classArgs"] = SetToJson<Json>(args);
    }
    return j;
  };
  out["tuner"] = algorithm(spec.tuner());
  if (!spec.assessor().name().empty()) out["assessor"] = algorithm(spec.assessor());
  Json objective = Json::object();
  objective["metric"] = spec.objective().metric();
  objective["direction"] = DirectionName(spec.objective().direction());
  out["objective"] = std::move(objective);

  const v1::TrainingService& ts = spec.training_service();
  Json service = Json::object();
  if (ts.platform() == v1::KUBERNETES) {
    const v1::KubernetesService& k8s = ts.kubernetes();
    service["platform"] = "kubernetes";
    if (!k8s.namespace_().empty()) service["namespace"] = k8s.namespace_();
    service["image"] = k8s.image();
    service["jobKind"] = k8s.job_kind() == v1::PYTORCH_JOB ? "PyTorchJob"
                         : k8s.job_kind() == v1::TF_JOB    ? "TFJob"
                                                           : "Job";
    service["replicas"] = k8s.replicas();
    if (k8s.has_resources()) {
      Json resources = Json::object();
      if (!k8s.resources().cpu().empty()) resources["cpu"] = k8s.resources().cpu();
      if (!k8s.resources().memory().empty()) resources["memory"] = k8s.resources().memory();
      if (k8s.resources().gpu() > 0) resources["gpu"] = k8s.resources().gpu();
      service["resources"] = std::move(resources);
    }
    if (k8s.volumes_size() > 0) {
      Json volumes = Json::array();
      for (const v1::Volume& v : k8s.volumes()) {
        Json volume = Json::object();
        volume["name"] = v.name();
        volume["mountPath"] = v.mount_path();
        if (!v.persistent_volume_claim().empty()) {
          volume["persistentVolumeClaim"] = {{"claimName", v.persistent_volume_claim()}};
        }
        if (!v.host_path().empty()) volume["hostPath"] = {{"path", v.host_path()}};
        if (v.empty_dir()) volume["emptyDir"] = Json::object();
        volumes.push_back(std::move(volume));
      }
      service["volumes"] = std::move(volumes);
    }
    if (!k8s.service_account().empty()) service["serviceAccount"] = k8s.service_account();
    if (!k8s.node_selector().empty()) {
      service["nodeSelector"] = std::map<std::string, std::string>(k8s.node_selector().begin(),
                                                                   k8s.node_selector().end());
    }
    if (k8s.tolerations_size() > 0) service["tolerations"] = TolerationsToJson<Json>(k8s.tolerations());
    if (k8s.storage() == v1::STORAGE_EMPTY_DIR) service["storage"] = "emptyDir";
    if (k8s.storage() == v1::STORAGE_PVC) service["storage"] = "pvc";
    if (!k8s.storage_size().empty()) service["storageSize"] = k8s.storage_size();
    if (k8s.has_git_repository()) {
      Json git = {{"url", k8s.git_repository().url()}};
      if (!k8s.git_repository().revision().empty()) git["revision"] = k8s.git_repository().revision();
      if (!k8s.git_repository().image().empty()) git["image"] = k8s.git_repository().image();
      if (!k8s.git_repository().secret_name().empty()) {
        git["secretName"] = k8s.git_repository().secret_name();
      }
      service["gitRepository"] = std::move(git);
    }
  } else {
    service["platform"] = "local";
    if (ts.use_active_gpu()) service["useActiveGpu"] = true;
    if (ts.max_trial_number_per_gpu() > 0) {
      service["maxTrialNumberPerGpu"] = ts.max_trial_number_per_gpu();
    }
    if (ts.gpu_indices_size() > 0) {
      service["gpuIndices"] =
          std::vector<int32_t>(ts.gpu_indices().begin(), ts.gpu_indices().end());
    }
  }
  out["trainingService"] = std::move(service);
  if (spec.seed() != 0) out["seed"] = spec.seed();
  if (!spec.trial_env().empty()) {
    std::map<std::string, std::string> env(spec.trial_env().begin(), spec.trial_env().end());
    Json j = Json::object();
    for (const auto& [key, value] : env) j[key] = value;
    out["trialEnv"] = std::move(j);
  }
  return out;
}

}  // namespace dlkit
