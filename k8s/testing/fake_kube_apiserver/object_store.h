#ifndef DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_OBJECT_STORE_H_
#define DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_OBJECT_STORE_H_

// The fake API server's state and rules, without HTTP: objects with one global,
// increasing resourceVersion; a window of past events that watches resume from; status
// written only through /status; finalizers and ownerReference garbage collection.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "k8s/testing/fake_kube_apiserver/api_errors.h"
#include "k8s/testing/fake_kube_apiserver/api_path.h"
#include "k8s/testing/fake_kube_apiserver/label_selector.h"
#include "nlohmann/json.hpp"

namespace dlkit::fake_kube {

// Where a watch's events go (the open HTTP response).
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  virtual bool Send(const std::string& line) = 0;  // false: the reader is gone
  virtual void Close() = 0;                        // ends the response
};

struct WatchRequest {
  const ServedResource* resource = nullptr;
  std::string ns;  // empty: every namespace
  LabelSelector selector;
  // Resume after this version; nullopt ("" or "0"): first every current object as ADDED.
  std::optional<int64_t> from_version;
  bool bookmarks = false;
};

class ObjectStore {
 public:
  explicit ObjectStore(size_t event_window) : event_window_(event_window) {}
  ~ObjectStore();  // closes the open watches

  ApiResult Create(const ApiPath& path, nlohmann::json object);
  ApiResult Get(const ApiPath& path);
  ApiResult List(const ApiPath& path, const LabelSelector& selector);
  ApiResult Replace(const ApiPath& path, const nlohmann::json& object);  // PUT
  ApiResult MergePatch(const ApiPath& path, const nlohmann::json& patch);
  // `policy`: "Background", "Foreground" or "Orphan".
  ApiResult Delete(const ApiPath& path, const std::string& policy);
  // As the controllers and the kubelet would: replaces `status` (404 if missing).
  ApiResult SetStatus(const ApiPath& path, const nlohmann::json& status);
  std::optional<nlohmann::json> Find(const ApiPath& path) const;

  // Sends the backlog (or the 410 ERROR event, closing the stream), then follows live
  // events until StopWatch or BreakWatches. Returns the watch's id.
  uint64_t Watch(const WatchRequest& request, std::shared_ptr<WatchStream> stream);
  void StopWatch(uint64_t id);
  void BreakWatches();  // closes every open watch
  void SendBookmarks();
  void Compact();  // forgets past events: resuming from any older version gets 410
  int open_watches() const;
  // Blocks until `count` watches are open; false on timeout.
  bool AwaitOpenWatches(int count, absl::Duration timeout) const;

 private:
  struct Stored {
    const ServedResource* resource;
    nlohmann::json object;
  };
  using Key = std::tuple<std::string, std::string, std::string>;  // resource id, ns, name
  struct Event {
    int64_t version;
    std::string type;  // ADDED, MODIFIED, DELETED
    const ServedResource* resource;
    nlohmann::json object;
    nlohmann::json previous;  // the object before a MODIFIED (selectors can stop matching)
  };
  struct Watcher {
    WatchRequest request;
    std::shared_ptr<WatchStream> stream;
  };

  static Key KeyOf(const ApiPath& path) { return {path.resource->id(), path.ns, path.name}; }

  // The update rules shared by Replace and MergePatch: `incoming` is the full new object.
  ApiResult WriteLocked(const ApiPath& path, const nlohmann::json& incoming)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores `object` under a new resourceVersion and records the event.
  nlohmann::json PutLocked(const ServedResource* resource, nlohmann::json object,
                           const std::string& type, nlohmann::json previous)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ApiResult DeleteLocked(const Key& key, const std::string& policy)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveLocked(const Key& key, const std::string& policy) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CollectGarbageLocked(const std::string& owner_uid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OrphanDependentsLocked(const std::string& owner_uid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool UidExistsLocked(const std::string& uid) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RecordLocked(Event event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The line a watcher gets for `event`, if any (selector transitions become ADDED/DELETED).
  std::optional<std::string> EventLine(const WatchRequest& request, const Event& event) const;

  const size_t event_window_;
  mutable absl::Mutex mu_;
  std::map<Key, Stored> objects_ ABSL_GUARDED_BY(mu_);
  int64_t version_ ABSL_GUARDED_BY(mu_) = 1;
  std::deque<Event> events_ ABSL_GUARDED_BY(mu_);
  int64_t oldest_resumable_ ABSL_GUARDED_BY(mu_) = 0;  // a watch may resume from >= this
  std::map<uint64_t, Watcher> watchers_ ABSL_GUARDED_BY(mu_);
  uint64_t next_watch_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::BitGen random_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dlkit::fake_kube

#endif  // DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_OBJECT_STORE_H_
