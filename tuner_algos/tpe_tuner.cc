#include "tuner_algos/tpe_tuner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/status_macros.h"
#include "tuner_algos/class_args.h"
#include "tuner_algos/parzen_estimator.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/trial_history.h"

namespace dlkit::algos {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr size_t kMaxBelow = 25;     // Optuna's default_gamma cap
constexpr double kNormalSpan = 3.0;  // bandwidth range of normal types: mu +- 3 sigma
constexpr double kMaxLog = 700.0;    // keeps exp() of a log-type draw finite

// Observations at one level of the space (a nested option's assignments), oldest first.
using Group = std::vector<const Assignment*>;

// How a numeric parameter lives in TPE's internal space.
struct NumericModel {
  ParzenDim dim;
  bool log = false;
  double step = 0;         // quantisation step in raw space, 0 for continuous
  double raw_low = -kInf;  // where a quantised value's bin is clipped, in raw space
  double raw_high = kInf;
};

NumericModel ModelFor(const ParamSpec& spec) {
  NumericModel m;
  const Distribution d = spec.distribution;
  m.log = IsLogType(d);
  const auto T = [&](double raw) { return m.log ? std::log(raw) : raw; };
  if (d == Distribution::kRandint) {
    m.step = 1;
    m.raw_low = static_cast<double>(RandintLower(spec)) - 0.5;
    m.raw_high = static_cast<double>(RandintUpper(spec)) - 0.5;
    m.dim.low = m.dim.span_low = m.raw_low;
    m.dim.high = m.dim.span_high = m.raw_high;
  } else if (d == Distribution::kNormal || d == Distribution::kQnormal ||
             d == Distribution::kLognormal || d == Distribution::kQlognormal) {
    m.dim.low = -kInf;
    m.dim.high = kInf;
    m.dim.span_low = spec.args[0] - kNormalSpan * spec.args[1];
    m.dim.span_high = spec.args[0] + kNormalSpan * spec.args[1];
    if (m.log) m.raw_low = 0;
  } else {
    m.raw_low = spec.args[0];
    m.raw_high = spec.args[1];
    m.dim.low = m.dim.span_low = T(spec.args[0]);
    m.dim.high = m.dim.span_high = T(spec.args[1]);
  }
  if (spec.args.size() == 3) m.step = spec.args[2];
  if (std::isinf(m.dim.low)) {
    m.dim.prior_mu = spec.args[0];
    m.dim.prior_sigma = spec.args[1];
  } else {
    m.dim.prior_mu = 0.5 * (m.dim.low + m.dim.high);
    m.dim.prior_sigma = m.dim.high - m.dim.low;
  }
  return m;
}

// An observed value in internal space, if the assignment holds a usable one.
std::optional<double> Observed(const NumericModel& m, const ParamSpec& spec, const Assignment& a) {
  auto it = a.find(spec.name);
  if (it == a.end()) return std::nullopt;
  std::optional<double> raw = AsNumber(it->second);
  if (!raw.has_value()) return std::nullopt;
  const double x = m.log ? std::log(*raw) : *raw;
  if (!std::isfinite(x)) return std::nullopt;
  return std::clamp(x, m.dim.low, m.dim.high);
}

// The parameter's value at internal point `x`: quantised and clipped into the space.
Value FromInternal(const NumericModel& m, const ParamSpec& spec, double x) {
  if (spec.distribution == Distribution::kRandint) {
    return Value{std::clamp(static_cast<int64_t>(std::llround(x)), RandintLower(spec),
                            RandintUpper(spec) - 1)};
  }
  const double raw = m.log ? std::exp(std::min(x, kMaxLog)) : x;
  double v = Quantize(spec, raw);
  if (spec.distribution == Distribution::kUniform) v = std::clamp(v, spec.args[0], spec.args[1]);
  return Value{v};
}

// The internal interval a value stands for: its quantisation bin, or the point itself.
void BinOf(const NumericModel& m, const Value& value, double* lo, double* hi) {
  const double v = *AsNumber(value);
  const auto T = [&](double raw) { return m.log ? std::log(raw) : raw; };
  if (m.step <= 0) {
    *lo = *hi = T(v);
    return;
  }
  *lo = T(std::max(v - m.step / 2, m.raw_low));
  *hi = T(std::min(v + m.step / 2, m.raw_high));
}

// One TPE draw of a whole assignment, recursing into chosen nested options with only the
// observations that chose the same option.
class TpeSampler {
 public:
  TpeSampler(const TpeConfig& config, std::mt19937_64& rng) : config_(config), rng_(rng) {
    parzen_.prior_weight = config.prior_weight;
    parzen_.consider_endpoints = config.consider_endpoints;
    parzen_.multivariate = config.multivariate;
  }

  void SampleSpace(const SearchSpace& space, const Group& below, const Group& above,
                   Assignment& out) {
    std::vector<const ParamSpec*> numeric;
    for (const ParamSpec& spec : space.params) {
      if (spec.distribution != Distribution::kChoice) numeric.push_back(&spec);
    }
    if (config_.multivariate) {
      if (!numeric.empty()) SampleNumeric(numeric, below, above, out);
    } else {
      for (const ParamSpec* spec : numeric) SampleNumeric({spec}, below, above, out);
    }
    for (const ParamSpec& spec : space.params) {
      if (spec.distribution == Distribution::kChoice) SampleChoice(spec, below, above, out);
    }
  }

 private:
  // Observations of `group` holding all of `specs`, as internal points.
  static std::vector<std::vector<double>> Points(const std::vector<const ParamSpec*>& specs,
                                                 const std::vector<NumericModel>& models,
                                                 const Group& group) {
    std::vector<std::vector<double>> points;
    for (const Assignment* a : group) {
      std::vector<double> point;
      for (size_t d = 0; d < specs.size(); ++d) {
        std::optional<double> x = Observed(models[d], *specs[d], *a);
        if (!x.has_value()) break;
        point.push_back(*x);
      }
      if (point.size() == specs.size()) points.push_back(std::move(point));
    }
    return points;
  }

  // `specs` jointly (multivariate) or one at a time (a single spec).
  void SampleNumeric(const std::vector<const ParamSpec*>& specs, const Group& below,
                     const Group& above, Assignment& out) {
    std::vector<NumericModel> models;
    std::vector<ParzenDim> dims;
    for (const ParamSpec* spec : specs) {
      models.push_back(ModelFor(*spec));
      dims.push_back(models.back().dim);
    }
    const ParzenEstimator l(dims, Points(specs, models, below), parzen_);
    const ParzenEstimator g(dims, Points(specs, models, above), parzen_);
    const size_t n = specs.size();
    std::vector<Value> best;
    double best_score = -kInf;
    std::vector<double> lo(n), hi(n);
    for (int64_t c = 0; c < config_.n_ei_candidates; ++c) {
      const std::vector<double> x = l.Sample(rng_);
      std::vector<Value> values;
      for (size_t d = 0; d < n; ++d) {
        values.push_back(FromInternal(models[d], *specs[d], x[d]));
        BinOf(models[d], values.back(), &lo[d], &hi[d]);
      }
      const double score = l.LogPdf(lo, hi) - g.LogPdf(lo, hi);
      if (best.empty() || score > best_score) {
        best = std::move(values);
        best_score = score;
      }
    }
    for (size_t d = 0; d < n; ++d) out[specs[d]->name] = best[d];
  }

  static std::vector<size_t> Chosen(const ParamSpec& spec, const Group& group,
                                    std::vector<const Assignment*>* nested_of, size_t option) {
    std::vector<size_t> chosen;
    for (const Assignment* a : group) {
      auto it = a->find(spec.name);
      if (it == a->end()) continue;
      std::optional<size_t> index = OptionIndex(spec, it->second);
      if (!index.has_value()) continue;
      chosen.push_back(*index);
      if (nested_of != nullptr && *index == option) {
        nested_of->push_back(std::get<std::shared_ptr<Assignment>>(it->second.v).get());
      }
    }
    return chosen;
  }

  void SampleChoice(const ParamSpec& spec, const Group& below, const Group& above,
                    Assignment& out) {
    const size_t n_options = spec.options.size();
    const std::vector<double> log_l =
        CategoricalLogProbs(Chosen(spec, below, nullptr, 0), n_options, config_.prior_weight);
    const std::vector<double> log_g =
        CategoricalLogProbs(Chosen(spec, above, nullptr, 0), n_options, config_.prior_weight);
    std::vector<double> probs;
    for (double lp : log_l) probs.push_back(std::exp(lp));
    std::discrete_distribution<size_t> pick(probs.begin(), probs.end());
    size_t best = pick(rng_);
    for (int64_t c = 1; c < config_.n_ei_candidates; ++c) {
      const size_t i = pick(rng_);
      if (log_l[i] - log_g[i] > log_l[best] - log_g[best]) best = i;
    }
    const ChoiceOption& option = spec.options[best];
    Value value = OptionValue(option);
    if (option.is_nested && option.sub_space != nullptr) {
      Group sub_below, sub_above;
      Chosen(spec, below, &sub_below, best);
      Chosen(spec, above, &sub_above, best);
      SampleSpace(*option.sub_space, sub_below, sub_above,
                  *std::get<std::shared_ptr<Assignment>>(value.v));
    }
    out[spec.name] = std::move(value);
  }

  const TpeConfig& config_;
  std::mt19937_64& rng_;
  ParzenOptions parzen_;
};

std::mt19937_64 StreamFor(uint64_t seed, uint64_t index, uint32_t salt) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32), salt};
  return std::mt19937_64(seq);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tuner>> TpeTuner::Create(const AlgorithmOptions& options) {
  const ClassArgs& args = options.class_args;
  DLKIT_RETURN_IF_ERROR(
      CheckKnownArgs(args,
                     {"optimize_mode", "seed", "n_startup_jobs", "n_ei_candidates", "gamma",
                      "prior_weight", "consider_endpoints", "multivariate"},
                     "TPE"));
  TpeConfig config;
  DLKIT_ASSIGN_OR_RETURN(config.direction, DirectionArg(args, options.direction));
  DLKIT_ASSIGN_OR_RETURN(config.seed, SeedArg(args, options.seed));
  DLKIT_ASSIGN_OR_RETURN(config.n_startup_jobs,
                         IntArg(args, "n_startup_jobs", config.n_startup_jobs, 0, 1000000));
  DLKIT_ASSIGN_OR_RETURN(config.n_ei_candidates,
                         IntArg(args, "n_ei_candidates", config.n_ei_candidates, 1, 100000));
  DLKIT_ASSIGN_OR_RETURN(config.gamma, DoubleArg(args, "gamma", config.gamma, 0, 1));
  DLKIT_ASSIGN_OR_RETURN(config.prior_weight,
                         DoubleArg(args, "prior_weight", config.prior_weight, 0, 1e6));
  if (config.gamma <= 0) return absl::InvalidArgumentError("classArg \"gamma\" must be > 0");
  if (config.prior_weight <= 0) {
    return absl::InvalidArgumentError("classArg \"prior_weight\" must be > 0");
  }
  DLKIT_ASSIGN_OR_RETURN(config.consider_endpoints,
                         BoolArg(args, "consider_endpoints", config.consider_endpoints));
  DLKIT_ASSIGN_OR_RETURN(config.multivariate, BoolArg(args, "multivariate", config.multivariate));
  DLKIT_RETURN_IF_ERROR(ValidateSearchSpace(options.space));
  return std::unique_ptr<Tuner>(new TpeTuner(options.space, config));
}

absl::StatusOr<Suggestions> TpeTuner::Suggest(const History& history, int count) {
  if (count < 0) return absl::InvalidArgumentError("count must be >= 0");
  // (loss, position in history) of finished trials; smaller loss is better.
  std::vector<std::pair<double, size_t>> finished;
  std::vector<size_t> pending;
  for (size_t i = 0; i < history.trials.size(); ++i) {
    const TrialRecord& trial = history.trials[i];
    if (std::optional<double> value = FinishedValue(trial)) {
      finished.emplace_back(Loss(*value, config_.direction), i);
    } else if (IsPending(trial)) {
      pending.push_back(i);
    }
  }
  std::sort(finished.begin(), finished.end());
  const size_t n_below = std::min(
      kMaxBelow,
      static_cast<size_t>(std::ceil(config_.gamma * static_cast<double>(finished.size()))));
  std::vector<size_t> below_pos, above_pos = pending;
  for (size_t i = 0; i < finished.size(); ++i) {
    (i < n_below ? below_pos : above_pos).push_back(finished[i].second);
  }
  // Oldest first, so Optuna's ramp weights favour recent trials.
  std::sort(below_pos.begin(), below_pos.end());
  std::sort(above_pos.begin(), above_pos.end());
  Group below, above;
  for (size_t i : below_pos) below.push_back(&history.trials[i].parameters);
  for (size_t i : above_pos) above.push_back(&history.trials[i].parameters);

  Suggestions out;
  out.assignments.reserve(count);  // stable addresses: each suggestion joins `above`
  const uint64_t first = history.trials.size();
  std::mt19937_64 rng = StreamFor(config_.seed, first, 0x79e);
  TpeSampler sampler(config_, rng);
  for (int i = 0; i < count; ++i) {
    if (first + i < static_cast<uint64_t>(config_.n_startup_jobs) || below.empty()) {
      std::mt19937_64 stream = StreamFor(config_.seed, first + i, 0);
      out.assignments.push_back(SampleAssignment(space_, stream));
    } else {
      Assignment assignment;
      sampler.SampleSpace(space_, below, above, assignment);
      out.assignments.push_back(std::move(assignment));
    }
    above.push_back(&out.assignments.back());  // constant liar for the rest of the batch
  }
  return out;
}

}  // namespace dlkit::algos
