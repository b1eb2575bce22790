#!/usr/bin/env bash
# Throughput of an authenticated read route against GET /health, in one run (wrk, keep-alive).
# Prints figures only. usage: tests/bench/auth_wrk.sh [seconds] [connections]
# The same route on SQLite and PostgreSQL side by side: tests/bench/database_backends.sh.
# Needs a Release build (scripts/build) and wrk (scripts/setup installs it).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# Absolute: the config in the temp directory would resolve a relative plugin path from there.
binary=$(realpath -m "${BAMBUDDY_BINARY:-$root/build/bambuddy}")
seconds=${1:-10}
connections=${2:-64}
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
  worker_threads: 2
data_dir: $work/data
log:
  level: warn
plugins:
  search_path: [$(dirname "$binary")/plugins]
  load:
    - name: storage.local
    - name: auth.apikey
YAML
BAMBUDDY_ADMIN_KEY=$admin "$binary" --config "$work/bench.yaml" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 500); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.01
done

# A read key whose limit never trips during the run.
created=$(curl -fsS -X POST -H "X-API-Key: $admin" -H 'Content-Type: application/json' \
  -d '{"name":"bench","permissions":["printers:read"],"rate_limits":{"read":1000000}}' \
  "http://127.0.0.1:$port/api/v1/api-keys")
key=$(echo "$created" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

run() {
  wrk -t2 -c"$connections" -d"${seconds}s" -H 'Connection: keep-alive' "$@" | awk '/Requests\/sec/ {print $2}'
}
health=$(run "http://127.0.0.1:$port/health")
me=$(run -H "X-API-Key: $key" "http://127.0.0.1:$port/api/v1/auth/me")
status=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $key" "http://127.0.0.1:$port/api/v1/auth/me")
echo "wrk -t2 -c$connections -d${seconds}s keep-alive, server threads=2 workers=2 (wrk shares the 2 cores)"
echo "GET /health:                 $health req/s"
echo "GET /api/v1/auth/me (keyed): $me req/s (last status $status)"
/usr/bin/python3 -c "print(f'ratio authenticated / health: {float(\"$me\") / float(\"$health\"):.2f}')"
