#ifndef DLKIT_SERVICES_KUBERNETES_KUBERNETES_CONFIG_H_
#define DLKIT_SERVICES_KUBERNETES_KUBERNETES_CONFIG_H_

// The config's `trainingService` keys for platform kubernetes (namespace, image, jobKind,
// replicas, resources, volumes, serviceAccount, nodeSelector, tolerations, storage,
// gitRepository) <-> KubernetesService. The rest of the config is read in services/config/,
// which calls these for the kubernetes platform.

#include <string>
#include <vector>

#include "dlkit/v1/types.pb.h"
#include "services/config/config_reader.h"

namespace dlkit {

// Tolerations as Kubernetes spells them (empty fields left out), for the config's JSON and
// for a trial's pod spec alike; JsonT is nlohmann::json or nlohmann::ordered_json.
template <typename JsonT>
JsonT TolerationsToJson(const google::protobuf::RepeatedPtrField<v1::Toleration>& tolerations) {
  JsonT out = JsonT::array();
  for (const v1::Toleration& t : tolerations) {
    JsonT toleration = JsonT::object();
    if (!t.key().empty()) toleration["key"] = t.key();
    if (!t.operator_().empty()) toleration["operator"] = t.operator_();
    if (!t.value().empty()) toleration["value"] = t.value();
    if (!t.effect().empty()) toleration["effect"] = t.effect();
    out.push_back(std::move(toleration));
  }
  return out;
}

namespace config {

// The trainingService keys that only platform kubernetes reads.
const std::vector<std::string>& KubernetesOnlyKeys();
// Reads them from the trainingService object's fields (paths under `trainingService`).
void ParseKubernetes(const Fields& f, Report* report, v1::KubernetesService* out);
// The same keys written back (for export), beside "platform": "kubernetes".
void KubernetesServiceToJson(const v1::KubernetesService& k8s, Json* service);

}  // namespace config
}  // namespace dlkit

#endif  // DLKIT_SERVICES_KUBERNETES_KUBERNETES_CONFIG_H_
