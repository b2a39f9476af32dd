#!/usr/bin/env bash
# Headroom's tray process (headroom-tray, no webview) against two floors: an empty Tauri 2 tray
# app (bench/empty-tray) built with the same Tauri and release profile, which is what Headroom's
# always-running process was before it split in two, and a bare StatusNotifierItem over D-Bus
# (bench/bare-sni: ksni, one pixmap, a tooltip, two menu items), the floor it aims at. For each, under Xvfb with a fake tray host: LAUNCHES starts
# (default 10) timed from exec to the tray item's registration; then one run left idle for
# IDLE_SECONDS (default 120) measuring resident and proportional memory (whole process tree) and
# CPU. Headroom polls the fake service every minute meanwhile. Prints a Markdown table.
#
#   bench/tray-floor.sh [LAUNCHES] [IDLE_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
scripts/build-ui
cargo build --release --locked -q -p headroom-tray -p empty-tray -p bare-sni -p headroom-testkit
export BENCH_LAUNCHES="${1:-10}" BENCH_IDLE="${2:-120}" BENCH_BIN="$CARGO_TARGET_DIR/release"
exec scripts/with-desktop-session bash -c '
set -euo pipefail
work=$(mktemp -d)
trap "kill \$(jobs -p) 2>/dev/null; rm -rf $work" EXIT
. tests/desktop/fake-service.sh
start_fake_service "$work" "$BENCH_BIN/headroom-fake"
mkdir -p "$work/config/headroom"
printf "[display]\npoll_interval_minutes = 1\n" > "$work/config/headroom/settings.toml"

tree() { local all=("$1") k; for k in $(ps -o pid= --ppid "$1" 2>/dev/null || true); do all+=($(tree "$k")); done; echo "${all[@]}"; }
memory_kb() { # memory_kb PID Rss|Pss: summed over the process tree
  local t=0 p; for p in $(tree "$1"); do t=$((t + $(awk -v k="$2:" "\$1 == k {print \$2}" /proc/$p/smaps_rollup 2>/dev/null || echo 0))); done; echo $t; }
cpu_ticks() { local t=0 p; for p in $(tree "$1"); do t=$((t + $(awk "{print \$14 + \$15}" /proc/$p/stat 2>/dev/null || echo 0))); done; echo $t; }
stats() { sort -n | awk "{a[NR]=\$1} END {printf \"%d ms (%d–%d)\", a[int((NR+1)/2)], a[1], a[NR]}"; }

launch() { # launch BINARY: starts it under a fresh fake tray host; sets $pid and $ms
  rm -f "$work/registered"
  /usr/bin/python3 tests/desktop/fake_sni_watcher.py "$work/registered" > /dev/null &
  watcher=$!
  sleep 0.4
  local start; start=$(date +%s%N)
  "$1" 2>/dev/null &
  pid=$!
  while [ ! -s "$work/registered" ]; do sleep 0.002; done
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
}
stop() { kill "$pid" "$watcher" 2>/dev/null || true; wait "$pid" "$watcher" 2>/dev/null || true; }

echo "| app | launch to tray, median (min–max) of $BENCH_LAUNCHES | RSS after ${BENCH_IDLE} s | PSS | CPU while idle | binary |"
echo "|---|---|---|---|---|---|"
for app in headroom-tray empty-tray bare-sni; do
  times=()
  for _ in $(seq 1 "$BENCH_LAUNCHES"); do launch "$BENCH_BIN/$app"; times+=("$ms"); sleep 1; stop; done
  launch "$BENCH_BIN/$app"
  sleep 5
  t0=$(date +%s%N); c0=$(cpu_ticks "$pid")
  sleep "$BENCH_IDLE"
  c1=$(cpu_ticks "$pid"); t1=$(date +%s%N)
  rss=$(memory_kb "$pid" Rss); pss=$(memory_kb "$pid" Pss)
  stop
  cpu=$(awk -v d="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v ns="$((t1 - t0))" "BEGIN { printf \"%.3f %%\", 100 * d / hz / (ns / 1e9) }")
  echo "| $app | $(printf "%s\n" "${times[@]}" | stats) | $((rss / 1024)) MB | $((pss / 1024)) MB | $cpu | $(( $(stat -c %s "$BENCH_BIN/$app") / 1024 / 1024 )) MB |"
done
'
