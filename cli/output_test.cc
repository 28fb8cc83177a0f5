#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cli/experiment_output.h"
#include "cli/table.h"
#include "cli/trial_output.h"
#include "cli/value_format.h"

namespace dlkit::cli {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

v1::Trial MakeTrial(const std::string& id, int64_t index, v1::TrialState state,
                    std::optional<double> final_value) {
  v1::Trial t;
  t.set_id(id);
  t.set_index(index);
  t.set_state(state);
  if (final_value) {
    t.set_has_final(true);
    t.set_final_value(*final_value);
  }
  return t;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

std::vector<std::string> Ids(const std::vector<v1::Trial>& trials) {
  std::vector<std::string> ids;
  for (const v1::Trial& t : trials) ids.push_back(t.id());
  return ids;
}

// {"lr": 0.01, "layers": 3, "model": {"_name": "cnn", "hidden": 64}}
v1::ParameterSet NestedParameters() {
  v1::ParameterSet p;
  (*p.mutable_values())["lr"].set_double_value(0.01);
  (*p.mutable_values())["layers"].set_int_value(3);
  v1::ParameterSet* model = (*p.mutable_values())["model"].mutable_nested();
  (*model->mutable_values())["_name"].set_string_value("cnn");
  (*model->mutable_values())["hidden"].set_int_value(64);
  return p;
}

// lr: loguniform; model: choice of {cnn: hidden}, {mlp: hidden, depth}; tag: choice.
v1::SearchSpace NestedSpace() {
  v1::SearchSpace space;
  v1::ParameterSpec* lr = space.add_parameters();
  lr->set_name("lr");
  lr->set_distribution(v1::LOGUNIFORM);
  v1::ParameterSpec* model = space.add_parameters();
  model->set_name("model");
  model->set_distribution(v1::CHOICE);
  for (const char* name : {"cnn", "mlp"}) {
    v1::NestedSpace* nested = model->add_options()->mutable_nested();
    nested->set_name(name);
    v1::ParameterSpec* hidden = nested->mutable_space()->add_parameters();
    hidden->set_name("hidden");
    hidden->set_distribution(v1::CHOICE);
    if (std::string(name) == "mlp") {
      v1::ParameterSpec* depth = nested->mutable_space()->add_parameters();
      depth->set_name("depth");
      depth->set_distribution(v1::RANDINT);
    }
  }
  v1::ParameterSpec* tag = space.add_parameters();
  tag->set_name("tag");
  tag->set_distribution(v1::CHOICE);
  tag->add_options()->set_string_value("a,b");
  return space;
}

TEST_CASE("RenderTable pads columns to the widest cell and aligns numbers right") {
  std::string table =
      RenderTable({{"NAME", Align::kLeft}, {"N", Align::kRight}, {"NOTE", Align::kLeft}},
                  {{"a", "5", "x"}, {"longer", "123", ""}, {"é", "42", "y"}});
  std::vector<std::string> lines = Lines(table);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "NAME      N  NOTE");
  CHECK(lines[1] == "a         5  x");
  // Empty last cell: no trailing blanks.
  CHECK(lines[2] == "longer  123");
  // "é" is two bytes but one column wide.
  CHECK(lines[3] == "é        42  y");
  for (const std::string& line : lines) CHECK(line.back() != ' ');
}

TEST_CASE("RenderTable renders short rows with empty cells") {
  std::string table = RenderTable({{"A", Align::kLeft}, {"B", Align::kRight}}, {{"xyz"}});
  CHECK(Lines(table)[1] == "xyz");
}

TEST_CASE("DisplayWidth and Truncate count code points") {
  CHECK(DisplayWidth("abc") == 3);
  CHECK(DisplayWidth("héllo") == 5);
  CHECK(Truncate("abcdef", 10) == "abcdef");
  CHECK(Truncate("abcdef", 4) == "abc…");
  CHECK(DisplayWidth(Truncate("ééééé", 3)) == 3);
}

TEST_CASE("RenderKeyValues aligns the values") {
  std::vector<std::string> lines = Lines(RenderKeyValues({{"id", "x"}, {"status", "RUNNING"}}));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "id:      x");
  CHECK(lines[1] == "status:  RUNNING");
}

TEST_CASE("FormatShortDuration picks the largest units") {
  CHECK(FormatShortDuration(absl::Seconds(45)) == "45s");
  CHECK(FormatShortDuration(absl::Seconds(185)) == "3m05s");
  CHECK(FormatShortDuration(absl::Hours(1) + absl::Minutes(2) + absl::Seconds(3)) == "1h02m03s");
  CHECK(FormatShortDuration(absl::Hours(51) + absl::Minutes(4)) == "2d03h04m");
  CHECK(FormatShortDuration(absl::Seconds(-5)) == "0.0s");
  CHECK(FormatShortDuration(absl::Milliseconds(430)) == "0.4s");
}

TEST_CASE("FormatTimestamp is RFC 3339 in UTC, empty when unset") {
  CHECK(FormatTimestamp(Ts(kNow)) == "2023-11-14T22:13:20Z");
  CHECK(FormatTimestamp(google::protobuf::Timestamp()).empty());
  google::protobuf::Timestamp precise = Ts(kNow);
  precise.set_nanos(123456789);
  CHECK(FormatPreciseTimestamp(precise) == "2023-11-14T22:13:20.123Z");
}

TEST_CASE("FormatExact round-trips doubles") {
  for (double v : {0.1, 1e-4, 123456789.125, -2.5}) {
    CHECK(std::stod(FormatExact(v)) == v);
  }
  CHECK(FormatExact(std::nan("")) == "nan");
}

TEST_CASE("ParseTrialState accepts any case and dashes") {
  CHECK(*ParseTrialState("succeeded") == v1::SUCCEEDED);
  CHECK(*ParseTrialState("Early-Stopped") == v1::EARLY_STOPPED);
  CHECK(*ParseTrialState("USER_CANCELED") == v1::KILLED);
  CHECK(!ParseTrialState("done").ok());
  CHECK(TrialStateName(*ParseTrialState("failed")) == "FAILED");
}

TEST_CASE("FlattenParameters nests choices as name/_name") {
  auto flat = FlattenParameters(NestedParameters());
  std::vector<std::pair<std::string, std::string>> expected = {
      {"layers", "3"}, {"lr", "0.01"}, {"model/_name", "cnn"}, {"model/hidden", "64"}};
  CHECK(flat == expected);
  CHECK(FormatParametersInline(NestedParameters()) ==
        "layers=3 lr=0.01 model/_name=cnn model/hidden=64");
}

TEST_CASE("ParameterColumns follow the search space, then extra keys sorted") {
  v1::Trial t = MakeTrial("t1", 1, v1::SUCCEEDED, 1.0);
  *t.mutable_parameters() = NestedParameters();  // has "layers", not in the space
  std::vector<std::string> columns = ParameterColumns(NestedSpace(), {t});
  std::vector<std::string> expected = {"lr",          "model/_name", "model/hidden",
                                       "model/depth", "tag",         "layers"};
  CHECK(columns == expected);
}

TEST_CASE("CsvEscape quotes commas, quotes and line breaks") {
  CHECK(CsvEscape("plain") == "plain");
  CHECK(CsvEscape("a,b") == "\"a,b\"");
  CHECK(CsvEscape("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(CsvEscape("two\nlines") == "\"two\nlines\"");
  CHECK(CsvEscape("") == "");
}

TEST_CASE("TrialsToCsv writes one row per trial with flattened parameters") {
  v1::Trial done = MakeTrial("t1", 1, v1::SUCCEEDED, 0.875);
  *done.mutable_parameters() = NestedParameters();
  (*done.mutable_parameters()->mutable_values())["tag"].set_string_value("a,b");
  *done.mutable_started() = Ts(kNow - absl::Seconds(90));
  *done.mutable_ended() = Ts(kNow - absl::Seconds(30));
  done.set_exit_code(0);
  v1::Trial running = MakeTrial("t2", 2, v1::RUNNING, std::nullopt);
  (*running.mutable_parameters()->mutable_values())["lr"].set_double_value(0.5);
  *running.mutable_started() = Ts(kNow - absl::Seconds(10));

  std::vector<std::string> lines = Lines(TrialsToCsv({done, running}, NestedSpace(), kNow));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] ==
        "id,index,status,lr,model/_name,model/hidden,model/depth,tag,layers,final,exit_code,"
        "started,ended,duration_s");
  CHECK(lines[1] ==
        "t1,1,SUCCEEDED,0.01,cnn,64,,\"a,b\",3,0.875,0,2023-11-14T22:11:50.000Z,"
        "2023-11-14T22:12:50.000Z,60");
  // Running: no final, no exit code, no end; duration so far.
  CHECK(lines[2] == "t2,2,RUNNING,0.5,,,,,,,,2023-11-14T22:13:10.000Z,,10");
}

TEST_CASE("TrialToJson has the SDK's shape, with nulls for what is missing") {
  v1::Trial done = MakeTrial("t1", 4, v1::SUCCEEDED, 0.5);
  *done.mutable_parameters() = NestedParameters();
  for (double v : {0.1, 0.3}) done.add_intermediate()->set_value(v);
  done.add_loss()->set_value(2.5);
  done.set_exit_code(3);
  *done.mutable_started() = Ts(kNow - absl::Seconds(5));
  *done.mutable_ended() = Ts(kNow);
  done.set_reason("why not");

  nlohmann::json j = TrialToJson(done, kNow);
  CHECK(j["id"] == "t1");
  CHECK(j["index"] == 4);
  CHECK(j["status"] == "SUCCEEDED");
  CHECK(j["final"] == 0.5);
  CHECK(j["intermediate"] == nlohmann::json({0.1, 0.3}));
  CHECK(j["loss"] == nlohmann::json({2.5}));
  CHECK(j["exit_code"] == 3);
  CHECK(j["started"] == "2023-11-14T22:13:15.000Z");
  CHECK(j["ended"] == "2023-11-14T22:13:20.000Z");
  CHECK(j["duration_s"] == 5.0);
  CHECK(j["reason"] == "why not");
  CHECK(j["parameters"]["lr"] == 0.01);
  CHECK(j["parameters"]["layers"] == 3);
  CHECK(j["parameters"]["model"]["_name"] == "cnn");
  CHECK(j["parameters"]["model"]["hidden"] == 64);

  nlohmann::json waiting = TrialToJson(MakeTrial("t2", 5, v1::WAITING, std::nullopt), kNow);
  CHECK(waiting["final"].is_null());
  CHECK(waiting["exit_code"].is_null());
  CHECK(waiting["started"].is_null());
  CHECK(waiting["ended"].is_null());
  CHECK(waiting["duration_s"].is_null());
  CHECK(waiting["intermediate"].is_array());
  CHECK(waiting["intermediate"].empty());
  CHECK(waiting["parameters"].is_object());

  nlohmann::json list = TrialsToJson({done, MakeTrial("t2", 5, v1::WAITING, std::nullopt)}, kNow);
  REQUIRE(list.is_array());
  CHECK(list.size() == 2);
  CHECK(list[1]["id"] == "t2");
}

TEST_CASE("SortTrials by metric puts the best first per direction, trials without final last") {
  std::vector<v1::Trial> trials = {
      MakeTrial("a", 1, v1::SUCCEEDED, 0.5), MakeTrial("b", 2, v1::RUNNING, std::nullopt),
      MakeTrial("c", 3, v1::SUCCEEDED, 0.9), MakeTrial("d", 4, v1::SUCCEEDED, 0.1)};
  std::vector<v1::Trial> sorted = trials;
  SortTrials(&sorted, TrialSort::kMetric, v1::MAXIMIZE, false, kNow);
  CHECK(Ids(sorted) == std::vector<std::string>{"c", "a", "d", "b"});
  SortTrials(&sorted, TrialSort::kMetric, v1::MINIMIZE, false, kNow);
  CHECK(Ids(sorted) == std::vector<std::string>{"d", "a", "c", "b"});
  SortTrials(&sorted, TrialSort::kMetric, v1::MAXIMIZE, true, kNow);
  CHECK(Ids(sorted) == std::vector<std::string>{"d", "a", "c", "b"});
  SortTrials(&sorted, TrialSort::kIndex, v1::MAXIMIZE, true, kNow);
  CHECK(Ids(sorted) == std::vector<std::string>{"d", "c", "b", "a"});
}

TEST_CASE("SortTrials by duration: longest first, running trials count until now") {
  v1::Trial short_done = MakeTrial("short", 1, v1::SUCCEEDED, 1.0);
  *short_done.mutable_started() = Ts(kNow - absl::Seconds(100));
  *short_done.mutable_ended() = Ts(kNow - absl::Seconds(90));
  v1::Trial running = MakeTrial("running", 2, v1::RUNNING, std::nullopt);
  *running.mutable_started() = Ts(kNow - absl::Seconds(50));
  v1::Trial waiting = MakeTrial("waiting", 3, v1::WAITING, std::nullopt);
  std::vector<v1::Trial> trials = {waiting, short_done, running};
  SortTrials(&trials, TrialSort::kDuration, v1::MAXIMIZE, false, kNow);
  CHECK(Ids(trials) == std::vector<std::string>{"running", "short", "waiting"});
}

TEST_CASE("RenderProgressBar fills in proportion and clamps") {
  CHECK(RenderProgressBar(0, 10, 10) == "[----------]");
  CHECK(RenderProgressBar(5, 10, 10) == "[#####-----]");
  CHECK(RenderProgressBar(10, 10, 10) == "[##########]");
  CHECK(RenderProgressBar(15, 10, 10) == "[##########]");
  CHECK(RenderProgressBar(1, 3, 20).size() == 22);
  CHECK(RenderProgressBar(3, 0, 4) == "[----]");
}

v1::Experiment RunningExperiment() {
  v1::Experiment e;
  e.set_id("exp-1");
  e.mutable_spec()->set_name("mnist");
  e.mutable_spec()->set_max_trial_number(20);
  e.mutable_spec()->mutable_objective()->set_metric("accuracy");
  e.mutable_spec()->mutable_objective()->set_direction(v1::MAXIMIZE);
  e.set_state(v1::EXPERIMENT_RUNNING);
  e.mutable_counts()->set_succeeded(4);
  e.mutable_counts()->set_failed(1);
  e.mutable_counts()->set_finished(5);
  e.mutable_counts()->set_running(2);
  e.set_has_best(true);
  e.set_best_value(0.9731);
  e.set_best_trial_id("t3");
  e.mutable_elapsed()->set_seconds(192);
  e.set_dashboard_url("http://127.0.0.1:18080/#/experiments/exp-1");
  return e;
}

TEST_CASE("FormatProgressLine shows done/max, running, failed, elapsed and best") {
  std::string line = FormatProgressLine(RunningExperiment(), absl::Seconds(192), "#3");
  CHECK(line ==
        "[#####---------------] 5/20 trials | 2 running | 1 failed | 3m12s | "
        "best 0.9731 (#3)");
  v1::Experiment unlimited = RunningExperiment();
  unlimited.mutable_spec()->set_max_trial_number(0);
  unlimited.set_has_best(false);
  CHECK(FormatProgressLine(unlimited, absl::Seconds(5), "") ==
        "5 trials done | 2 running | 1 failed | 5.0s | best -");
}

TEST_CASE("ElapsedAt adds the time since the message only while running") {
  v1::Experiment e = RunningExperiment();
  CHECK(ElapsedAt(e, kNow, kNow + absl::Seconds(8)) == absl::Seconds(200));
  e.set_state(v1::EXPERIMENT_DONE);
  CHECK(ElapsedAt(e, kNow, kNow + absl::Seconds(8)) == absl::Seconds(192));
}

TEST_CASE("RenderWatchBlock shows the top five trials, best first") {
  std::vector<v1::Trial> trials;
  for (int i = 1; i <= 7; ++i)
    trials.push_back(MakeTrial("t" + std::to_string(i), i, v1::SUCCEEDED, i * 0.1));
  trials.push_back(MakeTrial("t8", 8, v1::RUNNING, std::nullopt));
  v1::Experiment e = RunningExperiment();
  e.set_best_trial_id("t7");
  std::string block = RenderWatchBlock(e, trials, absl::Seconds(192), kNow);
  std::vector<std::string> lines = Lines(block);
  REQUIRE(lines.size() == 3 + 5);  // title, progress, header, 5 rows
  CHECK(lines[0] == "mnist (exp-1)  RUNNING");
  CHECK(lines[1].find("(#7)") != std::string::npos);
  CHECK(lines[2].find("ACCURACY") != std::string::npos);
  CHECK(lines[3].find("t7") != std::string::npos);
  CHECK(lines[7].find("t3") != std::string::npos);
  CHECK(block.find("t8") == std::string::npos);
  CHECK(block.find("t2 ") == std::string::npos);
}

TEST_CASE("ExperimentToJson reports best as null until there is one") {
  nlohmann::json j = ExperimentToJson(RunningExperiment());
  CHECK(j["id"] == "exp-1");
  CHECK(j["status"] == "RUNNING");
  CHECK(j["trials"]["done"] == 5);
  CHECK(j["best"]["trial_id"] == "t3");
  CHECK(j["dashboard"] == "http://127.0.0.1:18080/#/experiments/exp-1");
  v1::Experiment none = RunningExperiment();
  none.set_has_best(false);
  none.clear_dashboard_url();  // a daemon that serves no dashboard
  CHECK(ExperimentToJson(none)["best"].is_null());
  CHECK(ExperimentToJson(none)["dashboard"].is_null());
  CHECK(RenderExperimentStatus(none).find("dashboard") == std::string::npos);
}

}  // namespace
}  // namespace dlkit::cli
