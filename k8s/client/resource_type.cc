#include "k8s/client/resource_type.h"

#include "absl/strings/str_cat.h"

namespace dlkit::k8s {

const ResourceType kConfigMap{"v1", "ConfigMap", "configmaps"};
const ResourceType kSecret{"v1", "Secret", "secrets"};
const ResourceType kService{"v1", "Service", "services"};
const ResourceType kPod{"v1", "Pod", "pods"};
const ResourceType kPersistentVolumeClaim{"v1", "PersistentVolumeClaim", "persistentvolumeclaims"};
const ResourceType kJob{"batch/v1", "Job", "jobs"};
const ResourceType kDeployment{"apps/v1", "Deployment", "deployments"};
const ResourceType kPyTorchJob{"kubeflow.org/v1", "PyTorchJob", "pytorchjobs"};
const ResourceType kTFJob{"kubeflow.org/v1", "TFJob", "tfjobs"};

std::string ResourceType::group() const {
  const size_t slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}

std::string ResourceType::version() const {
  const size_t slash = api_version.find('/');
  return slash == std::string::npos ? api_version : api_version.substr(slash + 1);
}

std::string ResourceType::CollectionPath(const std::string& ns) const {
  const std::string root =
      group().empty() ? absl::StrCat("/api/", api_version) : absl::StrCat("/apis/", api_version);
  if (!namespaced || ns.empty()) return absl::StrCat(root, "/", plural);
  return absl::StrCat(root, "/namespaces/", ns, "/", plural);
}

std::string ResourceType::ObjectPath(const std::string& ns, const std::string& name,
                                     const std::string& subresource) const {
  std::string path = absl::StrCat(CollectionPath(ns), "/", name);
  if (!subresource.empty()) absl::StrAppend(&path, "/", subresource);
  return path;
}

}  // namespace dlkit::k8s
