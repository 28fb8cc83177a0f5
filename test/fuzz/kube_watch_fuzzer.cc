// The Kubernetes watch-event decoder and Status parser on any bytes from the API server:
// the same bytes split at any point give the same events.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "k8s/client/api_status.h"
#include "k8s/client/watch_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t split = data[0] % size;
  const char* bytes = reinterpret_cast<const char*>(data);
  dlkit::k8s::WatchEventDecoder whole, in_two;
  absl::StatusOr<std::vector<dlkit::k8s::WatchEvent>> at_once = whole.Append(bytes, size);
  absl::StatusOr<std::vector<dlkit::k8s::WatchEvent>> first = in_two.Append(bytes, split);
  size_t events = first.ok() ? first->size() : 0;
  if (first.ok()) {
    absl::StatusOr<std::vector<dlkit::k8s::WatchEvent>> rest =
        in_two.Append(bytes + split, size - split);
    if (rest.ok()) {
      events += rest->size();
      if (at_once.ok() && events != at_once->size()) abort();
    }
  }
  const int code = 200 + data[0];
  (void)dlkit::k8s::StatusFromResponse(code, std::string(bytes, size), "fuzz");
  return 0;
}
