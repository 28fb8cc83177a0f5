#include "services/gateway/grpc_web_framing.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"

namespace dlkit::gateway {
namespace {

TEST_CASE("a frame is flag, big-endian length, payload", "[framing]") {
  const std::string payload(300, 'x');
  const std::string frame = EncodeFrame(kMessageFlag, payload);
  REQUIRE(frame.size() == 305);
  CHECK(frame[0] == 0x00);
  CHECK(static_cast<unsigned char>(frame[3]) == 0x01);  // 300 = 0x012c
  CHECK(static_cast<unsigned char>(frame[4]) == 0x2c);
  CHECK(frame.substr(5) == payload);
  absl::StatusOr<std::string> decoded = DecodeSingleMessage(frame);
  REQUIRE(decoded.ok());
  CHECK(*decoded == payload);
  CHECK(DecodeSingleMessage(EncodeFrame(kMessageFlag, "")).value().empty());
}

TEST_CASE("trailers carry the status and a percent-encoded message", "[framing]") {
  const std::string ok = EncodeTrailers(grpc::Status::OK);
  CHECK(static_cast<unsigned char>(ok[0]) == 0x80);
  CHECK(ok.substr(5) == "grpc-status:0\r\n");
  const std::string failed =
      EncodeTrailers(grpc::Status(grpc::StatusCode::NOT_FOUND, "no trial 7: 50% \xc3\xa9\r\n"));
  CHECK(failed.substr(5) == "grpc-status:5\r\ngrpc-message:no trial 7: 50%25 %C3%A9%0D%0A\r\n");
}

TEST_CASE("malformed request bodies are named", "[framing]") {
  CHECK(DecodeSingleMessage("").status().message() ==
        "gRPC-web request body has 0 bytes; a message frame needs at least a 5-byte header");
  CHECK(absl::StrContains(DecodeSingleMessage(EncodeTrailers(grpc::Status::OK)).status().message(),
                          "flag 0x80"));
  std::string two = EncodeFrame(kMessageFlag, "ab") + EncodeFrame(kMessageFlag, "cd");
  CHECK(DecodeSingleMessage(two).status().message() ==
        "gRPC-web request frame says 2 bytes but the body holds 9 after the header; only one "
        "message per request");
  std::string truncated = EncodeFrame(kMessageFlag, "abcdef").substr(0, 8);
  CHECK(absl::StrContains(DecodeSingleMessage(truncated).status().message(), "says 6 bytes"));
}

TEST_CASE("grpc-timeout values and their units", "[framing]") {
  CHECK(ParseGrpcTimeout("10S").value() == absl::Seconds(10));
  CHECK(ParseGrpcTimeout("250m").value() == absl::Milliseconds(250));
  CHECK(ParseGrpcTimeout("2H").value() == absl::Hours(2));
  CHECK(ParseGrpcTimeout("3M").value() == absl::Minutes(3));
  CHECK(ParseGrpcTimeout("7u").value() == absl::Microseconds(7));
  CHECK(ParseGrpcTimeout("99999999n").value() == absl::Nanoseconds(99999999));
  for (const char* bad : {"", "S", "10", "10s", "-5S", "0S", "123456789S", "1.5S"}) {
    INFO(bad);
    CHECK(!ParseGrpcTimeout(bad).ok());
  }
  CHECK(ParseGrpcTimeout("10x").status().message() ==
        "grpc-timeout '10x' has unit 'x'; use H, M, S, m, u or n");
}

}  // namespace
}  // namespace dlkit::gateway
