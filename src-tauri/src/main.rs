// Keep Windows from opening a console next to the tray app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    headroom_tray::run();
}
