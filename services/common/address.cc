#include "services/common/address.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace dlkit {

bool IsUnixAddress(absl::string_view address) { return absl::StartsWith(address, "unix:"); }

std::string AddressHost(absl::string_view address) {
  if (IsUnixAddress(address)) return "";
  absl::string_view a = address;
  for (absl::string_view scheme : {"dns:///", "ipv4:", "ipv6:"}) {
    if (absl::StartsWith(a, scheme)) a.remove_prefix(scheme.size());
  }
  std::string host;
  if (absl::StartsWith(a, "[")) {
    const size_t close = a.find(']');
    host = std::string(a.substr(1, close == absl::string_view::npos ? a.npos : close - 1));
  } else {
    const size_t colon = a.rfind(':');
    host = std::string(colon == absl::string_view::npos ? a : a.substr(0, colon));
  }
  return absl::AsciiStrToLower(host);
}

bool IsLoopbackHost(absl::string_view host) {
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

}  // namespace dlkit
