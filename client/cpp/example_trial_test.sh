#!/bin/bash
# Runs example_trial standalone and checks the lines it prints: one loss and one
# intermediate line per epoch, a final line, and a final value below the start (f(0) = 10).
set -euo pipefail
bin="$TEST_SRCDIR/$TEST_WORKSPACE/client/cpp/example_trial"
params="$TEST_TMPDIR/params.json"
echo '{"lr": 0.1, "momentum": 0.5, "epochs": 7}' > "$params"

out="$("$bin" --dlkit-params "$params")"
echo "$out"
[[ $(grep -c '^\[dlkit\] loss: ' <<<"$out") == 7 ]] || { echo "want 7 loss lines"; exit 1; }
[[ $(grep -c '^\[dlkit\] intermediate_result: ' <<<"$out") == 7 ]] || { echo "want 7 intermediate lines"; exit 1; }
final="$(sed -n 's/^\[dlkit\] final_result: //p' <<<"$out")"
[[ -n "$final" ]] || { echo "no final_result line"; exit 1; }
awk -v f="$final" 'BEGIN { exit !(f < 10 && f >= 1) }' || { echo "final $final not in [1, 10)"; exit 1; }
[[ $(wc -l <<<"$out") == 15 ]] || { echo "unexpected extra lines"; exit 1; }

# DLKIT_PARAMS is read when there is no flag; a bad one fails with a clear message.
out="$(DLKIT_PARAMS='{"epochs": 2}' "$bin")"
[[ $(grep -c '^\[dlkit\] loss: ' <<<"$out") == 2 ]] || { echo "DLKIT_PARAMS ignored"; exit 1; }
if err="$(DLKIT_PARAMS='{epochs: 2}' "$bin" 2>&1)"; then echo "bad JSON accepted"; exit 1; fi
grep -q 'DLKIT_PARAMS' <<<"$err" || { echo "unclear error: $err"; exit 1; }
echo PASS
