#ifndef DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_VALIDATION_H_
#define DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_VALIDATION_H_

// What kube-apiserver (and the training operator's webhook) rejects with 422 on create:
// a missing or malformed name, and the few spec rules dlkit's objects must meet.

#include <optional>

#include "k8s/testing/fake_kube_apiserver/api_errors.h"
#include "k8s/testing/fake_kube_apiserver/api_path.h"
#include "nlohmann/json.hpp"

namespace dlkit::fake_kube {

// nullopt when valid, else the 422 answer. `object` has its final name.
std::optional<ApiResult> ValidateNewObject(const ServedResource& resource,
                                           const nlohmann::json& object);

}  // namespace dlkit::fake_kube

#endif  // DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_VALIDATION_H_
