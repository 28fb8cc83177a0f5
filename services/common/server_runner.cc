#include "services/common/server_runner.h"

#include <semaphore.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace dlkit {
namespace {

// A semaphore is one of the few things a signal handler may touch.
sem_t* ShutdownSemaphore() {
  static sem_t* semaphore = [] {
    static sem_t s;
    sem_init(&s, 0, 0);
    return &s;
  }();
  return semaphore;
}

void OnSignal(int) { sem_post(ShutdownSemaphore()); }

}  // namespace

absl::StatusOr<StartedServer> StartServer(const std::string& address,
                                          const std::vector<grpc::Service*>& services,
                                          std::shared_ptr<grpc::ServerCredentials> credentials,
                                          const std::vector<std::string>& more_addresses) {
  grpc::ServerBuilder builder;
  StartedServer started;
  // gRPC sets SO_REUSEPORT by default: a second daemon would share the port silently.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(address,
                           credentials != nullptr ? credentials : grpc::InsecureServerCredentials(),
                           &started.port);
  for (const std::string& more : more_addresses) {
    builder.AddListeningPort(more, grpc::InsecureServerCredentials());
  }
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  for (grpc::Service* service : services) builder.RegisterService(service);
  started.server = builder.BuildAndStart();
  if (started.server == nullptr || (started.port == 0 && !absl::StartsWith(address, "unix:"))) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " (is another daemon using the port?)"));
  }
  return started;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsServerCredentials(
    const std::string& cert_path, const std::string& key_path) {
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  for (auto [path, into] :
       {std::pair{&cert_path, &pair.cert_chain}, {&key_path, &pair.private_key}}) {
    std::ifstream in(*path);
    std::stringstream text;
    text << in.rdbuf();
    if (!in || text.str().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("cannot read the PEM file ", *path));
    }
    *into = text.str();
  }
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back(std::move(pair));
  return grpc::SslServerCredentials(options);
}

void WaitForShutdown() {
  ShutdownSemaphore();
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (sem_wait(ShutdownSemaphore()) != 0) {
  }
}

void RequestShutdown() { sem_post(ShutdownSemaphore()); }

std::unique_ptr<grpc::Server> StartInProcessServer(const std::vector<grpc::Service*>& services) {
  grpc::ServerBuilder builder;
  for (grpc::Service* service : services) builder.RegisterService(service);
  return builder.BuildAndStart();
}

}  // namespace dlkit
