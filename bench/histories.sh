# Sourced by the benchmarks (bash): generated Codex session histories, made once and kept in
# BENCH_HISTORY_DIR (default ~/.cache/headroom/bench-histories) between runs. Needs $fake, the
# headroom-fake binary.
#
#   home=$(make_history NAME FILES MEGABYTES)   # a CODEX_HOME whose sessions/ holds them
store="${BENCH_HISTORY_DIR:-$HOME/.cache/headroom/bench-histories}"
make_history() {
  local home="$store/$1"
  if [ ! -f "$home/.complete" ]; then
    rm -rf "$home"
    mkdir -p "$home"
    echo "generating $1: $2 files, $3 MB" >&2
    "$fake" gen-history --out "$home/sessions" --files "$2" --megabytes "$3" --days 365 >&2
    touch "$home/.complete"
  fi
  echo "$home"
}
