#include "k8s/testing/fake_kube_apiserver/label_selector.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace dlkit::fake_kube {
namespace {

// Splits at commas outside parentheses: "a in (x,y),b=c" → "a in (x,y)", "b=c".
std::vector<std::string> SplitTerms(const std::string& text) {
  std::vector<std::string> terms;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      terms.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  terms.push_back(current);
  return terms;
}

std::string Trimmed(absl::string_view text) {
  return std::string(absl::StripAsciiWhitespace(text));
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(const std::string& text) {
  LabelSelector selector;
  if (Trimmed(text).empty()) return selector;
  for (const std::string& raw_term : SplitTerms(text)) {
    const std::string term = Trimmed(raw_term);
    const auto invalid = [&term] {
      return absl::InvalidArgumentError(
          absl::StrCat("unable to parse requirement: \"", term, "\""));
    };
    Requirement requirement;
    size_t at;
    if (term.empty()) return invalid();
    if ((at = term.find("!=")) != std::string::npos) {
      requirement = {Trimmed(term.substr(0, at)), Op::kNotIn, {Trimmed(term.substr(at + 2))}};
    } else if ((at = term.find("==")) != std::string::npos) {
      requirement = {Trimmed(term.substr(0, at)), Op::kIn, {Trimmed(term.substr(at + 2))}};
    } else if ((at = term.find('=')) != std::string::npos) {
      requirement = {Trimmed(term.substr(0, at)), Op::kIn, {Trimmed(term.substr(at + 1))}};
    } else if (const size_t open = term.find('('); open != std::string::npos) {
      if (term.back() != ')') return invalid();
      const std::vector<std::string> words =
          absl::StrSplit(term.substr(0, open), ' ', absl::SkipWhitespace());
      if (words.size() != 2 || (words[1] != "in" && words[1] != "notin")) return invalid();
      requirement.key = words[0];
      requirement.op = words[1] == "in" ? Op::kIn : Op::kNotIn;
      for (absl::string_view value :
           absl::StrSplit(term.substr(open + 1, term.size() - open - 2), ',')) {
        requirement.values.insert(Trimmed(value));
      }
    } else if (term[0] == '!') {
      requirement = {Trimmed(term.substr(1)), Op::kNotExists, {}};
    } else {
      requirement = {term, Op::kExists, {}};
    }
    if (requirement.key.empty() || requirement.key.find(' ') != std::string::npos) {
      return invalid();
    }
    selector.requirements_.push_back(std::move(requirement));
  }
  return selector;
}

bool LabelSelector::Matches(const nlohmann::json& object) const {
  if (!object.is_object()) return false;
  const nlohmann::json labels =
      object.value("/metadata/labels"_json_pointer, nlohmann::json::object());
  for (const Requirement& requirement : requirements_) {
    const auto label = labels.find(requirement.key);
    const bool present = label != labels.end() && label->is_string();
    const bool in_values = present && requirement.values.count(label->get<std::string>()) > 0;
    switch (requirement.op) {
      case Op::kIn:
        if (!in_values) return false;
        break;
      case Op::kNotIn:  // like Kubernetes: a missing label is "not in"
        if (in_values) return false;
        break;
      case Op::kExists:
        if (!present) return false;
        break;
      case Op::kNotExists:
        if (present) return false;
        break;
    }
  }
  return true;
}

}  // namespace dlkit::fake_kube
