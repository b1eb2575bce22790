#!/usr/bin/env bash
# The same server figures on both database backends in one run: SQLite (the embedded default) and
# PostgreSQL 15, then PostgreSQL / SQLite for each figure. Prints figures only (never fails on time).
#
# usage: tests/bench/database_backends.sh [rows] [seconds] [connections]
#   rows         archives in the database (default 100,000: a year of a 10-printer farm)
#   seconds      per wrk run (default 5; 18 runs per backend, so about 4 minutes in all)
#   connections  wrk connections (default 16); the -c1 figures use one
# BENCH_BACKENDS="sqlite" or "postgresql" runs one backend only; BENCH_PG_BIN is PostgreSQL's bin
# directory (default /usr/lib/postgresql/15/bin). Needs a Release build (BAMBUDDY_BINARY, default
# build/bambuddy), wrk, sqlite3 and postgresql-15 (scripts/setup installs them); as root,
# PostgreSQL runs as the postgres user.
#
# One server per backend (threads 2, worker_threads 4, 4 database sessions), each on a fresh
# database holding the same ROWS archives (written with the server stopped). Both stay up and each
# figure is measured on SQLite, then right away on PostgreSQL, so other load on the machine weighs
# on both alike. PostgreSQL runs in a cluster of its own in a temp directory with its default
# settings: fsync on, shared_buffers 128MB. wrk, the servers and PostgreSQL share the machine's
# cores, so figures compare backends on one machine, not machines.
#
# The figures, each "req/s, p50, p99" (latency in ms):
#   /health                 the yardstick: no key, no database
#   auth/me (read key)      the authenticated route of auth_wrk.sh, with a printers:read key
#   list, statistics        GET /api/v1/archives?limit=50 and /api/v1/statistics, answered from
#                           the answer cache (kept until an archive changes)
#   uncached ...            a random since= in 2000, before every archive, on every request
#                           (uncached.lua): the cache never hits but the rows are the same, so
#                           each request runs the queries: the first page, a printer+status
#                           filter, the statistics, name searches (FTS5 trigram index on SQLite,
#                           pg_trgm GIN on PostgreSQL): q=art_4242 (11 archives by file name;
#                           every archive holds the trigram "art", costly for GIN) and q=4242
#                           (20 archives, rare trigrams only), the page at the middle of the
#                           history by offset= and by the keyset cursor after=
#   -c1 ...                 the same with one connection: the time one request takes, no queueing
# The ratio line is PostgreSQL / SQLite: above 1 means PostgreSQL serves more requests per second,
# or takes longer per request for the latencies.
set -euo pipefail
. "$(dirname "$0")/wrk_lib.sh"
rows=${1:-100000}
bench_seconds=${2:-5}
bench_connections=${3:-16}
backends=${BENCH_BACKENDS:-sqlite postgresql}
bench_init
# One clock for both fills, so both backends hold the same archives.
now_ms=$(($(date +%s) * 1000))

declare -A result port pid key middle cursor log
labels=()
stop_servers() {
  local b
  for b in "${!pid[@]}"; do
    kill "${pid[$b]}" 2>/dev/null || true
    wait "${pid[$b]}" 2>/dev/null || true
  done
  pid=()
}
trap 'stop_servers; bench_cleanup' EXIT

# Each backend gets a server of its own on a filled database; both stay up, and every figure is
# measured on one backend right after the other, so load from elsewhere on the machine weighs on
# both alike (an idle server costs the other next to nothing).
for backend in $backends; do
  case $backend in
    sqlite) bench_configure sqlite ;;
    postgresql)
      bench_start_postgresql
      bench_configure postgresql "$bench_pg_url"
      ;;
    *) echo "unknown backend '$backend' (sqlite, postgresql)" >&2; exit 2 ;;
  esac
  # The first start creates the schema (migrations); the rows go in with the server stopped, so
  # no cached answer or running total predates them.
  bench_start_server
  bench_stop_server
  fill_start=$SECONDS
  if [ "$backend" = sqlite ]; then
    bench_fill_sqlite "$bench_data/bambuddy.db" "$rows" "$now_ms"
  else
    bench_fill_postgresql "$rows" "$now_ms"
  fi
  fill_seconds=$((SECONDS - fill_start))
  bench_start_server
  port[$backend]=$bench_port
  pid[$backend]=$bench_pid
  log[$backend]=$bench_log
  bench_pid="" # stopped below, by its entry in pid
  key[$backend]=$(bench_read_key)
  count=$(bench_get "/api/v1/archives?limit=1" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
  printed=$(bench_get "/api/v1/statistics" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total_prints"])')
  middle[$backend]=$((count / 2))
  cursor[$backend]=$(bench_get "/api/v1/archives?limit=1&offset=$((count / 2 - 1))" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["next"] or "")')
  echo "$backend: $count archives ($printed in the statistics), filled in ${fill_seconds}s"
done

# measure LABEL [bench_wrk options] PATH: PATH may hold {middle} and {cursor}, each backend's own.
measure() {
  local label=$1 b r
  shift
  labels+=("$label")
  echo "$label"
  for b in $backends; do
    bench_port=${port[$b]}
    local args=("${@//\{middle\}/${middle[$b]}}")
    args=("${args[@]//\{cursor\}/${cursor[$b]}}")
    args=("${args[@]//\{key\}/${key[$b]}}")
    r=$(bench_wrk "${args[@]}")
    result["$b|$label"]=$r
    printf '  %-12s %s\n' "$b" "$(bench_format "$r")"
  done
}

echo "wrk -c$bench_connections -d${bench_seconds}s per figure (-c1: one connection)"
measure "/health" /health
measure "auth/me (read key)" -k "{key}" /api/v1/auth/me
measure "list" "/api/v1/archives?limit=50"
measure "statistics" /api/v1/statistics
measure "uncached list" -u "/api/v1/archives?limit=50"
measure "uncached printer+status" -u "/api/v1/archives?limit=50&printer_id=3&status=failed"
measure "uncached statistics" -u "/api/v1/statistics?all=1"
measure "uncached search q=art_4242" -u "/api/v1/archives?limit=50&q=art_4242"
measure "uncached search q=4242" -u "/api/v1/archives?limit=50&q=4242"
measure "uncached offset=middle" -u "/api/v1/archives?limit=50&offset={middle}"
measure "uncached after=middle" -u "/api/v1/archives?limit=50&after={cursor}"
measure "-c1 list" -u -c1 "/api/v1/archives?limit=50"
measure "-c1 printer+status" -u -c1 "/api/v1/archives?limit=50&printer_id=3&status=failed"
measure "-c1 statistics" -u -c1 "/api/v1/statistics?all=1"
measure "-c1 search q=art_4242" -u -c1 "/api/v1/archives?limit=50&q=art_4242"
measure "-c1 search q=4242" -u -c1 "/api/v1/archives?limit=50&q=4242"
measure "-c1 offset=middle" -u -c1 "/api/v1/archives?limit=50&offset={middle}"
measure "-c1 after=middle" -u -c1 "/api/v1/archives?limit=50&after={cursor}"
stop_servers

# What went wrong on the servers' side, if anything (they log at level warn).
for b in $backends; do
  problems=$(grep -ciE 'error|warn' "${log[$b]}" || true)
  if [ "$problems" -gt 0 ]; then
    echo "$b server log: $problems warning/error lines, the first ones:"
    grep -iE 'error|warn' "${log[$b]}" | head -5 | sed 's/^/    /'
  fi
done
if [[ " $backends " == *" postgresql "* ]]; then
  pg_problems=$(grep -cE 'ERROR|FATAL|PANIC' "$bench_pg_log" || true)
  if [ "$pg_problems" -gt 0 ]; then
    echo "PostgreSQL log: $pg_problems ERROR/FATAL lines, the first ones:"
    grep -E 'ERROR|FATAL|PANIC' "$bench_pg_log" | head -5 | sed 's/^/    /'
  fi
fi

if [[ " $backends " == *" sqlite "* && " $backends " == *" postgresql "* ]]; then
  echo "PostgreSQL / SQLite (req/s above 1: PostgreSQL serves more; p50/p99 above 1: PostgreSQL is slower)"
  for label in "${labels[@]}"; do
    /usr/bin/python3 -c '
import sys
label, s, p = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
def ratio(i):
    a, b = float(p[i]), float(s[i])
    return f"{a / b:6.2f}" if b > 0 else "   n/a"
print(f"  {label:34s} req/s {ratio(0)}   p50 {ratio(1)}   p99 {ratio(2)}")' \
      "$label" "${result[sqlite|$label]}" "${result[postgresql|$label]}"
  done
fi
