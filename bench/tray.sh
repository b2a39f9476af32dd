#!/usr/bin/env bash
# Benchmark (not a test): the release tray app under Xvfb with 1-minute polling against the fake
# service. Reports time from launch to tray registration, then over DURATION seconds (default
# 300): resident memory of the whole process tree, CPU %, and requests made.
# Targets: under 60 MB, under 0.2 % CPU, under 500 ms to the tray.
#
#   bench/tray.sh [DURATION_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-300}"
target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -q -p headroom-tray -p headroom-window -p headroom-testkit
export BENCH_TRAY="$target/release/headroom-tray" BENCH_FAKE="$target/release/headroom-fake" BENCH_DURATION="$duration"
exec scripts/with-desktop-session bash -c '
set -euo pipefail
work=$(mktemp -d)
trap "kill \$(jobs -p) 2>/dev/null; rm -rf $work" EXIT
. tests/desktop/fake-service.sh
start_fake_service "$work" "$BENCH_FAKE"
root=${HEADROOM_CHATGPT_BASE_URL%/backend-api}
mkdir -p "$work/config/headroom"
printf "[display]\npoll_interval_minutes = 1\n" > "$work/config/headroom/settings.toml"
/usr/bin/python3 tests/desktop/fake_sni_watcher.py "$work/registered" > /dev/null &
sleep 0.5

start=$(date +%s%N)
"$BENCH_TRAY" 2>/dev/null &
pid=$!
while [ ! -s "$work/registered" ]; do sleep 0.002; done
registered_ms=$(( ($(date +%s%N) - start) / 1000000 ))

tree() { # the app and every process below it
  local all=("$1")
  local kids
  kids=$(ps -o pid= --ppid "$1" 2>/dev/null || true)
  for k in $kids; do all+=($(tree "$k")); done
  echo "${all[@]}"
}
rss_kb() { local t=0; for p in $(tree "$pid"); do t=$((t + $(awk "/VmRSS/ {print \$2}" /proc/$p/status 2>/dev/null || echo 0))); done; echo $t; }
cpu_ticks() { local t=0; for p in $(tree "$pid"); do t=$((t + $(awk "{print \$14 + \$15}" /proc/$p/stat 2>/dev/null || echo 0))); done; echo $t; }

sleep 5
curl -s -XPOST "$root/__fake/reset" > /dev/null
ticks0=$(cpu_ticks); t0=$(date +%s%N); peak=0; samples=()
end=$(( $(date +%s) + BENCH_DURATION ))
while [ "$(date +%s)" -lt "$end" ]; do
  r=$(rss_kb); samples+=("$r"); [ "$r" -gt "$peak" ] && peak=$r
  sleep 5
done
ticks1=$(cpu_ticks); t1=$(date +%s%N)
requests=$(curl -s "$root/__fake/requests" | /usr/bin/python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
hz=$(getconf CLK_TCK)
median=$(printf "%s\n" "${samples[@]}" | sort -n | awk "{a[NR]=\$1} END {print a[int((NR+1)/2)]}")
echo "machine:            $(nproc) cores, $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "launch to tray:     ${registered_ms} ms (target < 500 ms)"
echo "resident memory:    median $((median / 1024)) MB, peak $((peak / 1024)) MB over ${BENCH_DURATION} s (target < 60 MB)"
awk -v d="$((ticks1 - ticks0))" -v hz="$hz" -v ns="$((t1 - t0))" "BEGIN { printf \"CPU:                %.3f %% of one core (target < 0.2 %%)\n\", 100 * d / hz / (ns / 1e9) }"
echo "requests made:      $requests in ${BENCH_DURATION} s at 1-minute polling (expected about $(( BENCH_DURATION / 60 )))"
kill $pid
'
