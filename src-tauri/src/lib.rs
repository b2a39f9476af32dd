//! The desktop shell: a tray icon, its menu, notifications and (on demand) windows. What to show
//! and when to speak is decided in headroom-core; this crate only puts it on screen. Two ways to
//! run: [`run`], everything in one Tauri process (tray and windows), and [`run_window`], the
//! window process beside the lean tray process, its windows' calls answered over the socket.

mod commands;
mod tray;
mod ui_types;
mod window_link;
mod windows;

use std::sync::Arc;

use headroom_core::present::dashboard_view::DashboardView;
use headroom_shell::state::Shared;
use headroom_shell::{App, Shell};
use tauri::{AppHandle, Manager};

/// The shell Headroom's loop draws through: Tauri's tray, events to the webviews, its windows.
struct TauriShell(AppHandle);

impl Shell for TauriShell {
    fn redraw_tray(&self, app: &App) {
        tray::refresh(&self.0, app);
    }

    fn dashboard_changed(&self, view: DashboardView) {
        let _ = tauri::Emitter::emit(&self.0, "dashboard", view);
    }

    fn open_window(&self, window: windows::Window) {
        windows::open(&self.0, window);
    }

    /// Turns launch-at-login on or off to match the setting, touching it only when they differ.
    fn set_autostart(&self, wanted: bool) {
        use tauri_plugin_autostart::ManagerExt;
        let launcher = self.0.autolaunch();
        match launcher.is_enabled() {
            Ok(enabled) if enabled == wanted => {}
            _ => {
                let result = if wanted { launcher.enable() } else { launcher.disable() };
                if let Err(e) = result {
                    tracing::warn!("could not change launch at login ({e})");
                }
            }
        }
    }
}

pub fn run() {
    let demo = std::env::args().any(|a| a == "--demo");
    // `--open dashboard|settings`: open a window at start (the app menu's launcher, tests).
    let open_at_start = std::env::args().skip_while(|a| a != "--open").nth(1);
    headroom_shell::log_to_stderr("headroom_tray=info,headroom_shell=info,headroom_core=info");

    let result = tauri::Builder::default()
        // A second launch brings up the first one's dashboard instead of a second tray icon.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| windows::open(app, windows::Window::Dashboard)))
        // The folder picker for "Add a Codex home" (opened from Rust; the windows get no dialog API).
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--autostart"]),
        ))
        .invoke_handler(commands::all())
        .setup(move |app| {
            // A menu-bar app: no Dock icon, no app menu, no place in the app switcher.
            #[cfg(target_os = "macos")]
            {
                app.set_activation_policy(tauri::ActivationPolicy::Accessory);
                headroom_shell::notifications::register_app();
            }
            let handle = app.handle().clone();
            let runtime = match tauri::async_runtime::handle() {
                tauri::async_runtime::RuntimeHandle::Tokio(handle) => handle,
            };
            let headroom = App::new(Shared::load(demo), Arc::new(TauriShell(handle.clone())), runtime);
            // The tray's menu carries out its actions on the loop; the windows' calls go to it too.
            app.manage(headroom.clone());
            app.manage(commands::Backend::Here(headroom.clone()));
            tray::create(&handle, &headroom)?;
            match open_at_start.as_deref() {
                Some("dashboard") => windows::open(&handle, windows::Window::Dashboard),
                Some("settings") => windows::open(&handle, windows::Window::Settings),
                _ => {}
            }
            headroom.start();
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match result {
        Ok(app) => app,
        Err(e) => {
            eprintln!("Headroom could not start ({e}): check that a graphical session is running (DISPLAY or WAYLAND_DISPLAY).");
            std::process::exit(1);
        }
    };
    app.run(|_, event| {
        // Closing the last window leaves the tray running; only Quit ends Headroom.
        if let tauri::RunEvent::ExitRequested { code: None, api, .. } = event {
            api.prevent_exit();
        }
    });
}

/// The window process: the dashboard and settings windows, for the tray process (started first
/// when it is not running). It ends when its last window closes, and when the tray goes.
pub fn run_window() {
    use headroom_shell::ipc::FromTray;
    headroom_shell::log_to_stderr("headroom_tray=info,headroom_shell=info,headroom_core=info");
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
            app.manage(commands::Backend::Tray(link));
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
