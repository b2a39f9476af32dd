#!/usr/bin/env bash
# Fuzzes every parser that reads input Headroom does not control (fuzz/fuzz_targets: the usage
# body, auth.json, JWTs, session-log lines and the token counter's appends, the settings file,
# a pasted token) for SECONDS each (default 60; CI runs 20), with cargo-fuzz on nightly. Each
# target also asserts a property (a refusal never repeats a secret; settings written read back
# the same; an appended log counts as the whole one). Fails loudly on any crash; the corpus is
# kept under the cargo target folder so later runs start where these stopped.
#
#   bench/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"; shift || true
tools="${HEADROOM_TOOLS_DIR:-$HOME/.cache/headroom/tools}"
export PATH="$tools/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/fuzz"
corpus_root="$CARGO_TARGET_DIR/corpus"
cd fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
cargo +nightly fuzz build -O >/dev/null
printf '%-18s %12s %10s %8s\n' target executions "exec/s" crashes
status=0 passed=0 failed=0
for t in "${targets[@]}"; do
  mkdir -p "$corpus_root/$t"
  log=$(mktemp)
  if cargo +nightly fuzz run -O "$t" "$corpus_root/$t" -- -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
    crashes=0
  else
    crashes=1; status=1
    grep -E "panicked|ERROR|SUMMARY|Test unit written" "$log" | head -20 >&2
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '%-18s %12s %10s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "$crashes"
  if [ "$crashes" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  rm -f "$log"
done
echo "test result: $([ "$failed" = 0 ] && echo ok || echo FAILED). $passed passed; $failed failed; 0 ignored (fuzz, ${seconds} s each)"
exit "$status"
