#ifndef DLKIT_SERVICES_COMMON_PROTO_UTIL_H_
#define DLKIT_SERVICES_COMMON_PROTO_UTIL_H_

// Conversions between protobuf's well-known types and Abseil's, and the questions about
// dlkit.v1 states that the Manager, the Launcher and the CLI all ask.

#include "absl/time/time.h"
#include "dlkit/v1/types.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace dlkit {

google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time ToAbslTime(const google::protobuf::Timestamp& ts);
// Seconds since the epoch, with the fraction.
double SecondsOf(const google::protobuf::Timestamp& ts);
absl::Duration ToAbslDuration(const google::protobuf::Duration& d);
google::protobuf::Duration ToProtoDuration(absl::Duration d);

// A trial that has ended: SUCCEEDED, FAILED, EARLY_STOPPED or KILLED.
bool IsTerminal(v1::TrialState state);
// An experiment that does not run now: DONE, STOPPED or FAILED.
bool IsTerminal(v1::ExperimentState state);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_PROTO_UTIL_H_
