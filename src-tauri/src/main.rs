//! The window process: Headroom's dashboard and settings windows, beside the tray process
//! (`headroom-tray`), which it starts when it is not running. `--open dashboard|settings`.

// Keep Windows from opening a console next to the window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    headroom_tray::run_window();
}
