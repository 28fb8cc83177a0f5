// The search-space parser on any text; a space it accepts must survive the round trip
// through NNI's JSON (what export and the dashboard show).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "services/config/search_space_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<dlkit::v1::SearchSpace> space = dlkit::ParseSearchSpaceJson(text, "searchSpace");
  if (!space.ok()) return 0;
  absl::StatusOr<dlkit::v1::SearchSpace> again =
      dlkit::ParseSearchSpaceJson(dlkit::SearchSpaceToJson(*space).dump(), "searchSpace");
  if (!again.ok() || again->parameters_size() != space->parameters_size()) abort();
  return 0;
}
