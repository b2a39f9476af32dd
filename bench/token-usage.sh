#!/usr/bin/env bash
# Benchmark (not a test): `headroom usage daily --json` against `ccusage codex daily --json
# --offline` (npm ccusage 20, from package.json) on the same generated 1 GB, 5 000-file history.
# Cold = no Headroom cache; warm = Headroom's per-file cache in place. The OS page cache is warm
# for every run of both (run once before measuring), so the figures compare work, not the disk.
# Targets (issue 7): 5x faster than ccusage cold, 50x warm, at most half its peak memory.
#
#   bench/token-usage.sh                 # figures to stdout, hyperfine JSON under bench/out/
#   BENCH_HISTORY_DIR=/path ...          # where generated histories are kept between runs
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -q -p headroom-cli -p headroom-testkit
headroom="$target/release/headroom"
fake="$target/release/headroom-fake"
ccusage="$PWD/node_modules/.bin/ccusage"
[ -x "$ccusage" ] || { echo "ccusage is missing: run npm ci" >&2; exit 1; }

. bench/histories.sh
home=$(make_history large-1gb 5000 1000)
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
out=bench/out
mkdir -p "$out"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem/ {print $2}') GB"
echo "history: $(find "$home/sessions" -name '*.jsonl' | wc -l) files, $(du -sh "$home/sessions" | cut -f1)"
export CODEX_HOME="$home" XDG_CACHE_HOME="$cache" TZ=UTC NO_COLOR=1

# The same numbers first: Headroom's input includes the cached input, ccusage's does not.
theirs=$("$ccusage" codex daily --json --offline | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["inputTokens"]+t["cacheReadTokens"], t["outputTokens"], t["totalTokens"])')
ours=$("$headroom" usage daily --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["input_tokens"], t["output_tokens"], t["total_tokens"])')
echo "totals (input, output, total): headroom $ours · ccusage $theirs"
[ "$ours" = "$theirs" ] || { echo "the totals differ" >&2; exit 1; }

# One --prepare per command (a single one would apply to all three).
hyperfine --warmup 2 --runs 15 -N --export-json "$out/token-usage.json" \
  --prepare true --prepare "rm -rf $cache/headroom" --prepare "$headroom usage daily --json" \
  -n ccusage "$ccusage codex daily --json --offline" \
  -n "headroom cold" "$headroom usage daily --json" \
  -n "headroom warm" "$headroom usage daily --json"

peak() { # median peak RSS (KB) over 5 runs; $1 = prepare command
  for _ in 1 2 3 4 5; do eval "$1"; /usr/bin/time -f %M "${@:2}" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 3p
}
ccusage_kb=$(peak true "$ccusage" codex daily --json --offline)
cold_kb=$(peak "rm -rf $cache/headroom" "$headroom" usage daily --json)
warm_kb=$(peak true "$headroom" usage daily --json)

python3 - "$out/token-usage.json" "$ccusage_kb" "$cold_kb" "$warm_kb" <<'PY'
import json, sys
runs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
cc, kb = runs["ccusage"], {"ccusage": int(sys.argv[2]), "headroom cold": int(sys.argv[3]), "headroom warm": int(sys.argv[4])}
print(f"{'':16}{'median':>10}{'min':>10}{'max':>10}{'vs ccusage':>12}{'peak RSS':>12}")
for name in ("ccusage", "headroom cold", "headroom warm"):
    r = runs[name]
    print(f"{name:16}{r['median']*1000:>8.1f}ms{r['min']*1000:>8.1f}ms{r['max']*1000:>8.1f}ms"
          f"{cc['median']/r['median']:>11.1f}x{kb[name]/1024:>9.1f} MB")
print(f"memory: headroom cold peak is {kb['headroom cold']/kb['ccusage']:.2f} of ccusage's")
PY
