#!/usr/bin/env bash
# Requests a status bar costs beside the tray: the release tray app polls the fake service in a
# throw-away desktop session (every minute, its fastest, so a short run sees several polls),
# first alone for SECONDS, then for SECONDS more with a waybar-style loop calling
# `headroom status --format waybar` every 5 seconds. Counts the usage requests the fake saw in
# each half and what that makes a day. Target: the bar adds none.
#
#   bench/status-bar.sh [SECONDS]   (default 150)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
if [ "${HEADROOM_IN_DESKTOP_SESSION:-}" != "1" ]; then
  scripts/build-ui
  cargo build --release --locked -q -p headroom-tray -p headroom-window -p headroom-cli -p headroom-testkit
  exec scripts/with-desktop-session bash "$0" "$@"
fi
seconds="${1:-150}"
target="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
"$target/headroom-fake" serve --scenario plus-two-windows > "$work/url" &
for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.05; done
base=$(cat "$work/url")
root=$(sed -E 's|(http://[^/]+)/.*|\1|' "$work/url")
"$target/headroom-fake" codex-login --codex-home "$work/home/.codex" > /dev/null
mkdir -p "$work/config/headroom"
printf '[display]\npoll_interval_minutes = 1\n' > "$work/config/headroom/settings.toml"
export HOME="$work/home" CODEX_HOME="$work/home/.codex" XDG_CONFIG_HOME="$work/config" \
  XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$work/cache" HEADROOM_CHATGPT_BASE_URL="$base" \
  CODEX_AUTHAPI_BASE_URL="$root/api/accounts"
unset HEADROOM_ACCESS_TOKEN
requests() {
  python3 -c 'import json,sys,urllib.request; print(sum(1 for r in json.load(urllib.request.urlopen(sys.argv[1] + "/__fake/requests")) if r["path"].endswith("/usage")))' "$root"
}
# A tray host for the icon to register with, as the desktop tests use.
/usr/bin/python3 tests/desktop/fake_sni_watcher.py "$work/registrations" > "$work/watcher.out" &
for _ in $(seq 1 100); do grep -q ready "$work/watcher.out" 2>/dev/null && break; sleep 0.05; done
"$target/headroom-tray" > /dev/null 2> "$work/tray.log" &
tray=$!
for _ in $(seq 1 200); do [ "$(requests)" -ge 1 ] && break; sleep 0.1; done
start=$(requests)
sleep "$seconds"
alone=$(( $(requests) - start ))
start=$(requests)
calls=0 failed=0
end=$((SECONDS + seconds))
while [ "$SECONDS" -lt "$end" ]; do
  "$target/headroom" status --format waybar > "$work/bar.json" || failed=$((failed + 1))
  calls=$((calls + 1))
  sleep 5
done
with_bar=$(( $(requests) - start ))
kill "$tray" 2>/dev/null || true
python3 - "$seconds" "$alone" "$with_bar" "$calls" "$failed" "$(cat "$work/bar.json")" <<'PY'
import sys
seconds, alone, with_bar, calls, failed = (int(x) for x in sys.argv[1:6])
day = 86400 / seconds
print(f"status bar beside the tray (tray polling every minute, bar every 5 s, {seconds} s each):")
print(f"  tray alone:        {alone} requests ({alone * day:.0f} a day)")
print(f"  tray + waybar bar: {with_bar} requests ({with_bar * day:.0f} a day) for {calls} bar calls ({failed} failed)")
print(f"  the bar added {with_bar - alone:+d} requests; without sharing it would have sent {calls}")
print(f"  the bar's last line: {sys.argv[6]}")
PY
