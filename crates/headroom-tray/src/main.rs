//! The tray process (issue: "A tray that weighs almost nothing"): Headroom's loop and its tray
//! icon, with no GTK and no webview — it names nothing but this crate. Its windows are the
//! window process's (`headroom-window`), started on demand. `--open dashboard|settings` opens a
//! window at start, or in the tray already running; `--autostart` marks a start at login;
//! `--for-window` is the window process starting it.

// Keep Windows from opening a console next to the tray.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    headroom_core::logging::log_to_stderr("headroom_tray=info,headroom_protocol=info,headroom_core=info");
    let start = headroom_tray::tray_process::Start::from_args(std::env::args().skip(1));
    std::process::exit(headroom_tray::tray_process::run(start));
}
