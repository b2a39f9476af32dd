# Sourced by the benchmarks and the package check (bash): starts the fake usage service and a
# test Codex login under WORK, and exports the environment that points the app at them, with its
# own home and XDG folders there.
#
#   start_fake_service WORK HEADROOM_FAKE_BINARY [SCENARIO]
start_fake_service() {
  local work="$1" fake="$2" scenario="${3:-plus-two-windows}"
  "$fake" serve --scenario "$scenario" > "$work/url" &
  for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.05; done
  "$fake" codex-login --codex-home "$work/home/.codex"
  export HOME="$work/home" CODEX_HOME="$work/home/.codex" XDG_CONFIG_HOME="$work/config" \
    XDG_DATA_HOME="$work/data" XDG_CACHE_HOME="$work/cache" HEADROOM_CHATGPT_BASE_URL="$(cat "$work/url")"
}
