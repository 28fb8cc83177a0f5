#ifndef DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_API_PATH_H_
#define DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_API_PATH_H_

// The resources the fake serves and how request paths name them:
//   /api/v1[/namespaces/NS]/PLURAL[/NAME[/SUBRESOURCE]]
//   /apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME[/SUBRESOURCE]]

#include <optional>
#include <string>

namespace dlkit::fake_kube {

struct ServedResource {
  std::string group;  // "" for core
  std::string version;
  std::string plural;
  std::string kind;
  bool has_status;  // a /status subresource; the main resource ignores status writes
  bool custom;      // a CRD: list items keep kind/apiVersion, which built-ins drop

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  std::string id() const { return group.empty() ? plural : plural + "." + group; }  // jobs.batch
};

// nullptr when not served.
const ServedResource* FindResource(const std::string& group, const std::string& version,
                                   const std::string& plural);
// By plural alone (unique among the served ones); nullptr when not served.
const ServedResource* FindResourceByPlural(const std::string& plural);

struct ApiPath {
  const ServedResource* resource = nullptr;
  std::string ns;  // empty: every namespace (lists and watches)
  std::string name;
  std::string subresource;
};

// nullopt when the path names nothing served (the server answers 404).
std::optional<ApiPath> ParseApiPath(const std::string& path);

}  // namespace dlkit::fake_kube

#endif  // DLKIT_K8S_TESTING_FAKE_KUBE_APISERVER_API_PATH_H_
