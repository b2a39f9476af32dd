//! Headroom's tray process: what it does all day, with no window and no GUI toolkit (it polls
//! every account, lets the core's `Session` decide, and carries out what it decided: notify,
//! save, switch, heal, run hooks, answer the windows over the socket), and the platform's tray
//! that puts the result on screen (`sni` on Linux, `native_tray` elsewhere). The windows are the
//! window process's (`headroom-window`), started on demand.

pub mod app;
mod autostart;
pub mod calls;
mod codex_watch;
pub mod hooks;
pub mod menu;
#[cfg(not(target_os = "linux"))]
mod native_menu;
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
pub use headroom_protocol::Window;

pub use app::App;

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
