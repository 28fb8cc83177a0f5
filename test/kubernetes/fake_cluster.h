#ifndef DLKIT_TEST_KUBERNETES_FAKE_CLUSTER_H_
#define DLKIT_TEST_KUBERNETES_FAKE_CLUSTER_H_

// The rest of a cluster around test/fake_kube_apiserver: the Job controller, the Kubeflow
// training operator and the kubelet, played by one polling thread that works on the fake's
// store directly (so none of its work shows in Calls(), which stay the code under test's).
//
// For each trial object (Job, PyTorchJob, TFJob) it creates the pods (labels of the
// template plus job-name / training.kubeflow.org/*, owned by the object), then gives each
// trial the fate the test picked by trial index:
// - kRun: the master pod's container really runs on this machine: its command (the real
//   dlkit-reporter) with its args and env, the Manager's Service address rewritten to the
//   test's Manager, and files under a temp folder. When it exits the pod and the object
//   get the status the controllers would write (Complete/Succeeded or Failed).
// - kHang: pods Running, nothing runs (no Reporter ever calls).
// - kOomKilled: the master container terminated OOMKilled, then the object Failed.
// - kUnschedulable: pods Pending with PodScheduled=False/Unschedulable.
// - kImagePullBackOff: the container waits in ImagePullBackOff.
// - kEvicted: the pod Failed with reason Evicted (node pressure).
// Processes whose pod was deleted are killed, as the kubelet would.
//
// Experiment pods (label dlkit.io/component=experiment, made by the Launcher) run for real
// too, when `manager_binary` is set: their `manager` and `tuner` containers' commands with
// the ConfigMap mounted at --config, a kubeconfig for this fake API server instead of the
// pod's service account, and loopback ports for the pod's addresses. The cluster's DNS:
// Endpoint() maps a Service address ("dlkit-ID.NS.svc:9871") to where its Manager listens.

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "k8s/testing/fake_kube_apiserver/fake_kube_apiserver.h"
#include "nlohmann/json.hpp"

namespace dlkit::testing {

enum class TrialFate { kRun, kHang, kOomKilled, kUnschedulable, kImagePullBackOff, kEvicted };

class FakeCluster {
 public:
  struct Options {
    std::string reporter_binary;  // what "dlkit-reporter" in a container means here
    std::string python_path;      // the dlkit package on this machine
    std::string work_dir;         // per-pod logs and outputs
    std::function<std::string()> manager_address;  // the test's Manager, once it listens
    std::function<TrialFate(int64_t index)> fate = [](int64_t) { return TrialFate::kRun; };
    std::string manager_binary;  // dlkit-manager, to run Experiment pods; "" for none
    std::string tuner_binary;    // dlkit-tuner
  };

  FakeCluster(fake_kube::FakeKubeApiServer* server, Options options);
  ~FakeCluster();  // stops the thread, kills what still runs

  // Problems the controllers met (a status they could not write...), for the test to check.
  std::vector<std::string> errors();
  int running_processes();
  // Every trial object given pods so far, as first seen.
  std::vector<nlohmann::json> trial_objects();
  // The loopback address serving a Service address (one is picked the first time).
  std::string Endpoint(const std::string& service_address);

 private:
  struct Process {
    pid_t pid;
    std::string pod;
    std::string owner_resource;  // "jobs", "pytorchjobs", "tfjobs"
    std::string owner_name;
    std::vector<std::string> worker_pods;
    bool experiment_pod = false;  // a Launcher-made pod: nothing to report when it ends
  };

  void Loop();
  void Step();
  void StartPods(const std::string& resource, const nlohmann::json& object);
  void RunContainer(const std::string& resource, const nlohmann::json& object,
                    const nlohmann::json& pod, std::vector<std::string> workers);
  void RunExperimentPod(const nlohmann::json& pod);
  void Finished(const Process& process, int wait_status);
  void Error(const std::string& message);
  // Writes an object's status as its controller would. An object deleted meanwhile (a
  // killed trial) is fine; any other failure is recorded as an error of the test's cluster.
  void SetStatus(const std::string& resource, const std::string& ns, const std::string& name,
                 const nlohmann::json& status);

  fake_kube::FakeKubeApiServer* const server_;
  const Options options_;
  std::set<std::string> handled_;   // uids of trial objects given pods (Loop thread only)
  std::vector<Process> processes_;  // Loop thread only

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> errors_ ABSL_GUARDED_BY(mu_);
  std::vector<nlohmann::json> objects_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> endpoints_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace dlkit::testing

#endif  // DLKIT_TEST_KUBERNETES_FAKE_CLUSTER_H_
