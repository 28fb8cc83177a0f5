// A tiny dlkit trial: minimises f(w) = (w - 3)^2 + 1 by gradient descent with
// momentum. Hyperparameters: lr (double), momentum (double), epochs (int). The
// objective is the final f(w) (minimise). Outside an experiment:
//
//   bazel run //client/cpp:example_trial -- --dlkit-params $PWD/params.json
//   DLKIT_PARAMS='{"lr": 0.2, "momentum": 0.5}'
//   bazel-bin/client/cpp/example_trial

#include <cstdint>
#include <iostream>

#include "client/cpp/dlkit_client.h"

namespace {

double Objective(double w) { return (w - 3.0) * (w - 3.0) + 1.0; }

// Prints the error and says whether to carry on (a failed report is not worth
// dying for).
bool Check(const absl::Status& status) {
  if (!status.ok()) std::cerr << "example_trial: " << status << "\n";
  return status.ok();
}

}  // namespace

int main() {
  absl::StatusOr<dlkit::v1::ParameterSet> params = dlkit::trial::GetParameters();
  if (!params.ok()) {
    std::cerr << "example_trial: " << params.status() << "\n";
    return 1;
  }
  const double lr = dlkit::trial::GetDouble(*params, "lr", 0.1);
  const double momentum = dlkit::trial::GetDouble(*params, "momentum", 0.0);
  const int64_t epochs = dlkit::trial::GetInt(*params, "epochs", 20);

  double w = 0.0;
  double velocity = 0.0;
  double value = Objective(w);
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    const double gradient = 2.0 * (w - 3.0);
    velocity = momentum * velocity - lr * gradient;
    w += velocity;
    value = Objective(w);
    Check(dlkit::trial::ReportLoss(value));
    Check(dlkit::trial::ReportIntermediateResult(value));
    if (dlkit::trial::ShouldStop()) break;
  }
  return Check(dlkit::trial::ReportFinalResult(value)) ? 0 : 1;
}
