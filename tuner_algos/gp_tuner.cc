#include "tuner_algos/gp_tuner.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "absl/types/span.h"
#include "base/status_macros.h"
#include "tuner_algos/class_args.h"
#include "tuner_algos/gaussian_process.h"
#include "tuner_algos/math_util.h"
#include "tuner_algos/parallel.h"
#include "tuner_algos/sampling.h"
#include "tuner_algos/trial_history.h"

namespace dlkit::algos {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNeutral = 0.5;      // encoded value of a parameter that is not present
constexpr double kNormalUnit = 1e-6;  // normal types' unit interval is cut to [e, 1 - e]
constexpr double kFirstStep = 0.1;    // coordinate search: initial and final step sizes
constexpr double kLastStep = 1e-3;
constexpr int kMaxRefineSteps = 60;
constexpr double kMinGain = 1e-12;  // in log EI: a search moves only for more than this
constexpr uint64_t kRandomSalt = 0;
constexpr uint64_t kFitSalt = 0x67701;
constexpr uint64_t kAcquireSalt = 0x67702;

// A numeric parameter's value in [0, 1].
double EncodeNumber(const ParamSpec& spec, double x) {
  const Distribution d = spec.distribution;
  double u = kNeutral;
  if (d == Distribution::kRandint) {
    const double lo = static_cast<double>(RandintLower(spec));
    const double hi = static_cast<double>(RandintUpper(spec));
    u = (x - lo + 0.5) / (hi - lo);
  } else if (IsNormalType(d)) {
    const double base = IsLogType(d) ? (x > 0 ? std::log(x) : -kInf) : x;
    u = NormalCdf((base - spec.args[0]) / spec.args[1]);
  } else if (IsLogType(d)) {
    const double lo = std::log(spec.args[0]);
    u = x > 0 ? (std::log(x) - lo) / (std::log(spec.args[1]) - lo) : 0;
  } else {
    u = (x - spec.args[0]) / (spec.args[1] - spec.args[0]);
  }
  return std::isnan(u) ? kNeutral : std::clamp(u, 0.0, 1.0);
}

// The parameter's value at `u`, quantised and clipped into the space.
Value DecodeNumber(const ParamSpec& spec, double u) {
  const Distribution d = spec.distribution;
  if (d == Distribution::kRandint) {
    const int64_t lo = RandintLower(spec);
    const int64_t hi = RandintUpper(spec);
    const auto k =
        static_cast<int64_t>(std::floor(std::clamp(u, 0.0, 1.0) * static_cast<double>(hi - lo)));
    return Value{std::clamp(lo + k, lo, hi - 1)};
  }
  if (IsNormalType(d))
    return Value{Quantize(spec, RawFromUnit(spec, std::clamp(u, kNormalUnit, 1 - kNormalUnit)))};
  double v = Quantize(spec, RawFromUnit(spec, std::clamp(u, 0.0, 1.0)));
  if (d == Distribution::kUniform) v = std::clamp(v, spec.args[0], spec.args[1]);
  return Value{v};
}

// Where one parameter lives in the encoded vector.
struct ParamCoder {
  const ParamSpec* spec = nullptr;
  int offset = 0;                            // numeric: its dim; choice: first option's dim
  std::vector<std::vector<ParamCoder>> sub;  // choice: each option's sub-space parameters
};

// Maps assignments of a space to and from [0, 1]^dims.
class Encoding {
 public:
  explicit Encoding(const SearchSpace& space) { coders_ = Build(space); }

  int dims() const { return dims_; }
  // The dims forming one choice's one-hot block, per choice parameter (any level).
  const std::vector<std::pair<int, int>>& one_hot_blocks() const { return blocks_; }

  Eigen::VectorXd Encode(const Assignment& a) const {
    Eigen::VectorXd u = Eigen::VectorXd::Constant(dims_, kNeutral);
    EncodeInto(coders_, a, u);
    return u;
  }

  Assignment Decode(const Eigen::VectorXd& u) const {
    Assignment a;
    DecodeInto(coders_, u, a);
    return a;
  }

  // The encoding of what `u` decodes to: snapped one-hots, quantised numbers, neutral
  // inactive sub-parameters.
  Eigen::VectorXd Canonical(const Eigen::VectorXd& u) const { return Encode(Decode(u)); }

 private:
  std::vector<ParamCoder> Build(const SearchSpace& space) {
    std::vector<ParamCoder> coders;
    for (const ParamSpec& spec : space.params) {
      ParamCoder c;
      c.spec = &spec;
      c.offset = dims_;
      if (spec.distribution != Distribution::kChoice) {
        ++dims_;
      } else {
        const int n = static_cast<int>(spec.options.size());
        blocks_.emplace_back(dims_, n);
        dims_ += n;
        for (const ChoiceOption& option : spec.options) {
          c.sub.push_back(option.is_nested && option.sub_space != nullptr
                              ? Build(*option.sub_space)
                              : std::vector<ParamCoder>{});
        }
      }
      coders.push_back(std::move(c));
    }
    return coders;
  }

  static void EncodeInto(const std::vector<ParamCoder>& coders, const Assignment& a,
                         Eigen::VectorXd& u) {
    for (const ParamCoder& c : coders) {
      auto it = a.find(c.spec->name);
      if (it == a.end()) continue;
      if (c.spec->distribution != Distribution::kChoice) {
        if (std::optional<double> x = AsNumber(it->second)) u(c.offset) = EncodeNumber(*c.spec, *x);
        continue;
      }
      std::optional<size_t> index = OptionIndex(*c.spec, it->second);
      if (!index.has_value()) continue;
      u.segment(c.offset, static_cast<Eigen::Index>(c.spec->options.size())).setZero();
      u(c.offset + static_cast<Eigen::Index>(*index)) = 1;
      if (!c.sub[*index].empty()) {
        EncodeInto(c.sub[*index], *std::get<std::shared_ptr<Assignment>>(it->second.v), u);
      }
    }
  }

  static void DecodeInto(const std::vector<ParamCoder>& coders, const Eigen::VectorXd& u,
                         Assignment& a) {
    for (const ParamCoder& c : coders) {
      if (c.spec->distribution != Distribution::kChoice) {
        a[c.spec->name] = DecodeNumber(*c.spec, u(c.offset));
        continue;
      }
      Eigen::Index best = 0;
      u.segment(c.offset, static_cast<Eigen::Index>(c.spec->options.size())).maxCoeff(&best);
      const ChoiceOption& option = c.spec->options[best];
      Value value = OptionValue(option);
      if (option.is_nested && option.sub_space != nullptr) {
        DecodeInto(c.sub[best], u, *std::get<std::shared_ptr<Assignment>>(value.v));
      }
      a[c.spec->name] = std::move(value);
    }
  }

  int dims_ = 0;
  std::vector<ParamCoder> coders_;
  std::vector<std::pair<int, int>> blocks_;
};

Eigen::MatrixXd Rows(const std::vector<Eigen::VectorXd>& points, int dims) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(points.size()), dims);
  for (size_t i = 0; i < points.size(); ++i) m.row(static_cast<Eigen::Index>(i)) = points[i];
  return m;
}

// Log EI of each point under `gp` against incumbent `best`; -inf where it is shown to fall
// short of bars[i] or of the top_k-th best (GaussianProcess::LogEiAbove).
std::vector<double> Score(const GaussianProcess& gp, const std::vector<Eigen::VectorXd>& points,
                          int dims, double best, const std::vector<double>& bars = {},
                          size_t top_k = 0) {
  if (points.empty()) return {};
  return gp.LogEiAbove(Rows(points, dims), best, bars, top_k);
}

// The warm-up scoring and the searches run in this many parts, in parallel where there
// are cores. A constant, not the core count, so that every machine scores the same batches.
constexpr size_t kParts = 2;

// body(begin, end) for kParts contiguous ranges that cover [0, n), in parallel.
template <typename Body>
void InParts(size_t n, const Body& body) {
  ParallelFor(kParts, [&](size_t part) { body(n * part / kParts, n * (part + 1) / kParts); });
}

// The candidates' indices and scores, best first (the first of equals first); with top_k > 0
// only the first top_k are sure to be in order (Score). The candidates are scored in kParts.
std::vector<std::pair<size_t, double>> BestFirst(const GaussianProcess& gp,
                                                 const std::vector<Eigen::VectorXd>& candidates,
                                                 int dims, double best, size_t top_k) {
  std::vector<double> scores(candidates.size());
  InParts(candidates.size(), [&](size_t begin, size_t end) {
    // Each part's top_k hold the top_k of all.
    const std::vector<double> part =
        Score(gp, {candidates.begin() + begin, candidates.begin() + end}, dims, best, {}, top_k);
    std::copy(part.begin(), part.end(), scores.begin() + begin);
  });
  std::vector<std::pair<size_t, double>> order;
  for (size_t c = 0; c < candidates.size(); ++c) order.emplace_back(c, scores[c]);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return order;
}

// `a`, unless an earlier trial or suggestion had it.
std::optional<Assignment> Unseen(Assignment a, const std::unordered_set<std::string>& seen) {
  if (seen.count(AssignmentKey(a)) != 0) return std::nullopt;
  return a;
}

// One coordinate search (canonical point): tries +-step on every numeric dim and every
// other option of every choice, moves to the best improvement, halves the step otherwise.
struct Search {
  Eigen::VectorXd point;
  double score;
  double step = kFirstStep;
  int iter = 0;
  bool Active() const { return iter < kMaxRefineSteps && step >= kLastStep; }
};

// The points one step of `search` scores.
std::vector<Eigen::VectorXd> Neighbours(const Search& search, const Encoding& encoding,
                                        const std::vector<bool>& is_option) {
  const Eigen::VectorXd& point = search.point;
  std::vector<Eigen::VectorXd> neighbours;
  for (int j = 0; j < encoding.dims(); ++j) {
    if (is_option[j]) continue;
    for (double sign : {-1.0, 1.0}) {
      Eigen::VectorXd n = point;
      n(j) = std::clamp(n(j) + sign * search.step, 0.0, 1.0);
      n = encoding.Canonical(n);
      if (n != point) neighbours.push_back(std::move(n));
    }
  }
  if (search.iter == 0 || search.step == kFirstStep) {
    for (const auto& [first, n_options] : encoding.one_hot_blocks()) {
      for (int k = 0; k < n_options; ++k) {
        if (point(first + k) == 1) continue;
        Eigen::VectorXd n = point;
        n.segment(first, n_options).setZero();
        n(first + k) = 1;
        n = encoding.Canonical(n);
        if (n != point) neighbours.push_back(std::move(n));
      }
    }
  }
  return neighbours;
}

// Runs every search to its end. The searches are independent, but they step together so
// that each step scores all their neighbours in one call: one pass over the Cholesky
// factor for all of them instead of one per search.
void Refine(const GaussianProcess& gp, const Encoding& encoding, double best,
            absl::Span<Search> searches) {
  std::vector<bool> is_option(encoding.dims(), false);
  for (const auto& [first, n] : encoding.one_hot_blocks()) {
    for (int j = first; j < first + n; ++j) is_option[j] = true;
  }
  const auto active = [](const Search& s) { return s.Active(); };
  while (std::any_of(searches.begin(), searches.end(), active)) {
    std::vector<Eigen::VectorXd> neighbours;
    std::vector<double> bars;  // a neighbour is taken only if it beats its search's point
    std::vector<std::pair<size_t, size_t>> ranges(searches.size());  // per search, in neighbours
    for (size_t s = 0; s < searches.size(); ++s) {
      if (!searches[s].Active()) continue;
      std::vector<Eigen::VectorXd> own = Neighbours(searches[s], encoding, is_option);
      ranges[s] = {neighbours.size(), neighbours.size() + own.size()};
      for (Eigen::VectorXd& n : own) neighbours.push_back(std::move(n));
      bars.resize(neighbours.size(), searches[s].score + kMinGain);
    }
    const std::vector<double> scores = Score(gp, neighbours, encoding.dims(), best, bars);
    for (size_t s = 0; s < searches.size(); ++s) {
      Search& search = searches[s];
      if (!search.Active()) continue;
      const auto [begin, end] = ranges[s];
      size_t arg = begin;
      for (size_t i = begin + 1; i < end; ++i) {
        if (scores[i] > scores[arg]) arg = i;
      }
      if (begin < end && scores[arg] > search.score + kMinGain) {
        search.point = neighbours[arg];
        search.score = scores[arg];
      } else {
        search.step /= 2;
      }
      ++search.iter;
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tuner>> GpTuner::Create(const AlgorithmOptions& options) {
  const ClassArgs& args = options.class_args;
  DLKIT_RETURN_IF_ERROR(CheckKnownArgs(args,
                                       {"optimize_mode", "seed", "cold_start_num",
                                        "selection_num_warm_up", "selection_num_starting_points"},
                                       "GP"));
  GpTunerConfig config;
  DLKIT_ASSIGN_OR_RETURN(config.direction, DirectionArg(args, options.direction));
  DLKIT_ASSIGN_OR_RETURN(config.seed, SeedArg(args, options.seed));
  DLKIT_ASSIGN_OR_RETURN(config.cold_start_num,
                         IntArg(args, "cold_start_num", config.cold_start_num, 0, 1000000));
  DLKIT_ASSIGN_OR_RETURN(
      config.selection_num_warm_up,
      IntArg(args, "selection_num_warm_up", config.selection_num_warm_up, 1, 10000000));
  DLKIT_ASSIGN_OR_RETURN(config.selection_num_starting_points,
                         IntArg(args, "selection_num_starting_points",
                                config.selection_num_starting_points, 0, 100000));
  DLKIT_RETURN_IF_ERROR(ValidateSearchSpace(options.space));
  return std::unique_ptr<Tuner>(new GpTuner(options.space, config));
}

absl::StatusOr<Suggestions> GpTuner::Suggest(const History& history, int count) {
  if (count < 0) return absl::InvalidArgumentError("count must be >= 0");
  const Encoding encoding(space_);
  const int dims = encoding.dims();
  // Finished trials (the GP's data, larger is better: minus the loss) and pending ones (liars).
  std::vector<Eigen::VectorXd> x;
  std::vector<double> y;
  std::vector<Eigen::VectorXd> liars;
  for (const TrialRecord& trial : history.trials) {
    if (std::optional<double> value = FinishedValue(trial)) {
      x.push_back(encoding.Encode(trial.parameters));
      y.push_back(-Loss(*value, config_.direction));
    } else if (IsPending(trial)) {
      liars.push_back(encoding.Encode(trial.parameters));
    }
  }
  std::unordered_set<std::string> seen = HistoryKeys(history);

  Suggestions out;
  const uint64_t first = history.trials.size();
  std::optional<GpHyperparameters> hyper;
  for (int i = 0; i < count; ++i) {
    const uint64_t index = first + static_cast<uint64_t>(i);
    std::optional<Assignment> chosen;
    if (index >= static_cast<uint64_t>(config_.cold_start_num) && y.size() >= 2 && dims > 0) {
      const Eigen::VectorXd y_fin = Eigen::Map<const Eigen::VectorXd>(y.data(), y.size());
      if (!hyper.has_value()) {
        std::mt19937_64 fit_rng = TrialStream(config_.seed, first, kFitSalt);
        hyper =
            GaussianProcess::Fit(Rows(x, dims), y_fin, GpFitOptions(), fit_rng).hyperparameters();
      }
      // Liars observe the worst finished value, so EI near them vanishes.
      const double best = y_fin.maxCoeff();
      std::vector<Eigen::VectorXd> all = x;
      all.insert(all.end(), liars.begin(), liars.end());
      Eigen::VectorXd y_all =
          Eigen::VectorXd::Constant(static_cast<Eigen::Index>(all.size()), y_fin.minCoeff());
      y_all.head(y_fin.size()) = y_fin;
      const GaussianProcess gp =
          GaussianProcess::WithHyperparameters(Rows(all, dims), y_all, *hyper);

      std::mt19937_64 rng = TrialStream(config_.seed, index, kAcquireSalt);
      std::uniform_real_distribution<double> unit(0, 1);
      std::vector<Eigen::VectorXd> candidates;
      for (int64_t c = 0; c < config_.selection_num_warm_up; ++c) {
        Eigen::VectorXd u(dims);
        for (int j = 0; j < dims; ++j) u(j) = unit(rng);
        candidates.push_back(encoding.Canonical(u));
      }
      // The searches start from the best `starts` candidates, so only those need exact
      // scores; the others are ranked only when every refined point has been tried already.
      const size_t starts =
          std::min(candidates.size(), static_cast<size_t>(config_.selection_num_starting_points));
      std::vector<std::pair<size_t, double>> order = BestFirst(gp, candidates, dims, best, starts);
      std::vector<Search> searches;
      for (size_t s = 0; s < starts; ++s) {
        searches.push_back({candidates[order[s].first], order[s].second});
      }
      InParts(searches.size(), [&](size_t begin, size_t end) {
        Refine(gp, encoding, best, absl::MakeSpan(searches).subspan(begin, end - begin));
      });
      std::stable_sort(searches.begin(), searches.end(),
                       [](const Search& a, const Search& b) { return a.score > b.score; });
      for (const Search& search : searches) {
        chosen = Unseen(encoding.Decode(search.point), seen);
        if (chosen.has_value()) break;
      }
      if (!chosen.has_value() && starts > 0) order = BestFirst(gp, candidates, dims, best, 0);
      for (size_t s = starts; s < order.size() && !chosen.has_value(); ++s) {
        chosen = Unseen(encoding.Decode(candidates[order[s].first]), seen);
      }
    }
    if (!chosen.has_value()) {
      std::mt19937_64 stream = TrialStream(config_.seed, index, kRandomSalt);
      chosen = SampleAssignment(space_, stream);
    }
    seen.insert(AssignmentKey(*chosen));
    liars.push_back(encoding.Encode(*chosen));  // constant liar for the rest of the batch
    out.assignments.push_back(std::move(*chosen));
  }
  return out;
}

}  // namespace dlkit::algos
