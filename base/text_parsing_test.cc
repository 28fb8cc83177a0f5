#include "base/text_parsing.h"

#include <catch2/catch.hpp>
#include <string>

namespace dlkit {
namespace {

TEST_CASE("ParseHumanDuration reads NNI-style durations") {
  CHECK(*ParseHumanDuration("2h") == absl::Hours(2));
  CHECK(*ParseHumanDuration("30m") == absl::Minutes(30));
  CHECK(*ParseHumanDuration("1h30m") == absl::Minutes(90));
  CHECK(*ParseHumanDuration("1.5h") == absl::Minutes(90));
  CHECK(*ParseHumanDuration("2d") == absl::Hours(48));
  CHECK(*ParseHumanDuration("90") == absl::Seconds(90));
  CHECK(*ParseHumanDuration(" 10S ") == absl::Seconds(10));
  CHECK(*ParseHumanDuration("2 h") == absl::Hours(2));
  CHECK(*ParseHumanDuration("10min") == absl::Minutes(10));
  for (const char* bad : {"", "h", "abc", "5x", "-1h", "1h30", "2 hours"}) {
    INFO(bad);
    CHECK(!ParseHumanDuration(bad).ok());
  }
}

TEST_CASE("ParseDurationSeconds and FormatDurationSeconds read each other back") {
  for (const std::string bad : {"2 hours", "h", "-1h", "10 mins", "", "1w"}) {
    INFO(bad);
    CHECK_FALSE(ParseDurationSeconds(bad).ok());
  }
  for (int64_t seconds : {0, 45, 60, 5400, 7200, 86400, 90000, 172800}) {
    absl::StatusOr<int64_t> back = ParseDurationSeconds(FormatDurationSeconds(seconds));
    REQUIRE(back.ok());
    CHECK(*back == seconds);
  }
  CHECK(FormatDurationSeconds(7200) == "2h");
  CHECK(FormatDurationSeconds(5400) == "90m");
}

TEST_CASE("EditDistance counts single-character edits") {
  CHECK(EditDistance("", "") == 0);
  CHECK(EditDistance("tuner", "tuner") == 0);
  CHECK(EditDistance("tunre", "tuner") == 2);
  CHECK(EditDistance("maxTrialNumbr", "maxTrialNumber") == 1);
  CHECK(EditDistance("", "abc") == 3);
}

}  // namespace
}  // namespace dlkit
