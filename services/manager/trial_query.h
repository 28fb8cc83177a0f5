#ifndef DLKIT_SERVICES_MANAGER_TRIAL_QUERY_H_
#define DLKIT_SERVICES_MANAGER_TRIAL_QUERY_H_

// The read side of an experiment's trials, as pure functions of the trials in index order:
// ListTrials' filters, sort and pages, and the dashboard's charts reduced on the server
// (best so far, duration buckets, a sample for parallel coordinates). Each trial is read
// once into contiguous keys: sorting through pointers to 100,000 scattered messages costs a
// cache miss per comparison.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "dlkit/v1/manager.pb.h"
#include "dlkit/v1/types.pb.h"

namespace dlkit {

struct TrialPage {
  int32_t total = 0;                     // how many trials pass the filters
  std::vector<const v1::Trial*> trials;  // this page's, in the requested order
  std::string next_page_token;           // "" on the last page
};

// The page of `trials` that `request` asks for (states, final and parameter ranges, choices,
// sort with missing values last, ties in index order). INVALID_ARGUMENT for a page token
// this server did not give. `direction` is the objective's (SORT_BY_FINAL: best first).
absl::StatusOr<TrialPage> QueryTrials(absl::Span<const v1::Trial* const> trials,
                                      const v1::ListTrialsRequest& request, v1::Direction direction,
                                      absl::Time now);

// The experiment's charts with at most `max_points` points each (0: 1,000).
v1::GetExperimentChartsResponse BuildCharts(absl::Span<const v1::Trial* const> trials,
                                            const google::protobuf::Timestamp& created,
                                            v1::Direction direction, int max_points,
                                            bool with_sample, absl::Time now);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_MANAGER_TRIAL_QUERY_H_
