#!/usr/bin/env bash
# The Debian package, end to end on this machine: scripts/package builds it from this Release
# build (lintian included), dpkg installs it, systemd-analyze verifies the unit, the installed
# server runs as the bambuddy user with the installed config (on a free loopback port) and answers
# /health, examples/ and a plugins/common consumer build against the installed SDK only, and the
# package is removed and purged, leaving nothing behind.
#
# usage: package_test.sh <source dir> <build dir>
# Needs root (dpkg); exits 77 (skipped) without it, or when a bambuddy package or its directories
# already exist here, so an operator's installation is never touched.
set -euo pipefail
src=$1
build=$2
started=$(date +%s)

skip() {
  echo "SKIPPED: $*"
  exit 77
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() {
  local now
  now=$(date +%s)
  echo "--- $* (at $((now - started)) s)"
}

[ "$(id -u)" -eq 0 ] || skip "installing a package needs root (CI runs as root)"
for tool in dpkg dpkg-deb lintian systemd-analyze setpriv curl readelf nm ldd; do
  command -v "$tool" >/dev/null || skip "$tool is missing (scripts/setup installs it)"
done
status=$(dpkg-query -W -f='${db:Status-Status}' bambuddy 2>/dev/null || true)
if [ -n "$status" ] && [ "$status" != not-installed ]; then
  skip "a bambuddy package is on this machine ($status); this test does not touch it"
fi
for path in /etc/bambuddy /var/lib/bambuddy /usr/lib/bambuddy /usr/share/bambuddy /usr/include/bambuddy; do
  [ ! -e "$path" ] || skip "$path exists; this test does not touch it"
done
user_existed=0
if getent passwd bambuddy >/dev/null; then user_existed=1; fi

work=$(mktemp -d)
installed=0
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill -9 "$server_pid" 2>/dev/null || true; fi
  if [ "$installed" -eq 1 ]; then dpkg --purge bambuddy >/dev/null 2>&1 || true; fi
  # The package leaves its system user in place, as Debian does; the test removes the one it made.
  if [ "$user_existed" -eq 0 ] && getent passwd bambuddy >/dev/null; then
    userdel bambuddy 2>/dev/null || true
    if getent group bambuddy >/dev/null; then groupdel bambuddy 2>/dev/null || true; fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[ -n "$version" ] || fail "no project version in $build/CMakeCache.txt"

step "scripts/package (cpack, dpkg-shlibdeps, lintian)"
deb=$("$src/scripts/package" --build-dir "$build" --out "$work" 2>"$work/package.log" | tail -n1) || {
  cat "$work/package.log" >&2
  fail "scripts/package failed"
}
grep -E '^[EWI]: ' "$work/package.log" || true
[ "$(basename "$deb")" = "bambuddy_${version}_amd64.deb" ] || fail "package file is $deb"

step "package contents and control fields"
dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/contents"
for path in /usr/bin/bambuddy /etc/bambuddy/bambuddy.yaml /lib/systemd/system/bambuddy.service \
  /usr/lib/bambuddy/plugins/bb_auth_apikey.so /usr/lib/bambuddy/plugins/bb_storage_local.so \
  /usr/lib/bambuddy/plugins/bb_notifier_webhook.so /usr/lib/bambuddy/plugins/bb_notifier_ntfy.so \
  /usr/lib/bambuddy/plugins/bb_notifier_email.so /usr/lib/bambuddy/plugins/bb_printer_bambu.so \
  /usr/lib/bambuddy/plugins/bb_printer_sim.so /usr/lib/bambuddy/plugins/bb_notifier_mqtt.so \
  /usr/lib/bambuddy/plugins/bb_notifier_discord.so \
  /usr/lib/bambuddy/plugins/bb_notifier_slack.so \
  /usr/lib/bambuddy/plugins/bb_notifier_telegram.so \
  /usr/lib/bambuddy/plugins/bb_notifier_gotify.so \
  /usr/lib/bambuddy/plugins/bb_notifier_pushover.so \
  /usr/lib/bambuddy/plugins/bb_notifier_bark.so \
  /usr/lib/bambuddy/plugins/bb_notifier_homeassistant.so \
  /usr/lib/bambuddy/plugins/bb_notifier_matrix.so \
  /usr/include/bambuddy/abi.h /usr/include/bambuddy/sdk.hpp \
  /usr/lib/cmake/BambuddySDK/BambuddySDKConfig.cmake /usr/lib/cmake/BambuddySDK/BambuddySDKTargets.cmake \
  /usr/lib/cmake/BambuddySDK/BambuddyPluginCommonTargets.cmake /usr/lib/bambuddy/libbambuddy_plugin_net.a \
  /usr/include/bambuddy/common/net/ssrf_guard.h /usr/include/bambuddy/common/text/template.h \
  /usr/share/doc/bambuddy/copyright /usr/share/lintian/overrides/bambuddy; do
  grep -qxF "$path" "$work/contents" || fail "$path is not in the package"
done
# Test and benchmark plugins are built in this tree but are not part of the product.
if grep -E '/plugins/bb_(notifier_scripted|bench)' "$work/contents"; then fail "a test plugin is in the package"; fi
web=0
if grep -qxF /usr/share/bambuddy/web/index.html "$work/contents"; then web=1; fi
dpkg-deb --field "$deb" Package Version Architecture Maintainer Section Depends >"$work/control"
cat "$work/control"
grep -qx "Version: $version" "$work/control" || fail "version is not $version"
grep -qx "Section: net" "$work/control" || fail "no section"
# dpkg-shlibdeps' work: the libraries the binaries link, with versions.
grep -Eq '^Depends: .*libc6 \(>= [0-9.]+\)' "$work/control" || fail "Depends does not come from dpkg-shlibdeps"
grep -q 'libcurl4' "$work/control" || fail "Depends lacks the plugins' libcurl"
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/bambuddy/bambuddy.yaml ] ||
  fail "/etc/bambuddy/bambuddy.yaml is not the one conffile"

step "dpkg --install"
DEBIAN_FRONTEND=noninteractive dpkg --install "$deb" >"$work/dpkg.log" 2>&1 || {
  cat "$work/dpkg.log" >&2
  fail "dpkg --install failed"
}
installed=1
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd bambuddy) || fail "postinst made no bambuddy user"
[ "$uid" -lt 1000 ] || fail "bambuddy is not a system user (uid $uid)"
[ "$home" = /var/lib/bambuddy ] || fail "bambuddy's home is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "bambuddy's shell is $shell"
[ "$(stat -c %U:%a /var/lib/bambuddy)" = bambuddy:750 ] || fail "/var/lib/bambuddy is $(stat -c %U:%a /var/lib/bambuddy)"
[ -L /etc/systemd/system/multi-user.target.wants/bambuddy.service ] || fail "postinst did not enable the unit"

# The packaged config is config/bambuddy.yaml with lines added (header, web_root, search_path)
# and only data_dir changed, so the two cannot drift apart.
removed=$(diff "$src/config/bambuddy.yaml" /etc/bambuddy/bambuddy.yaml | grep '^<' || true)
[[ "$removed" =~ ^"< data_dir:"[^$'\n']*$ ]] || fail "the installed config differs from config/bambuddy.yaml in: $removed"
grep -qx "data_dir: /var/lib/bambuddy" /etc/bambuddy/bambuddy.yaml || fail "the installed data_dir is not /var/lib/bambuddy"

if [ -d /run/systemd/system ]; then
  # Under a running systemd postinst has started the service: it must come up in its sandbox.
  # It is stopped then, so the server below is the only one using /var/lib/bambuddy. (CI and
  # containers have no systemd running; there this part does not run.)
  deadline=$(($(date +%s) + 30))
  until [ "$(systemctl is-active bambuddy.service)" = active ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { journalctl -u bambuddy.service -n 50 >&2; fail "bambuddy.service did not start"; }
    sleep 0.2
  done
  systemctl stop bambuddy.service
fi

step "systemd-analyze verify"
unit=/lib/systemd/system/bambuddy.service
if ! systemd-analyze verify "$unit" >"$work/verify.log" 2>&1 || [ -s "$work/verify.log" ]; then
  cat "$work/verify.log" >&2
  fail "systemd-analyze verify $unit"
fi
# systemd's own rating of the sandbox (0 = tight, 10 = none); 2.0 and above fails.
systemd-analyze security --offline=yes --threshold=20 "$unit" >"$work/security.log" 2>&1 ||
  { cat "$work/security.log" >&2; fail "systemd-analyze security rates the unit above 2.0"; }
grep 'Overall exposure' "$work/security.log"
# MemoryDenyWriteExecute=yes refuses to load an object that asks for an executable stack.
for object in /usr/bin/bambuddy /usr/lib/bambuddy/plugins/*.so; do
  for lib in "$object" $(ldd "$object" | awk '/=> \//{print $3}'); do
    if readelf -lW "$lib" | grep -q 'GNU_STACK.*RWE'; then
      fail "$lib (loaded by $object) wants an executable stack, which MemoryDenyWriteExecute refuses"
    fi
  done
done

step "the installed server as the bambuddy user, with the installed config"
as_bambuddy=(setpriv --reuid=bambuddy --regid=bambuddy --init-groups --inh-caps=-all --no-new-privs --)
(cd / && env -i PATH=/usr/bin:/bin "${as_bambuddy[@]}" /usr/bin/bambuddy --check-config /etc/bambuddy/bambuddy.yaml) ||
  fail "the installed config does not pass --check-config"
(cd / && exec env -i PATH=/usr/bin:/bin BAMBUDDY_LISTEN=127.0.0.1:0 "${as_bambuddy[@]}" \
  /usr/bin/bambuddy --config /etc/bambuddy/bambuddy.yaml) 2>"$work/server.log" &
server_pid=$!
port=""
deadline=$(($(date +%s) + 30))
while [ -z "$port" ]; do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.log" | head -n1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "the server exited"; }
  [ "$(date +%s)" -lt "$deadline" ] || { cat "$work/server.log" >&2; fail "no 'listening on' within 30 s"; }
  sleep 0.05
done
[ "$(stat -c %U "/proc/$server_pid")" = bambuddy ] || fail "the server does not run as bambuddy"
code=$(curl -sS -o "$work/health" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/health")
[ "$code" = 200 ] || fail "/health answered $code: $(cat "$work/health")"
echo "/health: $code $(cat "$work/health")"
if [ "$web" -eq 1 ]; then
  code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/")
  [ "$code" = 200 ] || fail "the web interface (/) answered $code"
fi
# The state lands in /var/lib/bambuddy, owned by the service user; the plugins load from /usr/lib.
key_file=/var/lib/bambuddy/admin-api-key
[ "$(stat -c %U:%a "$key_file")" = bambuddy:600 ] || fail "$key_file is $(stat -c %U:%a "$key_file")"
[ "$(stat -c %U "/var/lib/bambuddy/bambuddy.db")" = bambuddy ] || fail "no database in /var/lib/bambuddy"
plugins=$(curl -sS --max-time 5 -H "X-API-Key: $(cat "$key_file")" "http://127.0.0.1:$port/api/v1/plugins")
# Every plugin the installed config loads (it is config/bambuddy.yaml's list) is loaded.
names=$(sed -n 's/^ *- name: *\([a-z0-9_.]*\).*/\1/p' /etc/bambuddy/bambuddy.yaml)
grep -qx auth.apikey <<<"$names" || fail "the installed config loads no auth.apikey: $names"
for name in $names; do
  grep -qF "\"name\":\"$name\"" <<<"$plugins" || fail "plugin $name is not loaded: $plugins"
done
echo "plugins loaded from /usr/lib/bambuddy/plugins: $(tr "\n" " " <<<"$names")"
kill -TERM "$server_pid"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=""
[ "$server_status" -eq 0 ] || { cat "$work/server.log" >&2; fail "the server exited with $server_status on SIGTERM"; }

step "dpkg --install again (the upgrade path of postinst) keeps user and state"
key_before=$(cat "$key_file")
DEBIAN_FRONTEND=noninteractive dpkg --install "$deb" >"$work/dpkg.log" 2>&1 || {
  cat "$work/dpkg.log" >&2
  fail "reinstalling failed"
}
[ "$(id -u bambuddy)" = "$uid" ] || fail "reinstalling changed the bambuddy user"
[ "$(cat "$key_file")" = "$key_before" ] || fail "reinstalling changed the state"

step "examples/ and a plugins/common consumer against the installed SDK only"
cp -r "$src/examples" "$work/examples"
cp -r "$src/tests/package/common-consumer" "$work/common-consumer"
for project in "$work"/examples/*/ "$work/common-consumer/"; do
  [ -f "$project/CMakeLists.txt" ] || continue
  name=$(basename "$project")
  cmake -S "$project" -B "$work/build-$name" -DCMAKE_PREFIX_PATH=/usr -DCMAKE_BUILD_TYPE=Release \
    >"$work/build-$name.log" 2>&1 || { cat "$work/build-$name.log" >&2; fail "configuring $name"; }
  sdk_dir=$(sed -n 's/^BambuddySDK_DIR:PATH=//p' "$work/build-$name/CMakeCache.txt")
  [ "$sdk_dir" = /usr/lib/cmake/BambuddySDK ] || fail "$name found the SDK in '$sdk_dir'"
  cmake --build "$work/build-$name" >>"$work/build-$name.log" 2>&1 ||
    { cat "$work/build-$name.log" >&2; fail "building $name"; }
  echo "$name: built"
done
for plugin in "$work"/build-*/bb_*.so; do
  exported=$(nm -D --defined-only "$plugin" | awk '$2 == "T" {print $3}')
  [ "$exported" = bb_plugin_query ] || fail "$plugin exports: $exported"
done
"$work/build-common-consumer/common_consumer" || fail "the plugins/common consumer"

step "dpkg --remove keeps config and state, dpkg --purge removes them"
dpkg --remove bambuddy >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg --remove"; }
[ -f /etc/bambuddy/bambuddy.yaml ] || fail "remove deleted the conffile"
[ -f "$key_file" ] || fail "remove deleted the state"
[ ! -e /usr/bin/bambuddy ] || fail "remove left /usr/bin/bambuddy"
dpkg --purge bambuddy >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg --purge"; }
installed=0
for path in /etc/bambuddy /var/lib/bambuddy /usr/lib/bambuddy /usr/share/bambuddy /usr/include/bambuddy \
  /usr/lib/cmake/BambuddySDK "$unit" /etc/systemd/system/bambuddy.service \
  /etc/systemd/system/multi-user.target.wants/bambuddy.service; do
  if [ -e "$path" ] || [ -L "$path" ]; then fail "purge left $path"; fi
done
# deb-systemd-helper's records of the enablement and the mask.
leftovers=$(find /var/lib/systemd /etc/systemd -name '*bambuddy*' 2>/dev/null || true)
[ -z "$leftovers" ] || fail "purge left $leftovers"

echo "package test: passed in $(($(date +%s) - started)) s"
