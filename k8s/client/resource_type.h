#ifndef DLKIT_K8S_CLIENT_RESOURCE_TYPE_H_
#define DLKIT_K8S_CLIENT_RESOURCE_TYPE_H_

// Which kind of Kubernetes object a call is about, and where it lives in the REST API:
// core ("v1") resources are under /api/v1, every other group under /apis/<group>/<version>.

#include <string>

namespace dlkit::k8s {

struct ResourceType {
  std::string api_version;  // "v1", "batch/v1", "kubeflow.org/v1"
  std::string kind;         // "Pod"
  std::string plural;       // "pods"
  bool namespaced = true;

  std::string group() const;    // "" for core, else the part before '/'
  std::string version() const;  // the part after '/', or the whole api_version

  // The collection path, e.g. /apis/batch/v1/namespaces/ns/jobs. An empty namespace on a
  // namespaced type means every namespace (/api/v1/pods).
  std::string CollectionPath(const std::string& ns) const;
  // One object's path; `subresource` ("status") is appended when not empty.
  std::string ObjectPath(const std::string& ns, const std::string& name,
                         const std::string& subresource = "") const;
};

// The kinds dlkit creates and follows.
extern const ResourceType kConfigMap;
extern const ResourceType kSecret;
extern const ResourceType kService;
extern const ResourceType kPod;
extern const ResourceType kPersistentVolumeClaim;
extern const ResourceType kJob;
extern const ResourceType kDeployment;
extern const ResourceType kPyTorchJob;
extern const ResourceType kTFJob;

}  // namespace dlkit::k8s

#endif  // DLKIT_K8S_CLIENT_RESOURCE_TYPE_H_
