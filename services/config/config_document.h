#ifndef DLKIT_SERVICES_CONFIG_CONFIG_DOCUMENT_H_
#define DLKIT_SERVICES_CONFIG_CONFIG_DOCUMENT_H_

// Config text -> JSON: strict JSON (duplicate keys are errors, with their path) or YAML
// (1.2 core schema for plain scalars, so `1e-4` is a number and `yes` a string), and the
// file and path helpers the config reader needs. Internal to services/config/.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "services/config/config_reader.h"

namespace dlkit::config {

std::optional<Json> ParseJsonText(const std::string& text, Report* report);
std::optional<Json> ParseYamlText(const std::string& text, Report* report);
// By extension (.json / .yml / .yaml); otherwise JSON, then YAML (NNI does the same for
// search space files).
std::optional<Json> ParseDocument(const std::string& text, const std::string& path, Report* report);

// The whole file; NOT_FOUND or INVALID_ARGUMENT (a directory) naming it.
absl::StatusOr<std::string> ReadFile(const std::string& path);
// `~` expanded, relative paths against `base`, normalised, without a trailing slash.
std::string ResolvePath(const std::string& given, const std::string& base);
// `path` made absolute against the working directory, normalised.
std::string AbsolutePath(const std::string& path);

}  // namespace dlkit::config

#endif  // DLKIT_SERVICES_CONFIG_CONFIG_DOCUMENT_H_
