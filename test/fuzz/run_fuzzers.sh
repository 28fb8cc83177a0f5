#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for SECONDS (default 20)
# from its committed seed corpus (test/fuzz/corpus/NAME), in parallel on JOBS workers
# (default 1). A crash fails the run and leaves the input in test/fuzz/crashes/; turn it
# into a seed and a regression test. Prints the CPU time each target got (wall x workers).
#   test/fuzz/run_fuzzers.sh              # the short run ./test.sh does
#   test/fuzz/run_fuzzers.sh 900 2        # 15 min per target on 2 cores: 1 CPU-hour
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
jobs=${2:-1}
targets=(config_reader_fuzzer search_space_fuzzer grpc_web_fuzzer kube_watch_fuzzer)

tools/install_deps.sh fuzz >&2 || exit 1
# An output base of their own: switching compilers never invalidates the main build.
base="${DLKIT_FUZZ_OUTPUT_BASE:-$HOME/.cache/dlkit-fuzz-bazel}"
bazel --output_base="$base" build --config=fuzz "${targets[@]/#///test/fuzz:}" >&2 || exit 1
bin=$(bazel --output_base="$base" info --config=fuzz bazel-bin 2>/dev/null)/test/fuzz

mkdir -p test/fuzz/crashes
work=$(mktemp -d)
status=0
total_cpu=0
for target in "${targets[@]}"; do
  corpus="$work/$target"
  mkdir -p "$corpus"
  cp test/fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null
  log="$work/$target.log"
  started=$SECONDS
  # -jobs/-workers: libFuzzer's own parallel mode; each worker gets `seconds`.
  if "$bin/$target" "$corpus" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 \
       -max_len=65536 -artifact_prefix=test/fuzz/crashes/"$target"- \
       -print_final_stats=1 -jobs="$jobs" -workers="$jobs" >"$log" 2>&1; then
    result=ok
  else
    result=CRASH
    status=1
    tail -40 "$log" >&2
  fi
  # The workers' logs hold the counts when -jobs > 1.
  cat "$log" fuzz-*.log 2>/dev/null > "$log.all"; rm -f fuzz-*.log
  runs=$(grep -ho 'stat::number_of_executed_units: *[0-9]*' "$log.all" | awk '{s+=$2} END {print s+0}')
  units=$(ls "$corpus" | wc -l)
  cpu=$(((SECONDS - started) * jobs))  # wall time x workers: a crash ends a worker early
  total_cpu=$((total_cpu + cpu))
  printf '%-22s %-5s %10s runs  %6s corpus inputs  %6s CPU-s\n' "$target" "$result" "$runs" "$units" "$cpu"
done
printf 'fuzzed %s CPU-seconds over %d targets (%s CPU-hours)\n' "$total_cpu" "${#targets[@]}" \
  "$(awk -v s="$total_cpu" 'BEGIN {printf "%.2f", s/3600}')"
rm -rf "$work"
exit $status
