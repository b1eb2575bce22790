#!/usr/bin/env bash
# GET /api/v1/archives?limit=50 and GET /api/v1/statistics with N archive rows (default 100,000) in
# SQLite: requests/s and latency percentiles from wrk, plus /health in the same run as the yardstick.
# Prints figures only (never fails on time).
# usage: tests/bench/archives_wrk.sh [rows] [seconds] [connections]
# Also: a name search (q, trigram index) and a page at the middle of the history by offset and by
# the keyset cursor (after=).
# Needs a Release build (scripts/build), wrk and sqlite3 (scripts/setup installs them).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=$(realpath "${BAMBUDDY_BINARY:-$root/build/bambuddy}")
rows=${1:-100000}
seconds=${2:-10}
connections=${3:-16}
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

admin="bb_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/bench.yaml" <<YAML
server:
  listen: 127.0.0.1:$port
  threads: 2
  worker_threads: 4
auth:
  rate_limits: {read: 1000000, write: 1000000, control: 1000000}
data_dir: $work/data
log:
  level: warn
plugins:
  search_path: [$(dirname "$binary")/plugins]
  load:
    - name: storage.local
    - name: auth.apikey
YAML
start_server() {
  BAMBUDDY_ADMIN_KEY=$admin "$binary" --config "$work/bench.yaml" 2>>"$work/server.log" &
  pid=$!
  for _ in $(seq 1 1000); do
    curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return
    sleep 0.01
  done
  echo "server did not start:"; cat "$work/server.log"; exit 1
}

# First start creates the schema; the rows go in with the server stopped, as one transaction:
# 10 printers, one print every ~5 minutes over the last year, 80 % success, 12 % failed, 8 % cancelled.
start_server
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
now_ms=$(($(date +%s) * 1000))
sqlite3 "$work/data/bambuddy.db" <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
INSERT INTO archives (id, status, name, filename, printer_id, printer_name, job_id, started_at_ms, ended_at_ms,
  duration_s, progress, filament_used_g, filament_type, notes, tags, favourite, sort_at_ms, created_at_ms,
  updated_at_ms)
SELECT i,
  CASE WHEN i % 25 < 20 THEN 'success' WHEN i % 25 < 23 THEN 'failed' ELSE 'cancelled' END,
  'part ' || i, 'part_' || i || '.3mf', 1 + i % 10, 'Printer ' || (1 + i % 10), 'job-' || i,
  $now_ms - i * 315000, $now_ms - i * 315000 + 3600000, 300 + i % 7200, 100.0, 5.0 + (i % 300) / 10.0, 'PLA',
  '', '[]', 0, $now_ms - i * 315000, $now_ms - i * 315000, $now_ms - i * 315000
FROM n;
-- The server keeps per-day totals and their week/month/year roll-ups with every archive write; rows
-- added behind its back need them too (SQLite's date functions name the periods' first days here).
-- The search index follows by itself (triggers).
DELETE FROM archive_day_counts;
INSERT INTO archive_day_counts (status, day, printer_id, n, seconds, grams, printer_name)
SELECT status, sort_at_ms / 86400000, COALESCE(printer_id, 0), COUNT(*), COALESCE(SUM(duration_s), 0),
  COALESCE(SUM(filament_used_g), 0), MAX(printer_name) FROM archives
GROUP BY status, sort_at_ms / 86400000, COALESCE(printer_id, 0);
DELETE FROM archive_period_counts;
INSERT INTO archive_period_counts (kind, status, period, printer_id, n, seconds, grams, printer_name)
SELECT kind, status, period, printer_id, SUM(n), SUM(seconds), SUM(grams), MAX(printer_name) FROM (
  SELECT 1 AS kind, status, day - (day + 3) % 7 AS period, printer_id, n, seconds, grams, printer_name
    FROM archive_day_counts
  UNION ALL
  SELECT 2, status, CAST(strftime('%s', day * 86400, 'unixepoch', 'start of month') AS INTEGER) / 86400,
    printer_id, n, seconds, grams, printer_name FROM archive_day_counts
  UNION ALL
  SELECT 3, status, CAST(strftime('%s', day * 86400, 'unixepoch', 'start of year') AS INTEGER) / 86400,
    printer_id, n, seconds, grams, printer_name FROM archive_day_counts)
GROUP BY kind, status, period, printer_id;
COMMIT;
ANALYZE;
SQL
start_server

# Answers are kept until an archive changes, so repeated URLs measure the cache. The "uncached"
# runs add a random since= before every row (one of 86,400 values per request), which changes the
# cache key but not the rows: every request is computed from the database.
cat > "$work/uncached.lua" <<'LUA'
request = function()
  local since = string.format("2000-01-01T%02d:%02d:%02dZ", math.random(0, 23), math.random(0, 59), math.random(0, 59))
  return wrk.format(nil, wrk.path .. "&since=" .. since)
end
LUA
run() { # prints "req/s p50 p99" (latencies in ms); a second argument "uncached" varies the URL; a
        # third sets the connections (one connection: the time of one query, without queueing)
  local script=()
  if [ "${2:-}" = uncached ]; then script=(-s "$work/uncached.lua"); fi
  local c=${3:-$connections}
  wrk -t"$((c < 2 ? 1 : 2))" -c"$c" -d"${seconds}s" --latency "${script[@]}" -H "X-API-Key: $admin" "$1" | /usr/bin/python3 -c '
import re, sys
text = sys.stdin.read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]
if "Requests/sec" not in text:
    print("wrk gave no figures: " + " ".join(text.split())[:200])
    sys.exit(0)
rps = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
print(f"{float(rps):10.0f} req/s   p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")'
}
count=$(curl -fsS -H "X-API-Key: $admin" "http://127.0.0.1:$port/api/v1/archives?limit=1" |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
echo "archives in the database: $count; wrk -t2 -c$connections -d${seconds}s (wrk shares the 2 cores)"
echo "GET /health                       $(run "http://127.0.0.1:$port/health")"
echo "GET /api/v1/archives?limit=50     $(run "http://127.0.0.1:$port/api/v1/archives?limit=50")"
echo "GET /api/v1/archives?limit=50&printer_id=3&status=failed  $(run "http://127.0.0.1:$port/api/v1/archives?limit=50&printer_id=3&status=failed")"
echo "GET /api/v1/statistics            $(run "http://127.0.0.1:$port/api/v1/statistics")"
echo "uncached (computed on every request):"
echo "GET /api/v1/archives?limit=50     $(run "http://127.0.0.1:$port/api/v1/archives?limit=50" uncached)"
echo "GET /api/v1/archives?limit=50&printer_id=3&status=failed  $(run "http://127.0.0.1:$port/api/v1/archives?limit=50&printer_id=3&status=failed" uncached)"
echo "GET /api/v1/statistics            $(run "http://127.0.0.1:$port/api/v1/statistics?all=1" uncached)"
echo "GET /api/v1/archives?limit=50&q=art_4242 (search)  $(run "http://127.0.0.1:$port/api/v1/archives?limit=50&q=art_4242" uncached)"
# Deep pages: the page at the middle of the history by offset, and the same page by cursor.
middle=$((count / 2))
cursor=$(curl -fsS -H "X-API-Key: $admin" "http://127.0.0.1:$port/api/v1/archives?limit=1&offset=$((middle - 1))" |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["next"] or "")')
echo "GET /api/v1/archives?limit=50&offset=$middle  $(run "http://127.0.0.1:$port/api/v1/archives?limit=50&offset=$middle" uncached)"
echo "GET /api/v1/archives?limit=50&after=<cursor at $middle>  $(run "http://127.0.0.1:$port/api/v1/archives?limit=50&after=$cursor" uncached)"
echo "one client (wrk -c1), uncached: the time one query takes"
echo "GET /api/v1/archives?limit=50     $(run "http://127.0.0.1:$port/api/v1/archives?limit=50" uncached 1)"
echo "GET /api/v1/archives?limit=50&printer_id=3&status=failed  $(run "http://127.0.0.1:$port/api/v1/archives?limit=50&printer_id=3&status=failed" uncached 1)"
echo "GET /api/v1/statistics            $(run "http://127.0.0.1:$port/api/v1/statistics?all=1" uncached 1)"
echo "GET /api/v1/archives?limit=50&q=art_4242 (search)  $(run "http://127.0.0.1:$port/api/v1/archives?limit=50&q=art_4242" uncached 1)"
echo "GET /api/v1/archives?limit=50&after=<cursor at $middle>  $(run "http://127.0.0.1:$port/api/v1/archives?limit=50&after=$cursor" uncached 1)"
