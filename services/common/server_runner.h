#ifndef DLKIT_SERVICES_COMMON_SERVER_RUNNER_H_
#define DLKIT_SERVICES_COMMON_SERVER_RUNNER_H_

// Starting a gRPC server on an address and stopping it on SIGINT/SIGTERM or on request.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace dlkit {

struct StartedServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;  // the bound port (useful with ":0")
};

// Binds `address` ("127.0.0.1:9870", "127.0.0.1:0", "unix:/path") without TLS.
absl::StatusOr<StartedServer> StartServer(const std::string& address,
                                          const std::vector<grpc::Service*>& services);

// A server on no port at all, for calls through server->InProcessChannel() (tests, and
// the daemon's own clients of its services).
std::unique_ptr<grpc::Server> StartInProcessServer(const std::vector<grpc::Service*>& services);

// Blocks until SIGINT or SIGTERM arrives or RequestShutdown() is called.
void WaitForShutdown();
void RequestShutdown();

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_SERVER_RUNNER_H_
