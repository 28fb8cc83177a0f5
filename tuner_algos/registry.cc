#include "tuner_algos/registry.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tuner_algos/anneal_tuner.h"
#include "tuner_algos/asha_assessor.h"
#include "tuner_algos/bohb_tuner.h"
#include "tuner_algos/cmaes_tuner.h"
#include "tuner_algos/curvefitting_assessor.h"
#include "tuner_algos/evolution_tuner.h"
#include "tuner_algos/gp_tuner.h"
#include "tuner_algos/grid_search_tuner.h"
#include "tuner_algos/hyperband_tuner.h"
#include "tuner_algos/median_stop_assessor.h"
#include "tuner_algos/random_tuner.h"
#include "tuner_algos/sobol_tuner.h"
#include "tuner_algos/tpe_tuner.h"

namespace dlkit::algos {
namespace {

template <typename T>
struct Entry {
  const char* name;  // NNI's spelling; lookups ignore case as NNI does for built-ins
  absl::StatusOr<std::unique_ptr<T>> (*create)(const AlgorithmOptions&);
};

// Sorted by name. A new algorithm is one line here.
const std::vector<Entry<Tuner>>& Tuners() {
  static const auto* tuners = new std::vector<Entry<Tuner>>{
      {"Anneal", &AnnealTuner::Create},
      {"BOHB", &BohbTuner::Create},
      {"CMAES", &CmaesTuner::Create},
      {"Evolution", &EvolutionTuner::Create},
      {"GP", &GpTuner::Create},
      {"GridSearch", &GridSearchTuner::Create},
      {"Hyperband", &HyperbandTuner::Create},
      {"Random", &RandomTuner::Create},
      {"Sobol", &SobolTuner::Create},
      {"TPE", &TpeTuner::Create},
  };
  return *tuners;
}

const std::vector<Entry<Assessor>>& Assessors() {
  static const auto* assessors = new std::vector<Entry<Assessor>>{
      {"ASHA", &AshaAssessor::Create},
      {"Curvefitting", &CurvefittingAssessor::Create},
      {"Medianstop", &MedianStopAssessor::Create},
  };
  return *assessors;
}

template <typename T>
std::vector<std::string> Names(const std::vector<Entry<T>>& entries) {
  std::vector<std::string> names;
  for (const Entry<T>& entry : entries) names.push_back(entry.name);
  return names;
}

template <typename T>
absl::StatusOr<std::unique_ptr<T>> Create(const std::vector<Entry<T>>& entries, const char* kind,
                                          const std::string& name,
                                          const AlgorithmOptions& options) {
  for (const Entry<T>& entry : entries) {
    if (absl::EqualsIgnoreCase(entry.name, name)) return entry.create(options);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown ", kind, " \"", name, "\"; known ", kind,
                                                 "s: ", absl::StrJoin(Names(entries), ", ")));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tuner>> CreateTuner(const std::string& name,
                                                   const AlgorithmOptions& options) {
  return Create(Tuners(), "tuner", name, options);
}

absl::StatusOr<std::unique_ptr<Assessor>> CreateAssessor(const std::string& name,
                                                         const AlgorithmOptions& options) {
  return Create(Assessors(), "assessor", name, options);
}

std::vector<std::string> TunerNames() { return Names(Tuners()); }

std::vector<std::string> AssessorNames() { return Names(Assessors()); }

}  // namespace dlkit::algos
