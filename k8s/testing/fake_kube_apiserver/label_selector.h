#ifndef DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_LABEL_SELECTOR_H_
#define DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_LABEL_SELECTOR_H_

// Kubernetes label selectors as a list call's ?labelSelector= carries them:
// "a=b", "a==b", "a!=b", "a in (x,y)", "a notin (x,y)", "a", "!a", joined by commas.

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace dlkit::fake_kube {

class LabelSelector {
 public:
  static absl::StatusOr<LabelSelector> Parse(const std::string& text);

  bool Matches(const nlohmann::json& object) const;  // by its metadata.labels

 private:
  enum class Op { kIn, kNotIn, kExists, kNotExists };
  struct Requirement {
    std::string key;
    Op op;
    std::set<std::string> values;
  };
  std::vector<Requirement> requirements_;
};

}  // namespace dlkit::fake_kube

#endif  // DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_LABEL_SELECTOR_H_
