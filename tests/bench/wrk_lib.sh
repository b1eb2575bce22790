# Shared by the wrk benchmarks that run the Release server against a database: sourced, not run.
# The caller sets `set -euo pipefail` and calls bench_init first; everything lives in one temp
# directory that the EXIT trap removes, with the server and PostgreSQL (when started) stopped.
# Loopback only: the server and PostgreSQL listen on 127.0.0.1, on free ports.

bench_init() {
  bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  bench_binary=$(realpath -m "${BAMBUDDY_BINARY:-$bench_root/build/bambuddy}")
  if [ ! -x "$bench_binary" ]; then
    echo "no server binary at $bench_binary: scripts/build, or BAMBUDDY_BINARY=<Release build>/bambuddy" >&2
    exit 1
  fi
  bench_work=$(mktemp -d)
  bench_pid=""
  bench_pg_pid=""
  bench_admin="bb_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  bench_server_threads=2
  bench_worker_threads=4
  cat > "$bench_work/uncached.lua" <<'LUA'
request = function()
  local since = string.format("2000-01-01T%02d:%02d:%02dZ", math.random(0, 23), math.random(0, 59), math.random(0, 59))
  return wrk.format(nil, wrk.path .. "&since=" .. since)
end
LUA
  trap bench_cleanup EXIT
}

bench_cleanup() {
  bench_stop_server
  bench_stop_postgresql
  rm -rf "$bench_work"
}

bench_free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bench_configure NAME [DATABASE_URL]: a server config and data directory under $bench_work/NAME,
# SQLite in the data directory unless a PostgreSQL URL is given. Sets bench_port, bench_config,
# bench_data and bench_log for the bench_* functions below.
bench_configure() {
  local name=$1 url=${2:-}
  mkdir -p "$bench_work/$name"
  bench_port=$(bench_free_port)
  bench_config=$bench_work/$name/bench.yaml
  bench_data=$bench_work/$name/data
  bench_log=$bench_work/$name/server.log
  : > "$bench_log"
  local database=""
  if [ -n "$url" ]; then database="database: {url: \"$url\"}"; fi
  cat > "$bench_config" <<YAML
server:
  listen: 127.0.0.1:$bench_port
  threads: $bench_server_threads
  worker_threads: $bench_worker_threads
auth:
  rate_limits: {read: 1000000, write: 1000000, control: 1000000}
data_dir: $bench_data
$database
log:
  level: warn
plugins:
  search_path: [$(dirname "$bench_binary")/plugins]
  load:
    - name: storage.local
    - name: auth.apikey
YAML
}

# Starts the server with the admin key and waits until /health answers. The environment cannot
# switch the database (BAMBUDDY_DATABASE_URL would override the config).
bench_start_server() {
  BAMBUDDY_ADMIN_KEY=$bench_admin env -u BAMBUDDY_DATABASE_URL "$bench_binary" --config "$bench_config" \
    2>>"$bench_log" &
  bench_pid=$!
  local _
  for _ in $(seq 1 1500); do
    curl -fs "http://127.0.0.1:$bench_port/health" >/dev/null 2>&1 && return
    kill -0 "$bench_pid" 2>/dev/null || break
    sleep 0.02
  done
  echo "server did not start:" >&2
  cat "$bench_log" >&2
  exit 1
}

bench_stop_server() {
  if [ -n "${bench_pid:-}" ]; then
    kill "$bench_pid" 2>/dev/null || true
    wait "$bench_pid" 2>/dev/null || true
    bench_pid=""
  fi
}

# bench_get PATH: the answer of an admin GET.
bench_get() {
  curl -fsS -H "X-API-Key: $bench_admin" "http://127.0.0.1:$bench_port$1"
}

# A key that may only read printers (what a dashboard holds), with a limit that never trips.
bench_read_key() {
  curl -fsS -X POST -H "X-API-Key: $bench_admin" -H 'Content-Type: application/json' \
    -d '{"name":"bench","permissions":["printers:read"],"rate_limits":{"read":1000000}}' \
    "http://127.0.0.1:$bench_port/api/v1/api-keys" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'
}

# bench_wrk [-u] [-c CONNECTIONS] [-k KEY] PATH: prints "req/s p50_ms p99_ms non_2xx" (nan when wrk
# gave no figures, with its output on stderr). -u varies the URL on every request (uncached.lua: a
# since= before every archive, so the answer cache never hits but the rows are the same); -c 1
# times one request at a time, without queueing. KEY defaults to the admin key. Runs
# $bench_seconds seconds, $bench_connections connections by default.
bench_wrk() {
  local OPTIND opt script=() c=$bench_connections key=$bench_admin
  while getopts "uc:k:" opt; do
    case $opt in
      u) script=(-s "$bench_work/uncached.lua") ;;
      c) c=$OPTARG ;;
      k) key=$OPTARG ;;
      *) return 2 ;;
    esac
  done
  shift $((OPTIND - 1))
  wrk -t"$((c < 2 ? 1 : 2))" -c"$c" -d"${bench_seconds}s" --latency "${script[@]}" \
    -H "X-API-Key: $key" "http://127.0.0.1:$bench_port$1" | /usr/bin/python3 -c '
import re, sys
text = sys.stdin.read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]
if "Requests/sec" not in text:
    print("wrk gave no figures: " + " ".join(text.split())[:200], file=sys.stderr)
    print("nan nan nan 0")
    sys.exit(0)
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
print(f"{rps:.1f} {p50:.3f} {p99:.3f} {bad.group(1) if bad else 0}")'
}

# bench_format "req/s p50 p99 non_2xx": one readable line.
bench_format() {
  /usr/bin/python3 -c '
import sys
rps, p50, p99, bad = sys.argv[1:5]
line = f"{float(rps):10.0f} req/s   p50 {float(p50):7.2f} ms   p99 {float(p99):7.2f} ms"
print(line + (f"   ({bad} answers not 2xx!)" if int(bad) else ""))' $1
}

# bench_fill_sqlite DB ROWS NOW_MS and bench_fill_postgresql ROWS NOW_MS write the same archives
# behind the server's back (it is stopped), in one transaction: 10 printers, one print every
# ~5 minutes going back from NOW_MS (a year at 100,000), 80 % success, 12 % failed, 8 % cancelled.
# The server keeps per-day totals and their week/month/year roll-ups with every archive write;
# rows added this way need them too. The name search index follows by itself (FTS5 triggers on
# SQLite, the pg_trgm indexes on PostgreSQL).
# The archives both fills write, one per i of SOURCE (rows of a column i), and their per-day
# totals: the same SQL text for both databases.
bench_archive_rows_sql() {
  local now_ms=$1 source=$2
  cat <<SQL
INSERT INTO archives (id, status, name, filename, printer_id, printer_name, job_id, started_at_ms, ended_at_ms,
  duration_s, progress, filament_used_g, filament_type, notes, tags, favourite, sort_at_ms, created_at_ms,
  updated_at_ms)
SELECT i,
  CASE WHEN i % 25 < 20 THEN 'success' WHEN i % 25 < 23 THEN 'failed' ELSE 'cancelled' END,
  'part ' || i, 'part_' || i || '.3mf', 1 + i % 10, 'Printer ' || (1 + i % 10), 'job-' || i,
  $now_ms - i * 315000, $now_ms - i * 315000 + 3600000, 300 + i % 7200, 100.0, 5.0 + (i % 300) / 10.0, 'PLA',
  '', '[]', 0, $now_ms - i * 315000, $now_ms - i * 315000, $now_ms - i * 315000
FROM $source;
DELETE FROM archive_day_counts;
INSERT INTO archive_day_counts (status, day, printer_id, n, seconds, grams, printer_name)
SELECT status, sort_at_ms / 86400000, COALESCE(printer_id, 0), COUNT(*), COALESCE(SUM(duration_s), 0),
  COALESCE(SUM(filament_used_g), 0), MAX(printer_name) FROM archives
GROUP BY status, sort_at_ms / 86400000, COALESCE(printer_id, 0);
SQL
}

bench_fill_sqlite() {
  local db=$1 rows=$2 now_ms=$3
  sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
$(bench_archive_rows_sql "$now_ms" n)
-- Periods are named by their first day (weeks from Monday; SQLite's date functions find the
-- first days of months and years).
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
}

# Same rows as bench_fill_sqlite (bigint arithmetic: i * 315000 overflows a 32-bit integer).
bench_fill_postgresql() {
  local rows=$1 now_ms=$2
  bench_psql <<SQL
BEGIN;
$(bench_archive_rows_sql "$now_ms" "generate_series(1::bigint, $rows) AS i")
-- The first days of months and years from dates (make_date: no time zone involved).
DELETE FROM archive_period_counts;
INSERT INTO archive_period_counts (kind, status, period, printer_id, n, seconds, grams, printer_name)
SELECT kind, status, period, printer_id, SUM(n), SUM(seconds), SUM(grams), MAX(printer_name) FROM (
  SELECT 1 AS kind, status, day - (day + 3) % 7 AS period, printer_id, n, seconds, grams, printer_name
    FROM archive_day_counts
  UNION ALL
  SELECT 2, status, make_date(EXTRACT(YEAR FROM d)::int, EXTRACT(MONTH FROM d)::int, 1) - DATE '1970-01-01',
    printer_id, n, seconds, grams, printer_name
    FROM (SELECT *, DATE '1970-01-01' + day::int AS d FROM archive_day_counts) m
  UNION ALL
  SELECT 3, status, make_date(EXTRACT(YEAR FROM d)::int, 1, 1) - DATE '1970-01-01',
    printer_id, n, seconds, grams, printer_name
    FROM (SELECT *, DATE '1970-01-01' + day::int AS d FROM archive_day_counts) y) p
GROUP BY kind, status, period, printer_id;
COMMIT;
-- What autovacuum does to a table after many inserts (PostgreSQL 13+), done now so it does not
-- run during the measurements: statistics for the planner, the visibility map (index-only scans)
-- and the trigram indexes' pending entries merged.
VACUUM ANALYZE;
SQL
}

# PostgreSQL 15 in a cluster of its own under $bench_work, on 127.0.0.1 and a free port, with the
# server's default settings (fsync on). It refuses to run as root: as root the cluster belongs
# to the postgres user. Sets bench_pg_url (database "bench", role bambuddy, trust on loopback).
bench_pg_bin=${BENCH_PG_BIN:-/usr/lib/postgresql/15/bin}
# A command prefix, not a function: setpriv execs, so a background postgres's $! is the postmaster
# (a function in the background would be a subshell, which ignores the SIGINT that stops it).
bench_as_postgres=()
if [ "$(id -u)" = 0 ]; then bench_as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups --); fi

bench_start_postgresql() {
  local dir=$bench_work/pg
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chmod 0711 "$bench_work" # the postgres user only passes through
    chown postgres:postgres "$dir"
  fi
  "${bench_as_postgres[@]}" "$bench_pg_bin/initdb" -D "$dir/data" -U bambuddy --auth=trust --no-locale \
    --encoding=UTF8 >"$bench_work/initdb.log" 2>&1 || { cat "$bench_work/initdb.log" >&2; exit 1; }
  bench_pg_port=$(bench_free_port)
  bench_pg_log=$bench_work/postgres.log
  "${bench_as_postgres[@]}" "$bench_pg_bin/postgres" -D "$dir/data" -p "$bench_pg_port" \
    -c listen_addresses=127.0.0.1 -k "$dir" >"$bench_pg_log" 2>&1 &
  bench_pg_pid=$!
  local deadline=$((SECONDS + 30))
  until "$bench_pg_bin/pg_isready" -q -h 127.0.0.1 -p "$bench_pg_port" -U bambuddy -d postgres; do
    if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "$bench_pg_pid" 2>/dev/null; then
      echo "PostgreSQL did not start:" >&2
      cat "$bench_pg_log" >&2
      exit 1
    fi
    sleep 0.1
  done
  "$bench_pg_bin/createdb" -h 127.0.0.1 -p "$bench_pg_port" -U bambuddy bench
  bench_pg_url="postgresql://bambuddy@127.0.0.1:$bench_pg_port/bench"
}

bench_psql() {
  "$bench_pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$bench_pg_port" -U bambuddy -d bench "$@"
}

bench_stop_postgresql() {
  if [ -n "${bench_pg_pid:-}" ]; then
    kill -INT "$bench_pg_pid" 2>/dev/null || true # fast shutdown: no client needs to finish
    wait "$bench_pg_pid" 2>/dev/null || true
    bench_pg_pid=""
  fi
}
