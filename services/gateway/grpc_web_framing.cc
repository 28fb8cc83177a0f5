#include "services/gateway/grpc_web_framing.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dlkit::gateway {
namespace {

constexpr size_t kHeaderSize = 5;

// grpc-message is percent-encoded: everything outside printable ASCII, and '%' itself.
std::string PercentEncode(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

}  // namespace

std::string EncodeFrame(char flag, absl::string_view payload) {
  const uint32_t size = static_cast<uint32_t>(payload.size());
  std::string frame;
  frame.reserve(kHeaderSize + payload.size());
  frame.push_back(flag);
  for (int shift = 24; shift >= 0; shift -= 8) {
    frame.push_back(static_cast<char>((size >> shift) & 0xff));
  }
  frame.append(payload.data(), payload.size());
  return frame;
}

std::string EncodeTrailers(const grpc::Status& status) {
  std::string trailers =
      absl::StrCat("grpc-status:", static_cast<int>(status.error_code()), "\r\n");
  if (!status.error_message().empty()) {
    absl::StrAppend(&trailers, "grpc-message:", PercentEncode(status.error_message()), "\r\n");
  }
  return EncodeFrame(kTrailerFlag, trailers);
}

absl::StatusOr<std::string> DecodeSingleMessage(absl::string_view body) {
  if (body.size() < kHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("gRPC-web request body has ", body.size(),
                     " bytes; a message frame needs at least a 5-byte header"));
  }
  if (body[0] != kMessageFlag) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "gRPC-web request frame has flag 0x%02x; a request carries one message frame (0x00)",
        static_cast<unsigned char>(body[0])));
  }
  uint32_t size = 0;
  for (size_t i = 1; i < kHeaderSize; ++i) size = (size << 8) | static_cast<unsigned char>(body[i]);
  if (body.size() - kHeaderSize != size) {
    return absl::InvalidArgumentError(
        absl::StrCat("gRPC-web request frame says ", size, " bytes but the body holds ",
                     body.size() - kHeaderSize, " after the header; only one message per request"));
  }
  return std::string(body.substr(kHeaderSize));
}

absl::StatusOr<absl::Duration> ParseGrpcTimeout(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  int64_t amount = 0;
  if (value.size() < 2 || value.size() > 9 ||
      !absl::SimpleAtoi(value.substr(0, value.size() - 1), &amount) || amount <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "grpc-timeout '", value, "' is not 1 to 8 digits followed by H, M, S, m, u or n"));
  }
  switch (value.back()) {
    case 'H':
      return absl::Hours(amount);
    case 'M':
      return absl::Minutes(amount);
    case 'S':
      return absl::Seconds(amount);
    case 'm':
      return absl::Milliseconds(amount);
    case 'u':
      return absl::Microseconds(amount);
    case 'n':
      return absl::Nanoseconds(amount);
    default:
      return absl::InvalidArgumentError(absl::StrCat("grpc-timeout '", value, "' has unit '",
                                                     value.substr(value.size() - 1),
                                                     "'; use H, M, S, m, u or n"));
  }
}

}  // namespace dlkit::gateway
