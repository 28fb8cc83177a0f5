#include "k8s/testing/fake_kube_apiserver/validation.h"

#include <regex>
#include <string>

#include "absl/strings/str_cat.h"

namespace dlkit::fake_kube {
namespace {

using nlohmann::json;

bool IsDnsSubdomain(const std::string& name) {
  static const std::regex kPattern(
      "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  return name.size() <= 253 && std::regex_match(name, kPattern);
}

bool HasContainers(const json& pod_spec) {
  return pod_spec.is_object() && pod_spec.contains("containers") &&
         pod_spec["containers"].is_array() && !pod_spec["containers"].empty();
}

bool HasContainerNamed(const json& pod_spec, const std::string& name) {
  if (!HasContainers(pod_spec)) return false;
  for (const json& container : pod_spec["containers"]) {
    if (container.value("name", "") == name) return true;
  }
  return false;
}

// A Kubeflow job: every replica's pod template has the container the operator expects.
std::optional<std::string> KubeflowJobError(const json& spec, const char* replica_specs_field,
                                            const std::string& container) {
  const json replicas = spec.value(replica_specs_field, json());
  if (!replicas.is_object() || replicas.empty()) {
    return absl::StrCat("spec.", replica_specs_field, ": Required value");
  }
  for (const auto& [type, replica] : replicas.items()) {
    if (!HasContainerNamed(replica.value("/template/spec"_json_pointer, json()), container)) {
      return absl::StrCat("spec.", replica_specs_field, ".", type,
                          ".template.spec.containers: Invalid value: there is no container "
                          "named ",
                          container);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<ApiResult> ValidateNewObject(const ServedResource& resource, const json& object) {
  const std::string name = object.value("/metadata/name"_json_pointer, "");
  if (name.empty()) {
    return Invalid(resource, name, "metadata.name",
                   "Required value: name or generateName is required");
  }
  if (!IsDnsSubdomain(name)) {
    return Invalid(resource, name, "metadata.name",
                   absl::StrCat("Invalid value: \"", name,
                                "\": a lowercase RFC 1123 subdomain must consist of lower case "
                                "alphanumeric characters, '-' or '.', and must start and end "
                                "with an alphanumeric character"));
  }
  const json spec = object.value("spec", json::object());
  if (resource.kind == "Pod" && !HasContainers(spec)) {
    return Invalid(resource, name, "spec.containers", "Required value");
  }
  if (resource.kind == "Job") {
    const json pod_spec = spec.value("/template/spec"_json_pointer, json());
    if (!HasContainers(pod_spec)) {
      return Invalid(resource, name, "spec.template.spec.containers", "Required value");
    }
    const std::string restart = pod_spec.value("restartPolicy", "");
    if (restart != "Never" && restart != "OnFailure") {
      return Invalid(resource, name, "spec.template.spec.restartPolicy",
                     absl::StrCat("Unsupported value: \"", restart,
                                  "\": supported values: \"OnFailure\", \"Never\""));
    }
  }
  std::optional<std::string> kubeflow_error;
  if (resource.kind == "PyTorchJob") {
    kubeflow_error = KubeflowJobError(spec, "pytorchReplicaSpecs", "pytorch");
  } else if (resource.kind == "TFJob") {
    kubeflow_error = KubeflowJobError(spec, "tfReplicaSpecs", "tensorflow");
  }
  if (kubeflow_error.has_value()) {
    const size_t colon = kubeflow_error->find(": ");
    return Invalid(resource, name, kubeflow_error->substr(0, colon),
                   kubeflow_error->substr(colon + 2));
  }
  return std::nullopt;
}

}  // namespace dlkit::fake_kube
