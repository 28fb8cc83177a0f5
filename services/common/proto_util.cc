#include "services/common/proto_util.h"

#include "google/protobuf/util/time_util.h"

namespace dlkit {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

absl::Time ToAbslTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

double SecondsOf(const google::protobuf::Timestamp& ts) { return ts.seconds() + ts.nanos() * 1e-9; }

absl::Duration ToAbslDuration(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  return TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(d));
}

bool IsTerminal(v1::TrialState state) {
  return state == v1::SUCCEEDED || state == v1::FAILED || state == v1::EARLY_STOPPED ||
         state == v1::KILLED;
}

bool IsTerminal(v1::ExperimentState state) {
  return state == v1::EXPERIMENT_DONE || state == v1::EXPERIMENT_STOPPED ||
         state == v1::EXPERIMENT_FAILED;
}

}  // namespace dlkit
