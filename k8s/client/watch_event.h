#ifndef DLKIT_K8S_CLIENT_WATCH_EVENT_H_
#define DLKIT_K8S_CLIENT_WATCH_EVENT_H_

// A watch's response body is newline-delimited JSON, one event per line:
//   {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}
// WatchEventDecoder splits the bytes as they arrive, whatever the chunk boundaries.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace dlkit::k8s {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

struct WatchEvent {
  WatchEventType type;
  nlohmann::json object;  // the object; a Status for kError; only metadata for kBookmark

  std::string resource_version() const;
};

const char* WatchEventTypeName(WatchEventType type);

class WatchEventDecoder {
 public:
  // Appends bytes and returns the events completed by them; a line that is not an event is
  // an error (the stream is then unusable).
  absl::StatusOr<std::vector<WatchEvent>> Append(const char* data, size_t size);

 private:
  std::string pending_;  // an incomplete last line
};

}  // namespace dlkit::k8s

#endif  // DLKIT_K8S_CLIENT_WATCH_EVENT_H_
