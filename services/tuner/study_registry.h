#ifndef DLKIT_SERVICES_TUNER_STUDY_REGISTRY_H_
#define DLKIT_SERVICES_TUNER_STUDY_REGISTRY_H_

// The Tuner's memory: per experiment, the history it has been sent and the live algorithm
// objects. Plain class (no gRPC) so it can be tested directly; TunerServiceImpl wraps it.

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "dlkit/v1/tuner.pb.h"
#include "tuner_algos/algorithm.h"

namespace dlkit {

class StudyRegistry {
 public:
  absl::StatusOr<v1::SuggestResponse> Suggest(const v1::SuggestRequest& request);
  absl::StatusOr<v1::AssessResponse> Assess(const v1::AssessRequest& request);
  absl::Status Validate(const v1::StudyConfig& config);
  void Release(const std::string& experiment_id);

 private:
  struct Study {
    absl::Mutex mu;
    std::string config_fingerprint;
    int64_t version = 0;
    algos::History history;
    std::map<std::string, size_t> position_by_id;  // trial id -> index into history
    std::unique_ptr<algos::Tuner> tuner;
    std::unique_ptr<algos::Assessor> assessor;
  };

  // Finds or creates the study and applies the history update. FAILED_PRECONDITION when
  // the update does not start at the version the study holds (e.g. after a restart).
  absl::StatusOr<std::shared_ptr<Study>> Sync(const std::string& experiment_id,
                                              const v1::StudyConfig& config,
                                              const v1::HistoryUpdate& update);

  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Study>> studies_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dlkit

#endif  // DLKIT_SERVICES_TUNER_STUDY_REGISTRY_H_
