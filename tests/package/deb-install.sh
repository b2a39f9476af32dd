#!/usr/bin/env bash
# Installs the .deb that scripts/bundle built, as a user would, and checks what they would see:
# both programs on the PATH, the desktop entry and icons in place, the installed app starting in
# a desktop session and registering its tray item, "Start at login" writing an autostart entry
# that runs the installed app; then removes the package and checks nothing of it is left.
# Runs inside scripts/with-desktop-session. Prints cargo's summary line so scripts/test counts it.
#
#   tests/package/deb-install.sh PATH/TO/headroom_*.deb
set -euo pipefail
cd "$(dirname "$0")/../.."
deb="$1"
target="${CARGO_TARGET_DIR:-target}"
cargo build --locked -q -p headroom-testkit --bin headroom-fake
fake="$target/debug/headroom-fake"
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo -n)

passed=0 failed=0
check() { # check NAME COMMAND...: one line per check, as cargo prints tests
  local name="$1"; shift
  if "$@" >/tmp/headroom-deb-check.out 2>&1; then
    echo "test deb::$name ... ok"; passed=$((passed + 1))
  else
    echo "test deb::$name ... FAILED"; sed 's/^/    /' /tmp/headroom-deb-check.out; failed=$((failed + 1))
  fi
}

package=$(dpkg-deb --field "$deb" Package)
work=$(mktemp -d)
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  if dpkg -s "$package" >/dev/null 2>&1; then "${sudo[@]}" dpkg -r "$package" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "installing $deb ($(stat -c %s "$deb") bytes, package $package)"
check installs_with_dpkg "${sudo[@]}" dpkg -i "$deb"
check both_programs_are_on_the_path bash -c 'command -v headroom-tray && command -v headroom && [ "$(command -v headroom)" = /usr/bin/headroom ]'
# The tray process and the window process, beside each other (each starts the other from its folder).
check ships_the_tray_and_window_processes bash -c '[ -x /usr/bin/headroom-tray ] && [ -x /usr/bin/headroom-window ]'
check the_cli_runs bash -c 'headroom --version | grep -q "^headroom "'
desktop=$(dpkg -L "$package" | grep '^/usr/share/applications/.*\.desktop$' | head -1)
check has_a_valid_desktop_entry bash -c "[ -n '$desktop' ] && desktop-file-validate '$desktop' && grep -q '^Exec=headroom-tray --open dashboard$' '$desktop' && grep -q '^Icon=headroom-window$' '$desktop'"
check installs_its_icons bash -c 'for s in 32x32 128x128 256x256@2; do [ -s /usr/share/icons/hicolor/$s/apps/headroom-window.png ] || { echo "no $s icon"; exit 1; }; done'

# The installed app, in this desktop session, against the fake service and a test Codex login.
. tests/desktop/fake-service.sh
start_fake_service "$work" "$fake"
mkdir -p "$work/config/headroom"
printf '[general]\nautostart = true\n' > "$work/config/headroom/settings.toml"
/usr/bin/python3 tests/desktop/fake_sni_watcher.py "$work/registered" > /dev/null &
sleep 0.5
/usr/bin/headroom-tray 2>"$work/app.log" &
app=$!
for _ in $(seq 1 200); do [ -s "$work/registered" ] && break; sleep 0.05; done
check the_installed_app_registers_its_tray_item bash -c "[ -s '$work/registered' ] && kill -0 $app"
# In the configuration folder the session uses (XDG_CONFIG_HOME), the program's path quoted.
autostart="$work/config/autostart/Headroom.desktop"
for _ in $(seq 1 100); do [ -s "$autostart" ] && break; sleep 0.05; done
check start_at_login_writes_an_autostart_entry_for_the_installed_app \
  bash -c "grep -qx 'Exec=\"/usr/bin/headroom-tray\" --autostart' '$autostart' && desktop-file-validate '$autostart' || { cat '$autostart'; false; }"
# The desktop entry's command, with the tray running: the running tray starts the installed
# window process for the dashboard, and the launch ends at once.
check the_desktop_entrys_command_opens_the_dashboard_in_the_running_tray bash -c "
  timeout 10 /usr/bin/headroom-tray --open dashboard 2>>'$work/app.log' || exit 1
  for _ in \$(seq 1 100); do pgrep -x headroom-window >/dev/null && [ \"\$(readlink /proc/\$(pgrep -x headroom-window | head -1)/exe)\" = /usr/bin/headroom-window ] && exit 0; sleep 0.1; done
  cat '$work/app.log'; false"
pkill -x headroom-window 2>/dev/null || true
kill "$app"; wait "$app" 2>/dev/null || true

check removes_cleanly "${sudo[@]}" dpkg -r "$package"
check leaves_nothing_behind bash -c "! dpkg -s '$package' 2>/dev/null | grep -q '^Status: install' && [ ! -e /usr/bin/headroom-tray ] && [ ! -e /usr/bin/headroom ] && [ ! -e /usr/bin/headroom-window ] && [ ! -e '$desktop' ] && [ ! -e /usr/share/icons/hicolor/128x128/apps/headroom-window.png ]"

echo
echo "test result: $([ "$failed" = 0 ] && echo ok || echo FAILED). $passed passed; $failed failed; 0 ignored"
[ "$failed" = 0 ]
