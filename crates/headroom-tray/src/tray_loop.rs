//! What every platform's tray runs on (`sni_tray` on Linux, `native_tray` on macOS and
//! Windows): Headroom's loop with the shell that pushes to the window process and starts it,
//! the menu's actions, and how the process is ended.

use std::sync::Arc;

use tokio::runtime::Runtime;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use headroom_core::alerts::hooks::stop_running_hooks;
use headroom_core::present::dashboard_view::DashboardView;

use headroom_protocol::server::{self, Hub, Opening};
use headroom_protocol::{sibling, FromTray, WINDOW_PROGRAM};

use crate::menu::MenuAction;
use crate::state::Shared;
use crate::{App, Shell, Window};

/// The tray process before its loop starts: what every platform's tray starts it with.
pub(crate) struct Process {
    pub runtime: Runtime,
    pub listener: interprocess::local_socket::tokio::Listener,
    pub demo: bool,
    /// The window asked for at start.
    pub open: Option<Window>,
    /// Started by a window process, which connects next (see `tray_process::Start`).
    pub for_window: bool,
}

/// What a platform's tray is handed: the loop, and how to end it.
pub(crate) struct Running {
    pub runtime: Runtime,
    pub app: App,
    pub quit: UnboundedSender<()>,
    pub quitting: UnboundedReceiver<()>,
    /// The window asked for at start.
    pub open: Option<Window>,
}

impl Process {
    /// Makes Headroom's loop, drawing through `redraw`, and answers the windows on the socket.
    /// `redraw` is called whenever the tray is out of date and must return at once (it hands the
    /// drawing to the tray's own task or thread, which reads [`App::tray_view`]).
    pub fn begin(self, redraw: impl Fn() + Send + Sync + 'static) -> Running {
        let hub = Arc::new(Hub::default());
        if self.for_window {
            hub.expect_window_process();
        }
        let shell =
            Arc::new(TrayShell { redraw: Box::new(redraw), hub: hub.clone(), runtime: self.runtime.handle().clone() });
        let app = App::new(Shared::load(self.demo), shell, self.runtime.handle().clone());
        self.runtime.spawn(server::serve(app.clone(), self.listener, hub));
        let (quit, quitting) = tokio::sync::mpsc::unbounded_channel();
        Running { runtime: self.runtime, app, quit, quitting, open: self.open }
    }
}

/// Starts polling (once the icon is up), and opens the window asked for at start.
pub(crate) fn start(app: &App, open: Option<Window>) {
    app.start();
    if let Some(window) = open {
        app.open_window(window);
    }
}

/// Carries out a menu entry's action.
pub(crate) fn on_menu(app: &App, quit: &UnboundedSender<()>, action: MenuAction) {
    match action {
        MenuAction::Quit => {
            let _ = quit.send(());
        }
        action => app.on_menu_action(action),
    }
}

/// Until "Quit Headroom", or the session asking Headroom to end (Ctrl+C, SIGTERM at logout).
pub(crate) async fn until_quit(mut quitting: UnboundedReceiver<()>) {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let terminated = async {
        match terminate.as_mut() {
            Some(signal) => signal.recv().await,
            None => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminated = std::future::pending::<Option<()>>();
    tokio::select! {
        _ = quitting.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = terminated => {}
    }
    tracing::info!("quitting");
    ends_within(QUIT_WITHIN);
    let stopped = tokio::task::spawn_blocking(|| stop_running_hooks(HOOK_GRACE)).await.unwrap_or(0);
    if stopped > 0 {
        tracing::info!("stopped {stopped} running hook(s)");
    }
}

/// Quitting always ends the process within this, however the orderly path fares.
const QUIT_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);
/// How long a running hook is given to end when asked, before it is killed.
const HOOK_GRACE: std::time::Duration = std::time::Duration::from_millis(800);

/// A watchdog: should the orderly end (stopping hooks, the runtime, the tray icon) stall, the
/// process ends anyway after `limit`, saying so. Every change was saved when it was made.
fn ends_within(limit: std::time::Duration) {
    let started = std::thread::Builder::new().name("quit watchdog".into()).spawn(move || {
        std::thread::sleep(limit);
        tracing::warn!("quitting took more than {} s; ending now", limit.as_secs());
        std::process::exit(0);
    });
    if let Err(e) = started {
        tracing::warn!("no watchdog for quitting ({e})");
    }
}

/// The tray's side of the loop: the icon is redrawn by the platform's tray, the windows are the
/// window process's, launch at login is the system's.
struct TrayShell {
    redraw: Box<dyn Fn() + Send + Sync>,
    /// The window processes connected to the socket.
    hub: Arc<Hub>,
    /// Where the window process is started and waited for, whichever thread asks (tray-icon's
    /// clicks arrive on the main thread, outside the runtime).
    runtime: tokio::runtime::Handle,
}

impl Shell for TrayShell {
    fn redraw_tray(&self, _app: &App) {
        (self.redraw)();
    }

    fn dashboard_changed(&self, view: DashboardView) {
        if self.hub.has_window_process() {
            match serde_json::to_value(view) {
                Ok(view) => self.hub.push(&FromTray::Dashboard { view }),
                Err(e) => tracing::warn!("could not pass the dashboard on ({e})"),
            }
        }
    }

    /// The running window process shows it (or the one starting, once it is up); with none, one
    /// is started for it.
    fn open_window(&self, window: Window) {
        if self.hub.open(window) != Opening::StartOne {
            return;
        }
        let _in_runtime = self.runtime.enter();
        let program = sibling(WINDOW_PROGRAM);
        let mut command = tokio::process::Command::new(&program);
        command.args(["--open", window.label()]);
        // Its own process group: a signal to the tray's (a terminal's Ctrl+C) leaves the window.
        #[cfg(unix)]
        command.process_group(0);
        tracing::info!(window = window.label(), "starting the window process");
        match command.spawn() {
            // Waited for, so that it leaves no zombie when it ends; one that ends before it
            // watches (it crashed starting) is no longer on its way, so the next click starts
            // another at once instead of being queued for a process that is gone.
            Ok(mut child) => {
                let hub = self.hub.clone();
                let since = hub.on_its_way_since();
                drop(tokio::spawn(async move {
                    let status = child.wait().await;
                    // Still on its way: it ended before it watched (one that watched was taken
                    // off when it connected).
                    if let Some(since) = since.filter(|since| hub.on_its_way_since() == Some(*since)) {
                        tracing::info!("the window process ended ({status:?}) before it was up");
                        hub.window_process_ended(since);
                    }
                }))
            }
            Err(e) => {
                self.hub.window_process_failed();
                tracing::warn!(
                    "could not open the {} window: {} did not start ({e}); reinstall Headroom",
                    window.label(),
                    program.display()
                )
            }
        }
    }

    /// Turns launch at login on or off to match the setting, touching it only when they differ.
    fn set_autostart(&self, wanted: bool) {
        crate::autostart::set(wanted);
    }
}
