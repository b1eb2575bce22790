#!/usr/bin/env bash
# The same server figures on both database backends in one run: SQLite (the embedded default) and
# PostgreSQL 15, then PostgreSQL / SQLite for each figure. Prints figures only (never fails on time).
#
# usage: tests/bench/database_backends.sh [rows] [seconds] [connections]
#   rows         archives in the database (default 100,000: a year of a 10-printer farm)
#   seconds      per wrk run (default 5; 16 runs per backend, so about 3 minutes in all)
#   connections  wrk connections (default 16); the -c1 figures use one
# BENCH_BACKENDS="sqlite" or "postgresql" runs one backend only; BENCH_PG_BIN is PostgreSQL's bin
# directory (default /usr/lib/postgresql/15/bin). Needs a Release build (BAMBUDDY_BINARY, default
# build/bambuddy), wrk, sqlite3 and postgresql-15 (scripts/setup installs them); as root,
# PostgreSQL runs as the postgres user.
#
# Per backend: the server (threads 2, worker_threads 4, 4 database sessions) on a fresh database,
# ROWS archives written with the server stopped (same rows on both), then wrk. PostgreSQL runs in a
# cluster of its own in a temp directory with its default settings: fsync on, shared_buffers 128MB.
# wrk, the server and PostgreSQL share the machine's cores, so figures compare backends on one
# machine, not machines.
#
# The figures, each "req/s, p50, p99" (latency in ms):
#   /health                 the yardstick: no key, no database
#   auth/me (read key)      the authenticated route of auth_wrk.sh, with a printers:read key
#   list, statistics        GET /api/v1/archives?limit=50 and /api/v1/statistics, answered from
#                           the answer cache (kept until an archive changes)
#   uncached ...            a random since= before every archive on every request (uncached.lua):
#                           the cache never hits, the rows are the same, so each request runs the
#                           queries: the first page, a printer+status filter, the statistics, a
#                           name search (q=art_4242: one archive; FTS5 trigram index on SQLite,
#                           pg_trgm on PostgreSQL), the page at the middle of the history by
#                           offset= and by the keyset cursor after=
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

declare -A result seen
labels=()
# measure LABEL [bench_wrk options] PATH
measure() {
  local label=$1
  shift
  local r
  r=$(bench_wrk "$@")
  result["$backend|$label"]=$r
  if [ -z "${seen[$label]:-}" ]; then
    seen[$label]=1
    labels+=("$label")
  fi
  printf '  %-34s %s\n' "$label" "$(bench_format "$r")"
}

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
  key=$(bench_read_key)
  count=$(bench_get "/api/v1/archives?limit=1" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
  printed=$(bench_get "/api/v1/statistics" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total_prints"])')
  middle=$((count / 2))
  cursor=$(bench_get "/api/v1/archives?limit=1&offset=$((middle - 1))" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["next"] or "")')
  echo "$backend: $count archives ($printed in the statistics; filled in ${fill_seconds}s);" \
    "wrk -c$bench_connections -d${bench_seconds}s"
  measure "/health" /health
  measure "auth/me (read key)" -k "$key" /api/v1/auth/me
  measure "list" "/api/v1/archives?limit=50"
  measure "statistics" /api/v1/statistics
  measure "uncached list" -u "/api/v1/archives?limit=50"
  measure "uncached printer+status" -u "/api/v1/archives?limit=50&printer_id=3&status=failed"
  measure "uncached statistics" -u "/api/v1/statistics?all=1"
  measure "uncached search q=" -u "/api/v1/archives?limit=50&q=art_4242"
  measure "uncached offset=middle" -u "/api/v1/archives?limit=50&offset=$middle"
  measure "uncached after=middle" -u "/api/v1/archives?limit=50&after=$cursor"
  measure "-c1 list" -u -c1 "/api/v1/archives?limit=50"
  measure "-c1 printer+status" -u -c1 "/api/v1/archives?limit=50&printer_id=3&status=failed"
  measure "-c1 statistics" -u -c1 "/api/v1/statistics?all=1"
  measure "-c1 search q=" -u -c1 "/api/v1/archives?limit=50&q=art_4242"
  measure "-c1 offset=middle" -u -c1 "/api/v1/archives?limit=50&offset=$middle"
  measure "-c1 after=middle" -u -c1 "/api/v1/archives?limit=50&after=$cursor"
  bench_stop_server
  # What went wrong on the server's side, if anything (log level warn).
  problems=$(grep -ciE 'error|warn' "$bench_log" || true)
  if [ "$problems" -gt 0 ]; then
    echo "  server log: $problems warning/error lines, the first ones:"
    grep -iE 'error|warn' "$bench_log" | head -5 | sed 's/^/    /'
  fi
  if [ "$backend" = postgresql ]; then
    pg_problems=$(grep -cE 'ERROR|FATAL|PANIC' "$bench_pg_log" || true)
    if [ "$pg_problems" -gt 0 ]; then
      echo "  PostgreSQL log: $pg_problems ERROR/FATAL lines, the first ones:"
      grep -E 'ERROR|FATAL|PANIC' "$bench_pg_log" | head -5 | sed 's/^/    /'
    fi
    bench_stop_postgresql
  fi
done

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
