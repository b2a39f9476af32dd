#!/usr/bin/env bash
# Network bytes a day at default settings: one poll (the request the tray app and `headroom
# status` both send, and the usage service's answer in its real shape) measured through a
# byte-counting relay in front of the fake service, times the polls a day the default schedule
# makes (every 5 minutes; every minute while Codex is in use). Then the same with three accounts
# (two Codex homes and a token, read together as the tray reads them: `status --all`), where the
# tray's account keeps the usual schedule and another account whose home Codex has not written
# to for a day is read every 15 minutes at most. Plain HTTP: TLS adds
# its handshake (about 5 KB when a connection is new) and about 1 % on top.
#
# Last, bench/status-bar.sh: the requests a waybar module calling `headroom status --format
# waybar` every 5 s adds beside the running tray (none).
#
#   bench/network.sh [POLLS] [STATUS_BAR_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -q -p headroom-cli -p headroom-testkit
polls="${1:-20}"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
"$target/release/headroom-fake" serve --scenario plus-two-windows > "$work/url" &
for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.05; done
"$target/release/headroom-fake" codex-login --codex-home "$work/codex"
"$target/release/headroom-fake" codex-login --codex-home "$work/codex-work" --account acct-work --email work@example.com
upstream=$(sed -E 's|http://([^/]+)/.*|\1|' "$work/url")
python3 - "$upstream" "$work/relay" <<'PY' &
import socket, sys, threading
host, port = sys.argv[1].split(":")
counts = {"up": 0, "down": 0}
lock = threading.Lock()
def pipe(src, dst, key):
    while data := src.recv(65536):
        with lock:
            counts[key] += len(data)
        dst.sendall(data)
    try: dst.shutdown(socket.SHUT_WR)
    except OSError: pass
def serve(client):
    upstream = socket.create_connection((host, int(port)))
    a = threading.Thread(target=pipe, args=(client, upstream, "up")); a.start()
    pipe(upstream, client, "down"); a.join(); client.close(); upstream.close()
    with lock, open(sys.argv[2] + ".counts", "w") as f:
        f.write(f'{counts["up"]} {counts["down"]}\n')
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
open(sys.argv[2], "w").write(str(server.getsockname()[1]))
while True:
    c, _ = server.accept(); threading.Thread(target=serve, args=(c,)).start()
PY
for _ in $(seq 1 100); do [ -s "$work/relay" ] && break; sleep 0.05; done
measure() { # ARGS…: runs `headroom ARGS` $polls times; prints "up down" bytes
  local before_up=0 before_down=0
  [ -s "$work/relay.total" ] && read -r before_up before_down < "$work/relay.total"
  for _ in $(seq 1 "$polls"); do
    CODEX_HOME="$work/codex" HOME="$work" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" \
      HEADROOM_CHATGPT_BASE_URL="http://127.0.0.1:$(cat "$work/relay")/backend-api" "${extra[@]}" \
      "$target/release/headroom" "$@" > /dev/null || true
  done
  sleep 0.3
  read -r up down < "$work/relay.counts"
  echo "$up $down" > "$work/relay.total"
  echo "$((up - before_up)) $((down - before_down))"
}
extra=(env)
# `--max-age 0`: each run asks, as each of the tray's polls does (plain runs would share one).
read -r up down < <(measure status --json --max-age 0)
python3 - "$up" "$down" "$polls" <<'PY'
import sys
up, down, polls = (int(x) for x in sys.argv[1:])
per = (up + down) / polls
print(f"one account, per poll: {up / polls:.0f} bytes sent, {down / polls:.0f} bytes received ({per:.0f} in all, {polls} polls)")
print(f"  a day, idle (every 5 min, 288 polls):            {per * 288 / 1024:.0f} KB")
print(f"  a day, Codex in use all day (every minute, 1440): {per * 1440 / 1024:.0f} KB")
PY

# Three accounts: the default home, an added work home, and a token for a third account.
mkdir -p "$work/config/headroom"
printf '[accounts]\nhomes = ["%s"]\n' "$work/codex-work" > "$work/config/headroom/settings.toml"
token=$("$target/release/headroom-fake" gen-token --account acct-col --email colleague@example.com)
extra=(env "HEADROOM_ACCESS_TOKEN=$token")
read -r up down < <(measure status --all --json --max-age 0)
python3 - "$up" "$down" "$polls" <<'PY'
import sys
up, down, polls = (int(x) for x in sys.argv[1:])
per = (up + down) / polls / 3
print(f"three accounts, per account and poll: {per:.0f} bytes ({polls} polls of 3 requests)")
print(f"  a day, the other two homes idle for a day (288 + 2 x 96):            {per * (288 + 2 * 96) / 1024:.0f} KB")
print(f"  a day, none idle (3 x 288, every 5 min):                            {per * 3 * 288 / 1024:.0f} KB")
print(f"  a day, Codex in use all day in the tray's home, two idle (1440 + 2 x 96): {per * (1440 + 2 * 96) / 1024:.0f} KB")
PY

# A status bar beside the tray.
bench/status-bar.sh "${2:-150}"
