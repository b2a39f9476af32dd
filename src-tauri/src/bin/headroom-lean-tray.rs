//! The tray process without a webview (issue: "A tray that weighs almost nothing"): Headroom's
//! loop drawn as a StatusNotifierItem. It links no GTK and no WebKit: it names nothing but the
//! shell crate. Until the window process takes its place beside it, its windows are not opened
//! from here (a click says so in the log); `headroom-tray` stays the app that is started.

#[cfg(target_os = "linux")]
fn main() {
    use std::sync::Arc;
    headroom_shell::log_to_stderr("headroom_shell=info,headroom_core=info");
    let demo = std::env::args().any(|a| a == "--demo");
    let opens = Arc::new(|window: headroom_shell::Window| {
        tracing::info!(
            window = window.label(),
            "a window was asked for; the window process is not part of this build yet"
        );
    });
    std::process::exit(headroom_shell::lean_tray::run(demo, opens));
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("The lean tray runs on Linux only so far; start headroom-tray.");
    std::process::exit(1);
}
