#ifndef DLKIT_K8S_CLIENT_KUBE_CONFIG_H_
#define DLKIT_K8S_CLIENT_KUBE_CONFIG_H_

// Where the API server is and how to authenticate to it: inside a pod from the mounted
// service account, outside (dlctl) from a kubeconfig file.

#include <string>

#include "absl/status/statusor.h"

namespace dlkit::k8s {

inline constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

struct KubeConfig {
  std::string server;      // "https://10.96.0.1:443"; plain "http://" is allowed (tests)
  std::string token;       // bearer token, empty for none
  std::string token_file;  // when set, the token is re-read from here (bound tokens rotate)
  std::string ca_file;     // PEM bundle that signs the server's certificate
  std::string ca_data;     // the same as PEM text (kubeconfig certificate-authority-data)
  std::string client_certificate_data;  // PEM, for kubeconfigs that authenticate by cert
  std::string client_key_data;          // PEM
  bool insecure_skip_tls_verify = false;
  std::string default_namespace = "default";

  // From KUBERNETES_SERVICE_HOST/_PORT and `service_account_dir`/{token,ca.crt,namespace}.
  static absl::StatusOr<KubeConfig> FromInCluster(
      const std::string& service_account_dir = kServiceAccountDir);

  // From a kubeconfig file: `context`, or its current-context when empty. Supports token,
  // tokenFile and client-certificate users; exec and auth-provider plugins are refused.
  static absl::StatusOr<KubeConfig> FromKubeconfig(const std::string& path,
                                                   const std::string& context = "");
};

// $KUBECONFIG's first entry, else ~/.kube/config.
std::string DefaultKubeconfigPath();

}  // namespace dlkit::k8s

#endif  // DLKIT_K8S_CLIENT_KUBE_CONFIG_H_
