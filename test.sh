#!/usr/bin/env bash
# Runs every test: the C++ unit tests (Catch2), the Python SDK tests (pytest) and the
# end-to-end tests (real dlkitd, dlctl and Python trials), all through Bazel. Ends with one
# line "N passed, N failed" counting test targets.
set -uo pipefail
cd "$(dirname "$0")"

tools/install_deps.sh build python || exit 1
log=$(mktemp)
bazel test //... --test_summary=short "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +.*(FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY)' "$log")
rm -f "$log"
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  failed=1  # the build itself failed
fi
echo
echo "$passed passed, $failed failed"
exit $status
