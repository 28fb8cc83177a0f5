#include "k8s/testing/fake_kube_apiserver/api_errors.h"

#include "absl/strings/str_cat.h"

namespace dlkit::fake_kube {
namespace {

nlohmann::json StatusObject(int code, const std::string& reason, const std::string& message,
                            nlohmann::json details) {
  nlohmann::json status = {
      {"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
      {"status", "Failure"}, {"message", message}, {"reason", reason},
      {"code", code}};
  if (!details.is_null()) status["details"] = std::move(details);
  return status;
}

nlohmann::json Details(const ServedResource& resource, const std::string& name) {
  nlohmann::json details = {{"name", name}, {"kind", resource.plural}};
  if (!resource.group.empty()) details["group"] = resource.group;
  return details;
}

}  // namespace

ApiResult StatusError(int code, const std::string& reason, const std::string& message,
                      nlohmann::json details) {
  return {code, StatusObject(code, reason, message, std::move(details))};
}

ApiResult NotFound(const ServedResource& resource, const std::string& name) {
  return StatusError(404, "NotFound", absl::StrCat(resource.id(), " \"", name, "\" not found"),
                     Details(resource, name));
}

ApiResult AlreadyExists(const ServedResource& resource, const std::string& name) {
  return StatusError(409, "AlreadyExists",
                     absl::StrCat(resource.id(), " \"", name, "\" already exists"),
                     Details(resource, name));
}

ApiResult Conflict(const ServedResource& resource, const std::string& name) {
  return StatusError(
      409, "Conflict",
      absl::StrCat("Operation cannot be fulfilled on ", resource.id(), " \"", name,
                   "\": the object has been modified; please apply your changes to the latest "
                   "version and try again"),
      Details(resource, name));
}

ApiResult BadRequest(const std::string& message) { return StatusError(400, "BadRequest", message); }

ApiResult Invalid(const ServedResource& resource, const std::string& name, const std::string& field,
                  const std::string& detail) {
  nlohmann::json details = Details(resource, name);
  details["kind"] = resource.kind;
  details["causes"] = {{{"reason", "FieldValueInvalid"}, {"message", detail}, {"field", field}}};
  return StatusError(422, "Invalid",
                     absl::StrCat(resource.kind, resource.group.empty() ? "" : ".", resource.group,
                                  " \"", name, "\" is invalid: ", field, ": ", detail),
                     std::move(details));
}

nlohmann::json ExpiredStatus(const std::string& message) {
  return StatusObject(410, "Expired", message, nullptr);
}

}  // namespace dlkit::fake_kube
