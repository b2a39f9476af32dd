#!/usr/bin/env bash
# Soak with faults (crates/headroom-tray/tests/soak.rs): the release tray process, its dashboard open in the
# window process, for SECONDS (default 600; CI runs 120) in a throw-away desktop session against
# the fake service cycling through faults.
# It opens with 30 s of pause/resume menu clicks as fast as the app answers. Fails, naming the
# check, when the app froze under those clicks or died, its memory grew more than 10 %, it polled
# faster than the rules allow, the notifications were not exactly those due, the menu or dashboard
# lost the last good numbers while failing, or its log holds the token.
# The default 10 minutes meet about the cycle's first 10 steps (every kind of alert, the slow, cut,
# 401 and 10 MB answers); one whole cycle of 16 steps takes about 16 minutes: `bench/soak.sh 1080`
# (bench/report.sh runs that).
#
#   bench/soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
scripts/build-ui
cargo build --release --locked -q -p headroom-tray -p headroom-window
export HEADROOM_APP_BINARY="$CARGO_TARGET_DIR/release/headroom-tray" HEADROOM_SOAK_SECONDS="${1:-600}"
exec scripts/with-desktop-session cargo test --locked -q -p headroom-tray --test soak
