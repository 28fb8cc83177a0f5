#ifndef DLKIT_SERVICES_COMMON_UNARY_REACTOR_H_
#define DLKIT_SERVICES_COMMON_UNARY_REACTOR_H_

// Finishing a callback-API unary call from a domain result, in one line per RPC.

#include <utility>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "services/common/grpc_status.h"

namespace dlkit {

inline grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                             const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

template <typename Response>
grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                      absl::StatusOr<Response> result, Response* response) {
  if (result.ok()) *response = std::move(result).value();
  return FinishUnary(context, result.status());
}

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_UNARY_REACTOR_H_
