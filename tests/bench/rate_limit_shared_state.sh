#!/usr/bin/env bash
# What counting every API request in PostgreSQL would cost (the shared-state alternative of
# docs/adr/0009): pgbench runs one UPDATE of a per-key counter per transaction against a private
# PostgreSQL 15 (fsync on), 8 clients, for one hot key (every client on one row) and for 1,000
# keys. Compare with the requests/s one server instance answers from its in-memory limiter
# (tests/bench/auth_wrk.sh). Prints figures only (never fails on time).
# usage: tests/bench/rate_limit_shared_state.sh [seconds] [clients]
set -euo pipefail
source "$(dirname "$0")/wrk_lib.sh"
bench_init
seconds=${1:-10}
clients=${2:-8}
bench_start_postgresql
bench_psql -c "CREATE TABLE rate_counts (key TEXT PRIMARY KEY, window_start BIGINT NOT NULL, n BIGINT NOT NULL)"
bench_psql -c "INSERT INTO rate_counts SELECT 'key:' || i, 0, 0 FROM generate_series(1, 1000) AS i"
echo "UPDATE rate_counts SET n = n + 1 WHERE key = 'key:1';" > "$bench_work/hot.sql"
printf '%s\n' "\\set k random(1, 1000)" "UPDATE rate_counts SET n = n + 1 WHERE key = 'key:' || :k;" \
  > "$bench_work/spread.sql"
run() {
  "$bench_pg_bin/pgbench" -n -h 127.0.0.1 -p "$bench_pg_port" -U bambuddy -c "$clients" -j 2 -T "$seconds" \
    -f "$1" bench 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}'
}
echo "shared-state rate limiting on PostgreSQL 15 ($clients clients, $seconds s, fsync on):"
echo "  one hot key:  $(run "$bench_work/hot.sql") counter updates/s"
echo "  1,000 keys:   $(run "$bench_work/spread.sql") counter updates/s"
