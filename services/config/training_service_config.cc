#include "services/config/training_service_config.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/kubernetes/kubernetes_config.h"

namespace dlkit::config {
namespace {

const std::vector<std::string>& LocalOnlyKeys() {
  static const auto* const kKeys =
      new std::vector<std::string>{"useActiveGpu", "maxTrialNumberPerGpu", "gpuIndices"};
  return *kKeys;
}

const KeyTable& TrainingServiceKeys() {
  static const auto* const kTable = [] {
    auto* table = new KeyTable;
    table->known = {"platform", "trialCommand", "trialCodeDirectory"};
    for (const std::string& k : LocalOnlyKeys()) table->known.push_back(k);
    for (const std::string& k : KubernetesOnlyKeys()) table->known.push_back(k);
    table->ignored = {"trialGpuNumber", "nniManagerIp", "reuseMode"};
    return table;
  }();
  return *kTable;
}

bool ParseGpuIndices(const Json& j, const std::string& path, Report* report,
                     v1::TrainingService* out) {
  std::vector<int32_t> indices;
  bool ok = true;
  if (j.is_number()) {
    int32_t i = 0;
    ok = ReadInt32(j, path, 0, report, &i);
    indices.push_back(i);
  } else if (j.is_array()) {
    size_t n = 0;
    for (const Json& item : j) {
      int32_t i = 0;
      if (ReadInt32(item, IndexPath(path, n), 0, report, &i)) {
        indices.push_back(i);
      } else {
        ok = false;
      }
      ++n;
    }
  } else if (j.is_string()) {
    for (absl::string_view part : absl::StrSplit(j.get<std::string>(), ',')) {
      int32_t i = 0;
      if (!absl::SimpleAtoi(part, &i) || i < 0) {
        report->Error(path, absl::StrCat("expected GPU indices like \"0,1\", got ", Describe(j)));
        return false;
      }
      indices.push_back(i);
    }
  } else {
    report->Error(path, absl::StrCat("expected an index, a list of indices or a string like "
                                     "\"0,1\", got ",
                                     Describe(j)));
    return false;
  }
  for (int32_t i : indices) out->add_gpu_indices(i);
  return ok;
}

}  // namespace

bool ParseTrainingService(const Json& j, Report* report, v1::TrainingService* out,
                          TrialOverrides* overrides) {
  const std::string path = "trainingService";
  const std::string platform_path = "trainingService.platform";
  const Json* platform = nullptr;
  Fields f;
  if (j.is_string()) {
    platform = &j;
  } else if (j.is_array()) {
    report->Error(path,
                  "a list of training services (NNI's hybrid mode) is not supported; "
                  "give one");
    return false;
  } else if (j.is_object()) {
    f = ReadFields(j, path, TrainingServiceKeys(), report);
    platform = Get(f, "platform");
    if (platform == nullptr) {
      report->Error(platform_path, "required: \"local\" or \"kubernetes\"");
      return false;
    }
  } else {
    report->Error(
        path, absl::StrCat("expected an object {\"platform\": \"local\", ...}, got ", Describe(j)));
    return false;
  }
  std::string name;
  if (!ReadString(*platform, j.is_string() ? path : platform_path, report, &name)) return false;
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "local") {
    out->set_platform(v1::LOCAL);
  } else if (lower == "kubernetes") {
    out->set_platform(v1::KUBERNETES);
  } else if (lower == "kubeflow" || lower == "frameworkcontroller" || lower == "adl") {
    report->Error(platform_path,
                  absl::StrCat("platform ", Quote(name),
                               " is not supported by dlkit; use \"kubernetes\" (jobKind Job, "
                               "PyTorchJob or TFJob)"));
    return false;
  } else if (lower == "remote" || lower == "openpai" || lower == "pai" || lower == "aml" ||
             lower == "dlc" || lower == "hybrid") {
    report->Error(platform_path, absl::StrCat("platform ", Quote(name),
                                              " is not supported by dlkit; use \"local\" or "
                                              "\"kubernetes\""));
    return false;
  } else {
    report->Error(platform_path, UnknownMessage(absl::StrCat("unknown platform ", Quote(name)),
                                                name, {"local", "kubernetes"}));
    return false;
  }
  overrides->command = Get(f, "trialCommand");
  overrides->code_directory = Get(f, "trialCodeDirectory");
  const bool local = out->platform() == v1::LOCAL;
  for (const std::string& key : local ? KubernetesOnlyKeys() : LocalOnlyKeys()) {
    if (Get(f, key) != nullptr) {
      report->Error(JoinSpecPath(path, key),
                    absl::StrCat("applies to platform ", local ? "kubernetes" : "local",
                                 " only (platform here is ", Quote(lower), ")"));
    }
  }
  if (!local) {
    ParseKubernetes(f, report, out->mutable_kubernetes());
    return true;
  }
  if (const Json* active = Get(f, "useActiveGpu")) {
    bool b = false;
    if (ReadBool(*active, JoinSpecPath(path, "useActiveGpu"), report, &b)) {
      out->set_use_active_gpu(b);
    }
  }
  if (const Json* per_gpu = Get(f, "maxTrialNumberPerGpu")) {
    int32_t n = 0;
    if (ReadInt32(*per_gpu, JoinSpecPath(path, "maxTrialNumberPerGpu"), 1, report, &n)) {
      out->set_max_trial_number_per_gpu(n);
    }
  }
  if (const Json* gpus = Get(f, "gpuIndices")) {
    ParseGpuIndices(*gpus, JoinSpecPath(path, "gpuIndices"), report, out);
  }
  return true;
}

}  // namespace dlkit::config
