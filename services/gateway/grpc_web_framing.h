#ifndef DLKIT_SERVICES_GATEWAY_GRPC_WEB_FRAMING_H_
#define DLKIT_SERVICES_GATEWAY_GRPC_WEB_FRAMING_H_

// The gRPC-web wire format (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md):
// a body is a run of frames [flag u8][length u32 big-endian][bytes]; flag 0x00 carries a
// message, flag 0x80 the trailers ("grpc-status:N\r\ngrpc-message:...\r\n").

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace dlkit::gateway {

inline constexpr char kMessageFlag = 0x00;
inline constexpr char kTrailerFlag = static_cast<char>(0x80);

// One frame with `flag` around `payload`.
std::string EncodeFrame(char flag, absl::string_view payload);

// The trailer frame that ends every response, errors included. The message is
// percent-encoded as gRPC requires for grpc-message.
std::string EncodeTrailers(const grpc::Status& status);

// The single message of a gRPC-web request body (unary and server-streaming calls send
// exactly one). The error names what is wrong with the body.
absl::StatusOr<std::string> DecodeSingleMessage(absl::string_view body);

// The `grpc-timeout` header ("10S", "250m", "5000u", ...): a positive number of at most 8
// digits and one unit of H, M, S, m, u, n.
absl::StatusOr<absl::Duration> ParseGrpcTimeout(absl::string_view value);

}  // namespace dlkit::gateway

#endif  // DLKIT_SERVICES_GATEWAY_GRPC_WEB_FRAMING_H_
