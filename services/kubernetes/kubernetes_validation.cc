#include "services/kubernetes/kubernetes_validation.h"

#include <regex>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dlkit {
namespace {

using Problems = SpecProblems;

bool IsDnsLabel(const std::string& s) {
  static const std::regex kLabel("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return s.size() <= 63 && std::regex_match(s, kLabel);
}

// An object name such as a Secret's: DNS labels joined by '.', at most 253.
bool IsDnsSubdomain(const std::string& s) {
  static const std::regex kSubdomain(
      "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  return s.size() <= 253 && std::regex_match(s, kSubdomain);
}

bool IsQuantity(const std::string& s) {
  static const std::regex kQuantity(
      "\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?");
  return std::regex_match(s, kQuantity);
}

// A label value: empty, or up to 63 alphanumerics with '-', '_', '.' inside.
bool IsLabelValue(const std::string& s) {
  static const std::regex kValue("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");
  return s.size() <= 63 && std::regex_match(s, kValue);
}

// A label key: an optional DNS subdomain prefix and '/', then a non-empty label value.
bool IsLabelKey(const std::string& s) {
  const size_t slash = s.find('/');
  std::string name = s;
  if (slash != std::string::npos) {
    const std::string prefix = s.substr(0, slash);
    if (prefix.empty() || !IsDnsSubdomain(prefix)) return false;
    name = s.substr(slash + 1);
  }
  return !name.empty() && IsLabelValue(name);
}

}  // namespace

void CheckKubernetesService(const v1::KubernetesService& k8s, SpecProblems* problems) {
  const std::string ts = "trainingService";
  // Empty: the Launcher's own namespace (where dlkit's Role and service account are).
  if (!k8s.namespace_().empty() && !IsDnsLabel(k8s.namespace_())) {
    AddProblem(
        problems, JoinSpecPath(ts, "namespace"),
        absl::StrCat("\"", k8s.namespace_(),
                     "\" is not a valid namespace (lower-case letters, digits and '-', at most "
                     "63)"));
  }
  if (k8s.image().empty()) {
    AddProblem(problems, JoinSpecPath(ts, "image"),
               "required for platform kubernetes (the container image trials run in)");
  }
  if (k8s.job_kind() == v1::JOB_KIND_UNSPECIFIED) {
    AddProblem(problems, JoinSpecPath(ts, "jobKind"), "must be Job, PyTorchJob or TFJob");
  }
  if (k8s.replicas() < 1) {
    AddProblem(problems, JoinSpecPath(ts, "replicas"),
               absl::StrCat("must be at least 1, got ", k8s.replicas()));
  } else if (k8s.job_kind() == v1::JOB && k8s.replicas() > 1) {
    AddProblem(problems, JoinSpecPath(ts, "replicas"),
               absl::StrCat("a Job trial runs one pod; use jobKind PyTorchJob or TFJob for ",
                            k8s.replicas(), " workers"));
  }
  const std::string res = JoinSpecPath(ts, "resources");
  if (!k8s.resources().cpu().empty() && !IsQuantity(k8s.resources().cpu())) {
    AddProblem(problems, JoinSpecPath(res, "cpu"),
               absl::StrCat("\"", k8s.resources().cpu(),
                            "\" is not a Kubernetes quantity (e.g. \"2\" or \"500m\")"));
  }
  if (!k8s.resources().memory().empty() && !IsQuantity(k8s.resources().memory())) {
    AddProblem(problems, JoinSpecPath(res, "memory"),
               absl::StrCat("\"", k8s.resources().memory(),
                            "\" is not a Kubernetes quantity (e.g. \"4Gi\" or \"512Mi\")"));
  }
  CheckCount(k8s.resources().gpu(), 0, JoinSpecPath(res, "gpu"), problems);
  if (!k8s.storage_size().empty() && !IsQuantity(k8s.storage_size())) {
    AddProblem(
        problems, JoinSpecPath(ts, "storageSize"),
        absl::StrCat("\"", k8s.storage_size(), "\" is not a Kubernetes quantity (e.g. \"1Gi\")"));
  } else if (!k8s.storage_size().empty() && k8s.storage() == v1::STORAGE_EMPTY_DIR) {
    AddProblem(problems, JoinSpecPath(ts, "storageSize"),
               "applies to storage \"pvc\" only (an emptyDir has no size request here)");
  }
  for (const auto& [key, value] : k8s.node_selector()) {
    const std::string path = JoinSpecPath(JoinSpecPath(ts, "nodeSelector"), key);
    if (!IsLabelKey(key)) {
      AddProblem(
          problems, path,
          absl::StrCat("\"", key,
                       "\" is not a label key ([prefix/]name, name: letters, digits, '-', '_', "
                       "'.', at most 63)"));
    }
    if (!IsLabelValue(value)) {
      AddProblem(
          problems, path,
          absl::StrCat("\"", value,
                       "\" is not a label value (letters, digits, '-', '_', '.', at most 63)"));
    }
  }
  for (int i = 0; i < k8s.tolerations_size(); ++i) {
    const v1::Toleration& t = k8s.tolerations(i);
    const std::string path = IndexPath(JoinSpecPath(ts, "tolerations"), i);
    if (!t.operator_().empty() && t.operator_() != "Equal" && t.operator_() != "Exists") {
      AddProblem(problems, JoinSpecPath(path, "operator"),
                 absl::StrCat("must be Equal or Exists, got \"", t.operator_(), "\""));
    }
    if (t.operator_() == "Exists" && !t.value().empty()) {
      AddProblem(problems, JoinSpecPath(path, "value"), "must be empty when operator is Exists");
    }
    if (t.key().empty() && t.operator_() != "Exists") {
      AddProblem(problems, JoinSpecPath(path, "key"),
                 "required unless operator is Exists (which then tolerates every taint)");
    } else if (!t.key().empty() && !IsLabelKey(t.key())) {
      AddProblem(problems, JoinSpecPath(path, "key"),
                 absl::StrCat("\"", t.key(), "\" is not a valid taint key"));
    }
    if (!t.effect().empty() && t.effect() != "NoSchedule" && t.effect() != "PreferNoSchedule" &&
        t.effect() != "NoExecute") {
      AddProblem(problems, JoinSpecPath(path, "effect"),
                 absl::StrCat("must be NoSchedule, PreferNoSchedule or NoExecute, got \"",
                              t.effect(), "\""));
    }
  }
  const std::string& git_secret = k8s.git_repository().secret_name();
  if (!git_secret.empty() && !IsDnsSubdomain(git_secret)) {
    AddProblem(
        problems, JoinSpecPath(JoinSpecPath(ts, "gitRepository"), "secretName"),
        absl::StrCat("\"", git_secret,
                     "\" is not a valid Secret name (lower-case letters, digits, '-' and '.')"));
  }
  std::set<std::string> names;
  std::set<std::string> mounts;
  for (int i = 0; i < k8s.volumes_size(); ++i) {
    const v1::Volume& v = k8s.volumes(i);
    const std::string path = IndexPath(JoinSpecPath(ts, "volumes"), i);
    if (!IsDnsLabel(v.name())) {
      AddProblem(
          problems, JoinSpecPath(path, "name"),
          absl::StrCat("\"", v.name(),
                       "\" is not a valid volume name (lower-case letters, digits and '-')"));
    } else if (!names.insert(v.name()).second) {
      AddProblem(problems, JoinSpecPath(path, "name"),
                 absl::StrCat("\"", v.name(), "\" names another volume too"));
    }
    if (v.mount_path().empty() || v.mount_path()[0] != '/') {
      AddProblem(problems, JoinSpecPath(path, "mountPath"),
                 absl::StrCat("must be an absolute path, got \"", v.mount_path(), "\""));
    } else if (!mounts.insert(v.mount_path()).second) {
      AddProblem(problems, JoinSpecPath(path, "mountPath"),
                 absl::StrCat("\"", v.mount_path(), "\" is mounted by another volume too"));
    }
    const int sources = (v.persistent_volume_claim().empty() ? 0 : 1) +
                        (v.host_path().empty() ? 0 : 1) + (v.empty_dir() ? 1 : 0);
    if (sources != 1) {
      AddProblem(problems, path,
                 absl::StrCat("give exactly one of persistentVolumeClaim, hostPath, emptyDir (got ",
                              sources, ")"));
    }
  }
}

}  // namespace dlkit
