#!/usr/bin/env bash
# Runs every test: the C++ unit tests (Catch2), the Python SDK tests (pytest) and the
# end-to-end tests (real dlkitd, dlctl and Python trials) through Bazel, the fuzzers briefly,
# then the dashboard's end-to-end test in Chromium (ui/e2e). Ends with one line "N passed, N failed" counting
# Bazel test targets plus the fuzzers and the dashboard suite.
set -uo pipefail
cd "$(dirname "$0")"

tools/install_deps.sh build python ui || exit 1
log=$(mktemp)
bazel test //... --test_summary=short "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +.*(FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY)' "$log")
rm -f "$log"
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  failed=1  # the build itself failed
fi

# The fuzzers (clang, ASan + UBSan), briefly: test/fuzz/run_fuzzers.sh runs them longer.
echo
echo "fuzzers (test/fuzz, 15 s each):"
if test/fuzz/run_fuzzers.sh 15; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  status=1
fi

# The dashboard: built, then driven in Chromium against the dlkitd Bazel just built.
echo
echo "dashboard end-to-end (ui/e2e, screenshots in ui/test-output):"
if ui/build.sh && bazel build //services/daemon:dlkitd //cli:dlctl >/dev/null 2>&1 &&
   node ui/e2e/dashboard.test.mjs --bin "$(bazel info bazel-bin 2>/dev/null)"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  status=1
fi
echo
echo "$passed passed, $failed failed"
exit $status
