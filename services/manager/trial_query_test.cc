#include "services/manager/trial_query.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "services/common/proto_util.h"

namespace dlkit {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

// Trial i (from 1) started at second i, ran i seconds, lr = i / 10, final value `finals[i-1]`
// (NaN: none).
std::vector<v1::Trial> MakeTrials(const std::vector<double>& finals) {
  std::vector<v1::Trial> trials;
  for (size_t i = 1; i <= finals.size(); ++i) {
    v1::Trial t;
    t.set_id("t" + std::to_string(i));
    t.set_index(static_cast<int64_t>(i));
    (*t.mutable_parameters()->mutable_values())["lr"].set_double_value(i / 10.0);
    *t.mutable_started() = ToTimestamp(kStart + absl::Seconds(i));
    *t.mutable_ended() = ToTimestamp(kStart + absl::Seconds(2 * i));
    t.set_state(v1::SUCCEEDED);
    if (finals[i - 1] == finals[i - 1]) {
      t.set_has_final(true);
      t.set_final_value(finals[i - 1]);
    } else {
      t.set_state(v1::FAILED);
    }
    trials.push_back(t);
  }
  return trials;
}

std::vector<const v1::Trial*> Pointers(const std::vector<v1::Trial>& trials) {
  std::vector<const v1::Trial*> out;
  for (const v1::Trial& t : trials) out.push_back(&t);
  return out;
}

std::vector<std::string> Ids(const TrialPage& page) {
  std::vector<std::string> ids;
  for (const v1::Trial* t : page.trials) ids.push_back(t->id());
  return ids;
}

TEST_CASE("QueryTrials sorts best first for the objective, trials without a value last") {
  const double kNone = std::nan("");
  const std::vector<v1::Trial> trials = MakeTrials({0.5, kNone, 0.9, 0.1, 0.9});
  v1::ListTrialsRequest request;
  request.set_sort(v1::SORT_BY_FINAL);
  absl::StatusOr<TrialPage> max = QueryTrials(Pointers(trials), request, v1::MAXIMIZE, kStart);
  REQUIRE(max.ok());
  CHECK(Ids(*max) == std::vector<std::string>{"t3", "t5", "t1", "t4", "t2"});  // ties: index
  absl::StatusOr<TrialPage> min = QueryTrials(Pointers(trials), request, v1::MINIMIZE, kStart);
  REQUIRE(min.ok());
  CHECK(Ids(*min) == std::vector<std::string>{"t4", "t1", "t3", "t5", "t2"});
  request.set_reverse(true);
  absl::StatusOr<TrialPage> reversed = QueryTrials(Pointers(trials), request, v1::MAXIMIZE, kStart);
  REQUIRE(reversed.ok());
  CHECK(Ids(*reversed) == std::vector<std::string>{"t4", "t1", "t3", "t5", "t2"});
}

TEST_CASE("QueryTrials pages with tokens and filters by state and ranges") {
  const std::vector<v1::Trial> trials = MakeTrials({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7});
  v1::ListTrialsRequest request;
  request.set_page_size(3);
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    request.set_page_token(token);
    absl::StatusOr<TrialPage> page = QueryTrials(Pointers(trials), request, v1::MAXIMIZE, kStart);
    REQUIRE(page.ok());
    CHECK(page->total == 7);
    for (const std::string& id : Ids(*page)) seen.push_back(id);
    token = page->next_page_token;
    ++pages;
  } while (!token.empty());
  CHECK(pages == 3);
  CHECK(seen == std::vector<std::string>{"t1", "t2", "t3", "t4", "t5", "t6", "t7"});

  request.set_page_token("not-a-token");
  CHECK(QueryTrials(Pointers(trials), request, v1::MAXIMIZE, kStart).status().code() ==
        absl::StatusCode::kInvalidArgument);

  v1::ListTrialsRequest filtered;
  filtered.set_final_min(0.25);
  v1::ParameterFilter* lr = filtered.add_parameter_filters();
  lr->set_name("lr");
  lr->set_max(0.55);
  absl::StatusOr<TrialPage> page = QueryTrials(Pointers(trials), filtered, v1::MAXIMIZE, kStart);
  REQUIRE(page.ok());
  CHECK(Ids(*page) == std::vector<std::string>{"t3", "t4", "t5"});
  filtered.add_states(v1::FAILED);
  page = QueryTrials(Pointers(trials), filtered, v1::MAXIMIZE, kStart);
  REQUIRE(page.ok());
  CHECK(page->total == 0);
}

TEST_CASE("BuildCharts keeps only the improvements of the best so far, and its end") {
  const std::vector<v1::Trial> trials = MakeTrials({0.3, 0.2, 0.6, 0.5, 0.8, 0.1});
  const v1::GetExperimentChartsResponse charts = BuildCharts(
      Pointers(trials), ToTimestamp(kStart), v1::MAXIMIZE, 1000, true, kStart + absl::Hours(1));
  CHECK(charts.finished() == 6);
  std::vector<std::string> best;
  for (const v1::BestSoFarPoint& p : charts.best_so_far()) best.push_back(p.trial_id());
  // Ends at 2, 4, 6, ... seconds: t1, then t3 and t5 improve; the line ends at t6's end.
  CHECK(best == std::vector<std::string>{"t1", "t3", "t5", "t5"});
  CHECK(charts.best_so_far(3).seconds() == 12);
  CHECK(charts.durations_size() == 6);
  CHECK(charts.durations(2).mean_seconds() == 3);
  CHECK(charts.sample_size() == 6);
  CHECK(charts.sample(0).id() == "t5");  // the sample is ranked, best first

  // With fewer points than trials, durations come in buckets.
  const v1::GetExperimentChartsResponse coarse = BuildCharts(
      Pointers(trials), ToTimestamp(kStart), v1::MAXIMIZE, 2, false, kStart + absl::Hours(1));
  REQUIRE(coarse.durations_size() == 2);
  CHECK(coarse.durations(0).trials() == 3);
  CHECK(coarse.durations(0).max_seconds() == 3);
  CHECK(coarse.sample_size() == 0);
}

}  // namespace
}  // namespace dlkit
