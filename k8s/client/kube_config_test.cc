#include "k8s/client/kube_config.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"

namespace dlkit::k8s {
namespace {

namespace fs = std::filesystem;

constexpr char kCaPem[] = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("kube_config_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void Write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

std::string Kubeconfig() {
  return "apiVersion: v1\n"
         "kind: Config\n"
         "current-context: dev\n"
         "clusters:\n"
         "- name: prod-cluster\n"
         "  cluster:\n"
         "    server: https://prod.example:6443\n"
         "    certificate-authority: prod-ca.crt\n"
         "- name: dev-cluster\n"
         "  cluster:\n"
         "    server: https://10.0.0.1:6443\n"
         "    certificate-authority-data: " +
         absl::Base64Escape(kCaPem) +
         "\n"
         "users:\n"
         "- name: dev-user\n"
         "  user:\n"
         "    token: dev-token\n"
         "- name: prod-user\n"
         "  user:\n"
         "    tokenFile: prod.token\n"
         "- name: sso-user\n"
         "  user:\n"
         "    exec:\n"
         "      command: get-token\n"
         "contexts:\n"
         "- name: dev\n"
         "  context: {cluster: dev-cluster, user: dev-user, namespace: tuning}\n"
         "- name: prod\n"
         "  context: {cluster: prod-cluster, user: prod-user}\n"
         "- name: sso\n"
         "  context: {cluster: dev-cluster, user: sso-user}\n";
}

TEST_CASE("kubeconfig: the current context's server, CA data, token and namespace") {
  const fs::path dir = FreshDir("current");
  Write(dir / "config", Kubeconfig());
  absl::StatusOr<KubeConfig> config = KubeConfig::FromKubeconfig((dir / "config").string());
  REQUIRE(config.ok());
  CHECK(config->server == "https://10.0.0.1:6443");
  CHECK(config->ca_data == kCaPem);
  CHECK(config->token == "dev-token");
  CHECK(config->default_namespace == "tuning");
}

TEST_CASE("kubeconfig: a named context; files relative to the kubeconfig") {
  const fs::path dir = FreshDir("named");
  Write(dir / "config", Kubeconfig());
  Write(dir / "prod-ca.crt", "prod CA");
  absl::StatusOr<KubeConfig> config = KubeConfig::FromKubeconfig((dir / "config").string(), "prod");
  REQUIRE(config.ok());
  CHECK(config->server == "https://prod.example:6443");
  CHECK(config->ca_data == "prod CA");
  CHECK(config->token_file == (dir / "prod.token").string());
  CHECK(config->default_namespace == "default");
}

TEST_CASE("kubeconfig: clear errors") {
  const fs::path dir = FreshDir("errors");
  Write(dir / "config", Kubeconfig());
  const std::string path = (dir / "config").string();
  CHECK(KubeConfig::FromKubeconfig(path, "nope").status().code() == absl::StatusCode::kNotFound);
  absl::Status plugin = KubeConfig::FromKubeconfig(path, "sso").status();
  CHECK(plugin.code() == absl::StatusCode::kUnimplemented);
  CHECK(absl::StrContains(plugin.message(), "exec"));
  CHECK(KubeConfig::FromKubeconfig((dir / "missing").string()).status().code() ==
        absl::StatusCode::kNotFound);
  Write(dir / "bad", "clusters: [unclosed\n");
  CHECK(KubeConfig::FromKubeconfig((dir / "bad").string()).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("in-cluster: service host and the mounted service account") {
  const fs::path dir = FreshDir("in_cluster");
  Write(dir / "token", "sa-token\n");
  Write(dir / "ca.crt", kCaPem);
  Write(dir / "namespace", "experiments");

  unsetenv("KUBERNETES_SERVICE_HOST");
  CHECK(KubeConfig::FromInCluster(dir.string()).status().code() ==
        absl::StatusCode::kFailedPrecondition);

  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  absl::StatusOr<KubeConfig> config = KubeConfig::FromInCluster(dir.string());
  REQUIRE(config.ok());
  CHECK(config->server == "https://10.96.0.1:443");
  CHECK(config->token == "sa-token");
  CHECK(config->token_file == (dir / "token").string());
  CHECK(config->ca_file == (dir / "ca.crt").string());
  CHECK(config->default_namespace == "experiments");

  setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  CHECK(KubeConfig::FromInCluster(dir.string())->server == "https://[fd00::1]:443");

  fs::remove(dir / "token");
  CHECK(KubeConfig::FromInCluster(dir.string()).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace dlkit::k8s
