#include "tuner_algos/search_space.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "tuner_algos/test_spaces.h"

namespace dlkit::algos::testing {
namespace {

Value NestedValue(Assignment assignment) {
  return Value{std::make_shared<Assignment>(std::move(assignment))};
}

TEST_CASE("Value equality compares type and content, nested ones deeply") {
  CHECK(Value{1.5} == Value{1.5});
  CHECK(Value{1.5} != Value{2.5});
  CHECK(Value{int64_t{1}} != Value{1.0});  // types differ
  CHECK(Value{std::string("a")} == Value{std::string("a")});
  CHECK(Value{true} != Value{false});
  const Value a = NestedValue({{"_name", Value{std::string("sgd")}}, {"lr", Value{0.1}}});
  const Value b = NestedValue({{"_name", Value{std::string("sgd")}}, {"lr", Value{0.1}}});
  const Value c = NestedValue({{"_name", Value{std::string("sgd")}}, {"lr", Value{0.2}}});
  CHECK(a == b);  // distinct pointers, same content
  CHECK(a != c);
  CHECK(a != Value{0.1});
}

TEST_CASE("AssignmentKey is equal exactly for equal assignments, numbers by value") {
  const Assignment a{{"x", Value{int64_t{3}}}, {"y", Value{std::string("relu")}}};
  const Assignment b{{"x", Value{3.0}}, {"y", Value{std::string("relu")}}};
  CHECK(AssignmentKey(a) == AssignmentKey(b));
  CHECK(AssignmentKey({{"x", Value{-0.0}}}) == AssignmentKey({{"x", Value{0.0}}}));
  CHECK(AssignmentKey({{"x", Value{0.1}}}) != AssignmentKey({{"x", Value{0.1 + 1e-16 * 2}}}));
  CHECK(AssignmentKey({{"x", Value{1.0}}}) != AssignmentKey({{"x", Value{true}}}));
  CHECK(AssignmentKey({{"x", Value{std::string("1")}}}) != AssignmentKey({{"x", Value{1.0}}}));
  CHECK(AssignmentKey({{"x", Value{1.0}}}) != AssignmentKey({{"y", Value{1.0}}}));
  // Key/value text cannot be confused across entries.
  CHECK(AssignmentKey({{"a", Value{std::string("b;")}}}) !=
        AssignmentKey({{"a", Value{std::string("b")}}, {";", Value{std::string("")}}}));
  const Assignment n1{{"o", NestedValue({{"_name", Value{std::string("a")}}})}};
  const Assignment n2{{"o", NestedValue({{"_name", Value{std::string("b")}}})}};
  CHECK(AssignmentKey(n1) != AssignmentKey(n2));
  CHECK(AssignmentKey(n1) == AssignmentKey(Assignment(n1)));
}

TEST_CASE("ValidateSearchSpace accepts a valid space") {
  const SearchSpace space{{
      Param("lr", Distribution::kLoguniform, {1e-4, 1e-1}),
      Param("q", Distribution::kQnormal, {0, 1, 0.5}),
      Param("n", Distribution::kRandint, {1, 2}),
      Choice("act", {Plain(std::string("relu")), Plain(int64_t{2})}),
      Choice("opt",
             {Nested("sgd", {Param("m", Distribution::kUniform, {0, 1})}), Nested("none", {})}),
  }};
  CHECK(ValidateSearchSpace(space).ok());
  CHECK(ValidateSearchSpace(SearchSpace{}).ok());
}

TEST_CASE("ValidateSearchSpace names the bad parameter and the problem") {
  auto error = [](const SearchSpace& space) {
    const absl::Status status = ValidateSearchSpace(space);
    REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
    return std::string(status.message());
  };
  auto one = [&](ParamSpec spec) { return error(SearchSpace{{std::move(spec)}}); };
  CHECK(one(Param("x", Distribution::kUniform, {2, 1})) == "x: low must be < high");
  CHECK(one(Param("x", Distribution::kUniform, {1, 1})) == "x: low must be < high");
  CHECK(one(Param("x", Distribution::kLoguniform, {0, 1})) ==
        "x: low must be > 0 for a log distribution");
  CHECK(one(Param("x", Distribution::kQuniform, {0, 1, 0})) == "x: q must be > 0");
  CHECK(one(Param("x", Distribution::kNormal, {0, -1})) == "x: sigma must be > 0");
  CHECK(one(Param("x", Distribution::kQuniform, {0, 1})) == "x: quniform takes 3 numbers, got 2");
  CHECK(one(Param("x", Distribution::kRandint, {1.2, 1.9})) ==
        "x: randint needs lower < upper (upper is exclusive)");
  CHECK(one(Param("x", Distribution::kUniform, {0, std::nan("")})) ==
        "x: arguments must be finite numbers");
  CHECK(one(Choice("x", {})) == "x: choice needs at least one option");
  CHECK(one(Param("_name", Distribution::kUniform, {0, 1})) ==
        "_name: _name is reserved for nested options");
  CHECK(error(SearchSpace{{Param("x", Distribution::kUniform, {0, 1}),
                           Param("x", Distribution::kUniform, {0, 1})}}) ==
        "x: duplicate parameter name");
  CHECK(one(Choice("opt", {Nested("a", {}), Nested("", {})})) ==
        "opt._value[1]: nested option needs a _name");
  CHECK(one(Choice("opt", {Nested("a", {}),
                           Nested("b", {Param("beta", Distribution::kUniform, {1, 0})})})) ==
        "opt._value[1].beta: low must be < high");
}

}  // namespace
}  // namespace dlkit::algos::testing
