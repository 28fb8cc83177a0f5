#include "k8s/testing/fake_kube_apiserver/api_path.h"

#include <vector>

#include "absl/strings/str_split.h"

namespace dlkit::fake_kube {
namespace {

const std::vector<ServedResource>& Served() {
  static const auto* served = new std::vector<ServedResource>{
      {"", "v1", "configmaps", "ConfigMap", false, false},
      {"", "v1", "secrets", "Secret", false, false},
      {"", "v1", "services", "Service", true, false},
      {"", "v1", "pods", "Pod", true, false},
      {"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, false},
      {"", "v1", "events", "Event", false, false},
      {"batch", "v1", "jobs", "Job", true, false},
      {"apps", "v1", "deployments", "Deployment", true, false},
      {"kubeflow.org", "v1", "pytorchjobs", "PyTorchJob", true, true},
      {"kubeflow.org", "v1", "tfjobs", "TFJob", true, true},
  };
  return *served;
}

}  // namespace

const ServedResource* FindResource(const std::string& group, const std::string& version,
                                   const std::string& plural) {
  for (const ServedResource& resource : Served()) {
    if (resource.group == group && resource.version == version && resource.plural == plural) {
      return &resource;
    }
  }
  return nullptr;
}

const ServedResource* FindResourceByPlural(const std::string& plural) {
  for (const ServedResource& resource : Served()) {
    if (resource.plural == plural) return &resource;
  }
  return nullptr;
}

std::optional<ApiPath> ParseApiPath(const std::string& path) {
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  std::string group;
  std::string version;
  size_t at;
  if (parts.size() >= 2 && parts[0] == "api") {
    version = parts[1];
    at = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    group = parts[1];
    version = parts[2];
    at = 3;
  } else {
    return std::nullopt;
  }
  ApiPath result;
  // "namespaces/NS/PLURAL..." scopes to a namespace; "namespaces" alone would be the
  // Namespace resource, which is not served.
  if (parts.size() >= at + 3 && parts[at] == "namespaces") {
    result.ns = parts[at + 1];
    at += 2;
  }
  const size_t rest = parts.size() - at;
  if (rest < 1 || rest > 3) return std::nullopt;
  result.resource = FindResource(group, version, parts[at]);
  if (result.resource == nullptr) return std::nullopt;
  if (rest >= 2) result.name = parts[at + 1];
  if (rest == 3) result.subresource = parts[at + 2];
  if (!result.subresource.empty() &&
      (result.subresource != "status" || !result.resource->has_status)) {
    return std::nullopt;
  }
  return result;
}

}  // namespace dlkit::fake_kube
