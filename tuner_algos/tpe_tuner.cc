#include "tuner_algos/tpe_tuner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
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

// An observed value in internal space; NaN if `value` is absent or not a usable number.
double Observed(const NumericModel& m, const Value* value) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (value == nullptr) return kNaN;
  double raw;
  if (const double* d = std::get_if<double>(&value->v)) {
    raw = *d;
  } else if (const int64_t* i = std::get_if<int64_t>(&value->v)) {
    raw = static_cast<double>(*i);
  } else {
    return kNaN;
  }
  const double x = m.log ? std::log(raw) : raw;
  if (!std::isfinite(x)) return kNaN;
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

// OptionIndex for many values: plain options' Values are built once.
class OptionMatcher {
 public:
  explicit OptionMatcher(const ParamSpec& spec) : spec_(spec) {
    for (const ChoiceOption& option : spec.options) {
      if (option.is_nested) {
        any_nested_ = true;
        break;
      }
      plain_.push_back(OptionValue(option));
      number_.push_back(AsNumber(plain_.back()));
    }
  }

  // -1 where `value` is absent or matches no option.
  int64_t operator()(const Value* value) const {
    if (value == nullptr) return -1;
    if (any_nested_) {
      std::optional<size_t> index = OptionIndex(spec_, *value);
      return index.has_value() ? static_cast<int64_t>(*index) : -1;
    }
    for (size_t i = 0; i < plain_.size(); ++i) {
      if (plain_[i] == *value) return static_cast<int64_t>(i);
    }
    const std::optional<double> x = AsNumber(*value);
    for (size_t i = 0; x.has_value() && i < plain_.size(); ++i) {
      if (number_[i].has_value() && *number_[i] == *x) return static_cast<int64_t>(i);
    }
    return -1;
  }

 private:
  const ParamSpec& spec_;
  bool any_nested_ = false;
  std::vector<Value> plain_;
  std::vector<std::optional<double>> number_;
};

// One level of the space (top level or a nested option's sub-space) as TPE reads it.
struct Level {
  explicit Level(const SearchSpace& space) : space(space), by_name(space.params.size()) {
    std::iota(by_name.begin(), by_name.end(), 0);
    std::sort(by_name.begin(), by_name.end(),
              [&](size_t a, size_t b) { return space.params[a].name < space.params[b].name; });
    for (const ParamSpec& spec : space.params) {
      models.push_back(spec.distribution == Distribution::kChoice ? NumericModel{}
                                                                  : ModelFor(spec));
      matchers.emplace_back(spec);
    }
  }

  const SearchSpace& space;
  std::vector<size_t> by_name;       // parameter indices in name order, an Assignment's key order
  std::vector<NumericModel> models;  // per parameter; unused for choices
  std::vector<OptionMatcher> matchers;  // per parameter; unused for numeric ones
};

// A group's values of a level, one column per parameter, row = position in the group:
// numeric parameters in internal space (NaN where absent or unusable), choices as option
// indices (-1 where absent or unknown).
struct Columns {
  std::vector<std::vector<double>> numeric;  // [param][row], empty for choices
  std::vector<std::vector<int64_t>> option;  // [param][row], empty for numeric parameters
};

// std::string's == without a call to memcmp: parameter names are short.
bool SameName(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Rows read together by ColumnsOf.
constexpr size_t kRowBlock = 16;

// Fills rows [first, group.size()) of `columns` (which holds the rows before `first`): one
// merge over each assignment's (sorted) keys instead of a map lookup per parameter. The map
// nodes of a long history are scattered in memory and walking one map is a chain of cache
// misses, so the entries of kRowBlock rows are first gathered in lockstep (a short step per
// row: their misses overlap), then matched to parameters from cache.
void AppendColumns(const Level& level, const Group& group, size_t first, Columns& columns) {
  using Entry = Assignment::value_type;
  const std::vector<ParamSpec>& params = level.space.params;
  const size_t n_params = params.size();
  const size_t rows = group.size();
  columns.numeric.resize(n_params);
  columns.option.resize(n_params);
  for (size_t p = 0; p < n_params; ++p) {
    if (params[p].distribution == Distribution::kChoice) {
      columns.option[p].resize(rows);
    } else {
      columns.numeric[p].resize(rows);
    }
  }
  std::vector<const Value*> found(n_params);
  std::vector<const Entry*> entries;  // [step * kRowBlock + row in block]
  Assignment::const_iterator its[kRowBlock];
  size_t sizes[kRowBlock];
  for (size_t start = first; start < rows; start += kRowBlock) {
    const size_t count = std::min(kRowBlock, rows - start);
    for (size_t j = start + kRowBlock; j < std::min(start + 2 * kRowBlock, rows); ++j) {
      __builtin_prefetch(group[j]);  // the next block's map headers
    }
    size_t steps = 0;
    for (size_t i = 0; i < count; ++i) {
      its[i] = group[start + i]->begin();
      sizes[i] = group[start + i]->size();
      steps = std::max(steps, sizes[i]);
    }
    if (entries.size() < steps * kRowBlock) entries.resize(steps * kRowBlock);
    for (size_t step = 0; step < steps; ++step) {
      for (size_t i = 0; i < count; ++i) {
        if (step >= sizes[i]) continue;
        const Entry* entry = &*its[i]++;
        entries[step * kRowBlock + i] = entry;
        // The key and value lie past the node's links: fetch them for the matching below.
        __builtin_prefetch(&entry->first);
        __builtin_prefetch(reinterpret_cast<const char*>(entry + 1) - 1);
      }
    }
    for (size_t i = 0; i < count; ++i) {
      std::fill(found.begin(), found.end(), nullptr);
      size_t at = 0;  // next entry of row i
      for (size_t p : level.by_name) {
        const std::string& name = params[p].name;
        const Entry* entry = at < sizes[i] ? entries[at * kRowBlock + i] : nullptr;
        if (entry == nullptr) break;
        bool same = SameName(entry->first, name);
        if (!same) {  // skip keys that are no parameter
          while (entry != nullptr && entry->first < name) {
            ++at;
            entry = at < sizes[i] ? entries[at * kRowBlock + i] : nullptr;
          }
          if (entry == nullptr) break;
          same = SameName(entry->first, name);
        }
        if (same) {
          found[p] = &entry->second;
          ++at;
        }
      }
      for (size_t p = 0; p < n_params; ++p) {
        if (params[p].distribution == Distribution::kChoice) {
          columns.option[p][start + i] = level.matchers[p](found[p]);
        } else {
          columns.numeric[p][start + i] = Observed(level.models[p], found[p]);
        }
      }
    }
  }
}

Columns ColumnsOf(const Level& level, const Group& group) {
  Columns columns;
  AppendColumns(level, group, 0, columns);
  return columns;
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

  // A draw at the top level. The top level's columns are kept from one draw of a batch to
  // the next: `below` stays, `above` only grows by the batch's earlier suggestions.
  void SampleTop(const SearchSpace& space, const Group& below, const Group& above,
                 Assignment& out) {
    if (top_ == nullptr) {
      top_ = std::make_unique<Level>(space);
      top_below_ = ColumnsOf(*top_, below);
    }
    AppendColumns(*top_, above, top_above_rows_, top_above_);
    top_above_rows_ = above.size();
    SampleLevel(*top_, top_below_, top_above_, below, above, out);
  }

  void SampleSpace(const SearchSpace& space, const Group& below, const Group& above,
                   Assignment& out) {
    const Level level(space);
    SampleLevel(level, ColumnsOf(level, below), ColumnsOf(level, above), below, above, out);
  }

 private:
  // One draw at a level whose columns are given.
  void SampleLevel(const Level& level, const Columns& below_columns, const Columns& above_columns,
                   const Group& below, const Group& above, Assignment& out) {
    const SearchSpace& space = level.space;
    std::vector<size_t> numeric;
    for (size_t p = 0; p < space.params.size(); ++p) {
      if (space.params[p].distribution != Distribution::kChoice) numeric.push_back(p);
    }
    if (config_.multivariate) {
      if (!numeric.empty()) SampleNumeric(level, numeric, below_columns, above_columns, out);
    } else {
      for (size_t p : numeric) SampleNumeric(level, {p}, below_columns, above_columns, out);
    }
    for (size_t p = 0; p < space.params.size(); ++p) {
      if (space.params[p].distribution == Distribution::kChoice) {
        SampleChoice(space.params[p], below_columns.option[p], above_columns.option[p], below,
                     above, out);
      }
    }
  }

  // The rows holding all of `params`, as internal points, row-major.
  static std::vector<double> Points(const std::vector<size_t>& params, const Columns& columns) {
    const size_t n = params.size();
    const size_t rows = columns.numeric[params[0]].size();
    std::vector<double> points;
    points.reserve(rows * n);
    for (size_t row = 0; row < rows; ++row) {
      bool complete = true;
      for (size_t p : params) complete = complete && !std::isnan(columns.numeric[p][row]);
      if (!complete) continue;
      for (size_t p : params) points.push_back(columns.numeric[p][row]);
    }
    return points;
  }

  // `params` jointly (multivariate) or one at a time (a single parameter): the best of
  // n_ei_candidates draws from l(x) by Optuna 3.1's score log l(x) - log g(x).
  void SampleNumeric(const Level& level, const std::vector<size_t>& params, const Columns& below,
                     const Columns& above, Assignment& out) {
    std::vector<const ParamSpec*> specs;
    std::vector<const NumericModel*> models;
    std::vector<ParzenDim> dims;
    for (size_t p : params) {
      specs.push_back(&level.space.params[p]);
      models.push_back(&level.models[p]);
      dims.push_back(level.models[p].dim);
    }
    const size_t n = specs.size();
    const std::vector<double> below_points = Points(params, below);
    const std::vector<double> above_points = Points(params, above);
    const ParzenEstimator l(dims, below_points.data(), below_points.size() / n, parzen_);
    const ParzenEstimator g(dims, above_points.data(), above_points.size() / n, parzen_);
    const size_t n_candidates = static_cast<size_t>(config_.n_ei_candidates);
    std::vector<Value> values;  // [candidate * n + d]
    values.reserve(n_candidates * n);
    std::vector<double> lo(n_candidates * n), hi(n_candidates * n);
    for (size_t c = 0; c < n_candidates; ++c) {
      const std::vector<double> x = l.Sample(rng_);
      for (size_t d = 0; d < n; ++d) {
        values.push_back(FromInternal(*models[d], *specs[d], x[d]));
        BinOf(*models[d], values.back(), &lo[c * n + d], &hi[c * n + d]);
      }
    }
    std::vector<double> log_l(n_candidates), log_g(n_candidates);
    l.LogScores(lo.data(), hi.data(), n_candidates, log_l.data());
    g.LogScores(lo.data(), hi.data(), n_candidates, log_g.data());
    size_t best = 0;
    for (size_t c = 1; c < n_candidates; ++c) {
      if (log_l[c] - log_g[c] > log_l[best] - log_g[best]) best = c;
    }
    for (size_t d = 0; d < n; ++d) out[specs[d]->name] = std::move(values[best * n + d]);
  }

  static std::vector<size_t> Chosen(const std::vector<int64_t>& column) {
    std::vector<size_t> chosen;
    for (int64_t index : column) {
      if (index >= 0) chosen.push_back(static_cast<size_t>(index));
    }
    return chosen;
  }

  // The nested assignments of the rows of `group` that chose `option`.
  static Group NestedOf(const ParamSpec& spec, const std::vector<int64_t>& column,
                        const Group& group, size_t option) {
    Group nested;
    for (size_t row = 0; row < group.size(); ++row) {
      if (column[row] != static_cast<int64_t>(option)) continue;
      const Value& value = group[row]->at(spec.name);
      nested.push_back(std::get<std::shared_ptr<Assignment>>(value.v).get());
    }
    return nested;
  }

  void SampleChoice(const ParamSpec& spec, const std::vector<int64_t>& below_options,
                    const std::vector<int64_t>& above_options, const Group& below,
                    const Group& above, Assignment& out) {
    const size_t n_options = spec.options.size();
    const std::vector<double> log_l =
        CategoricalLogProbs(Chosen(below_options), n_options, config_.prior_weight);
    const std::vector<double> log_g =
        CategoricalLogProbs(Chosen(above_options), n_options, config_.prior_weight);
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
      SampleSpace(*option.sub_space, NestedOf(spec, below_options, below, best),
                  NestedOf(spec, above_options, above, best),
                  *std::get<std::shared_ptr<Assignment>>(value.v));
    }
    out[spec.name] = std::move(value);
  }

  const TpeConfig& config_;
  std::mt19937_64& rng_;
  ParzenOptions parzen_;
  std::unique_ptr<Level> top_;  // SampleTop's level, columns and rows of `above` read
  Columns top_below_;
  Columns top_above_;
  size_t top_above_rows_ = 0;
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
  // Per position: 0 ignored (failed, ...), 1 above (finished or pending), 2 below.
  std::vector<char> side(history.trials.size(), 0);
  for (size_t i = 0; i < history.trials.size(); ++i) {
    const TrialRecord& trial = history.trials[i];
    if (std::optional<double> value = FinishedValue(trial)) {
      finished.emplace_back(Loss(*value, config_.direction), i);
      side[i] = 1;
    } else if (IsPending(trial)) {
      side[i] = 1;
    }
  }
  const size_t n_below = std::min(
      kMaxBelow,
      static_cast<size_t>(std::ceil(config_.gamma * static_cast<double>(finished.size()))));
  // Only the split matters: the n_below smallest (loss, position) go below.
  if (n_below < finished.size()) {
    std::nth_element(finished.begin(), finished.begin() + n_below, finished.end());
  }
  for (size_t i = 0; i < n_below; ++i) side[finished[i].second] = 2;
  // Oldest first, so Optuna's ramp weights favour recent trials.
  Group below, above;
  for (size_t i = 0; i < history.trials.size(); ++i) {
    if (side[i] != 0) (side[i] == 2 ? below : above).push_back(&history.trials[i].parameters);
  }

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
      sampler.SampleTop(space_, below, above, assignment);
      out.assignments.push_back(std::move(assignment));
    }
    above.push_back(&out.assignments.back());  // constant liar for the rest of the batch
  }
  return out;
}

}  // namespace dlkit::algos
