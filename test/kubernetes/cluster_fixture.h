#ifndef DLKIT_TEST_KUBERNETES_CLUSTER_FIXTURE_H_
#define DLKIT_TEST_KUBERNETES_CLUSTER_FIXTURE_H_

// What the Kubernetes tests share: the fake API server with the rest of a cluster around
// it (fake_cluster.h), a client of it, waiting for conditions, and the API calls every test
// made, for the RBAC check (rbac_test.cc).

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/testing/wait_for.h"
#include "k8s/client/kube_client.h"
#include "k8s/testing/fake_kube_apiserver/fake_kube_apiserver.h"
#include "test/kubernetes/fake_cluster.h"

namespace dlkit::testing {

inline std::string Runfile(const std::string& path) {
  const char* root = std::getenv("TEST_SRCDIR");
  REQUIRE(root != nullptr);
  return std::string(root) + "/dlkit/" + path;
}

inline std::string TempDir(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + ".XXXXXX";
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

// Every API call the code under test made, over all the tests of this binary.
std::vector<fake_kube::ApiCall>& RecordedCalls();

// A fake API server, a client of it, and the cluster's controllers and kubelet.
struct KubeFixture {
  KubeFixture() {
    auto started = fake_kube::FakeKubeApiServer::Start();
    REQUIRE(started.ok());
    server = std::move(started).value();
    k8s::KubeConfig config;
    config.server = server->url();
    k8s::KubeClientOptions client_options;
    client_options.retry.initial_backoff = absl::Milliseconds(20);
    auto made = k8s::KubeClient::New(config, client_options);
    REQUIRE(made.ok());
    client = std::shared_ptr<k8s::KubeClient>(std::move(made).value());
    work_dir = TempDir("dlkit-k8s-test");
  }
  ~KubeFixture() {
    cluster.reset();
    for (const fake_kube::ApiCall& call : server->Calls()) RecordedCalls().push_back(call);
  }

  // `manager_address`: where trials' Reporters find the test's own Manager; null when the
  // cluster runs the Launcher's Experiment pods (real dlkit-manager and dlkit-tuner).
  void StartCluster(std::function<std::string()> manager_address,
                    std::function<TrialFate(int64_t)> fate = nullptr) {
    FakeCluster::Options options;
    if (!manager_address) {
      options.manager_binary = Runfile("services/daemon/dlkit-manager");
      options.tuner_binary = Runfile("services/tuner/dlkit-tuner");
    }
    options.reporter_binary = Runfile("services/reporter/dlkit-reporter");
    options.python_path = Runfile("client/python");
    options.work_dir = work_dir;
    options.manager_address = std::move(manager_address);
    if (fate) options.fate = std::move(fate);
    cluster = std::make_unique<FakeCluster>(server.get(), options);
  }

  int CountCalls(const std::string& verb, const std::string& resource) {
    int n = 0;
    for (const fake_kube::ApiCall& call : server->Calls()) {
      n += call.verb == verb && call.resource == resource && call.subresource.empty();
    }
    return n;
  }

  std::unique_ptr<fake_kube::FakeKubeApiServer> server;
  std::shared_ptr<k8s::KubeClient> client;
  std::string work_dir;
  std::unique_ptr<FakeCluster> cluster;
};

}  // namespace dlkit::testing

#endif  // DLKIT_TEST_KUBERNETES_CLUSTER_FIXTURE_H_
