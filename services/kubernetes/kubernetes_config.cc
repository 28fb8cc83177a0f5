#include "services/kubernetes/kubernetes_config.h"

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace dlkit::config {
namespace {

bool ParseVolume(const Json& j, const std::string& path, Report* report, v1::Volume* out) {
  if (!j.is_object()) {
    report->Error(path, absl::StrCat("expected an object {name, mountPath, "
                                     "persistentVolumeClaim|hostPath|emptyDir}, got ",
                                     Describe(j)));
    return false;
  }
  const size_t errors_before = report->errors().size();
  const Fields f = ReadFields(
      j, path,
      KeyTable{{"name", "mountPath", "persistentVolumeClaim", "hostPath", "emptyDir"}, {}, {}},
      report);
  std::string s;
  if (const Json* name = Get(f, "name")) {
    if (ReadString(*name, JoinSpecPath(path, "name"), report, &s)) out->set_name(s);
  } else {
    report->Error(JoinSpecPath(path, "name"), "required");
  }
  if (const Json* mount = Get(f, "mountPath")) {
    if (ReadString(*mount, JoinSpecPath(path, "mountPath"), report, &s)) out->set_mount_path(s);
  } else {
    report->Error(JoinSpecPath(path, "mountPath"), "required");
  }
  // Each source as Kubernetes writes it ({claimName: x}, {path: x}, {}) or as a plain value.
  auto read_source = [&](const char* key, const char* inner_key, std::string* value) {
    const Json* source = Get(f, key);
    if (source == nullptr) return false;
    const std::string source_path = JoinSpecPath(path, key);
    if (!source->is_object()) return ReadString(*source, source_path, report, value);
    const Fields inner = ReadFields(*source, source_path, KeyTable{{inner_key}, {}, {}}, report);
    const Json* field = Get(inner, inner_key);
    if (field == nullptr) {
      report->Error(JoinSpecPath(source_path, inner_key), "required");
      return false;
    }
    return ReadString(*field, JoinSpecPath(source_path, inner_key), report, value);
  };
  if (read_source("persistentVolumeClaim", "claimName", &s)) out->set_persistent_volume_claim(s);
  if (read_source("hostPath", "path", &s)) out->set_host_path(s);
  if (const Json* empty = Get(f, "emptyDir")) {
    const std::string empty_path = JoinSpecPath(path, "emptyDir");
    if (empty->is_object()) {
      if (!empty->empty()) {
        report->Error(empty_path, "only {} (or true) is supported");
      } else {
        out->set_empty_dir(true);
      }
    } else {
      bool b = false;
      if (ReadBool(*empty, empty_path, report, &b)) out->set_empty_dir(b);
    }
  }
  return report->errors().size() == errors_before;
}

}  // namespace

const std::vector<std::string>& KubernetesOnlyKeys() {
  static const auto* const kKeys = new std::vector<std::string>{
      "namespace",      "image",        "jobKind",     "replicas", "resources",   "volumes",
      "serviceAccount", "nodeSelector", "tolerations", "storage",  "storageSize", "gitRepository"};
  return *kKeys;
}

void ParseKubernetes(const Fields& f, Report* report, v1::KubernetesService* out) {
  const std::string ts = "trainingService";
  std::string s;
  if (const Json* ns = Get(f, "namespace")) {
    if (ReadString(*ns, JoinSpecPath(ts, "namespace"), report, &s)) out->set_namespace_(s);
  }
  if (const Json* image = Get(f, "image")) {
    if (ReadString(*image, JoinSpecPath(ts, "image"), report, &s)) out->set_image(s);
  }
  if (const Json* kind = Get(f, "jobKind")) {
    const std::string kind_path = JoinSpecPath(ts, "jobKind");
    if (ReadString(*kind, kind_path, report, &s)) {
      const std::string lower = absl::AsciiStrToLower(s);
      if (lower == "job") {
        out->set_job_kind(v1::JOB);
      } else if (lower == "pytorchjob") {
        out->set_job_kind(v1::PYTORCH_JOB);
      } else if (lower == "tfjob") {
        out->set_job_kind(v1::TF_JOB);
      } else {
        report->Error(kind_path, UnknownMessage(absl::StrCat("unknown job kind ", Quote(s)), s,
                                                {"Job", "PyTorchJob", "TFJob"}));
      }
    }
  }
  if (const Json* replicas = Get(f, "replicas")) {
    int32_t n = 0;
    if (ReadInt32(*replicas, JoinSpecPath(ts, "replicas"), 1, report, &n)) out->set_replicas(n);
  }
  if (const Json* account = Get(f, "serviceAccount")) {
    if (ReadString(*account, JoinSpecPath(ts, "serviceAccount"), report, &s)) {
      out->set_service_account(s);
    }
  }
  if (const Json* resources = Get(f, "resources")) {
    const std::string res_path = JoinSpecPath(ts, "resources");
    if (!resources->is_object()) {
      report->Error(res_path, absl::StrCat("expected an object {cpu, memory, gpu}, got ",
                                           Describe(*resources)));
    } else {
      const Fields rf =
          ReadFields(*resources, res_path, KeyTable{{"cpu", "memory", "gpu"}, {}, {}}, report);
      if (const Json* cpu = Get(rf, "cpu")) {
        if (ReadScalarText(*cpu, JoinSpecPath(res_path, "cpu"), report, &s)) {
          out->mutable_resources()->set_cpu(s);
        }
      }
      if (const Json* memory = Get(rf, "memory")) {
        if (ReadScalarText(*memory, JoinSpecPath(res_path, "memory"), report, &s)) {
          out->mutable_resources()->set_memory(s);
        }
      }
      if (const Json* gpu = Get(rf, "gpu")) {
        int32_t n = 0;
        if (ReadInt32(*gpu, JoinSpecPath(res_path, "gpu"), 0, report, &n)) {
          out->mutable_resources()->set_gpu(n);
        }
      }
    }
  }
  if (const Json* selector = Get(f, "nodeSelector")) {
    const std::string sel_path = JoinSpecPath(ts, "nodeSelector");
    if (!selector->is_object()) {
      report->Error(sel_path,
                    absl::StrCat("expected an object of label: value, got ", Describe(*selector)));
    } else {
      for (const auto& [key, value] : selector->items()) {
        if (ReadScalarText(value, JoinSpecPath(sel_path, key), report, &s)) {
          (*out->mutable_node_selector())[key] = s;
        }
      }
    }
  }
  if (const Json* tolerations = Get(f, "tolerations")) {
    const std::string tol_path = JoinSpecPath(ts, "tolerations");
    if (!tolerations->is_array()) {
      report->Error(tol_path, absl::StrCat("expected a list of {key, operator, value, effect}, "
                                           "got ",
                                           Describe(*tolerations)));
    } else {
      size_t i = 0;
      for (const Json& t : *tolerations) {
        const std::string path = IndexPath(tol_path, i++);
        v1::Toleration* toleration = out->add_tolerations();  // kept: indices stay aligned
        if (!t.is_object()) {
          report->Error(path, absl::StrCat("expected an object {key, operator, value, effect}, "
                                           "got ",
                                           Describe(t)));
          continue;
        }
        const Fields tf =
            ReadFields(t, path, KeyTable{{"key", "operator", "value", "effect"}, {}, {}}, report);
        ReadTextField(tf, "key", path, ReadString, report,
                      [&](const std::string& v) { toleration->set_key(v); });
        ReadTextField(tf, "operator", path, ReadString, report,
                      [&](const std::string& v) { toleration->set_operator_(v); });
        ReadTextField(tf, "value", path, ReadScalarText, report,
                      [&](const std::string& v) { toleration->set_value(v); });
        ReadTextField(tf, "effect", path, ReadString, report,
                      [&](const std::string& v) { toleration->set_effect(v); });
      }
    }
  }
  if (const Json* storage = Get(f, "storage")) {
    const std::string storage_path = JoinSpecPath(ts, "storage");
    if (ReadString(*storage, storage_path, report, &s)) {
      const std::string lower = absl::AsciiStrToLower(s);
      if (lower == "pvc") {
        out->set_storage(v1::STORAGE_PVC);
      } else if (lower == "emptydir") {
        out->set_storage(v1::STORAGE_EMPTY_DIR);
      } else {
        report->Error(storage_path, UnknownMessage(absl::StrCat("unknown storage ", Quote(s)), s,
                                                   {"pvc", "emptyDir"}));
      }
    }
  }
  if (const Json* size = Get(f, "storageSize")) {
    if (ReadScalarText(*size, JoinSpecPath(ts, "storageSize"), report, &s)) {
      out->set_storage_size(s);
    }
  }
  if (const Json* git = Get(f, "gitRepository")) {
    const std::string git_path = JoinSpecPath(ts, "gitRepository");
    if (!git->is_object()) {
      report->Error(git_path,
                    absl::StrCat("expected an object {url, revision, image, secretName}, got ",
                                 Describe(*git)));
    } else {
      const Fields gf = ReadFields(
          *git, git_path, KeyTable{{"url", "revision", "image", "secretName"}, {}, {}}, report);
      v1::GitRepository* repository = out->mutable_git_repository();
      if (const Json* url = Get(gf, "url")) {
        if (ReadString(*url, JoinSpecPath(git_path, "url"), report, &s)) {
          if (s.empty()) report->Error(JoinSpecPath(git_path, "url"), "must not be empty");
          repository->set_url(s);
        }
      } else {
        report->Error(JoinSpecPath(git_path, "url"), "required: the repository to clone");
      }
      ReadTextField(gf, "revision", git_path, ReadScalarText, report,
                    [&](const std::string& v) { repository->set_revision(v); });
      ReadTextField(gf, "image", git_path, ReadString, report,
                    [&](const std::string& v) { repository->set_image(v); });
      ReadTextField(gf, "secretName", git_path, ReadString, report,
                    [&](const std::string& v) { repository->set_secret_name(v); });
    }
  }
  if (const Json* volumes = Get(f, "volumes")) {
    const std::string vol_path = JoinSpecPath(ts, "volumes");
    if (!volumes->is_array()) {
      report->Error(vol_path, absl::StrCat("expected a list, got ", Describe(*volumes)));
    } else {
      size_t i = 0;
      for (const Json& v : *volumes) {
        v1::Volume volume;
        ParseVolume(v, IndexPath(vol_path, i), report, &volume);
        *out->add_volumes() = std::move(volume);  // kept even if bad: indices stay aligned
        ++i;
      }
    }
  }
}

void KubernetesServiceToJson(const v1::KubernetesService& k8s, Json* service) {
  if (!k8s.namespace_().empty()) (*service)["namespace"] = k8s.namespace_();
  (*service)["image"] = k8s.image();
  (*service)["jobKind"] = k8s.job_kind() == v1::PYTORCH_JOB ? "PyTorchJob"
                          : k8s.job_kind() == v1::TF_JOB    ? "TFJob"
                                                            : "Job";
  (*service)["replicas"] = k8s.replicas();
  if (k8s.has_resources()) {
    Json resources = Json::object();
    if (!k8s.resources().cpu().empty()) resources["cpu"] = k8s.resources().cpu();
    if (!k8s.resources().memory().empty()) resources["memory"] = k8s.resources().memory();
    if (k8s.resources().gpu() > 0) resources["gpu"] = k8s.resources().gpu();
    (*service)["resources"] = std::move(resources);
  }
  if (k8s.volumes_size() > 0) {
    Json volumes = Json::array();
    for (const v1::Volume& v : k8s.volumes()) {
      Json volume = Json::object();
      volume["name"] = v.name();
      volume["mountPath"] = v.mount_path();
      if (!v.persistent_volume_claim().empty()) {
        volume["persistentVolumeClaim"] = {{"claimName", v.persistent_volume_claim()}};
      }
      if (!v.host_path().empty()) volume["hostPath"] = {{"path", v.host_path()}};
      if (v.empty_dir()) volume["emptyDir"] = Json::object();
      volumes.push_back(std::move(volume));
    }
    (*service)["volumes"] = std::move(volumes);
  }
  if (!k8s.service_account().empty()) (*service)["serviceAccount"] = k8s.service_account();
  if (!k8s.node_selector().empty()) {
    (*service)["nodeSelector"] =
        std::map<std::string, std::string>(k8s.node_selector().begin(), k8s.node_selector().end());
  }
  if (k8s.tolerations_size() > 0)
    (*service)["tolerations"] = TolerationsToJson<Json>(k8s.tolerations());
  if (k8s.storage() == v1::STORAGE_EMPTY_DIR) (*service)["storage"] = "emptyDir";
  if (k8s.storage() == v1::STORAGE_PVC) (*service)["storage"] = "pvc";
  if (!k8s.storage_size().empty()) (*service)["storageSize"] = k8s.storage_size();
  if (k8s.has_git_repository()) {
    Json git = {{"url", k8s.git_repository().url()}};
    if (!k8s.git_repository().revision().empty()) git["revision"] = k8s.git_repository().revision();
    if (!k8s.git_repository().image().empty()) git["image"] = k8s.git_repository().image();
    if (!k8s.git_repository().secret_name().empty()) {
      git["secretName"] = k8s.git_repository().secret_name();
    }
    (*service)["gitRepository"] = std::move(git);
  }
}

}  // namespace dlkit::config
