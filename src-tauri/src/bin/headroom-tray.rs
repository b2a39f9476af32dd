//! The tray process (issue: "A tray that weighs almost nothing"): Headroom's loop and its tray
//! icon, with no GTK and no webview — it names nothing but the shell crate. Its windows are the
//! window process's (`headroom-window`), started on demand. `--open dashboard|settings` opens a
//! window at start, or in the tray already running; `--autostart` marks a start at login.

// Keep Windows from opening a console next to the tray.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    headroom_shell::log_to_stderr("headroom_shell=info,headroom_core=info");
    let demo = std::env::args().any(|a| a == "--demo");
    let open = std::env::args().skip_while(|a| a != "--open").nth(1);
    let open = open.as_deref().and_then(headroom_shell::Window::from_label);
    std::process::exit(headroom_shell::tray_process::run(demo, open));
}
