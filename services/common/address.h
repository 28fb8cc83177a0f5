#ifndef DLKIT_SERVICES_COMMON_ADDRESS_H_
#define DLKIT_SERVICES_COMMON_ADDRESS_H_

// Reading gRPC addresses ("127.0.0.1:9870", "[::1]:9870", "ipv4:...", "unix:/path").

#include <string>

#include "absl/strings/string_view.h"

namespace dlkit {

bool IsUnixAddress(absl::string_view address);
// The host part, lower-cased, without brackets or scheme ("" for unix: addresses).
std::string AddressHost(absl::string_view address);
// 127.0.0.0/8, ::1 or localhost: reachable from this machine only.
bool IsLoopbackHost(absl::string_view host);

}  // namespace dlkit

#endif  // DLKIT_SERVICES_COMMON_ADDRESS_H_
