#ifndef DLKIT_K8S_CLIENT_KUBE_CLIENT_TEST_SUPPORT_H_
#define DLKIT_K8S_CLIENT_KUBE_CLIENT_TEST_SUPPORT_H_

// A fake API server and a client of it, and small objects to create.

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "k8s/client/kube_client.h"
#include "k8s/testing/fake_kube_apiserver/fake_kube_apiserver.h"

namespace dlkit::k8s {

inline constexpr char kNamespace[] = "dlkit-test";

struct Cluster {
  std::unique_ptr<fake_kube::FakeKubeApiServer> server;
  std::unique_ptr<KubeClient> client;
};

// Retries quickly, so tests of retrying stay fast.
inline RetryPolicy FastRetry() {
  RetryPolicy retry;
  retry.max_attempts = 4;
  retry.initial_backoff = absl::Milliseconds(5);
  retry.max_backoff = absl::Milliseconds(20);
  return retry;
}

inline Cluster StartCluster(fake_kube::FakeKubeApiServerOptions server_options = {}) {
  Cluster cluster;
  auto server = fake_kube::FakeKubeApiServer::Start(server_options);
  REQUIRE(server.ok());
  cluster.server = *std::move(server);
  KubeConfig config;
  config.server = cluster.server->url();
  config.token = "test-token";
  KubeClientOptions options;
  options.retry = FastRetry();
  options.request_timeout = absl::Seconds(10);
  auto client = KubeClient::New(config, options);
  REQUIRE(client.ok());
  cluster.client = *std::move(client);
  return cluster;
}

inline nlohmann::json ConfigMap(const std::string& name,
                                nlohmann::json labels = nlohmann::json::object()) {
  return {{"metadata", {{"name", name}, {"labels", std::move(labels)}}},
          {"data", {{"spec.json", "{}"}}}};
}

inline nlohmann::json PodSpec(const std::string& container_name) {
  nlohmann::json spec;
  spec["containers"] = nlohmann::json::array();
  spec["containers"].push_back({{"name", container_name}, {"image", "python:3"}});
  return spec;
}

inline nlohmann::json Pod(const std::string& name) {
  nlohmann::json pod;
  pod["metadata"]["name"] = name;
  pod["spec"] = PodSpec("trial");
  return pod;
}

inline nlohmann::json TrialJob(const std::string& name) {
  nlohmann::json job;
  job["metadata"] = {{"name", name}, {"labels", {{"app", "dlkit"}}}};
  job["spec"]["backoffLimit"] = 0;
  job["spec"]["template"]["spec"] = PodSpec("trial");
  job["spec"]["template"]["spec"]["restartPolicy"] = "Never";
  return job;
}

inline nlohmann::json PyTorchJob(const std::string& name, const std::string& container_name) {
  nlohmann::json job;
  job["metadata"]["name"] = name;
  nlohmann::json& master = job["spec"]["pytorchReplicaSpecs"]["Master"];
  master["replicas"] = 1;
  master["restartPolicy"] = "OnFailure";
  master["template"]["spec"] = PodSpec(container_name);
  return job;
}

inline std::string NameOf(const nlohmann::json& object) {
  return object.value("/metadata/name"_json_pointer, "");
}

inline std::string VersionOf(const nlohmann::json& object) {
  return object.value("/metadata/resourceVersion"_json_pointer, "");
}

}  // namespace dlkit::k8s

#endif  // DLKIT_K8S_CLIENT_KUBE_CLIENT_TEST_SUPPORT_H_
