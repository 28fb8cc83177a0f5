#ifndef DLKIT_SERVICES_COMMON_GRPC_STATUS_H_
#define DLKIT_SERVICES_COMMON_GRPC_STATUS_H_

// The one place where absl::Status and grpc::Status meet.

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace dlkit {

// A message travels in a trailer, whose size gRPC limits (8 KiB by default): a longer one
// (an error quoting a huge input) would replace the error itself with RESOURCE_EXHAUSTED.
inline constexpr size_t kMaxStatusMessage = 4096;

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  std::string message(status.message());
  if (message.size() > kMaxStatusMessage) {
    const size_t cut = message.size() - kMaxStatusMessage;
    message.resize(kMaxStatusMessage);
    message += "... (" + std::to_string(cut) + " more characters)";
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::move(message));
}

inline absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_GRPC_STATUS_H_
