#!/usr/bin/env bash
# The plugin author's path, end to end: installs this build with `cmake --install` into a temp
# prefix, builds notifier.gotify outside the tree (plugins/notifier-gotify's src/, schema/ and
# tests/ copied next to out_of_tree_notifier/CMakeLists.txt, an outside author's project file)
# against that prefix only, with the installed HTTP helpers (COMPONENTS common) and its own tests
# through the installed bambuddy_add_plugin_test() and test helpers (COMPONENTS testing), runs those
# tests, then loads the plugin into the installed server, checks the API type name and a refused
# setting, and delivers one test notification to a local HTTP receiver.
# Prints how long configure, build and test of the plugin took.
# usage: out_of_tree_notifier.sh <source dir> <build dir>
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d)
server_pid=""
receiver_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -9 "$server_pid" 2>/dev/null || true; fi
  if [ -n "$receiver_pid" ]; then kill -9 "$receiver_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  if [ -f "$work/server.log" ]; then tail -n 40 "$work/server.log" >&2; fi
  exit 1
}
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
prefix=$work/prefix
for f in lib/cmake/BambuddySDK/BambuddyPluginTest.cmake lib/bambuddy/libbambuddy_plugin_net.a \
  lib/bambuddy/libbambuddy_plugin_testing.a include/bambuddy/common/net/ssrf_guard.h \
  include/bambuddy/common/testing/notifier_fixture.h include/bambuddy/testing/schema_check.hpp; do
  [ -f "$prefix/$f" ] || fail "$f is not installed"
done

# The outside author's project: nothing of the source tree but these copies.
project=$work/notifier-gotify
mkdir -p "$project"
cp -r "$src/plugins/notifier-gotify/src" "$src/plugins/notifier-gotify/schema" \
  "$src/plugins/notifier-gotify/tests" "$project/"
cp "$src/tests/integration/out_of_tree_notifier/CMakeLists.txt" "$project/"

jobs=$(nproc 2>/dev/null || echo 2)
# The installed static libraries of a sanitizer build are instrumented: the outside project must be
# compiled and linked the same way, as an author linking against such an SDK would have to.
sanitize=()
if grep -q '^BAMBUDDY_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
  sanitize=(-DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
    -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined")
fi
t0=$(now)
cmake -S "$project" -B "$work/plugin-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "${sanitize[@]}" >"$work/configure.log" 2>&1 || {
  cat "$work/configure.log" >&2
  fail "configure"
}
t1=$(now)
cmake --build "$work/plugin-build" -j "$jobs" >"$work/build.log" 2>&1 || {
  tail -n 60 "$work/build.log" >&2
  fail "build"
}
t2=$(now)
ctest --test-dir "$work/plugin-build" --output-on-failure -j "$jobs" >"$work/ctest.log" 2>&1 || {
  tail -n 80 "$work/ctest.log" >&2
  fail "the plugin's own tests"
}
t3=$(now)
tests_run=$(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "$work/ctest.log")
[ -n "$tests_run" ] && [ "$tests_run" -gt 0 ] || fail "no tests ran: $(tail -n 5 "$work/ctest.log")"
echo "plugin path: configure $(seconds "$t0" "$t1") s, build $(seconds "$t1" "$t2") s," \
  "test $(seconds "$t2" "$t3") s ($tests_run tests), total $(seconds "$t0" "$t3") s"
# Built from the prefix alone: no compile command names the source tree.
if grep -q -- "$src/" "$work/plugin-build/compile_commands.json"; then
  fail "the out-of-tree build used the source tree: $(grep -o -- "-I$src[^ ]*" "$work/plugin-build/compile_commands.json" | head -n 3)"
fi
plugin=$work/plugin-build/bb_notifier_gotify.so
[ -f "$plugin" ] || fail "no $plugin"
exported=$(nm -D --defined-only "$plugin" | awk '$2 == "T" {print $3}')
[ "$exported" = "bb_plugin_query" ] || fail "unexpected exported symbols: $exported"

# A local receiver standing in for Gotify: records each request as one JSON line, answers 200.
cat >"$work/receiver.py" <<'PY'
import http.server, json, sys
out, port_file = sys.argv[1], sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        with open(out, "a") as f:
            f.write(json.dumps({"path": self.path, "key": self.headers.get("X-Gotify-Key"), "body": body}) + "\n")
        answer = b'{"id":1,"appid":1}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
/usr/bin/python3 "$work/receiver.py" "$work/received.jsonl" "$work/receiver.port" &
receiver_pid=$!
for _ in $(seq 1 500); do
  [ -f "$work/receiver.port" ] && break
  sleep 0.01
done
[ -f "$work/receiver.port" ] || fail "the receiver did not start"
rx_port=$(cat "$work/receiver.port")

# The guide's configuration: search_path replaces the default, so it names the installed plugins
# too, after the author's build folder (the first folder holding a bb_<name>.so wins).
cat >"$work/bambuddy.yaml" <<YAML
server:
  listen: 127.0.0.1:0
data_dir: $work/data
plugins:
  search_path: [$work/plugin-build, $prefix/lib/bambuddy/plugins]
  load:
    - name: auth.apikey
    - name: storage.local
    - name: notifier.gotify
YAML
"$prefix/bin/bambuddy" --check-config "$work/bambuddy.yaml" >"$work/check.log" 2>&1 ||
  fail "--check-config: $(cat "$work/check.log")"

admin_key="bb_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
BAMBUDDY_ADMIN_KEY=$admin_key "$prefix/bin/bambuddy" --config "$work/bambuddy.yaml" 2>"$work/server.log" &
server_pid=$!
port=""
for _ in $(seq 1 1000); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.log" | head -n1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited"
  sleep 0.01
done
[ -n "$port" ] || fail "the server did not become ready"
api=http://127.0.0.1:$port/api/v1
call() { # method path [body] -> "<status> <body>"
  local method=$1 path=$2 body=${3:-}
  if [ -n "$body" ]; then
    curl -sS --max-time 10 -o "$work/answer" -w '%{http_code}' -X "$method" -H "X-API-Key: $admin_key" \
      -H "Content-Type: application/json" -d "$body" "$api$path"
  else
    curl -sS --max-time 10 -o "$work/answer" -w '%{http_code}' -X "$method" -H "X-API-Key: $admin_key" "$api$path"
  fi
}
json_field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/answer" "$1"; }

grep -q "$plugin" "$work/server.log" || fail "the server did not load $plugin"
# The API's type name is the plugin name without "notifier.".
[ "$(call GET /notifications/types)" = 200 ] || fail "types: $(cat "$work/answer")"
grep -q '"gotify"' "$work/answer" || fail "no type gotify: $(cat "$work/answer")"

# A setting the schema allows but the plugin refuses: 400 invalid_settings with the plugin's words.
status=$(call POST /notifications '{"type":"gotify","name":"bad","settings":{"server":"gotify.local","app_token":"AbcTok3n"}}')
[ "$status" = 400 ] || fail "a refused setting answered $status: $(cat "$work/answer")"
[ "$(json_field code)" = invalid_settings ] || fail "refusal code: $(cat "$work/answer")"
json_field detail | grep -q "/server is not an absolute URL" || fail "refusal detail: $(cat "$work/answer")"
echo "a refused setting: $(cat "$work/answer")"

status=$(call POST /notifications "{\"type\":\"gotify\",\"name\":\"Gotify\",\"settings\":{\"server\":\"http://127.0.0.1:$rx_port\",\"app_token\":\"AbcTok3n\"}}")
[ "$status" = 201 ] || fail "creating the provider answered $status: $(cat "$work/answer")"
provider=$(json_field id)
[ "$(json_field plugin)" = notifier.gotify ] || fail "provider: $(cat "$work/answer")"
status=$(call POST "/notifications/$provider/test")
[ "$status" = 202 ] || fail "test answered $status: $(cat "$work/answer")"
delivery=$(json_field id)
state=""
for _ in $(seq 1 500); do
  call GET "/notifications/deliveries/$delivery" >/dev/null
  state=$(json_field status)
  [ "$state" = pending ] || [ "$state" = retrying ] || break
  sleep 0.02
done
[ "$state" = delivered ] || fail "the delivery is $state: $(cat "$work/answer")"
[ "$(wc -l <"$work/received.jsonl")" -eq 1 ] || fail "the receiver got: $(cat "$work/received.jsonl")"
/usr/bin/python3 - "$work/received.jsonl" <<'PY' || fail "the receiver got: $(cat "$work/received.jsonl")"
import json, sys
r = json.loads(open(sys.argv[1]).readline())
body = json.loads(r["body"])
assert r["path"] == "/message" and r["key"] == "AbcTok3n", r
assert body["title"] and body["extras"]["client::display"]["contentType"] == "text/markdown", body
PY

kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=""
grep -q "unloaded notifier.gotify" "$work/server.log" || fail "notifier.gotify was not unloaded"
echo "out-of-tree notifier: built and tested against the installed SDK, loaded, one notification delivered"
