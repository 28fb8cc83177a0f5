#include "services/manager/trial_query.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/proto_util.h"

namespace dlkit {
namespace {

// The value at "a/b" (a parameter inside a nested choice's option), or null.
const v1::ParameterValue* FindParameter(const v1::ParameterSet& set, absl::string_view path) {
  const v1::ParameterSet* current = &set;
  const v1::ParameterValue* value = nullptr;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (current == nullptr) return nullptr;
    auto it = current->values().find(std::string(part));
    if (it == current->values().end()) return nullptr;
    value = &it->second;
    current = value->has_nested() ? &value->nested() : nullptr;
  }
  return value;
}

std::optional<double> NumberOf(const v1::ParameterValue& value) {
  if (value.kind_case() == v1::ParameterValue::kDoubleValue) return value.double_value();
  if (value.kind_case() == v1::ParameterValue::kIntValue) return value.int_value();
  return std::nullopt;
}

std::string TextOf(const v1::ParameterValue& value) {
  switch (value.kind_case()) {
    case v1::ParameterValue::kDoubleValue:
      return absl::StrCat(value.double_value());
    case v1::ParameterValue::kIntValue:
      return absl::StrCat(value.int_value());
    case v1::ParameterValue::kStringValue:
      return value.string_value();
    case v1::ParameterValue::kBoolValue:
      return value.bool_value() ? "true" : "false";
    case v1::ParameterValue::kNested: {
      auto it = value.nested().values().find("_name");
      return it == value.nested().values().end() ? "" : it->second.string_value();
    }
    default:
      return "";
  }
}

bool PassesFilters(const v1::Trial& trial, const v1::ListTrialsRequest& request) {
  if (request.has_final_min() || request.has_final_max()) {
    if (!trial.has_final()) return false;
    if (request.has_final_min() && trial.final_value() < request.final_min()) return false;
    if (request.has_final_max() && trial.final_value() > request.final_max()) return false;
  }
  for (const v1::ParameterFilter& filter : request.parameter_filters()) {
    const v1::ParameterValue* value = FindParameter(trial.parameters(), filter.name());
    if (value == nullptr) return false;
    if (filter.has_min() || filter.has_max()) {
      std::optional<double> number = NumberOf(*value);
      if (!number) return false;
      if (filter.has_min() && *number < filter.min()) return false;
      if (filter.has_max() && *number > filter.max()) return false;
    }
    if (filter.one_of_size() > 0 && std::find(filter.one_of().begin(), filter.one_of().end(),
                                              TextOf(*value)) == filter.one_of().end()) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<TrialPage> QueryTrials(absl::Span<const v1::Trial* const> trials,
                                      const v1::ListTrialsRequest& request, v1::Direction direction,
                                      absl::Time now_time) {
  int64_t offset = 0;
  if (!request.page_token().empty() &&
      (!absl::SimpleAtoi(request.page_token(), &offset) || offset < 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token \"", request.page_token(), "\" is not one this server gave"));
  }
  const bool minimize = direction == v1::MINIMIZE;
  const double now = absl::ToUnixMicros(now_time) * 1e-6;
  // The sort key of each selected trial, read once (see GetCharts); trials without the
  // sorted value come last whatever the order; ties keep index order.
  struct Keyed {
    bool missing;
    double key;
    int64_t index;
    const v1::Trial* trial;
  };
  auto key_of = [&](const v1::Trial& t) -> std::pair<bool, double> {
    switch (request.sort()) {
      case v1::SORT_BY_FINAL:  // best first
        if (!t.has_final()) return {true, 0};
        return {false, minimize ? t.final_value() : -t.final_value()};
      case v1::SORT_BY_STARTED:
        return {!t.has_started(), SecondsOf(t.started())};
      case v1::SORT_BY_DURATION:
        if (!t.has_started()) return {true, 0};
        return {false, (t.has_ended() ? SecondsOf(t.ended()) : now) - SecondsOf(t.started())};
      default:
        return {false, static_cast<double>(t.index())};
    }
  };
  std::vector<Keyed> selected;
  for (const v1::Trial* trial : trials) {
    const v1::Trial& t = *trial;
    if (request.states_size() > 0 && std::find(request.states().begin(), request.states().end(),
                                               t.state()) == request.states().end()) {
      continue;
    }
    if (!PassesFilters(t, request)) continue;
    auto [missing, key] = key_of(t);
    selected.push_back({missing, request.reverse() ? -key : key, t.index(), trial});
  }
  const int64_t total = static_cast<int64_t>(selected.size());
  const int64_t end =
      request.page_size() > 0 ? std::min<int64_t>(offset + request.page_size(), total) : total;
  // Only the rows up to this page's end need to be in order.
  auto before = [](const Keyed& a, const Keyed& b) {
    if (a.missing != b.missing) return b.missing;
    if (a.key != b.key) return a.key < b.key;
    return a.index < b.index;
  };
  if (end > offset) {
    std::partial_sort(selected.begin(), selected.begin() + end, selected.end(), before);
  }
  TrialPage page;
  page.total = static_cast<int32_t>(total);
  for (int64_t i = offset; i < end; ++i) page.trials.push_back(selected[i].trial);
  if (end < total) page.next_page_token = absl::StrCat(end);
  return page;
}

v1::GetExperimentChartsResponse BuildCharts(absl::Span<const v1::Trial* const> trials,
                                            const google::protobuf::Timestamp& created_at,
                                            v1::Direction direction, int max_points,
                                            bool with_sample, absl::Time now_time) {
  if (max_points <= 0) max_points = 1000;
  v1::GetExperimentChartsResponse charts;
  const bool minimize = direction == v1::MINIMIZE;
  const double created = SecondsOf(created_at);
  // Ranked so that smaller is better, whatever the direction.
  auto rank_of = [minimize](double value) { return minimize ? value : -value; };

  // Each trial is read once into contiguous keys: sorting through pointers to 100,000
  // scattered messages costs a cache miss per comparison.
  struct Finished {
    double ended;
    double rank;
    const v1::Trial* trial;
  };
  std::vector<Finished> finished;
  std::vector<const v1::Trial*> started;
  for (const v1::Trial* trial : trials) {
    const v1::Trial& t = *trial;
    if (t.has_final() && t.has_ended()) {
      finished.push_back({SecondsOf(t.ended()), rank_of(t.final_value()), &t});
    }
    if (t.has_started()) started.push_back(&t);
  }
  charts.set_finished(static_cast<int32_t>(finished.size()));

  // Best so far: only the improvements matter, plus where the line ends.
  std::vector<Finished> by_end = finished;
  std::stable_sort(by_end.begin(), by_end.end(),
                   [](const Finished& a, const Finished& b) { return a.ended < b.ended; });
  const Finished* best = nullptr;
  auto add_point = [&](double ended) {
    v1::BestSoFarPoint* point = charts.add_best_so_far();
    point->set_seconds(ended - created);
    point->set_value(best->trial->final_value());
    point->set_trial_id(best->trial->id());
    point->set_trial_index(best->trial->index());
  };
  for (const Finished& f : by_end) {
    if (best != nullptr && f.rank >= best->rank) continue;
    best = &f;
    add_point(f.ended);
  }
  if (best != nullptr && &by_end.back() != best) add_point(by_end.back().ended);

  // Durations: trials in index order, in at most max_points buckets.
  const double now = absl::ToUnixMicros(now_time) * 1e-6;
  const size_t per_bucket = std::max<size_t>(1, (started.size() + max_points - 1) / max_points);
  for (size_t i = 0; i < started.size(); i += per_bucket) {
    v1::DurationBucket* bucket = charts.add_durations();
    const size_t end = std::min(started.size(), i + per_bucket);
    double sum = 0, max = 0;
    for (size_t j = i; j < end; ++j) {
      const v1::Trial& t = *started[j];
      const double d = (t.has_ended() ? SecondsOf(t.ended()) : now) - SecondsOf(t.started());
      sum += d;
      max = std::max(max, d);
    }
    bucket->set_first_index(started[i]->index());
    bucket->set_last_index(started[end - 1]->index());
    bucket->set_trials(static_cast<int32_t>(end - i));
    bucket->set_mean_seconds(sum / (end - i));
    bucket->set_max_seconds(max);
    if (end - i == 1) bucket->set_state(started[i]->state());
  }

  if (!with_sample) return charts;
  // A sample for parallel coordinates: the best tenth, then an even spread of the rest.
  std::vector<Finished>& ranked = finished;  // in index order, so ties keep it
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Finished& a, const Finished& b) { return a.rank < b.rank; });
  std::vector<const v1::Trial*> sample;
  if (ranked.size() <= static_cast<size_t>(max_points)) {
    for (const Finished& f : ranked) sample.push_back(f.trial);
  } else {
    const size_t top = max_points / 10;
    for (size_t k = 0; k < top; ++k) sample.push_back(ranked[k].trial);
    const size_t rest = ranked.size() - top, want = max_points - top;
    for (size_t k = 0; k < want; ++k) sample.push_back(ranked[top + k * rest / want].trial);
  }
  for (const v1::Trial* t : sample) {
    v1::Trial* out = charts.add_sample();
    out->set_id(t->id());
    out->set_index(t->index());
    out->set_state(t->state());
    *out->mutable_parameters() = t->parameters();
    out->set_has_final(true);
    out->set_final_value(t->final_value());
  }
  return charts;
}

}  // namespace dlkit
