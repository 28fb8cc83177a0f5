// dlkit-tuner: the Tuner service on its own (cluster mode runs it beside its Manager).

#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "base/logging.h"
#include "services/common/server_runner.h"
#include "services/tuner/tuner_service.h"

ABSL_FLAG(std::string, address, "127.0.0.1:9872", "where the Tuner service listens");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  dlkit::SetProgramName("dlkit-tuner");
  dlkit::TunerServiceImpl tuner;
  auto started = dlkit::StartServer(absl::GetFlag(FLAGS_address), {&tuner});
  if (!started.ok()) {
    dlkit::Log() << started.status().message();
    return 1;
  }
  dlkit::Log() << "listening on port " << started->port;
  dlkit::WaitForShutdown();
  started->server->Shutdown();
  return 0;
}
