#include "k8s/client/http_client_config.h"

#include <chrono>

namespace dlkit::k8s {

web::http::client::http_client_config HttpClientConfig(const KubeConfig& config,
                                                       absl::Duration timeout) {
  web::http::client::http_client_config http_config;
  http_config.set_timeout(std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  http_config.set_validate_certificates(!config.insecure_skip_tls_verify);
  // Runs when a TLS connection is set up; cpprest reports what it throws as a failed call.
  http_config.set_ssl_context_callback([config](boost::asio::ssl::context& context) {
    if (!config.ca_file.empty()) context.load_verify_file(config.ca_file);
    if (!config.ca_data.empty()) {
      context.add_certificate_authority(boost::asio::buffer(config.ca_data));
    }
    if (!config.client_certificate_data.empty()) {
      context.use_certificate_chain(boost::asio::buffer(config.client_certificate_data));
      context.use_private_key(boost::asio::buffer(config.client_key_data),
                              boost::asio::ssl::context::pem);
    }
  });
  return http_config;
}

}  // namespace dlkit::k8s
