#!/usr/bin/env bash
# ctest's runner for one fuzz target: FUZZER CORPUS_DIR SECONDS. Fuzzes a copy of the seed corpus
# in a temp dir (the source tree is never written) for SECONDS, then prints the figures. A crash,
# leak, sanitizer report or timeout fails the test; the input that caused it is kept in the temp
# dir and its path printed, so it can be copied into the corpus.
set -euo pipefail
# -timeout=60: one input taking a minute is a hang; less misfires when a loaded machine (nice 19,
# shared cores) leaves the process unscheduled for seconds.
fuzzer=$1
corpus=$2
seconds=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/bambuddy-fuzz-ctest.XXXXXX")
mkdir -p "$work/corpus" "$work/artifacts"
cp -r "$corpus"/. "$work/corpus/" 2>/dev/null || true
set +e
"$fuzzer" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1
status=$?
set -e
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added|#[0-9]+ +DONE)' "$work/log" || true
if [ $status -ne 0 ]; then
  tail -n 60 "$work/log"
  echo "fuzz: $(basename "$fuzzer") failed (exit $status); inputs kept in $work/artifacts:"
  ls -l "$work/artifacts"
  exit 1
fi
rm -rf "$work"
