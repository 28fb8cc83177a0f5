// dlkit TPE over many seeds, without the daemon: the continuous functions of compare.py
// (same definitions and boxes), 100 trials one at a time straight through
// TpeTuner::Suggest, and the median regret per block of 100 seeds. This is how a
// default classArg is weighed on more seeds than compare.py's daemon runs can afford.
//
//   bazel build -c opt --symlink_prefix=/tmp/dlkit-opt- //bench:tpe_seeds
//   /tmp/dlkit-opt-bin/bench/tpe_seeds rosenbrock5 --blocks 4 n_ei_candidates=24
//
// Arguments: FUNCTION (branin, hartmann6, rosenbrock5, ackley5), --blocks B (blocks of 100
// seeds from seed 1 on; 4), --trials T (100), --at T1,T2,... (extra trial counts to report),
// then NAME=VALUE classArgs (integers, decimals, true/false).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "tuner_algos/algorithm.h"
#include "tuner_algos/registry.h"

namespace dlkit::algos {
namespace {

using Point = std::vector<double>;

double Branin(const Point& x) {
  const double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
  return std::pow(x[1] - b * x[0] * x[0] + c * x[0] - 6, 2) + 10 * (1 - t) * std::cos(x[0]) + 10;
}

double Hartmann6(const Point& x) {
  static const double kAlpha[4] = {1.0, 1.2, 3.0, 3.2};
  static const double kA[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                  {0.05, 10, 17, 0.1, 8, 14},
                                  {3, 3.5, 1.7, 10, 17, 8},
                                  {17, 8, 0.05, 10, 0.1, 14}};
  static const double kP[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                  {2329, 4135, 8307, 3736, 1004, 9991},
                                  {2348, 1451, 3522, 2883, 3047, 6650},
                                  {4047, 8828, 8732, 5743, 1091, 381}};
  double total = 0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0;
    for (int j = 0; j < 6; ++j) inner += kA[i][j] * std::pow(x[j] - kP[i][j] * 1e-4, 2);
    total -= kAlpha[i] * std::exp(-inner);
  }
  return total;
}

double Rosenbrock(const Point& x) {
  double total = 0;
  for (size_t i = 0; i + 1 < x.size(); ++i) {
    total += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1 - x[i], 2);
  }
  return total;
}

double Ackley(const Point& x) {
  double s1 = 0, s2 = 0;
  for (double v : x) {
    s1 += v * v;
    s2 += std::cos(2 * M_PI * v);
  }
  const double d = static_cast<double>(x.size());
  return -20 * std::exp(-0.2 * std::sqrt(s1 / d)) - std::exp(s2 / d) + 20 + M_E;
}

struct Function {
  std::vector<std::pair<double, double>> box;  // per dimension
  std::function<double(const Point&)> f;
  double f_star;
};

bool FunctionNamed(const std::string& name, Function* out) {
  const auto cube = [](int d, double low, double high) {
    return std::vector<std::pair<double, double>>(d, {low, high});
  };
  if (name == "branin")
    *out = {{{-5, 10}, {0, 15}}, Branin, 0.397887357729738};
  else if (name == "hartmann6")
    *out = {cube(6, 0, 1), Hartmann6, -3.32236801141551};
  else if (name == "rosenbrock5")
    *out = {cube(5, -2, 2), Rosenbrock, 0};
  else if (name == "ackley5")
    *out = {cube(5, -32.768, 32.768), Ackley, 0};
  else
    return false;
  return true;
}

double Median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  const size_t n = xs.size();
  return n % 2 == 1 ? xs[n / 2] : 0.5 * (xs[n / 2 - 1] + xs[n / 2]);
}

int Usage(const char* why) {
  std::fprintf(stderr,
               "tpe_seeds: %s\nusage: tpe_seeds FUNCTION [--blocks B] [--trials T] "
               "[--at T1,T2] [classArg=value ...]\n",
               why);
  return 2;
}

int Main(int argc, char** argv) {
  if (argc < 2) return Usage("FUNCTION is missing (branin, hartmann6, rosenbrock5, ackley5)");
  Function fn;
  if (!FunctionNamed(argv[1], &fn)) return Usage("unknown FUNCTION");
  int blocks = 4, trials = 100;
  std::vector<int> report_at;
  AlgorithmOptions options;
  options.direction = Direction::kMinimize;
  for (int i = 0; i < static_cast<int>(fn.box.size()); ++i) {
    ParamSpec spec;
    spec.name = "x" + std::to_string(i);
    spec.distribution = Distribution::kUniform;
    spec.args = {fn.box[i].first, fn.box[i].second};
    options.space.params.push_back(spec);
  }
  for (int a = 2; a < argc; ++a) {
    const std::string arg = argv[a];
    const bool has_value = a + 1 < argc;
    if (arg == "--blocks" && has_value && absl::SimpleAtoi(argv[a + 1], &blocks) && blocks > 0) {
      ++a;
    } else if (arg == "--trials" && has_value && absl::SimpleAtoi(argv[a + 1], &trials) &&
               trials > 0) {
      ++a;
    } else if (arg == "--at" && has_value) {
      for (absl::string_view t : absl::StrSplit(argv[++a], ',')) {
        int at;
        if (!absl::SimpleAtoi(t, &at) || at <= 0) return Usage("--at wants trial counts");
        report_at.push_back(at);
      }
    } else if (const size_t eq = arg.find('='); eq != std::string::npos && eq > 0) {
      const std::string name = arg.substr(0, eq), value = arg.substr(eq + 1);
      int64_t i;
      double d;
      if (value == "true" || value == "false") {
        options.class_args[name] = value == "true";
      } else if (absl::SimpleAtoi(value, &i)) {
        options.class_args[name] = i;
      } else if (absl::SimpleAtod(value, &d)) {
        options.class_args[name] = d;
      } else {
        return Usage(("classArg " + name + ": not a number or true/false").c_str());
      }
    } else {
      return Usage(("cannot read argument " + arg).c_str());
    }
  }
  report_at.push_back(trials);
  for (int at : report_at) {
    if (at > trials) return Usage("--at beyond --trials");
  }

  std::sort(report_at.begin(), report_at.end());
  // regrets[r][block]: best-so-far regret at report_at[r] of each seed of the block.
  std::vector<std::vector<std::vector<double>>> regrets(report_at.size(),
                                                        std::vector<std::vector<double>>(blocks));
  for (int block = 0; block < blocks; ++block) {
    for (int seed = 1 + 100 * block; seed <= 100 * (block + 1); ++seed) {
      options.seed = seed;
      absl::StatusOr<std::unique_ptr<Tuner>> tuner = CreateTuner("TPE", options);
      if (!tuner.ok()) return Usage(std::string(tuner.status().message()).c_str());
      History history;
      double best = INFINITY;
      size_t next_report = 0;
      for (int t = 1; t <= trials; ++t) {
        absl::StatusOr<Suggestions> s = (*tuner)->Suggest(history, 1);
        if (!s.ok()) return Usage(std::string(s.status().message()).c_str());
        Point x;
        for (const ParamSpec& spec : options.space.params) {
          x.push_back(std::get<double>(s->assignments[0].at(spec.name).v));
        }
        TrialRecord record;
        record.index = t;
        record.trial_id = "t" + std::to_string(t);
        record.status = TrialStatus::kSucceeded;
        record.parameters = s->assignments[0];
        record.final_value = fn.f(x);
        best = std::min(best, *record.final_value - fn.f_star);
        history.trials.push_back(std::move(record));
        while (next_report < report_at.size() && report_at[next_report] == t) {
          regrets[next_report++][block].push_back(best);
        }
      }
    }
    std::fprintf(stderr, "block %d of %d done\n", block + 1, blocks);
  }
  std::printf("%s, TPE, seeds 1-%d; median regret per block of 100 seeds, then over all\n", argv[1],
              100 * blocks);
  for (size_t r = 0; r < report_at.size(); ++r) {
    std::printf("@%-4d", report_at[r]);
    std::vector<double> all;
    for (const std::vector<double>& block : regrets[r]) {
      std::printf("  %.4g", Median(block));
      all.insert(all.end(), block.begin(), block.end());
    }
    std::printf("   all: %.4g\n", Median(all));
  }
  return 0;
}

}  // namespace
}  // namespace dlkit::algos

int main(int argc, char** argv) { return dlkit::algos::Main(argc, argv); }
