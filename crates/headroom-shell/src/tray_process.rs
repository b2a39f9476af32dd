//! The process that runs all day: Headroom's loop and its tray icon, with no GTK and no webview.
//! Its windows live in the window process (`headroom-window`), started when one is asked for and
//! told over the socket (see `ipc`) what to show; everything else in the menu is carried out
//! here. The icon is the platform's own: a StatusNotifierItem over D-Bus on Linux (`sni_tray`),
//! the `tray-icon` crate on macOS and Windows (`native_tray`).

use std::sync::Arc;

use tokio::runtime::Runtime;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use headroom_core::present::dashboard_view::DashboardView;

use crate::calls::Call;
use crate::ipc::{self, Claim, FromTray, Hub, Link, Opening};
use crate::menu::MenuAction;
use crate::state::Shared;
use crate::{App, Shell, Window};

/// How the tray process was started.
#[derive(Debug, Clone, Copy, Default)]
pub struct Start {
    /// The demo's scripted numbers instead of the user's.
    pub demo: bool,
    /// A window to open at once.
    pub open: Option<Window>,
    /// Started by a window process (`--for-window`), which connects next: windows asked for
    /// until it does (first run's Settings) wait for it instead of starting another.
    pub for_window: bool,
    /// Started at login (`--autostart`): with a tray running already, nothing is opened.
    pub autostart: bool,
}

impl Start {
    /// `--demo`, `--open dashboard|settings`, `--for-window`, `--autostart`.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Start {
        let args: Vec<String> = args.into_iter().collect();
        let open = args.iter().skip_while(|a| *a != "--open").nth(1);
        Start {
            demo: args.iter().any(|a| a == "--demo"),
            open: open.and_then(|label| Window::from_label(label)),
            for_window: args.iter().any(|a| a == "--for-window"),
            autostart: args.iter().any(|a| a == "--autostart"),
        }
    }
}

/// Runs the tray process until "Quit Headroom"; the exit code for `main`. When a tray is running
/// already, asks it to open `start.open` (the dashboard when nothing was asked) and ends.
pub fn run(start: Start) -> i32 {
    let Start { demo, open, for_window, autostart } = start;
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("Headroom could not start ({e}): the system refused a thread or a timer.");
            return 1;
        }
    };
    let listener = match runtime.block_on(ipc::claim()) {
        Ok(Claim::Listening(listener)) => listener,
        // Started at login while Headroom runs already: nothing to do.
        Ok(Claim::Running(_)) if autostart => return 0,
        Ok(Claim::Running(stream)) => {
            return runtime.block_on(ask_running_tray(stream, open.unwrap_or(Window::Dashboard)))
        }
        Err(e) => {
            eprintln!(
                "Headroom could not open its socket in {} ({e}): check that the folder is yours and writable.",
                ipc::socket_place()
            );
            return 1;
        }
    };
    tracing::info!("listening for Headroom's windows on {}", ipc::socket_place());
    let process = Process { runtime, listener, demo, open, for_window };
    #[cfg(target_os = "linux")]
    return crate::sni_tray::run(process);
    #[cfg(not(target_os = "linux"))]
    return crate::native_tray::run(process);
}

/// The tray process before its loop starts: what every platform's tray starts it with.
pub(crate) struct Process {
    pub runtime: Runtime,
    listener: interprocess::local_socket::tokio::Listener,
    demo: bool,
    /// The window asked for at start.
    open: Option<Window>,
    for_window: bool,
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
        let shell = Arc::new(TrayShell { redraw: Box::new(redraw), hub: hub.clone() });
        let app = App::new(Shared::load(self.demo), shell, self.runtime.handle().clone());
        self.runtime.spawn(ipc::serve(app.clone(), self.listener, hub));
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

/// Carries out the menu entry with this id.
pub(crate) fn on_menu(app: &App, quit: &UnboundedSender<()>, id: &str) {
    match MenuAction::from_id(id) {
        Some(MenuAction::Quit) => {
            let _ = quit.send(());
        }
        Some(action) => app.on_menu_action(action),
        None => {}
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
}

/// The tray's side of the loop: the icon is redrawn by the platform's tray, the windows are the
/// window process's, launch at login is the system's.
struct TrayShell {
    redraw: Box<dyn Fn() + Send + Sync>,
    /// The window processes connected to the socket.
    hub: Arc<Hub>,
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
        let program = ipc::sibling(ipc::WINDOW_PROGRAM);
        let mut command = tokio::process::Command::new(&program);
        command.args(["--open", window.label()]);
        // Its own process group: a signal to the tray's (a terminal's Ctrl+C) leaves the window.
        #[cfg(unix)]
        command.process_group(0);
        tracing::info!(window = window.label(), "starting the window process");
        match command.spawn() {
            // Waited for, so that it leaves no zombie when it ends.
            Ok(mut child) => drop(tokio::spawn(async move { child.wait().await })),
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

/// A second launch: the running tray opens the window (single instance), and this one ends.
async fn ask_running_tray(stream: interprocess::local_socket::tokio::Stream, window: Window) -> i32 {
    let (link, _pushes) = Link::over(stream);
    match link.call(Call::Open { window }).await {
        Ok(_) => {
            tracing::info!(window = window.label(), "Headroom is running already: asked it to open the window");
            0
        }
        Err(message) => {
            eprintln!("{message}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(args: &[&str]) -> Start {
        Start::from_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn the_command_line_says_how_the_tray_was_started() {
        let plain = start(&[]);
        assert!(!plain.demo && plain.open.is_none() && !plain.for_window && !plain.autostart);
        assert_eq!(start(&["--open", "settings"]).open, Some(Window::Settings));
        assert_eq!(start(&["--open", "nonsense"]).open, None);
        assert_eq!(start(&["--open"]).open, None);
        let by_window = start(&["--for-window", "--demo"]);
        assert!(by_window.for_window && by_window.demo);
        assert!(start(&["--autostart"]).autostart);
    }
}
