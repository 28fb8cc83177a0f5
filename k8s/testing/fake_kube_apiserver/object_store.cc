#include "k8s/testing/fake_kube_apiserver/object_store.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "k8s/testing/fake_kube_apiserver/validation.h"

namespace dlkit::fake_kube {

using nlohmann::json;

namespace {

std::string Now() {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
}

std::string Uid(absl::BitGen& random) {
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", absl::Uniform<uint32_t>(random),
                         absl::Uniform<uint16_t>(random), absl::Uniform<uint16_t>(random),
                         absl::Uniform<uint16_t>(random),
                         absl::Uniform<uint64_t>(random) & 0xffffffffffffULL);
}

// generateName's suffix, from the alphabet kube-apiserver uses.
std::string RandomSuffix(absl::BitGen& random) {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string suffix;
  for (int i = 0; i < 5; ++i) suffix += kAlphabet[absl::Uniform(random, 0u, sizeof(kAlphabet) - 1)];
  return suffix;
}

std::string VersionOf(const json& object) {
  return object.value("/metadata/resourceVersion"_json_pointer, "");
}

bool HasFinalizers(const json& object) {
  const json finalizers = object.value("/metadata/finalizers"_json_pointer, json::array());
  return finalizers.is_array() && !finalizers.empty();
}

bool OwnedBy(const json& object, const std::string& uid) {
  for (const json& owner : object.value("/metadata/ownerReferences"_json_pointer, json::array())) {
    if (owner.value("uid", "") == uid) return true;
  }
  return false;
}

std::string EventLineOf(const std::string& type, const json& object) {
  return json{{"type", type}, {"object", object}}.dump() + "\n";
}

}  // namespace

ObjectStore::~ObjectStore() { BreakWatches(); }

ApiResult ObjectStore::Create(const ApiPath& path, json object) {
  const ServedResource& resource = *path.resource;
  if (!object.is_object()) return BadRequest("the body is not a JSON object");
  if (object.value("kind", resource.kind) != resource.kind ||
      object.value("apiVersion", resource.api_version()) != resource.api_version()) {
    return BadRequest(absl::StrCat("the object's kind/apiVersion is not ", resource.kind, "/",
                                   resource.api_version(), " as the URL says"));
  }
  json& metadata = object["metadata"];
  if (!metadata.is_object()) metadata = json::object();
  if (metadata.value("namespace", path.ns) != path.ns) {
    return BadRequest(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
  absl::MutexLock lock(&mu_);
  if (metadata.value("name", "").empty() && !metadata.value("generateName", "").empty()) {
    metadata["name"] = metadata["generateName"].get<std::string>() + RandomSuffix(random_);
  }
  if (std::optional<ApiResult> invalid = ValidateNewObject(resource, object)) return *invalid;
  const std::string name = metadata["name"];
  if (objects_.count({resource.id(), path.ns, name}) > 0) return AlreadyExists(resource, name);

  object["kind"] = resource.kind;
  object["apiVersion"] = resource.api_version();
  metadata["namespace"] = path.ns;
  metadata["uid"] = Uid(random_);
  metadata["creationTimestamp"] = Now();
  metadata["generation"] = 1;
  metadata.erase("deletionTimestamp");
  if (resource.has_status) {  // status is the controllers' to write
    object["status"] = resource.kind == "Pod" ? json{{"phase", "Pending"}} : json::object();
  }
  return {201, PutLocked(&resource, std::move(object), "ADDED", nullptr)};
}

ApiResult ObjectStore::Get(const ApiPath& path) {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(KeyOf(path));
  if (it == objects_.end()) return NotFound(*path.resource, path.name);
  return {200, it->second.object};
}

std::optional<json> ObjectStore::Find(const ApiPath& path) const {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(KeyOf(path));
  if (it == objects_.end()) return std::nullopt;
  return it->second.object;
}

ApiResult ObjectStore::List(const ApiPath& path, const LabelSelector& selector) {
  const ServedResource& resource = *path.resource;
  absl::MutexLock lock(&mu_);
  json items = json::array();
  for (const auto& [key, stored] : objects_) {
    const auto& [id, ns, name] = key;
    if (id != resource.id() || (!path.ns.empty() && ns != path.ns)) continue;
    if (!selector.Matches(stored.object)) continue;
    json item = stored.object;
    if (!resource.custom) {  // built-in lists carry kind/apiVersion once, not per item
      item.erase("kind");
      item.erase("apiVersion");
    }
    items.push_back(std::move(item));
  }
  return {200, json{{"kind", resource.kind + "List"},
                    {"apiVersion", resource.api_version()},
                    {"metadata", {{"resourceVersion", std::to_string(version_)}}},
                    {"items", std::move(items)}}};
}

ApiResult ObjectStore::Replace(const ApiPath& path, const json& object) {
  if (!object.is_object()) return BadRequest("the body is not a JSON object");
  const std::string name = object.value("/metadata/name"_json_pointer, "");
  if (name != path.name) {
    return BadRequest(absl::StrCat("the name of the object (", name,
                                   ") does not match the name on the URL (", path.name, ")"));
  }
  absl::MutexLock lock(&mu_);
  return WriteLocked(path, object);
}

ApiResult ObjectStore::MergePatch(const ApiPath& path, const json& patch) {
  if (!patch.is_object()) return BadRequest("the patch is not a JSON object");
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(KeyOf(path));
  if (it == objects_.end()) return NotFound(*path.resource, path.name);
  json patched = it->second.object;
  patched.merge_patch(patch);  // a resourceVersion in the patch stays, as a precondition
  return WriteLocked(path, patched);
}

ApiResult ObjectStore::SetStatus(const ApiPath& path, const json& status) {
  absl::MutexLock lock(&mu_);
  auto it = objects_.find(KeyOf(path));
  if (it == objects_.end()) return NotFound(*path.resource, path.name);
  json object = it->second.object;
  object["status"] = status;
  ApiPath status_path = path;
  status_path.subresource = "status";
  return WriteLocked(status_path, object);
}

ApiResult ObjectStore::WriteLocked(const ApiPath& path, const json& incoming) {
  const ServedResource& resource = *path.resource;
  auto it = objects_.find(KeyOf(path));
  if (it == objects_.end()) return NotFound(resource, path.name);
  const json& old = it->second.object;
  const std::string precondition = VersionOf(incoming);
  if (!precondition.empty() && precondition != VersionOf(old)) {
    return Conflict(resource, path.name);
  }

  json updated;
  if (path.subresource == "status") {  // only the status changes
    updated = old;
    updated["status"] = incoming.value("status", json::object());
  } else {
    updated = incoming;
    if (resource.has_status) {  // the main resource ignores status
      updated["status"] = old.value("status", json::object());
    }
    json& metadata = updated["metadata"];
    for (const char* field : {"uid", "creationTimestamp", "namespace", "name", "resourceVersion",
                              "deletionTimestamp", "generation"}) {
      if (old["metadata"].contains(field)) {
        metadata[field] = old["metadata"][field];
      } else {
        metadata.erase(field);
      }
    }
    updated["kind"] = resource.kind;
    updated["apiVersion"] = resource.api_version();
    if (updated.value("spec", json()) != old.value("spec", json())) {
      metadata["generation"] = old["metadata"].value("generation", 1) + 1;
    }
  }
  if (updated == old) return {200, old};  // a no-op write keeps the resourceVersion

  const bool deleting = updated["metadata"].contains("deletionTimestamp");
  if (deleting && !HasFinalizers(updated)) {  // the last finalizer went: now it is gone
    it->second.object = updated;
    RemoveLocked(KeyOf(path), "Background");
    return {200, updated};
  }
  return {200, PutLocked(&resource, std::move(updated), "MODIFIED", old)};
}

json ObjectStore::PutLocked(const ServedResource* resource, json object, const std::string& type,
                            json previous) {
  object["metadata"]["resourceVersion"] = std::to_string(++version_);
  const json& metadata = object["metadata"];
  objects_[{resource->id(), metadata["namespace"], metadata["name"]}] = {resource, object};
  RecordLocked({version_, type, resource, object, std::move(previous)});
  return object;
}

ApiResult ObjectStore::Delete(const ApiPath& path, const std::string& policy) {
  absl::MutexLock lock(&mu_);
  if (objects_.count(KeyOf(path)) == 0) return NotFound(*path.resource, path.name);
  return DeleteLocked(KeyOf(path), policy);
}

ApiResult ObjectStore::DeleteLocked(const Key& key, const std::string& policy) {
  const std::string uid = objects_.at(key).object["metadata"].value("uid", "");
  if (policy == "Foreground") {  // dependents go first (without the interim finalizer)
    std::vector<Key> dependents;
    for (const auto& [dependent, stored] : objects_) {
      if (OwnedBy(stored.object, uid)) dependents.push_back(dependent);
    }
    for (const Key& dependent : dependents) {
      if (objects_.count(dependent) > 0) DeleteLocked(dependent, "Foreground");
    }
  }
  if (policy == "Orphan") OrphanDependentsLocked(uid);
  Stored& owner = objects_.at(key);
  if (HasFinalizers(owner.object)) {  // stays until its finalizers are removed
    if (owner.object["metadata"].contains("deletionTimestamp")) return {200, owner.object};
    json marked = owner.object;
    marked["metadata"]["deletionTimestamp"] = Now();
    return {200, PutLocked(owner.resource, std::move(marked), "MODIFIED", owner.object)};
  }
  json deleted = owner.object;
  RemoveLocked(key, policy);
  return {200, deleted};
}

void ObjectStore::RemoveLocked(const Key& key, const std::string& policy) {
  auto it = objects_.find(key);
  if (it == objects_.end()) return;
  Stored removed = std::move(it->second);
  objects_.erase(it);
  removed.object["metadata"]["resourceVersion"] = std::to_string(++version_);
  RecordLocked({version_, "DELETED", removed.resource, removed.object, nullptr});
  if (policy != "Orphan") CollectGarbageLocked(removed.object["metadata"].value("uid", ""));
}

// Dependents whose owners are all gone are deleted, as the garbage collector does.
void ObjectStore::CollectGarbageLocked(const std::string& owner_uid) {
  std::vector<Key> orphaned;
  for (const auto& [key, stored] : objects_) {
    if (!OwnedBy(stored.object, owner_uid)) continue;
    bool owner_left = false;
    for (const json& owner : stored.object["metadata"]["ownerReferences"]) {
      owner_left |= UidExistsLocked(owner.value("uid", ""));
    }
    if (!owner_left) orphaned.push_back(key);
  }
  for (const Key& key : orphaned) {
    if (objects_.count(key) > 0) DeleteLocked(key, "Background");
  }
}

void ObjectStore::OrphanDependentsLocked(const std::string& owner_uid) {
  std::vector<Key> dependents;
  for (const auto& [key, stored] : objects_) {
    if (OwnedBy(stored.object, owner_uid)) dependents.push_back(key);
  }
  for (const Key& key : dependents) {
    Stored& stored = objects_.at(key);
    json updated = stored.object;
    json kept = json::array();
    for (const json& owner : updated["metadata"]["ownerReferences"]) {
      if (owner.value("uid", "") != owner_uid) kept.push_back(owner);
    }
    updated["metadata"]["ownerReferences"] = kept;
    PutLocked(stored.resource, std::move(updated), "MODIFIED", stored.object);
  }
}

bool ObjectStore::UidExistsLocked(const std::string& uid) const {
  for (const auto& [key, stored] : objects_) {
    if (stored.object["metadata"].value("uid", "") == uid) return true;
  }
  return false;
}

void ObjectStore::RecordLocked(Event event) {
  events_.push_back(std::move(event));
  while (events_.size() > event_window_) {
    oldest_resumable_ = events_.front().version;
    events_.pop_front();
  }
  const Event& recorded = events_.back();
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    std::optional<std::string> line = EventLine(it->second.request, recorded);
    if (line.has_value() && !it->second.stream->Send(*line)) {
      it->second.stream->Close();
      it = watchers_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<std::string> ObjectStore::EventLine(const WatchRequest& request,
                                                  const Event& event) const {
  if (event.resource != request.resource) return std::nullopt;
  if (!request.ns.empty() && event.object["metadata"].value("namespace", "") != request.ns) {
    return std::nullopt;
  }
  const bool matches = request.selector.Matches(event.object);
  if (event.type != "MODIFIED") {
    if (!matches) return std::nullopt;
    return EventLineOf(event.type, event.object);
  }
  // Like kube-apiserver, a selector watch sees an object enter or leave its selection.
  const bool matched = request.selector.Matches(event.previous);
  if (matched && matches) return EventLineOf("MODIFIED", event.object);
  if (matches) return EventLineOf("ADDED", event.object);
  if (matched) return EventLineOf("DELETED", event.object);
  return std::nullopt;
}

uint64_t ObjectStore::Watch(const WatchRequest& request, std::shared_ptr<WatchStream> stream) {
  absl::MutexLock lock(&mu_);
  if (request.from_version.has_value() && *request.from_version < oldest_resumable_) {
    stream->Send(EventLineOf(
        "ERROR", ExpiredStatus(absl::StrCat("too old resource version: ", *request.from_version,
                                            " (", oldest_resumable_, ")"))));
    stream->Close();
    return 0;
  }
  if (!request.from_version.has_value()) {  // the current state first, as ADDED
    for (const auto& [key, stored] : objects_) {
      Event current{0, "ADDED", stored.resource, stored.object, nullptr};
      if (std::optional<std::string> line = EventLine(request, current)) stream->Send(*line);
    }
  } else {
    for (const Event& event : events_) {
      if (event.version <= *request.from_version) continue;
      if (std::optional<std::string> line = EventLine(request, event)) stream->Send(*line);
    }
  }
  const uint64_t id = next_watch_id_++;
  watchers_[id] = {request, std::move(stream)};
  return id;
}

void ObjectStore::StopWatch(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = watchers_.find(id);
  if (it == watchers_.end()) return;
  it->second.stream->Close();
  watchers_.erase(it);
}

void ObjectStore::BreakWatches() {
  absl::MutexLock lock(&mu_);
  for (auto& [id, watcher] : watchers_) watcher.stream->Close();
  watchers_.clear();
}

void ObjectStore::SendBookmarks() {
  absl::MutexLock lock(&mu_);
  for (auto& [id, watcher] : watchers_) {
    if (!watcher.request.bookmarks) continue;
    const ServedResource& resource = *watcher.request.resource;
    watcher.stream->Send(
        EventLineOf("BOOKMARK", {{"kind", resource.kind},
                                 {"apiVersion", resource.api_version()},
                                 {"metadata", {{"resourceVersion", std::to_string(version_)}}}}));
  }
}

void ObjectStore::Compact() {
  absl::MutexLock lock(&mu_);
  events_.clear();
  oldest_resumable_ = version_;
}

int ObjectStore::open_watches() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(watchers_.size());
}

bool ObjectStore::AwaitOpenWatches(int count, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  const auto enough = [this, count]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return static_cast<int>(watchers_.size()) >= count;  // mu_ is held while Await runs it
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

}  // namespace dlkit::fake_kube
