#include "services/config/config_document.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace dlkit::config {
namespace {

namespace fs = std::filesystem;

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

bool IsYamlPath(const std::string& path) {
  const std::string ext = absl::AsciiStrToLower(fs::path(path).extension().string());
  return ext == ".yml" || ext == ".yaml";
}

bool IsJsonPath(const std::string& path) {
  return absl::AsciiStrToLower(fs::path(path).extension().string()) == ".json";
}

}  // namespace

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
  } catch (const Json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ...",
    // or out_of_range.406 "number overflow parsing '1e400'" (found by test/fuzz: it was
    // thrown past here and ended the process).
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

}  // namespace dlkit::config
