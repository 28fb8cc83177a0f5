#include "services/tuner/study_registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "services/tuner/algo_conversion.h"
#include "tuner_algos/registry.h"

namespace dlkit {
namespace {

// A new config for a known experiment id (say, after DeleteExperiment and reuse) must not
// reuse the old algorithm objects.
std::string Fingerprint(const v1::StudyConfig& config) {
  std::string bytes;
  config.SerializeToString(&bytes);
  return bytes;
}

}  // namespace

absl::StatusOr<std::shared_ptr<StudyRegistry::Study>> StudyRegistry::Sync(
    const std::string& experiment_id, const v1::StudyConfig& config,
    const v1::HistoryUpdate& update) {
  if (experiment_id.empty()) return absl::InvalidArgumentError("experiment_id is empty");
  std::shared_ptr<Study> study;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<Study>& slot = studies_[experiment_id];
    const std::string fingerprint = Fingerprint(config);
    // Base version 0 is a full history: start over, so the result does not depend on what
    // this tuner happened to remember.
    if (slot == nullptr || slot->config_fingerprint != fingerprint || update.base_version() == 0) {
      slot = std::make_shared<Study>();
      slot->config_fingerprint = fingerprint;
    }
    study = slot;
  }
  absl::MutexLock lock(&study->mu);
  if (update.base_version() != study->version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tuner holds history version ", study->version, " of experiment ", experiment_id,
        ", update starts at ", update.base_version(), "; resend the full history"));
  }
  for (const v1::TrialRecord& record : update.records()) {
    auto [it, inserted] =
        study->position_by_id.emplace(record.trial_id(), study->history.trials.size());
    if (inserted) {
      study->history.trials.push_back(ToAlgoRecord(record));
    } else {
      study->history.trials[it->second] = ToAlgoRecord(record);
    }
  }
  study->version = update.new_version();
  return study;
}

absl::StatusOr<v1::SuggestResponse> StudyRegistry::Suggest(const v1::SuggestRequest& request) {
  DLKIT_ASSIGN_OR_RETURN(std::shared_ptr<Study> study,
                         Sync(request.experiment_id(), request.config(), request.history()));
  absl::MutexLock lock(&study->mu);
  if (study->tuner == nullptr) {
    DLKIT_ASSIGN_OR_RETURN(study->tuner,
                           algos::CreateTuner(request.config().tuner().name(),
                                              ToAlgoOptions(request.config(), false)));
  }
  DLKIT_ASSIGN_OR_RETURN(algos::Suggestions suggestions,
                         study->tuner->Suggest(study->history, request.count()));
  v1::SuggestResponse response;
  for (const algos::Assignment& a : suggestions.assignments) {
    *response.add_parameters() = FromAlgoAssignment(a);
  }
  response.set_exhausted(suggestions.exhausted);
  response.set_known_version(study->version);
  return response;
}

absl::StatusOr<v1::AssessResponse> StudyRegistry::Assess(const v1::AssessRequest& request) {
  DLKIT_ASSIGN_OR_RETURN(std::shared_ptr<Study> study,
                         Sync(request.experiment_id(), request.config(), request.history()));
  absl::MutexLock lock(&study->mu);
  v1::AssessResponse response;
  response.set_known_version(study->version);
  response.set_decision(v1::CONTINUE);
  if (request.config().assessor().name().empty()) return response;
  auto it = study->position_by_id.find(request.trial_id());
  if (it == study->position_by_id.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("trial ", request.trial_id(), " is not in the history sent"));
  }
  if (study->assessor == nullptr) {
    DLKIT_ASSIGN_OR_RETURN(study->assessor,
                           algos::CreateAssessor(request.config().assessor().name(),
                                                 ToAlgoOptions(request.config(), true)));
  }
  DLKIT_ASSIGN_OR_RETURN(
      algos::AssessDecision decision,
      study->assessor->Assess(study->history.trials[it->second], study->history));
  response.set_decision(decision == algos::AssessDecision::kStop ? v1::STOP : v1::CONTINUE);
  return response;
}

absl::Status StudyRegistry::Validate(const v1::StudyConfig& config) {
  DLKIT_RETURN_IF_ERROR(
      algos::CreateTuner(config.tuner().name(), ToAlgoOptions(config, false)).status());
  if (!config.assessor().name().empty()) {
    DLKIT_RETURN_IF_ERROR(
        algos::CreateAssessor(config.assessor().name(), ToAlgoOptions(config, true)).status());
  }
  return absl::OkStatus();
}

void StudyRegistry::Release(const std::string& experiment_id) {
  absl::MutexLock lock(&mu_);
  studies_.erase(experiment_id);
}

}  // namespace dlkit
