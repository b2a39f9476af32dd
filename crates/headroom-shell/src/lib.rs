//! What Headroom does all day, with no window and no GUI toolkit: it polls every account,
//! lets the core's `Session` decide, and carries out what it decided (notify, save, switch, heal,
//! run hooks). How the result is put on screen — a tray item, its menu, the windows — is the
//! [`Shell`]'s business: the tray process (`tray_process`) draws it with the platform's tray.

pub mod app;
mod autostart;
pub mod calls;
mod codex_watch;
pub mod hooks;
pub mod ipc;
pub mod menu;
#[cfg(not(target_os = "linux"))]
mod native_tray;
pub mod notifications;
mod settings_watch;
#[cfg(target_os = "linux")]
pub mod sni;
#[cfg(target_os = "linux")]
mod sni_tray;
pub mod state;
mod tray_loop;
pub mod tray_process;

use headroom_core::present::dashboard_view::DashboardView;

pub use app::App;

/// Logs to stderr, filtered by `HEADROOM_LOG` (else `default`, as `target=level,…`).
pub fn log_to_stderr(default: &str) {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("HEADROOM_LOG").unwrap_or_else(|_| default.into()))
        .init();
}

/// A window the shell can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    Dashboard,
    Settings,
}

impl Window {
    pub fn label(self) -> &'static str {
        match self {
            Window::Dashboard => "dashboard",
            Window::Settings => "settings",
        }
    }

    pub fn from_label(label: &str) -> Option<Window> {
        match label {
            "dashboard" => Some(Window::Dashboard),
            "settings" => Some(Window::Settings),
            _ => None,
        }
    }
}

/// What the loop asks of whoever draws: each call returns at once (the shell hands the work to
/// its own thread when it must), so no lock of the loop's is ever held while a shell waits.
pub trait Shell: Send + Sync + 'static {
    /// The state changed: bring the tray up to date (read it with [`App::tray_view`]).
    fn redraw_tray(&self, app: &App);
    /// The dashboard's numbers changed: push them to open windows (nobody listening is fine).
    fn dashboard_changed(&self, view: DashboardView);
    fn open_window(&self, window: Window);
    /// Launch at login on or off, as the settings say.
    fn set_autostart(&self, wanted: bool);
}
