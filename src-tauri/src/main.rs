// Keep Windows from opening a console next to the tray app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // On X11, GDK probes GLX visuals when it opens the display, which maps the GL driver (with
    // Mesa that is LLVM, some 45 MB resident) although an idle tray never draws with GL. Turn
    // GDK's own GL off unless the user chose otherwise; WebKit's rendering does not go through it.
    if std::env::var_os("GDK_GL").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
    headroom_tray::run();
}
