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

// Binds `address` ("127.0.0.1:9870", "127.0.0.1:0", "unix:/path"), with `credentials`
// (default: none, plain TCP); `more_addresses` are bound too, without TLS (a private Unix
// socket for local trials beside a TLS port).
absl::StatusOr<StartedServer> StartServer(
    const std::string& address, const std::vector<grpc::Service*>& services,
    std::shared_ptr<grpc::ServerCredentials> credentials = nullptr,
    const std::vector<std::string>& more_addresses = {});

// TLS server credentials from PEM files (a certificate chain and its key), or an error
// naming the file that cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsServerCredentials(
    const std::string& cert_path, const std::string& key_path);

// A server on no port at all, for calls through server->InProcessChannel() (tests, and
// the daemon's own clients of its services).
std::unique_ptr<grpc::Server> StartInProcessServer(const std::vector<grpc::Service*>& services);

// Blocks until SIGINT or SIGTERM arrives or RequestShutdown() is called.
void WaitForShutdown();
void RequestShutdown();

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_SERVER_RUNNER_H_
