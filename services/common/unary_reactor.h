#ifndef DLKIT_SERVICES_COMMON_UNARY_REACTOR_H_
#define DLKIT_SERVICES_COMMON_UNARY_REACTOR_H_

// Finishing a callback-API unary call from a domain result, in one line per RPC.

#include <functional>
#include <thread>
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

// For calls whose work waits on another RPC (e.g. a Manager asking the in-process Tuner):
// the work runs on a thread of its own and finishes the call later. Done on gRPC's callback
// threads, a few such calls at once could hold every thread the awaited RPC needs.
inline grpc::ServerUnaryReactor* FinishUnaryLater(grpc::CallbackServerContext* context,
                                                  std::function<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::thread([reactor, work = std::move(work)] {
    reactor->Finish(ToGrpcStatus(work()));
  }).detach();
  return reactor;
}

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_UNARY_REACTOR_H_
