// KubeClient::Watch: one long GET ?watch=1 whose body is read as it arrives.

#include <cpprest/http_client.h>

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "k8s/client/api_status.h"
#include "k8s/client/http_client_config.h"
#include "k8s/client/kube_client.h"

namespace dlkit::k8s {

namespace http = web::http;

absl::StatusOr<std::string> KubeClient::Watch(const ResourceType& type, const std::string& ns,
                                              const WatchOptions& options,
                                              const WatchCallback& on_event,
                                              const Cancellation* cancel) {
  Request request{
      "GET", type.CollectionPath(ns),
      absl::StrCat("?watch=1", options.allow_bookmarks ? "&allowWatchBookmarks=true" : "")};
  if (!options.resource_version.empty()) {
    absl::StrAppend(&request.query,
                    "&resourceVersion=", http::uri::encode_data_string(options.resource_version));
  }
  if (!options.label_selector.empty()) {
    absl::StrAppend(&request.query,
                    "&labelSelector=", http::uri::encode_data_string(options.label_selector));
  }
  const std::string what = absl::StrCat("watch ", request.path);

  // A client of its own: its timeout is how long the stream may stay quiet.
  std::unique_ptr<http::client::http_client> stream_client;
  try {
    stream_client = std::make_unique<http::client::http_client>(
        config_.server, HttpClientConfig(config_, options.idle_timeout));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", e.what()));
  }
  // Cancelled on every return too, so a stream we stop reading is closed, not drained.
  const Cancellation never_cancelled;
  if (cancel == nullptr) cancel = &never_cancelled;
  Cancellation stream_cancel(cancel->token());
  absl::Cleanup close_stream = [&stream_cancel] { stream_cancel.Cancel(); };

  absl::StatusOr<http::http_response> response = Send(*stream_client, request, stream_cancel);
  if (!response.ok()) return response.status();

  // Read whatever has arrived (at least one byte) so events are handled as they come: cpprest
  // does not sync the body per chunk, so asking for a full buffer would wait for one.
  concurrency::streams::streambuf<uint8_t> body = response->body().streambuf();
  WatchEventDecoder decoder;
  std::string resource_version = options.resource_version;
  uint8_t chunk[16384];
  while (true) {
    size_t read = 0;
    try {
      const size_t want = std::clamp<size_t>(body.in_avail(), 1, sizeof(chunk));
      read = body.getn(chunk, want).get();
    } catch (const std::exception&) {
      read = 0;  // the connection broke (or was cancelled)
    }
    if (cancel->cancelled()) return absl::CancelledError(absl::StrCat(what, ": cancelled"));
    if (read == 0) return resource_version;  // ended: the caller resumes from here
    absl::StatusOr<std::vector<WatchEvent>> events =
        decoder.Append(reinterpret_cast<const char*>(chunk), read);
    if (!events.ok()) return events.status();
    for (const WatchEvent& event : *events) {
      if (event.type == WatchEventType::kError) {
        return StatusFromStatusObject(event.object, what);  // 410 → OutOfRange: re-list
      }
      if (const std::string version = event.resource_version(); !version.empty()) {
        resource_version = version;
      }
      if (!on_event(event)) return resource_version;
    }
  }
}

}  // namespace dlkit::k8s
