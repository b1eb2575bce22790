#!/usr/bin/env bash
# Installs the SDK and server from this build, builds examples/jsonl-notifier outside the tree
# against the installed SDK only, and checks that the installed server loads it.
# usage: out_of_tree_plugin.sh <source dir> <build dir>
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -9 "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/bambuddy/abi.h"
test -f "$work/prefix/lib/cmake/BambuddySDK/BambuddySDKConfig.cmake"
# Only the server's plugins (plugins/) are installed, none of the test or benchmark plugins.
for installed in "$work/prefix/lib/bambuddy/plugins"/*.so; do
  name=$(basename "$installed" .so)
  if ! grep -qhE "NAME ${name#bb_}\b" <(sed 's/\./_/g' "$src"/plugins/*/CMakeLists.txt); then
    echo "installed a plugin that is not one of plugins/: $installed" >&2
    exit 1
  fi
done

cmake -S "$src/examples/jsonl-notifier" -B "$work/plugin-build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/plugin-build" >/dev/null
plugin="$work/plugin-build/bb_notifier_jsonl.so"
test -f "$plugin"
# Only the entry point is exported.
exported=$(nm -D --defined-only "$plugin" | awk '$2 == "T" {print $3}')
if [ "$exported" != "bb_plugin_query" ]; then
  echo "unexpected exported symbols: $exported" >&2
  exit 1
fi

cat > "$work/bambuddy.yaml" <<YAML
server:
  listen: 127.0.0.1:0
data_dir: $work/data
plugins:
  search_path: [$work/plugin-build]
  load:
    - name: auth.apikey
      path: $build/plugins/bb_auth_apikey.so
    - name: notifier.jsonl
      instances:
        - id: farm
          settings: { file: farm.jsonl }
YAML

"$work/prefix/bin/bambuddy" --check-config "$work/bambuddy.yaml"

admin_key="bb_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
BAMBUDDY_ADMIN_KEY=$admin_key "$work/prefix/bin/bambuddy" --config "$work/bambuddy.yaml" 2>"$work/server.log" &
server_pid=$!
port=""
for _ in $(seq 1 1000); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.log" | head -n1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.01
done
[ -n "$port" ] || { echo "server did not become ready" >&2; cat "$work/server.log" >&2; exit 1; }

plugins=$(curl -sS --max-time 5 -H "X-API-Key: $admin_key" "http://127.0.0.1:$port/api/v1/plugins")
echo "$plugins" | grep -q '"name":"notifier.jsonl"' || { echo "plugin not listed: $plugins" >&2; exit 1; }
echo "$plugins" | grep -q '"instances":\["farm"\]' || { echo "instance not listed: $plugins" >&2; exit 1; }
grep -q "writing notifications to $work/data/plugins/notifier.jsonl/farm/farm.jsonl" "$work/server.log"

kill -TERM "$server_pid"
wait "$server_pid"
server_pid=""
grep -q "unloaded notifier.jsonl" "$work/server.log"
echo "out-of-tree plugin: built against the installed SDK, loaded and listed"
