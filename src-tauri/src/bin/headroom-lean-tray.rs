//! The tray process without a webview (issue: "A tray that weighs almost nothing"): Headroom's
//! loop drawn as a StatusNotifierItem. It links no GTK and no WebKit: it names nothing but the
//! shell crate. Its windows are the window process's (`headroom-window`), started on demand.
//! `--open dashboard|settings` opens a window at start, or in the tray already running.

#[cfg(target_os = "linux")]
fn main() {
    headroom_shell::log_to_stderr("headroom_shell=info,headroom_core=info");
    let demo = std::env::args().any(|a| a == "--demo");
    let open = std::env::args().skip_while(|a| a != "--open").nth(1);
    let open = open.as_deref().and_then(headroom_shell::Window::from_label);
    std::process::exit(headroom_shell::lean_tray::run(demo, open));
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("The lean tray runs on Linux only so far; start headroom-tray.");
    std::process::exit(1);
}
