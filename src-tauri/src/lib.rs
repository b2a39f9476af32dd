//! The window process: Headroom's dashboard and settings windows, a Tauri app started when a
//! window is asked for and ended when its last window closes. Headroom's loop runs in the tray
//! process (`headroom-tray`), which answers the windows' calls over the socket and
//! pushes them new numbers.

mod commands;
mod ui_types;
mod window_link;
mod windows;

use tauri::Manager;

/// The window process: the dashboard and settings windows, for the tray process (started first
/// when it is not running). It ends when its last window closes, and when the tray goes.
pub fn run_window() {
    use headroom_protocol::FromTray;
    headroom_core::logging::log_to_stderr("headroom_window=info,headroom_protocol=info,headroom_core=info");
    let open = std::env::args().skip_while(|a| a != "--open").nth(1);
    let open = open.as_deref().and_then(windows::Window::from_label).unwrap_or(windows::Window::Dashboard);
    let (link, mut pushes) = match tauri::async_runtime::block_on(window_link::connect(open)) {
        Ok(Some(link)) => link,
        // Another window process shows it.
        Ok(None) => return,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(1);
        }
    };
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(commands::all())
        .setup(move |app| {
            #[cfg(target_os = "macos")]
            app.set_activation_policy(tauri::ActivationPolicy::Accessory);
            app.manage(commands::Backend(link));
            let handle = app.handle().clone();
            windows::open(&handle, open);
            tauri::async_runtime::spawn(async move {
                while let Some(push) = pushes.recv().await {
                    match push {
                        FromTray::Dashboard { view } => {
                            let _ = tauri::Emitter::emit(&handle, "dashboard", view);
                        }
                        FromTray::Open { window } => windows::open(&handle, window),
                        FromTray::Answer { .. } => {}
                    }
                }
                tracing::info!("the tray process has gone; closing the windows");
                handle.exit(0);
            });
            Ok(())
        })
        .build(tauri::generate_context!());
    match result {
        // Closing the last window ends this process (the tray runs on).
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            eprintln!("Headroom could not open its window ({e}): check that a graphical session is running (DISPLAY or WAYLAND_DISPLAY).");
            std::process::exit(1);
        }
    }
}
