// dlkit-tuner: the Tuner service on its own (cluster mode runs it beside its Manager).

#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "services/common/server_runner.h"
#include "services/tuner/tuner_service.h"

ABSL_FLAG(std::string, address, "127.0.0.1:9872", "where the Tuner service listens");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  dlkit::TunerServiceImpl tuner;
  auto started = dlkit::StartServer(absl::GetFlag(FLAGS_address), {&tuner});
  if (!started.ok()) {
    std::cerr << "dlkit-tuner: " << started.status().message() << "\n";
    return 1;
  }
  std::cerr << "dlkit-tuner: listening on port " << started->port << "\n";
  dlkit::WaitForShutdown();
  started->server->Shutdown();
  return 0;
}
