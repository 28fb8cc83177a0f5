#include "k8s/client/watch_event.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace dlkit::k8s {
namespace {

const std::map<std::string, WatchEventType>& EventTypes() {
  static const auto* types =
      new std::map<std::string, WatchEventType>{{"ADDED", WatchEventType::kAdded},
                                                {"MODIFIED", WatchEventType::kModified},
                                                {"DELETED", WatchEventType::kDeleted},
                                                {"BOOKMARK", WatchEventType::kBookmark},
                                                {"ERROR", WatchEventType::kError}};
  return *types;
}

}  // namespace

std::string WatchEvent::resource_version() const {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  return metadata->value("resourceVersion", "");
}

const char* WatchEventTypeName(WatchEventType type) {
  for (const auto& [name, value] : EventTypes()) {
    if (value == type) return name.c_str();
  }
  return "UNKNOWN";
}

absl::StatusOr<std::vector<WatchEvent>> WatchEventDecoder::Append(const char* data, size_t size) {
  pending_.append(data, size);
  std::vector<WatchEvent> events;
  size_t start = 0;
  for (size_t newline; (newline = pending_.find('\n', start)) != std::string::npos;
       start = newline + 1) {
    const std::string line = pending_.substr(start, newline - start);
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    const auto type = parsed.is_object() && parsed["type"].is_string()
                          ? EventTypes().find(parsed["type"].get<std::string>())
                          : EventTypes().end();
    if (type == EventTypes().end() || !parsed["object"].is_object()) {
      return absl::DataLossError(
          absl::StrCat("watch stream sent a line that is not an event: ", line.substr(0, 200)));
    }
    events.push_back({type->second, std::move(parsed["object"])});
  }
  pending_.erase(0, start);
  return events;
}

}  // namespace dlkit::k8s
