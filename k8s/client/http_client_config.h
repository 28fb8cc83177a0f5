#ifndef DLKIT_K8S_CLIENT_HTTP_CLIENT_CONFIG_H_
#define DLKIT_K8S_CLIENT_HTTP_CLIENT_CONFIG_H_

// cpprest settings for talking to the API server: TLS trust and client certificate from the
// KubeConfig, and the timeout (which cpprest applies to each wait for data, not the call).

#include <cpprest/http_client.h>

#include "absl/time/time.h"
#include "k8s/client/kube_config.h"

namespace dlkit::k8s {

web::http::client::http_client_config HttpClientConfig(const KubeConfig& config,
                                                       absl::Duration timeout);

}  // namespace dlkit::k8s

#endif  // DLKIT_K8S_CLIENT_HTTP_CLIENT_CONFIG_H_
