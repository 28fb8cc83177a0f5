#ifndef DLKIT_BASE_STATUS_MACROS_H_
#define DLKIT_BASE_STATUS_MACROS_H_

// Debian's Abseil (20220623) has no ABSL_RETURN_IF_ERROR / ASSIGN_OR_RETURN; these are ours.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define DLKIT_RETURN_IF_ERROR(expr)                \
  do {                                             \
    const ::absl::Status dlkit_status_ = (expr);   \
    if (!dlkit_status_.ok()) return dlkit_status_; \
  } while (0)

#define DLKIT_CONCAT_INNER_(a, b) a##b
#define DLKIT_CONCAT_(a, b) DLKIT_CONCAT_INNER_(a, b)

#define DLKIT_ASSIGN_OR_RETURN(lhs, rexpr) \
  DLKIT_ASSIGN_OR_RETURN_IMPL_(DLKIT_CONCAT_(dlkit_statusor_, __LINE__), lhs, rexpr)

#define DLKIT_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return statusor.status();            \
  lhs = std::move(statusor).value()

#endif  // DLKIT_BASE_STATUS_MACROS_H_
