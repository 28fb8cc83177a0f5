#include "k8s/client/resource_type.h"

#include <catch2/catch.hpp>

namespace dlkit::k8s {
namespace {

TEST_CASE("core resources live under /api/v1, the others under /apis") {
  CHECK(kPod.CollectionPath("ns") == "/api/v1/namespaces/ns/pods");
  CHECK(kPod.CollectionPath("") == "/api/v1/pods");
  CHECK(kJob.ObjectPath("ns", "trial-1") == "/apis/batch/v1/namespaces/ns/jobs/trial-1");
  CHECK(kPyTorchJob.ObjectPath("ns", "t", "status") ==
        "/apis/kubeflow.org/v1/namespaces/ns/pytorchjobs/t/status");
  CHECK(kJob.group() == "batch");
  CHECK(kPod.group().empty());
  CHECK(kTFJob.version() == "v1");
  const ResourceType cluster_scoped{"v1", "Namespace", "namespaces", /*namespaced=*/false};
  CHECK(cluster_scoped.ObjectPath("ignored", "x") == "/api/v1/namespaces/x");
}

}  // namespace
}  // namespace dlkit::k8s
