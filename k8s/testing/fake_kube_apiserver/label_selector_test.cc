#include "k8s/testing/fake_kube_apiserver/label_selector.h"

#include <catch2/catch.hpp>

namespace dlkit::fake_kube {
namespace {

nlohmann::json WithLabels(nlohmann::json labels) {
  return {{"metadata", {{"name", "x"}, {"labels", std::move(labels)}}}};
}

bool Matches(const std::string& selector, const nlohmann::json& labels) {
  absl::StatusOr<LabelSelector> parsed = LabelSelector::Parse(selector);
  REQUIRE(parsed.ok());
  return parsed->Matches(WithLabels(labels));
}

TEST_CASE("equality terms must all hold") {
  const nlohmann::json labels = {{"app", "dlkit"}, {"trial", "3"}};
  CHECK(Matches("", labels));
  CHECK(Matches("app=dlkit", labels));
  CHECK(Matches("app==dlkit,trial=3", labels));
  CHECK_FALSE(Matches("app=dlkit,trial=4", labels));
  CHECK(Matches("trial!=4", labels));
  CHECK(Matches("missing!=4", labels));  // a missing label is "not equal"
}

TEST_CASE("set and existence terms") {
  const nlohmann::json labels = {{"tier", "worker"}};
  CHECK(Matches("tier in (master, worker)", labels));
  CHECK_FALSE(Matches("tier notin (worker)", labels));
  CHECK(Matches("tier in (worker),tier", labels));
  CHECK(Matches("!app", labels));
  CHECK_FALSE(Matches("app", labels));
}

TEST_CASE("malformed selectors are refused") {
  CHECK_FALSE(LabelSelector::Parse("a in x").ok());
  CHECK_FALSE(LabelSelector::Parse("a,,b").ok());
  CHECK_FALSE(LabelSelector::Parse("=b").ok());
}

}  // namespace
}  // namespace dlkit::fake_kube
