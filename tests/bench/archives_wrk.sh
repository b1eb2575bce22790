#!/usr/bin/env bash
# GET /api/v1/archives?limit=50 and GET /api/v1/statistics with N archive rows (default 100,000) in
# SQLite: requests/s and latency percentiles from wrk, plus /health in the same run as the yardstick.
# Prints figures only (never fails on time).
# usage: tests/bench/archives_wrk.sh [rows] [seconds] [connections]
# Also: a name search (q, trigram index) and a page at the middle of the history by offset and by
# the keyset cursor (after=). The same figures on SQLite and PostgreSQL side by side:
# tests/bench/database_backends.sh.
# Needs a Release build (scripts/build), wrk and sqlite3 (scripts/setup installs them).
set -euo pipefail
. "$(dirname "$0")/wrk_lib.sh"
rows=${1:-100000}
bench_seconds=${2:-10}
bench_connections=${3:-16}
bench_init
bench_configure sqlite

# First start creates the schema; the rows go in with the server stopped.
bench_start_server
bench_stop_server
bench_fill_sqlite "$bench_data/bambuddy.db" "$rows" "$(($(date +%s) * 1000))"
bench_start_server

# Answers are kept until an archive changes, so repeated URLs measure the cache. The "uncached"
# runs add a random since= before every row (one of 86,400 values per request), which changes the
# cache key but not the rows: every request is computed from the database.
run() { bench_format "$(bench_wrk "$@")"; }
count=$(bench_get "/api/v1/archives?limit=1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
echo "archives in the database: $count; wrk -t2 -c$bench_connections -d${bench_seconds}s (wrk shares the 2 cores)"
echo "GET /health                       $(run /health)"
echo "GET /api/v1/archives?limit=50     $(run "/api/v1/archives?limit=50")"
echo "GET /api/v1/archives?limit=50&printer_id=3&status=failed  $(run "/api/v1/archives?limit=50&printer_id=3&status=failed")"
echo "GET /api/v1/statistics            $(run /api/v1/statistics)"
echo "uncached (computed on every request):"
echo "GET /api/v1/archives?limit=50     $(run -u "/api/v1/archives?limit=50")"
echo "GET /api/v1/archives?limit=50&printer_id=3&status=failed  $(run -u "/api/v1/archives?limit=50&printer_id=3&status=failed")"
echo "GET /api/v1/statistics            $(run -u "/api/v1/statistics?all=1")"
echo "GET /api/v1/archives?limit=50&q=art_4242 (search)  $(run -u "/api/v1/archives?limit=50&q=art_4242")"
# Deep pages: the page at the middle of the history by offset, and the same page by cursor.
middle=$((count / 2))
cursor=$(bench_get "/api/v1/archives?limit=1&offset=$((middle - 1))" |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["next"] or "")')
echo "GET /api/v1/archives?limit=50&offset=$middle  $(run -u "/api/v1/archives?limit=50&offset=$middle")"
echo "GET /api/v1/archives?limit=50&after=<cursor at $middle>  $(run -u "/api/v1/archives?limit=50&after=$cursor")"
echo "one client (wrk -c1), uncached: the time one query takes"
echo "GET /api/v1/archives?limit=50     $(run -u -c1 "/api/v1/archives?limit=50")"
echo "GET /api/v1/archives?limit=50&printer_id=3&status=failed  $(run -u -c1 "/api/v1/archives?limit=50&printer_id=3&status=failed")"
echo "GET /api/v1/statistics            $(run -u -c1 "/api/v1/statistics?all=1")"
echo "GET /api/v1/archives?limit=50&q=art_4242 (search)  $(run -u -c1 "/api/v1/archives?limit=50&q=art_4242")"
echo "GET /api/v1/archives?limit=50&after=<cursor at $middle>  $(run -u -c1 "/api/v1/archives?limit=50&after=$cursor")"
