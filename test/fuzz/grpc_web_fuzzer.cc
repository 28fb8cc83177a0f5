// The gateway's gRPC-web framing on any request body and grpc-timeout header: a message it
// decodes must re-encode to the same frame.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "services/gateway/grpc_web_framing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::string> message = dlkit::gateway::DecodeSingleMessage(body);
  if (message.ok()) {
    absl::StatusOr<std::string> again = dlkit::gateway::DecodeSingleMessage(
        dlkit::gateway::EncodeFrame(dlkit::gateway::kMessageFlag, *message));
    if (!again.ok() || *again != *message) abort();
  }
  absl::StatusOr<absl::Duration> timeout = dlkit::gateway::ParseGrpcTimeout(body);
  if (timeout.ok() && *timeout <= absl::ZeroDuration()) abort();
  (void)dlkit::gateway::EncodeTrailers(grpc::Status(grpc::StatusCode::INTERNAL, body));
  return 0;
}
