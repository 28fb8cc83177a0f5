// The config reader on any text, as JSON or (first byte odd) YAML: it must answer a Status,
// never crash, hang or leak, whatever the file holds.

#include <cstddef>
#include <cstdint>
#include <string>

#include "services/config/experiment_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool yaml = (data[0] & 1) != 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  (void)dlkit::ParseExperimentConfig(text, "/nonexistent-fuzz-base", yaml);
  return 0;
}
