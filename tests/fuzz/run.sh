#!/usr/bin/env bash
# Runs one fuzz target for longer: tests/fuzz/run.sh TARGET MINUTES
#   TARGET   mqtt_codec, bambu_report, three_mf, yaml_config, apikey_input, router, template, time,
#            notifications, settings, printers, queue (tests/fuzz/<TARGET>_fuzz.cpp)
#   MINUTES  wall-clock budget
# Builds build-fuzz (clang-14, BAMBUDDY_FUZZ=ON) if needed. New corpus entries go to a work
# directory, never into the repository: $BAMBUDDY_FUZZ_WORK/<TARGET> (default
# /tmp/bambuddy-fuzz/<TARGET>), seeded from tests/fuzz/corpus/<TARGET> and kept between runs, so
# campaigns continue where the last one stopped. Crash inputs land in <work>/artifacts. Prints the
# executions and the CPU time used at the end. Extra libFuzzer flags: BAMBUDDY_FUZZ_FLAGS;
# BAMBUDDY_FUZZ_SKIP_BUILD=1 uses the binary as it is (e.g. while others hold the build machine);
# BAMBUDDY_FUZZ_SKIP_SEEDS='issue13-*' leaves seeds matching the glob out (a known crash waiting
# for its fix would otherwise end every campaign at the first input).
set -euo pipefail
# -timeout=60: one input taking a minute is a hang; less misfires when a loaded machine (nice 19,
# shared cores) leaves the process unscheduled for seconds.
if [ $# -ne 2 ]; then
  echo "usage: $0 TARGET MINUTES" >&2
  exit 2
fi
target=$1
minutes=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BAMBUDDY_FUZZ_BUILD:-$root/build-fuzz}
work=${BAMBUDDY_FUZZ_WORK:-/tmp/bambuddy-fuzz}/$target
if [ ! -f "$root/tests/fuzz/${target}_fuzz.cpp" ]; then
  echo "run.sh: no fuzz target '$target' (tests/fuzz/${target}_fuzz.cpp)" >&2
  exit 2
fi

if [ "${BAMBUDDY_FUZZ_SKIP_BUILD:-0}" != 1 ]; then
  if [ ! -f "$build/build.ninja" ]; then
    CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DBAMBUDDY_FUZZ=ON -DBAMBUDDY_BUILD_WEB=OFF
  fi
  cmake --build "$build" --target "${target}_fuzz"
fi

mkdir -p "$work/corpus" "$work/artifacts"
for seed in "$root/tests/fuzz/corpus/$target"/*; do
  [ -f "$seed" ] || continue
  # shellcheck disable=SC2053 # the variable is a glob on purpose
  if [ -n "${BAMBUDDY_FUZZ_SKIP_SEEDS:-}" ] && [[ $(basename "$seed") == ${BAMBUDDY_FUZZ_SKIP_SEEDS} ]]; then
    rm -f "$work/corpus/$(basename "$seed")"
    continue
  fi
  cp -n "$seed" "$work/corpus/"
done
log="$work/run-$(date -u +%Y%m%dT%H%M%SZ).log"
echo "run.sh: $target for $minutes min; corpus $work/corpus, log $log"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:suppressions=$root/tests/asan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
set +e
# shellcheck disable=SC2086 # BAMBUDDY_FUZZ_FLAGS is a list of flags
/usr/bin/time -f "cpu_user_s=%U cpu_system_s=%S wall_s=%e max_rss_kb=%M" -o "$work/time.txt" \
  "$build/tests/fuzz/${target}_fuzz" -max_total_time=$((minutes * 60)) -timeout=60 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" ${BAMBUDDY_FUZZ_FLAGS:-} "$work/corpus" >"$log" 2>&1
status=$?
set -e

execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
read -r user_s sys_s <<<"$(sed -E 's/cpu_user_s=([0-9.]+) cpu_system_s=([0-9.]+).*/\1 \2/' "$work/time.txt" | tail -n 1)"
cpu_min=$(awk -v u="$user_s" -v s="$sys_s" 'BEGIN { printf "%.1f", (u + s) / 60 }')
echo "run.sh: target=$target exit=$status executions=$execs cpu_minutes=$cpu_min corpus_files=$(ls "$work/corpus" | wc -l)"
cat "$work/time.txt"
if [ $status -ne 0 ]; then
  tail -n 60 "$log"
  echo "run.sh: $target found a problem; inputs in $work/artifacts:"
  ls -l "$work/artifacts"
  exit 1
fi
