#include "services/kubernetes/kubernetes_experiments.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "grpcpp/grpcpp.h"
#include "services/common/grpc_status.h"
#include "services/config/config_export.h"
#include "services/config/experiment_config.h"
#include "services/kubernetes/labels.h"

namespace dlkit {
namespace {

using Json = nlohmann::json;

constexpr char kSpecKey[] = "spec.json";
constexpr char kSpecDir[] = "/etc/dlkit";
constexpr char kStoreDir[] = "/var/lib/dlkit";

Json Metadata(const std::string& name, const std::string& ns, const std::string& id,
              const std::string& component, const Json& owner) {
  Json metadata = {{"name", name}, {"namespace", ns}, {"labels", DlkitLabels(id, component)}};
  if (!owner.is_null()) metadata["ownerReferences"] = Json::array({owner});
  return metadata;
}

// AlreadyExists is fine for a retried submit of the same experiment (same id): the object
// is this experiment's.
absl::Status CreateOnce(k8s::KubeClient& client, const k8s::ResourceType& type,
                        const std::string& ns, const Json& object) {
  absl::StatusOr<Json> created = client.Create(type, ns, object);
  if (created.ok() || absl::IsAlreadyExists(created.status())) return absl::OkStatus();
  return absl::Status(
      created.status().code(),
      absl::StrCat("cannot create ", type.kind, " ", object["metadata"].value("name", ""),
                   " in namespace ", ns, ": ", created.status().message()));
}

}  // namespace

KubernetesExperiments::KubernetesExperiments(std::shared_ptr<k8s::KubeClient> client,
                                             Options options)
    : client_(std::move(client)), options_(std::move(options)) {}

std::string KubernetesExperiments::ManagerAddress(const std::string& ns,
                                                  const std::string& id) const {
  return absl::StrCat(RootName(id), ".", ns, ".svc:", options_.manager_port);
}

Json KubernetesExperiments::ExperimentPod(const std::string& id, const v1::ExperimentSpec& spec,
                                          const Json& owner) const {
  const v1::KubernetesService& k8s = spec.training_service().kubernetes();
  const std::string ns = k8s.namespace_();
  const std::string name = RootName(id);
  Json store_volume = {{"name", "store"}};
  if (k8s.storage() == v1::STORAGE_EMPTY_DIR) {
    store_volume["emptyDir"] = Json::object();
  } else {
    store_volume["persistentVolumeClaim"] = {{"claimName", name + "-store"}};
  }
  Json manager = {
      {"name", "manager"},
      {"image", options_.image},
      {"command",
       {"dlkit-manager", absl::StrCat("--config=", kSpecDir, "/", kSpecKey),
        "--experiment_id=" + id, absl::StrCat("--directory=", kStoreDir, "/", id),
        absl::StrCat("--address=0.0.0.0:", options_.manager_port),
        absl::StrCat("--tuner_address=127.0.0.1:", options_.tuner_port), "--platform=kubernetes",
        "--namespace=" + ns, "--service_address=" + ManagerAddress(ns, id),
        "--owner_name=" + owner.value("name", ""), "--owner_uid=" + owner.value("uid", "")}},
      {"ports", {{{"name", "grpc"}, {"containerPort", options_.manager_port}}}},
      {"volumeMounts",
       {{{"name", "spec"}, {"mountPath", kSpecDir}, {"readOnly", true}},
        {{"name", "store"}, {"mountPath", kStoreDir}}}},
  };
  Json tuner = {
      {"name", "tuner"},
      {"image", options_.image},
      {"command", {"dlkit-tuner", absl::StrCat("--address=127.0.0.1:", options_.tuner_port)}},
  };
  Json pod_spec = {
      {"restartPolicy", "OnFailure"},
      // The dlkit image's user; fsGroup lets it write the store's volume.
      {"securityContext", {{"runAsNonRoot", true}, {"runAsUser", 65532}, {"fsGroup", 65532}}},
      {"containers", {manager, tuner}},
      {"volumes", {{{"name", "spec"}, {"configMap", {{"name", name}}}}, store_volume}},
  };
  if (!options_.service_account.empty()) pod_spec["serviceAccountName"] = options_.service_account;
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", Metadata(name, ns, id, "experiment", owner)},
          {"spec", pod_spec}};
}

absl::StatusOr<v1::Experiment> KubernetesExperiments::Submit(const std::string& id,
                                                             const v1::ExperimentSpec& spec) {
  const v1::KubernetesService& k8s = spec.training_service().kubernetes();
  const std::string ns = k8s.namespace_();
  const std::string name = RootName(id);
  // 1. The root: the spec, as a config file dlkit-manager --config reads.
  const Json root = {{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"metadata", Metadata(name, ns, id, "spec", nullptr)},
                     {"data", {{kSpecKey, Json(ExperimentSpecToJson(spec)).dump(2)}}}};
  DLKIT_RETURN_IF_ERROR(CreateOnce(*client_, k8s::kConfigMap, ns, root));
  absl::StatusOr<Json> stored = client_->Get(k8s::kConfigMap, ns, name);
  if (!stored.ok()) return stored.status();
  const Json owner = {{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"name", name},
                      {"uid", (*stored)["metadata"].value("uid", "")},
                      {"controller", true}};
  auto fail = [&](absl::Status status) {
    // Nothing half-made stays: the root takes what was created with it.
    client_->Delete(k8s::kConfigMap, ns, name, k8s::PropagationPolicy::kBackground).IgnoreError();
    return status;
  };
  // 2. The store.
  if (k8s.storage() != v1::STORAGE_EMPTY_DIR) {
    const Json claim = {
        {"apiVersion", "v1"},
        {"kind", "PersistentVolumeClaim"},
        {"metadata", Metadata(name + "-store", ns, id, "store", owner)},
        {"spec",
         {{"accessModes", {"ReadWriteOnce"}},
          {"resources",
           {{"requests",
             {{"storage", k8s.storage_size().empty() ? "1Gi" : k8s.storage_size()}}}}}}}};
    absl::Status made = CreateOnce(*client_, k8s::kPersistentVolumeClaim, ns, claim);
    if (!made.ok()) return fail(made);
  }
  // 3. The Service the trials call the Manager through, then the pod.
  const Json service = {{"apiVersion", "v1"},
                        {"kind", "Service"},
                        {"metadata", Metadata(name, ns, id, "manager", owner)},
                        {"spec",
                         {{"selector", {{kExperimentLabel, id}, {kComponentLabel, "experiment"}}},
                          {"ports",
                           {{{"name", "grpc"},
                             {"port", options_.manager_port},
                             {"targetPort", options_.manager_port}}}}}}};
  absl::Status made = CreateOnce(*client_, k8s::kService, ns, service);
  if (!made.ok()) return fail(made);
  made = CreateOnce(*client_, k8s::kPod, ns, ExperimentPod(id, spec, owner));
  if (!made.ok()) return fail(made);

  v1::Experiment experiment;
  experiment.set_id(id);
  *experiment.mutable_spec() = spec;
  experiment.set_state(v1::EXPERIMENT_RUNNING);
  experiment.set_reason("starting: the Experiment pod " + name + " is being scheduled");
  experiment.set_manager_address(ManagerAddress(ns, id));
  const absl::Time now = absl::Now();
  experiment.mutable_created()->set_seconds(absl::ToUnixSeconds(now));
  return experiment;
}

std::shared_ptr<v1::ManagerService::StubInterface> KubernetesExperiments::Stub(
    const std::string& address) {
  absl::MutexLock lock(&mu_);
  auto& stub = stubs_[address];
  if (stub == nullptr) {
    // Channels live as long as this object (the process): see the gRPC callback API note.
    stub = options_.manager_stub
               ? options_.manager_stub(address)
               : std::shared_ptr<v1::ManagerService::StubInterface>(v1::ManagerService::NewStub(
                     grpc::CreateChannel(address, grpc::InsecureChannelCredentials())));
  }
  return stub;
}

template <typename Request, typename Response>
grpc::Status KubernetesExperiments::CallManager(const std::string& ns, const std::string& id,
                                                ManagerCall<Request, Response> call,
                                                Response* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(options_.manager_timeout));
  Request request;
  request.set_experiment_id(id);
  return ((*Stub(ManagerAddress(ns, id))).*call)(&context, request, response);
}

absl::StatusOr<v1::Experiment> KubernetesExperiments::Get(const std::string& ns,
                                                          const std::string& id) {
  // The Manager first: the experiments list asks every 2 s while it is open, and the
  // ConfigMap only matters while the Manager does not answer.
  const std::string address = ManagerAddress(ns, id);
  v1::ManagerGetExperimentResponse response;
  const grpc::Status status =
      CallManager(ns, id, &v1::ManagerService::StubInterface::GetExperiment, &response);
  if (status.ok()) {
    v1::Experiment experiment = response.experiment();
    experiment.set_manager_address(address);
    return experiment;
  }
  // Not up yet (or gone): what the ConfigMap says.
  DLKIT_ASSIGN_OR_RETURN(Json root, client_->Get(k8s::kConfigMap, ns, RootName(id)));
  v1::Experiment experiment;
  experiment.set_id(id);
  const std::string text = root["data"].value(kSpecKey, "");
  absl::StatusOr<LoadedConfig> loaded = ParseExperimentConfig(text, "/", /*yaml=*/false);
  if (loaded.ok()) *experiment.mutable_spec() = loaded->spec;
  experiment.set_state(v1::EXPERIMENT_RUNNING);
  experiment.set_reason(absl::StrCat("the Manager at ", address, " does not answer yet (",
                                     status.error_message(), "); see `kubectl -n ", ns,
                                     " describe pod ", RootName(id), "`"));
  experiment.set_manager_address(address);
  return experiment;
}

template <typename Request, typename Response>
absl::StatusOr<v1::Experiment> KubernetesExperiments::AskManager(
    const std::string& ns, const std::string& id, const std::string& what,
    ManagerCall<Request, Response> call) {
  // Its ConfigMap first: NOT_FOUND for an experiment that is gone.
  DLKIT_RETURN_IF_ERROR(client_->Get(k8s::kConfigMap, ns, RootName(id)).status());
  const std::string address = ManagerAddress(ns, id);
  Response response;
  const grpc::Status status = CallManager(ns, id, call, &response);
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError(absl::StrCat(
        "cannot ", what, " experiment ", id, ": its Manager at ", address, " does not answer (",
        status.error_message(), "); see `kubectl -n ", ns, " describe pod ", RootName(id), "`"));
  }
  if (!status.ok()) return FromGrpcStatus(status);
  v1::Experiment experiment = response.experiment();
  experiment.set_manager_address(address);
  return experiment;
}

absl::StatusOr<v1::Experiment> KubernetesExperiments::Stop(const std::string& ns,
                                                           const std::string& id) {
  return AskManager<v1::ManagerStopExperimentRequest, v1::ManagerStopExperimentResponse>(
      ns, id, "stop", &v1::ManagerService::StubInterface::StopExperiment);
}

absl::StatusOr<v1::Experiment> KubernetesExperiments::Resume(const std::string& ns,
                                                             const std::string& id) {
  return AskManager<v1::ManagerResumeExperimentRequest, v1::ManagerResumeExperimentResponse>(
      ns, id, "resume", &v1::ManagerService::StubInterface::ResumeExperiment);
}

absl::Status KubernetesExperiments::Delete(const std::string& ns, const std::string& id) {
  absl::Status deleted =
      client_->Delete(k8s::kConfigMap, ns, RootName(id), k8s::PropagationPolicy::kForeground);
  if (absl::IsNotFound(deleted)) return absl::OkStatus();
  return deleted;
}

}  // namespace dlkit
