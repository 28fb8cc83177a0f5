// The Role in k8s/manifests allows exactly the API calls dlkit's code made in this binary's
// other tests (Launcher and Managers against the fake API server): every call allowed, and
// no rule, resource or verb that no call used. Runs last (srcs order, --order decl).

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "test/kubernetes/cluster_fixture.h"

namespace dlkit::testing {

namespace {

using Permission = std::tuple<std::string, std::string, std::string>;  // group, resource, verb

TEST_CASE("The Role allows exactly the calls dlkit makes", "[kubernetes][rbac]") {
  const YAML::Node role = YAML::LoadFile(Runfile("k8s/manifests/role.yaml"));
  REQUIRE(role["kind"].as<std::string>() == "Role");
  std::set<Permission> granted;
  for (const YAML::Node& rule : role["rules"]) {
    for (const YAML::Node& group : rule["apiGroups"]) {
      for (const YAML::Node& resource : rule["resources"]) {
        for (const YAML::Node& verb : rule["verbs"]) {
          CHECK(verb.as<std::string>() != "*");
          CHECK(resource.as<std::string>() != "*");
          granted.insert(
              {group.as<std::string>(), resource.as<std::string>(), verb.as<std::string>()});
        }
      }
    }
  }
  const std::vector<fake_kube::ApiCall>& calls = RecordedCalls();
  std::set<Permission> used;
  for (const fake_kube::ApiCall& call : calls) {
    const std::string resource =
        call.subresource.empty() ? call.resource : call.resource + "/" + call.subresource;
    used.insert({call.group, resource, call.verb});
  }
  // The other tests ran first: both the Launcher's and the Managers' calls are here.
  REQUIRE(used.count({"", "pods", "create"}) == 1);
  REQUIRE(used.count({"batch", "jobs", "watch"}) == 1);
  for (const Permission& p : used) {
    INFO("call: " << std::get<2>(p) << " " << std::get<0>(p) << "/" << std::get<1>(p));
    CHECK(granted.count(p) == 1);
  }
  for (const Permission& p : granted) {
    INFO("granted but never used: " << std::get<2>(p) << " " << std::get<0>(p) << "/"
                                    << std::get<1>(p));
    CHECK(used.count(p) == 1);
  }
}

}  // namespace
}  // namespace dlkit::testing
