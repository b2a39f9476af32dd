//! The window process: Headroom's dashboard and settings windows, beside the tray process
//! (`headroom-tray`), which it starts when it is not running. `--open dashboard|settings`.

// Keep Windows from opening a console next to the window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // On X11, GDK probes GLX visuals when it opens the display, which maps the GL driver (with
    // Mesa that is LLVM, some 45 MB resident, and time at every start) although nothing here
    // draws with GDK's GL; WebKit's rendering does not go through it. Turned off unless the user
    // chose otherwise.
    let x11 = std::env::var_os("WAYLAND_DISPLAY").is_none();
    if std::env::var_os("GDK_GL").is_none() && x11 {
        std::env::set_var("GDK_GL", "disable");
    }
    // WebKit's accelerated compositing sets up its layers before the first paint; the
    // dashboard has no animation that needs them. Without it, click to paint measured 417–519 ms
    // against 502–581 with it on this 2-core machine (bench/two-processes.sh, docs/performance.md).
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() && x11 {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    headroom_window::run_window();
}
