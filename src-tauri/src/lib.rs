//! The desktop shell: tray icon, menu, notifications. Everything it shows is decided in
//! headroom-core; this crate only puts it on screen.

pub fn run() {
    tauri::Builder::default().build(tauri::generate_context!()).expect("Headroom could not start").run(|_, _| {});
}
