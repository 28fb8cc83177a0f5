#ifndef DLKIT_SERVICES_TUNER_ALGO_CONVERSION_H_
#define DLKIT_SERVICES_TUNER_ALGO_CONVERSION_H_

// Converts between the dlkit.v1 protos and the plain C++ view tuner_algos/ works on.

#include "dlkit/v1/tuner.pb.h"
#include "dlkit/v1/types.pb.h"
#include "tuner_algos/algorithm.h"
#include "tuner_algos/search_space.h"

namespace dlkit {

algos::SearchSpace ToAlgoSpace(const v1::SearchSpace& space);
algos::Assignment ToAlgoAssignment(const v1::ParameterSet& parameters);
v1::ParameterSet FromAlgoAssignment(const algos::Assignment& assignment);
algos::ClassArgs ToAlgoClassArgs(const v1::AlgorithmSpec& spec);
algos::TrialRecord ToAlgoRecord(const v1::TrialRecord& record);
algos::AlgorithmOptions ToAlgoOptions(const v1::StudyConfig& config, bool for_assessor);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_TUNER_ALGO_CONVERSION_H_
