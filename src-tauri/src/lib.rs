//! The desktop shell: a tray icon, its menu, notifications and (on demand) windows. What to show
//! and when to speak is decided in headroom-core; this crate only puts it on screen.

mod app;
mod codex_watch;
mod commands;
mod hooks;
mod notifications;
mod state;
mod tray;
mod ui_types;
mod windows;

use tauri::Manager;

pub fn run() {
    let demo = std::env::args().any(|a| a == "--demo");
    // `--open dashboard|settings`: open a window at start (the app menu's launcher, tests).
    let open_at_start = std::env::args().skip_while(|a| a != "--open").nth(1);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HEADROOM_LOG")
                .unwrap_or_else(|_| "headroom_tray=info,headroom_core=info".into()),
        )
        .init();

    let result = tauri::Builder::default()
        // A second launch brings up the first one's dashboard instead of a second tray icon.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| windows::open(app, windows::Window::Dashboard)))
        // The folder picker for "Add a Codex home" (opened from Rust; the windows get no dialog API).
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--autostart"]),
        ))
        .invoke_handler(tauri::generate_handler![
            commands::dashboard,
            commands::history,
            commands::export_history,
            commands::token_usage,
            commands::refresh,
            commands::settings,
            commands::save_settings,
            commands::credentials,
            commands::paste_token,
            commands::remove_token,
            commands::check_token,
            commands::alert_pause,
            commands::reset_pause_label,
            commands::pause_alerts,
            commands::resume_alerts,
            commands::painted,
            commands::accounts,
            commands::add_home,
            commands::choose_folder,
            commands::remove_account,
            commands::pin_account,
            commands::hooks,
            commands::run_test_hook
        ])
        .setup(move |app| {
            // A menu-bar app: no Dock icon, no app menu, no place in the app switcher.
            #[cfg(target_os = "macos")]
            {
                app.set_activation_policy(tauri::ActivationPolicy::Accessory);
                notifications::register_app();
            }
            let handle = app.handle().clone();
            let shared = state::Shared::load(demo);
            app.manage(shared.clone());
            tray::create(&handle, &shared, app::on_menu_action)?;
            match open_at_start.as_deref() {
                Some("dashboard") => windows::open(&handle, windows::Window::Dashboard),
                Some("settings") => windows::open(&handle, windows::Window::Settings),
                _ => {}
            }
            app::start(handle, shared);
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
