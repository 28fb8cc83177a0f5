// KubeClient against the fake API server: objects, errors and retries.

#include "k8s/client/kube_client.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "k8s/client/kube_client_test_support.h"

namespace dlkit::k8s {
namespace {

using nlohmann::json;

TEST_CASE("create, get, list and delete round trip") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;

  absl::StatusOr<json> created = client.Create(kConfigMap, kNamespace, ConfigMap("spec"));
  REQUIRE(created.ok());
  CHECK(NameOf(*created) == "spec");
  CHECK((*created)["metadata"]["namespace"] == kNamespace);
  CHECK_FALSE((*created)["metadata"].value("uid", "").empty());
  CHECK_FALSE((*created)["metadata"].value("creationTimestamp", "").empty());
  CHECK_FALSE(VersionOf(*created).empty());

  absl::StatusOr<json> fetched = client.Get(kConfigMap, kNamespace, "spec");
  REQUIRE(fetched.ok());
  CHECK(*fetched == *created);

  REQUIRE(client.Create(kConfigMap, kNamespace, ConfigMap("other")).ok());
  absl::StatusOr<ObjectList> list = client.List(kConfigMap, kNamespace);
  REQUIRE(list.ok());
  REQUIRE(list->items.size() == 2);
  CHECK(NameOf(list->items[1]) == "spec");
  CHECK(list->resource_version >= VersionOf(*created));
  CHECK(client.List(kConfigMap, "elsewhere")->items.empty());

  REQUIRE(client.Delete(kConfigMap, kNamespace, "spec").ok());
  absl::Status gone = client.Get(kConfigMap, kNamespace, "spec").status();
  CHECK(gone.code() == absl::StatusCode::kNotFound);
  CHECK(absl::StrContains(gone.message(), "configmaps \"spec\" not found"));
  CHECK(client.Delete(kConfigMap, kNamespace, "spec").code() == absl::StatusCode::kNotFound);
}

TEST_CASE("a duplicate name is AlreadyExists with the API's message") {
  Cluster cluster = StartCluster();
  REQUIRE(cluster.client->Create(kJob, kNamespace, TrialJob("trial-1")).ok());
  absl::Status duplicate = cluster.client->Create(kJob, kNamespace, TrialJob("trial-1")).status();
  CHECK(duplicate.code() == absl::StatusCode::kAlreadyExists);
  CHECK(absl::StrContains(duplicate.message(), "jobs.batch \"trial-1\" already exists"));
  CHECK(absl::StrContains(duplicate.message(), "409 AlreadyExists"));
}

TEST_CASE("invalid objects are 422 InvalidArgument; generateName names them") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  absl::Status unnamed = client.Create(kConfigMap, kNamespace, {{"data", json::object()}}).status();
  CHECK(unnamed.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(unnamed.message(), "metadata.name: Required value"));
  CHECK(absl::StrContains(unnamed.message(), "422 Invalid"));

  CHECK(client.Create(kConfigMap, kNamespace, ConfigMap("Not_A_Name")).status().code() ==
        absl::StatusCode::kInvalidArgument);
  json always_restart = TrialJob("t");
  always_restart["spec"]["template"]["spec"]["restartPolicy"] = "Always";
  absl::Status restart = client.Create(kJob, kNamespace, always_restart).status();
  CHECK(absl::StrContains(restart.message(), "spec.template.spec.restartPolicy"));

  absl::StatusOr<json> generated =
      client.Create(kConfigMap, kNamespace, {{"metadata", {{"generateName", "trial-"}}}});
  REQUIRE(generated.ok());
  CHECK(absl::StartsWith(NameOf(*generated), "trial-"));
  CHECK(NameOf(*generated).size() == 11);
}

TEST_CASE("an update with a stale resourceVersion is Aborted") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  absl::StatusOr<json> original = client.Create(kConfigMap, kNamespace, ConfigMap("spec"));
  REQUIRE(original.ok());

  json first = *original;
  first["data"]["spec.json"] = R"({"v":1})";
  absl::StatusOr<json> updated = client.Replace(kConfigMap, kNamespace, first);
  REQUIRE(updated.ok());
  CHECK(VersionOf(*updated) != VersionOf(*original));

  json stale = *original;  // still carries the old resourceVersion
  stale["data"]["spec.json"] = R"({"v":2})";
  absl::Status conflict = client.Replace(kConfigMap, kNamespace, stale).status();
  CHECK(conflict.code() == absl::StatusCode::kAborted);
  CHECK(absl::StrContains(conflict.message(), "the object has been modified"));
  CHECK((*client.Get(kConfigMap, kNamespace, "spec"))["data"]["spec.json"] == R"({"v":1})");

  // A merge patch naming the old version is refused the same way.
  json patch = {{"metadata", {{"resourceVersion", VersionOf(*original)}}}, {"data", {{"x", "y"}}}};
  CHECK(client.MergePatch(kConfigMap, kNamespace, "spec", patch).status().code() ==
        absl::StatusCode::kAborted);
  patch["metadata"].erase("resourceVersion");
  CHECK((*client.MergePatch(kConfigMap, kNamespace, "spec", patch))["data"]["x"] == "y");
}

TEST_CASE("status is written only through the status subresource") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  REQUIRE(client.Create(kJob, kNamespace, TrialJob("trial-1")).ok());

  // The controller's view: the test writes status as the Job controller would.
  REQUIRE(cluster.server->SetStatus("jobs", kNamespace, "trial-1", {{"active", 1}}).ok());
  json job = *client.Get(kJob, kNamespace, "trial-1");
  CHECK(job["status"] == json{{"active", 1}});

  job["status"] = {{"succeeded", 1}};
  job["spec"]["backoffLimit"] = 3;
  json main = *client.Replace(kJob, kNamespace, job);
  CHECK(main["status"] == json{{"active", 1}});  // ignored on the main resource
  CHECK(main["spec"]["backoffLimit"] == 3);
  CHECK(main["metadata"]["generation"] == 2);

  main["status"] = {{"succeeded", 1}};
  main["spec"]["backoffLimit"] = 9;
  json status = *client.Replace(kJob, kNamespace, main, "status");
  CHECK(status["status"] == json{{"succeeded", 1}});
  CHECK(status["spec"]["backoffLimit"] == 3);  // ignored on /status

  json patched =
      *client.MergePatch(kJob, kNamespace, "trial-1", {{"status", {{"failed", 1}}}}, "status");
  CHECK(patched["status"] == json{{"succeeded", 1}, {"failed", 1}});
  CHECK((*client.MergePatch(kJob, kNamespace, "trial-1", {{"status", nullptr}}))["status"] ==
        patched["status"]);
}

TEST_CASE("lists filter by label selector") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  for (int trial = 1; trial <= 3; ++trial) {
    REQUIRE(client
                .Create(kConfigMap, kNamespace,
                        ConfigMap("trial-" + std::to_string(trial),
                                  {{"app", "dlkit"}, {"trial", std::to_string(trial)}}))
                .ok());
  }
  REQUIRE(client.Create(kConfigMap, kNamespace, ConfigMap("unrelated", {{"app", "other"}})).ok());

  auto names = [&](const std::string& selector) {
    std::vector<std::string> result;
    const absl::StatusOr<ObjectList> list = client.List(kConfigMap, kNamespace, selector);
    for (const json& item : list->items) result.push_back(NameOf(item));
    return result;
  };
  CHECK(names("app=dlkit").size() == 3);
  CHECK(names("app=dlkit,trial=2") == std::vector<std::string>{"trial-2"});
  CHECK(names("trial in (1,3)") == std::vector<std::string>{"trial-1", "trial-3"});
  CHECK(names("!trial") == std::vector<std::string>{"unrelated"});
  CHECK(client.List(kConfigMap, kNamespace, "a in b").status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("429 and 500 are retried until they pass") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  const std::string path = kConfigMap.CollectionPath(kNamespace);

  cluster.server->FailNext("POST", path, 429, /*times=*/2, /*retry_after_seconds=*/0);
  REQUIRE(client.Create(kConfigMap, kNamespace, ConfigMap("spec")).ok());

  cluster.server->FailNext("GET", path, 500, /*times=*/3);  // 4 attempts: the last passes
  REQUIRE(client.Get(kConfigMap, kNamespace, "spec").ok());

  // The server's Retry-After is honoured.
  cluster.server->FailNext("GET", path, 429, 1, /*retry_after_seconds=*/1);
  const absl::Time start = absl::Now();
  REQUIRE(client.Get(kConfigMap, kNamespace, "spec").ok());
  CHECK(absl::Now() - start >= absl::Milliseconds(900));
}

TEST_CASE("retries give up after the last attempt with a clear error") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  const std::string path = kConfigMap.CollectionPath(kNamespace);

  cluster.server->FailNext("GET", path, 500, /*times=*/10);
  absl::Status status = client.Get(kConfigMap, kNamespace, "spec").status();
  CHECK(status.code() == absl::StatusCode::kInternal);
  CHECK(absl::StrContains(status.message(), "gave up after 4 attempts"));
  CHECK(absl::StrContains(status.message(), "HTTP 500"));

  // A create may have happened before a 500: it is not repeated.
  const size_t before = cluster.server->Calls().size();
  cluster.server->FailNext("POST", path, 503, 1);
  CHECK(client.Create(kConfigMap, kNamespace, ConfigMap("x")).status().code() ==
        absl::StatusCode::kUnavailable);
  CHECK(cluster.server->Calls().size() == before + 1);
}

TEST_CASE("an unreachable server is Unavailable after the retries") {
  KubeConfig config;
  {
    Cluster cluster = StartCluster();
    config.server = cluster.server->url();
  }  // stopped: nothing listens there now
  KubeClientOptions options;
  options.retry = FastRetry();
  std::unique_ptr<KubeClient> client = *KubeClient::New(config, options);
  absl::Status status = client->Get(kPod, kNamespace, "x").status();
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(status.message(), "gave up after 4 attempts"));
}

TEST_CASE("deleting an owner deletes its dependents; finalizers hold deletion") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  json owner = *client.Create(kConfigMap, kNamespace, ConfigMap("experiment"));
  const json owner_reference = {{"apiVersion", "v1"},
                                {"kind", "ConfigMap"},
                                {"name", "experiment"},
                                {"uid", owner["metadata"]["uid"]}};
  json job = TrialJob("trial-1");
  job["metadata"]["ownerReferences"] = json::array({owner_reference});
  json created_job = *client.Create(kJob, kNamespace, job);
  json pod = Pod("trial-1-pod");
  pod["metadata"]["ownerReferences"] = json::array();
  pod["metadata"]["ownerReferences"].push_back({{"apiVersion", "batch/v1"},
                                                {"kind", "Job"},
                                                {"name", "trial-1"},
                                                {"uid", created_job["metadata"]["uid"]}});
  REQUIRE(client.Create(kPod, kNamespace, pod).ok());
  json held = ConfigMap("held");
  held["metadata"]["ownerReferences"] = json::array({owner_reference});
  held["metadata"]["finalizers"] = json::array({"dlkit.io/keep"});
  REQUIRE(client.Create(kConfigMap, kNamespace, held).ok());

  REQUIRE(client.Delete(kConfigMap, kNamespace, "experiment").ok());
  CHECK(client.Get(kJob, kNamespace, "trial-1").status().code() == absl::StatusCode::kNotFound);
  CHECK(client.Get(kPod, kNamespace, "trial-1-pod").status().code() == absl::StatusCode::kNotFound);

  // The finalizer keeps it, marked for deletion, until it is removed.
  json marked = *client.Get(kConfigMap, kNamespace, "held");
  CHECK(marked["metadata"].contains("deletionTimestamp"));
  REQUIRE(
      client.MergePatch(kConfigMap, kNamespace, "held", {{"metadata", {{"finalizers", nullptr}}}})
          .ok());
  CHECK(client.Get(kConfigMap, kNamespace, "held").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("Orphan keeps the dependents and drops their owner reference") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  json owner = *client.Create(kConfigMap, kNamespace, ConfigMap("experiment"));
  json dependent = ConfigMap("dependent");
  dependent["metadata"]["ownerReferences"] = json::array();
  dependent["metadata"]["ownerReferences"].push_back({{"apiVersion", "v1"},
                                                      {"kind", "ConfigMap"},
                                                      {"name", "experiment"},
                                                      {"uid", owner["metadata"]["uid"]}});
  REQUIRE(client.Create(kConfigMap, kNamespace, dependent).ok());
  REQUIRE(client.Delete(kConfigMap, kNamespace, "experiment", PropagationPolicy::kOrphan).ok());
  absl::StatusOr<json> kept = client.Get(kConfigMap, kNamespace, "dependent");
  REQUIRE(kept.ok());
  CHECK((*kept)["metadata"]["ownerReferences"].empty());
}

TEST_CASE("the server records each call in RBAC terms") {
  Cluster cluster = StartCluster();
  KubeClient& client = *cluster.client;
  REQUIRE(client.Create(kPyTorchJob, kNamespace, PyTorchJob("t", "pytorch")).ok());
  REQUIRE(client
              .MergePatch(kPyTorchJob, kNamespace, "t",
                          {{"status", {{"conditions", json::array()}}}}, "status")
              .ok());
  REQUIRE(client.List(kPyTorchJob, kNamespace).ok());
  REQUIRE(client.Delete(kPyTorchJob, kNamespace, "t").ok());
  using fake_kube::ApiCall;
  CHECK(cluster.server->Calls() ==
        std::vector<ApiCall>{{"create", "kubeflow.org", "pytorchjobs", "", kNamespace},
                             {"patch", "kubeflow.org", "pytorchjobs", "status", kNamespace},
                             {"list", "kubeflow.org", "pytorchjobs", "", kNamespace},
                             {"delete", "kubeflow.org", "pytorchjobs", "", kNamespace}});
  // The operator's rule: the container is named "pytorch".
  absl::Status unnamed = client.Create(kPyTorchJob, kNamespace, PyTorchJob("u", "main")).status();
  CHECK(unnamed.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(unnamed.message(), "no container named pytorch"));
}

}  // namespace
}  // namespace dlkit::k8s
