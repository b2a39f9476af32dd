#!/usr/bin/env bash
# Benchmark (not a test): `headroom status --source logs` over generated session histories that
# grow from 1 MB (5 files) through 10 MB and 100 MB to 1 GB (5 000 files). Target: under 50 ms,
# the same for all.
#
#   bench/session-logs.sh            # figures to stdout, hyperfine JSON under bench/out/
#   BENCH_HISTORY_DIR=/path ...      # where the generated histories are kept between runs
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -q -p headroom-cli -p headroom-testkit
headroom="$target/release/headroom"
fake="$target/release/headroom-fake"

. bench/histories.sh
out=bench/out
mkdir -p "$out"

small=$(make_history small-1mb 5 1)
ten=$(make_history medium-10mb 50 10)
hundred=$(make_history medium-100mb 500 100)
large=$(make_history large-1gb 5000 1000)

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for home in "$small" "$ten" "$hundred" "$large"; do
  echo "history $(basename "$home"): $(find "$home/sessions" -name '*.jsonl' | wc -l) files, $(du -sh "$home/sessions" | cut -f1)"
  CODEX_HOME="$home" "$headroom" status --source logs --json > /dev/null
done

hyperfine --warmup 5 --runs 50 -N \
  --export-json "$out/session-logs.json" --export-markdown "$out/session-logs.md" \
  -n "1 MB, 5 files" "env CODEX_HOME=$small $headroom status --source logs --json" \
  -n "10 MB, 50 files" "env CODEX_HOME=$ten $headroom status --source logs --json" \
  -n "100 MB, 500 files" "env CODEX_HOME=$hundred $headroom status --source logs --json" \
  -n "1 GB, 5000 files" "env CODEX_HOME=$large $headroom status --source logs --json"

python3 - "$out/session-logs.json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
for r in data["results"]:
    ms = [t * 1000 for t in r["times"]]
    ms.sort()
    print(f'{r["command"]:<18} median {r["median"]*1000:6.2f} ms   min {ms[0]:6.2f}   max {ms[-1]:6.2f}   (target < 50 ms)')
PY
