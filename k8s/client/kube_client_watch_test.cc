// KubeClient::Watch against the fake API server: order, resuming, 410, cancellation.

#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "k8s/client/kube_client.h"
#include "k8s/client/kube_client_test_support.h"

namespace dlkit::k8s {
namespace {

using nlohmann::json;

// What a watch delivered, as "ADDED a", "MODIFIED a", "BOOKMARK 12"; safe to fill from the
// watching thread and read from the test's.
class EventLog {
 public:
  // The callback for Watch: keeps watching until `stop_after` events have arrived.
  WatchCallback Recorder(size_t stop_after = SIZE_MAX) {
    return [this, stop_after](const WatchEvent& event) {
      absl::MutexLock lock(&mu_);
      entries_.push_back(absl::StrCat(WatchEventTypeName(event.type), " ",
                                      event.type == WatchEventType::kBookmark
                                          ? event.resource_version()
                                          : NameOf(event.object)));
      return entries_.size() < stop_after;
    };
  }
  bool AwaitCount(size_t count, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, count]()
                      ABSL_NO_THREAD_SAFETY_ANALYSIS { return entries_.size() >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  std::vector<std::string> entries() {
    absl::MutexLock lock(&mu_);
    return entries_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> entries_ ABSL_GUARDED_BY(mu_);
};

TEST_CASE("a watch delivers ADDED, MODIFIED and DELETED in order") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  const std::string start = client.List(kConfigMap, kNamespace)->resource_version;
  REQUIRE(client.Create(kConfigMap, kNamespace, ConfigMap("a")).ok());
  REQUIRE(client.MergePatch(kConfigMap, kNamespace, "a", {{"data", {{"k", "v"}}}}).ok());
  REQUIRE(client.Create(kConfigMap, kNamespace, ConfigMap("b")).ok());
  REQUIRE(client.Delete(kConfigMap, kNamespace, "a").ok());

  EventLog log;
  WatchOptions options;
  options.resource_version = start;
  absl::StatusOr<std::string> end =
      client.Watch(kConfigMap, kNamespace, options, log.Recorder(/*stop_after=*/4));
  REQUIRE(end.ok());
  CHECK(log.entries() == std::vector<std::string>{"ADDED a", "MODIFIED a", "ADDED b", "DELETED a"});
  CHECK(*end == client.List(kConfigMap, kNamespace)->resource_version);
}

TEST_CASE("a watch sees live events; without a version it starts from the current state") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  REQUIRE(client.Create(kConfigMap, kNamespace, ConfigMap("existing")).ok());

  EventLog log;
  auto watch = std::async(std::launch::async, [&] {
    return client.Watch(kConfigMap, kNamespace, {}, log.Recorder(/*stop_after=*/3));
  });
  REQUIRE(log.AwaitCount(1));
  REQUIRE(client.Create(kConfigMap, kNamespace, ConfigMap("new")).ok());
  REQUIRE(client.Delete(kConfigMap, kNamespace, "existing").ok());
  REQUIRE(watch.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  REQUIRE(watch.get().ok());
  CHECK(log.entries() ==
        std::vector<std::string>{"ADDED existing", "ADDED new", "DELETED existing"});
}

TEST_CASE("a watch broken mid-stream resumes without losing or repeating events") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  EventLog log;
  constexpr int kObjects = 6;
  // Watches again from where each stream ended, until every event has arrived.
  const std::string start = client.List(kConfigMap, kNamespace)->resource_version;
  auto watcher = std::async(std::launch::async, [&]() -> absl::StatusOr<int> {
    WatchOptions options;
    options.resource_version = start;
    int streams = 0;
    while (log.entries().size() < kObjects) {
      absl::StatusOr<std::string> end =
          client.Watch(kConfigMap, kNamespace, options, log.Recorder(kObjects));
      if (!end.ok()) return end.status();
      options.resource_version = *end;
      ++streams;
    }
    return streams;
  });
  for (int i = 0; i < kObjects; ++i) {
    REQUIRE(client.Create(kConfigMap, kNamespace, ConfigMap(absl::StrCat("obj-", i))).ok());
    if (i % 2 == 0) {  // break once the client saw it; the next comes while it reconnects
      REQUIRE(log.AwaitCount(i + 1));
      cluster.server->BreakWatches();
    }
  }
  REQUIRE(watcher.wait_for(std::chrono::seconds(15)) == std::future_status::ready);
  absl::StatusOr<int> streams = watcher.get();
  REQUIRE(streams.ok());
  CHECK(*streams == 4);  // three breaks, then the end
  std::vector<std::string> expected;
  for (int i = 0; i < kObjects; ++i) expected.push_back(absl::StrCat("ADDED obj-", i));
  CHECK(log.entries() == expected);
}

TEST_CASE("a version older than the server keeps is OutOfRange: list and watch again") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  const std::string old = client.List(kConfigMap, kNamespace)->resource_version;
  REQUIRE(client.Create(kConfigMap, kNamespace, ConfigMap("a")).ok());
  cluster.server->Compact();

  EventLog log;
  WatchOptions options;
  options.resource_version = old;
  absl::Status expired = client.Watch(kConfigMap, kNamespace, options, log.Recorder()).status();
  CHECK(expired.code() == absl::StatusCode::kOutOfRange);
  CHECK(absl::StrContains(expired.message(), "too old resource version"));
  CHECK(absl::StrContains(expired.message(), "410 Expired"));
  CHECK(log.entries().empty());

  // The recovery: a fresh list, and a watch from its version.
  ObjectList list = *client.List(kConfigMap, kNamespace);
  CHECK(list.items.size() == 1);
  options.resource_version = list.resource_version;
  REQUIRE(client.MergePatch(kConfigMap, kNamespace, "a", {{"data", {{"k", "v"}}}}).ok());
  REQUIRE(client.Watch(kConfigMap, kNamespace, options, log.Recorder(1)).ok());
  CHECK(log.entries() == std::vector<std::string>{"MODIFIED a"});
}

TEST_CASE("a selector watch sees objects enter and leave the selection") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  WatchOptions options;
  options.resource_version = client.List(kConfigMap, kNamespace)->resource_version;
  options.label_selector = "experiment=e1";
  REQUIRE(client.Create(kConfigMap, kNamespace, ConfigMap("in", {{"experiment", "e1"}})).ok());
  REQUIRE(client.Create(kConfigMap, kNamespace, ConfigMap("out", {{"experiment", "e2"}})).ok());
  REQUIRE(client
              .MergePatch(kConfigMap, kNamespace, "in",
                          {{"metadata", {{"labels", {{"experiment", "e3"}}}}}})
              .ok());
  REQUIRE(client
              .MergePatch(kConfigMap, kNamespace, "out",
                          {{"metadata", {{"labels", {{"experiment", "e1"}}}}}})
              .ok());
  EventLog log;
  REQUIRE(client.Watch(kConfigMap, kNamespace, options, log.Recorder(3)).ok());
  CHECK(log.entries() == std::vector<std::string>{"ADDED in", "DELETED in", "ADDED out"});
}

TEST_CASE("bookmarks advance the version; Cancel ends a quiet watch") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  REQUIRE(client.Create(kPod, kNamespace, Pod("p")).ok());
  const std::string version = client.List(kPod, kNamespace)->resource_version;
  REQUIRE(client.Create(kConfigMap, kNamespace, ConfigMap("elsewhere")).ok());  // not a pod

  EventLog log;
  Cancellation cancel;
  WatchOptions options;
  options.resource_version = version;
  auto watch = std::async(std::launch::async, [&] {
    return client.Watch(kPod, kNamespace, options, log.Recorder(), &cancel);
  });
  REQUIRE(cluster.server->AwaitOpenWatches(1));
  cluster.server->SendBookmarks();
  REQUIRE(log.AwaitCount(1));
  CHECK(log.entries()[0] == absl::StrCat("BOOKMARK ", std::stoi(version) + 1));

  cancel.Cancel();
  REQUIRE(watch.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(watch.get().status().code() == absl::StatusCode::kCancelled);
}

TEST_CASE("a refused watch is an error; retried like any GET") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  EventLog log;
  WatchOptions options;
  options.label_selector = "a in b";
  CHECK(client.Watch(kJob, kNamespace, options, log.Recorder()).status().code() ==
        absl::StatusCode::kInvalidArgument);

  cluster.server->FailNext("GET", kJob.CollectionPath(kNamespace), 500, 2);
  REQUIRE(client.Create(kJob, kNamespace, TrialJob("t")).ok());
  REQUIRE(client.Watch(kJob, kNamespace, {}, log.Recorder(1)).ok());
  CHECK(log.entries() == std::vector<std::string>{"ADDED t"});
}

}  // namespace
}  // namespace dlkit::k8s
