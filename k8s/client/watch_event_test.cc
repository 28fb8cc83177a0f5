#include "k8s/client/watch_event.h"

#include <catch2/catch.hpp>

namespace dlkit::k8s {
namespace {

TEST_CASE("events are split at newlines whatever the chunk boundaries") {
  const std::string stream =
      R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}})"
      "\n"
      R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}})"
      "\n";
  for (size_t split = 0; split <= stream.size(); ++split) {
    WatchEventDecoder decoder;
    absl::StatusOr<std::vector<WatchEvent>> first = decoder.Append(stream.data(), split);
    absl::StatusOr<std::vector<WatchEvent>> second =
        decoder.Append(stream.data() + split, stream.size() - split);
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    std::vector<WatchEvent> events = *first;
    events.insert(events.end(), second->begin(), second->end());
    REQUIRE(events.size() == 2);
    CHECK(events[0].type == WatchEventType::kAdded);
    CHECK(events[0].resource_version() == "5");
    CHECK(events[1].type == WatchEventType::kBookmark);
    CHECK(events[1].resource_version() == "7");
  }
}

TEST_CASE("a line that is not an event is an error") {
  WatchEventDecoder decoder;
  CHECK(decoder.Append("not json\n", 9).status().code() == absl::StatusCode::kDataLoss);
  WatchEventDecoder other;
  const std::string unknown = R"({"type":"SURPRISE","object":{}})"
                              "\n";
  CHECK_FALSE(other.Append(unknown.data(), unknown.size()).ok());
}

}  // namespace
}  // namespace dlkit::k8s
