#include "k8s/client/kube_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dlkit::k8s {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// The entry of a kubeconfig list (clusters, users, contexts) called `name`.
const YAML::Node FindNamed(const YAML::Node& list, const std::string& name) {
  if (!list.IsSequence()) return YAML::Node();
  for (const YAML::Node& entry : list) {
    if (entry["name"] && entry["name"].as<std::string>() == name) return entry;
  }
  return YAML::Node();
}

std::string StringField(const YAML::Node& node, const char* key) {
  return node && node[key] ? node[key].as<std::string>() : "";
}

// A path in a kubeconfig is relative to the file's directory.
std::string ResolvePath(const std::string& kubeconfig_path, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(kubeconfig_path).parent_path() / path).string();
}

// "-data" fields hold base64 PEM; the plain field names a file.
absl::StatusOr<std::string> InlineOrFile(const YAML::Node& node, const std::string& key,
                                         const std::string& kubeconfig_path) {
  if (const std::string data = StringField(node, (key + "-data").c_str()); !data.empty()) {
    std::string decoded;
    if (!absl::Base64Unescape(data, &decoded)) {
      return absl::InvalidArgumentError(
          absl::StrCat(kubeconfig_path, ": ", key, "-data is not base64"));
    }
    return decoded;
  }
  const std::string file = StringField(node, key.c_str());
  if (file.empty()) return std::string();
  return ReadFile(ResolvePath(kubeconfig_path, file));
}

absl::StatusOr<KubeConfig> ParseKubeconfig(const YAML::Node& root, const std::string& path,
                                           const std::string& requested_context) {
  const std::string context_name =
      requested_context.empty() ? StringField(root, "current-context") : requested_context;
  if (context_name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " has no current-context; name a context"));
  }
  const YAML::Node context_entry = FindNamed(root["contexts"], context_name);
  if (!context_entry) {
    return absl::NotFoundError(absl::StrCat(path, " has no context '", context_name, "'"));
  }
  const YAML::Node context = context_entry["context"];
  const std::string cluster_name = StringField(context, "cluster");
  const YAML::Node cluster = FindNamed(root["clusters"], cluster_name)["cluster"];
  if (!cluster || StringField(cluster, "server").empty()) {
    return absl::NotFoundError(absl::StrCat(path, ": context '", context_name, "' names cluster '",
                                            cluster_name, "', which is missing or has no server"));
  }
  KubeConfig config;
  config.server = StringField(cluster, "server");
  config.insecure_skip_tls_verify =
      cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>();
  if (const std::string ns = StringField(context, "namespace"); !ns.empty()) {
    config.default_namespace = ns;
  }
  absl::StatusOr<std::string> ca = InlineOrFile(cluster, "certificate-authority", path);
  if (!ca.ok()) return ca.status();
  config.ca_data = *std::move(ca);

  const std::string user_name = StringField(context, "user");
  const YAML::Node user = FindNamed(root["users"], user_name)["user"];
  if (!user) return config;  // anonymous
  if (user["exec"] || user["auth-provider"]) {
    return absl::UnimplementedError(absl::StrCat(
        path, ": user '", user_name,
        "' gets credentials from an exec or auth-provider plugin, which dlkit does not run; "
        "use a kubeconfig with a token (e.g. a service account's) or a client certificate"));
  }
  config.token = StringField(user, "token");
  config.token_file = ResolvePath(path, StringField(user, "tokenFile"));
  absl::StatusOr<std::string> cert = InlineOrFile(user, "client-certificate", path);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = InlineOrFile(user, "client-key", path);
  if (!key.ok()) return key.status();
  config.client_certificate_data = *std::move(cert);
  config.client_key_data = *std::move(key);
  return config;
}

}  // namespace

absl::StatusOr<KubeConfig> KubeConfig::FromInCluster(const std::string& service_account_dir) {
  const std::string host = EnvOrEmpty("KUBERNETES_SERVICE_HOST");
  const std::string port = EnvOrEmpty("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return absl::FailedPreconditionError(
        "not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST/PORT are not set");
  }
  KubeConfig config;
  const bool ipv6 = host.find(':') != std::string::npos;
  config.server = absl::StrCat("https://", ipv6 ? "[" : "", host, ipv6 ? "]" : "", ":", port);
  config.token_file = absl::StrCat(service_account_dir, "/token");
  absl::StatusOr<std::string> token = ReadFile(config.token_file);
  if (!token.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no service-account token (automountServiceAccountToken off?): ",
                     token.status().message()));
  }
  config.token = std::string(absl::StripAsciiWhitespace(*token));
  config.ca_file = absl::StrCat(service_account_dir, "/ca.crt");
  if (absl::StatusOr<std::string> ns = ReadFile(absl::StrCat(service_account_dir, "/namespace"));
      ns.ok() && !absl::StripAsciiWhitespace(*ns).empty()) {
    config.default_namespace = std::string(absl::StripAsciiWhitespace(*ns));
  }
  return config;
}

absl::StatusOr<KubeConfig> KubeConfig::FromKubeconfig(const std::string& path,
                                                      const std::string& context) {
  try {
    return ParseKubeconfig(YAML::LoadFile(path), path, context);
  } catch (const YAML::BadFile&) {
    return absl::NotFoundError(absl::StrCat("cannot read kubeconfig ", path));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", path, ": ", e.what()));
  }
}

std::string DefaultKubeconfigPath() {
  const std::string env = EnvOrEmpty("KUBECONFIG");
  if (!env.empty()) return std::vector<std::string>(absl::StrSplit(env, ':')).front();
  return absl::StrCat(EnvOrEmpty("HOME"), "/.kube/config");
}

}  // namespace dlkit::k8s
