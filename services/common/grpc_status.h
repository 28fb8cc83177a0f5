#ifndef DLKIT_SERVICES_COMMON_GRPC_STATUS_H_
#define DLKIT_SERVICES_COMMON_GRPC_STATUS_H_

// The one place where absl::Status and grpc::Status meet.

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace dlkit {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

inline absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_GRPC_STATUS_H_
