#ifndef DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_API_ERRORS_H_
#define DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_API_ERRORS_H_

// The answers the fake gives, and the `Status` objects kube-apiserver sends on failure,
// with its wording, e.g. {"kind":"Status","apiVersion":"v1","metadata":{},
// "status":"Failure","message":"pods \"a\" already exists","reason":"AlreadyExists",
// "details":{"name":"a","kind":"pods"},"code":409}.

#include <string>

#include "k8s/testing/fake_kube_apiserver/api_path.h"
#include "nlohmann/json.hpp"

namespace dlkit::fake_kube {

struct ApiResult {
  int code = 200;
  nlohmann::json body;  // the object, list or Status
};

ApiResult StatusError(int code, const std::string& reason, const std::string& message,
                      nlohmann::json details = nullptr);

ApiResult NotFound(const ServedResource& resource, const std::string& name);
ApiResult AlreadyExists(const ServedResource& resource, const std::string& name);
ApiResult Conflict(const ServedResource& resource, const std::string& name);
ApiResult BadRequest(const std::string& message);
// 422 for `field` with `detail`, e.g. ("metadata.name", "Required value: name or
// generateName is required").
ApiResult Invalid(const ServedResource& resource, const std::string& name, const std::string& field,
                  const std::string& detail);
// The object of the ERROR event a watch from a too-old resourceVersion gets.
nlohmann::json ExpiredStatus(const std::string& message);

}  // namespace dlkit::fake_kube

#endif  // DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_API_ERRORS_H_
