// Loads an experiment of N finished trials, each with M intermediate results, into a
// running dlkitd through the Manager's own API (ask/tell: AskTrials, ReportTrialMetric,
// TellTrial), for the dashboard benchmark. Prints the experiment id on stdout.
//
//   load_trials --address=127.0.0.1:9870 --trials=100000 --points=20 --threads=16

#include <cstdlib>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "services/auth/client_token.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "dlkit/v1/launcher.grpc.pb.h"
#include "dlkit/v1/manager.grpc.pb.h"
#include "grpcpp/grpcpp.h"

ABSL_FLAG(std::string, address, "127.0.0.1:9870", "the daemon");
ABSL_FLAG(int, trials, 100000, "finished trials to create");
ABSL_FLAG(int, points, 20, "intermediate results per trial");
ABSL_FLAG(int, threads, 16, "concurrent clients");

namespace {

using dlkit::v1::LauncherService;
using dlkit::v1::ManagerService;

// A 6-d space: four continuous, one integer, one categorical.
dlkit::v1::ExperimentSpec BenchSpec(int trials) {
  dlkit::v1::ExperimentSpec spec;
  spec.set_name(absl::StrCat("dashboard-bench-", trials));
  spec.set_ask_tell(true);
  spec.set_trial_code_directory("/tmp");  // unused in ask/tell, but required
  spec.set_max_trial_number(trials);
  spec.set_trial_concurrency(1);
  spec.mutable_tuner()->set_name("Random");
  spec.mutable_objective()->set_metric("accuracy");
  spec.mutable_objective()->set_direction(dlkit::v1::MAXIMIZE);
  auto add = [&](const std::string& name, dlkit::v1::Distribution d, std::vector<double> args) {
    dlkit::v1::ParameterSpec* p = spec.mutable_search_space()->add_parameters();
    p->set_name(name);
    p->set_distribution(d);
    for (double a : args) p->add_args(a);
    return p;
  };
  add("lr", dlkit::v1::LOGUNIFORM, {1e-5, 1e-1});
  add("momentum", dlkit::v1::UNIFORM, {0, 0.99});
  add("dropout", dlkit::v1::UNIFORM, {0, 0.6});
  add("weight_decay", dlkit::v1::LOGUNIFORM, {1e-6, 1e-2});
  add("layers", dlkit::v1::RANDINT, {1, 8});
  dlkit::v1::ParameterSpec* opt = add("optimizer", dlkit::v1::CHOICE, {});
  for (const char* o : {"sgd", "adam", "adamw"}) opt->add_options()->set_string_value(o);
  return spec;
}

double Number(const dlkit::v1::ParameterSet& p, const std::string& name) {
  const auto& v = p.values().at(name);
  return v.kind_case() == dlkit::v1::ParameterValue::kIntValue ? v.int_value() : v.double_value();
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int total = absl::GetFlag(FLAGS_trials), points = absl::GetFlag(FLAGS_points);
  // The daemon's token: $DLKIT_TOKEN, else $DLKIT_HOME/token.
  const char* home = std::getenv("DLKIT_HOME");
  const char* token = std::getenv("DLKIT_TOKEN");
  const std::string found = dlkit::auth::FindToken(home != nullptr ? home : "", token != nullptr ? token : "");
  auto channel = dlkit::auth::CreateChannelWithToken(absl::GetFlag(FLAGS_address),
                                                     grpc::InsecureChannelCredentials(),
                                                     grpc::ChannelArguments(), [found] { return found; });
  auto launcher = LauncherService::NewStub(channel);
  dlkit::v1::SubmitExperimentRequest submit;
  *submit.mutable_spec() = BenchSpec(total);
  dlkit::v1::SubmitExperimentResponse submitted;
  grpc::ClientContext submit_context;
  grpc::Status status = launcher->SubmitExperiment(&submit_context, submit, &submitted);
  if (!status.ok()) {
    std::cerr << "load_trials: submit: " << status.error_message() << "\n";
    return 1;
  }
  const std::string id = submitted.experiment().id();
  std::atomic<int> remaining{total}, done{0}, errors{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < absl::GetFlag(FLAGS_threads); ++w) {
    workers.emplace_back([&] {
      auto manager = ManagerService::NewStub(channel);
      while (true) {
        const int want = std::min(50, remaining.fetch_sub(50));
        if (want <= 0) return;
        dlkit::v1::AskTrialsRequest ask;
        ask.set_experiment_id(id);
        ask.set_count(want);
        dlkit::v1::AskTrialsResponse asked;
        grpc::ClientContext ask_context;
        if (!manager->AskTrials(&ask_context, ask, &asked).ok()) {
          ++errors;
          return;
        }
        for (const dlkit::v1::Trial& trial : asked.trials()) {
          // A learning curve that saturates at a value set by the parameters.
          const double lr = std::log10(Number(trial.parameters(), "lr"));
          const double ceiling =
              0.95 - 0.02 * (lr + 3) * (lr + 3) - 0.1 * Number(trial.parameters(), "dropout");
          double value = 0;
          for (int step = 1; step <= points; ++step) {
            value = ceiling * (1 - std::exp(-0.25 * step));
            dlkit::v1::ReportTrialMetricRequest report;
            report.set_experiment_id(id);
            report.set_trial_id(trial.id());
            report.set_kind(dlkit::v1::INTERMEDIATE);
            report.set_value(value);
            report.set_seq(step);
            dlkit::v1::ReportTrialMetricResponse reported;
            grpc::ClientContext report_context;
            if (!manager->ReportTrialMetric(&report_context, report, &reported).ok()) ++errors;
          }
          dlkit::v1::TellTrialRequest tell;
          tell.set_experiment_id(id);
          tell.set_trial_id(trial.id());
          tell.set_value(value);
          dlkit::v1::TellTrialResponse told;
          grpc::ClientContext tell_context;
          if (!manager->TellTrial(&tell_context, tell, &told).ok()) ++errors;
          const int n = ++done;
          if (n % 5000 == 0) {
            const double s =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::cerr << "load_trials: " << n << "/" << total << " trials, "
                      << static_cast<int>(n / s) << " trials/s" << std::endl;
          }
        }
      }
    });
  }
  for (std::thread& t : workers) t.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "load_trials: " << done << " trials with " << points << " points each in " << s
            << " s (" << errors << " errors)" << std::endl;
  std::cout << id << std::endl;
  return errors > 0 ? 1 : 0;
}
