#ifndef DLKIT_TUNER_ALGOS_MEDIAN_STOP_ASSESSOR_H_
#define DLKIT_TUNER_ALGOS_MEDIAN_STOP_ASSESSOR_H_

// NNI's `Medianstop` (the median stopping rule of Google Vizier): stop a running trial at
// step t >= start_step when its best value so far is worse than the median of the
// succeeded trials' running averages at step t.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "tuner_algos/algorithm.h"

namespace dlkit::algos {

class MedianStopAssessor : public Assessor {
 public:
  // classArgs: optimize_mode (default options.direction), start_step (default 0).
  static absl::StatusOr<std::unique_ptr<Assessor>> Create(const AlgorithmOptions& options);

  absl::StatusOr<AssessDecision> Assess(const TrialRecord& trial, const History& history) override;

 private:
  MedianStopAssessor(Direction direction, int64_t start_step)
      : direction_(direction), start_step_(start_step) {}

  // Running averages of a finished trial's series, computed once per trial.
  const std::vector<double>& RunningAverages(const TrialRecord& finished);

  Direction direction_;
  int64_t start_step_;
  std::unordered_map<std::string, std::vector<double>> averages_;
};

}  // namespace dlkit::algos

#endif  // DLKIT_TUNER_ALGOS_MEDIAN_STOP_ASSESSOR_H_
