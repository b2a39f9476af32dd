//! The process that runs all day on Linux: Headroom's loop drawn as a StatusNotifierItem, with no
//! GTK and no webview. Its windows live in the window process (`headroom-window`), started when
//! one is asked for and told over the socket (see `ipc`) what to show; everything else in the
//! menu is carried out here.

use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use headroom_core::present::dashboard_view::DashboardView;
use headroom_core::present::tray_view::TrayView;
use headroom_icon::{IconCache, Style};

use crate::calls::Call;
use crate::ipc::{self, Claim, FromTray, Hub, Link};
use crate::menu::{menu_entries, MenuAction};
use crate::sni::{pixmap_from_rgba, Click, StatusNotifierItem, TrayModel};
use crate::state::Shared;
use crate::{App, Shell, Window};

const ICON_SIZE: u32 = 32;

/// Draws the loop's state on the item.
struct SniShell {
    dirty: Notify,
    /// The icon last drawn (drawing costs more than comparing the numbers it shows).
    icon: Mutex<(IconCache, Vec<crate::sni::Pixmap>)>,
    quit: tokio::sync::mpsc::UnboundedSender<()>,
    /// The window processes connected to the socket.
    hub: Arc<Hub>,
}

impl SniShell {
    fn model(&self, view: &TrayView) -> TrayModel {
        let mut icon = self.icon.lock().unwrap();
        let (cache, pixmaps) = &mut *icon;
        if let Some(drawn) = cache.update(&view.icon, ICON_SIZE, Style::Colour) {
            *pixmaps = vec![pixmap_from_rgba(drawn.size, &drawn.rgba)];
        }
        TrayModel {
            icon: pixmaps.clone(),
            label: view.title.clone().unwrap_or_default(),
            tooltip_title: "Headroom".into(),
            tooltip_body: view.tooltip.clone(),
            menu: menu_entries(&view.menu),
        }
    }
}

impl Shell for SniShell {
    /// Marks the tray out of date; one task redraws it (see [`redraw_when_asked`]), so a burst
    /// of changes (a storm of menu clicks) is one redraw and the newest state is always the one
    /// left on screen.
    fn redraw_tray(&self, _app: &App) {
        self.dirty.notify_one();
    }

    fn dashboard_changed(&self, view: DashboardView) {
        if self.hub.has_window_process() {
            match serde_json::to_value(view) {
                Ok(view) => self.hub.push(&FromTray::Dashboard { view }),
                Err(e) => tracing::warn!("could not pass the dashboard on ({e})"),
            }
        }
    }

    /// The running window process shows it; with none, one is started for it.
    fn open_window(&self, window: Window) {
        if self.hub.has_window_process() {
            return self.hub.push(&FromTray::Open { window });
        }
        let program = ipc::sibling(ipc::WINDOW_PROGRAM);
        match tokio::process::Command::new(&program).args(["--open", window.label()]).spawn() {
            // Waited for, so that it leaves no zombie when it ends.
            Ok(mut child) => drop(tokio::spawn(async move { child.wait().await })),
            Err(e) => tracing::warn!(
                "could not open the {} window: {} did not start ({e}); reinstall Headroom",
                window.label(),
                program.display()
            ),
        }
    }

    /// Launch at login stays with headroom-tray (the app that is started) until this process
    /// takes its place.
    fn set_autostart(&self, _wanted: bool) {}
}

async fn redraw_when_asked(shell: Arc<SniShell>, app: App, item: StatusNotifierItem) {
    loop {
        shell.dirty.notified().await;
        let model = shell.model(&app.tray_view());
        if let Err(e) = item.show(model).await {
            tracing::warn!("could not update the tray item ({e})");
        }
    }
}

/// Runs the tray process until "Quit Headroom"; the exit code for `main`. When a tray is running
/// already, asks it to open `open` (the dashboard when nothing was asked) and ends.
pub fn run(demo: bool, open: Option<Window>) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("Headroom could not start ({e}): the system refused a thread or a timer.");
            return 1;
        }
    };
    let listener = match runtime.block_on(ipc::claim()) {
        Ok(Claim::Listening(listener)) => listener,
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
    let (quit, mut quitting) = tokio::sync::mpsc::unbounded_channel();
    let hub = Arc::new(Hub::default());
    let shell = Arc::new(SniShell { dirty: Notify::new(), icon: Mutex::default(), quit, hub: hub.clone() });
    let app = App::new(Shared::load(demo), shell.clone(), runtime.handle().clone());
    runtime.spawn(ipc::serve(app.clone(), listener, hub));
    let started = runtime.block_on(async {
        let first = shell.model(&app.tray_view());
        let clicked = app.clone();
        let on_click = Arc::new(move |click: Click| match click {
            Click::Primary => clicked.open_window(Window::Dashboard),
            Click::Secondary => clicked.refresh_all(),
        });
        let chosen = app.clone();
        let quit = shell.quit.clone();
        let on_menu = Arc::new(move |id: &str| match MenuAction::from_id(id) {
            Some(MenuAction::Quit) => {
                let _ = quit.send(());
            }
            Some(action) => chosen.on_menu_action(action),
            None => {}
        });
        StatusNotifierItem::start(first, on_click, on_menu).await
    });
    match started {
        Ok(item) => {
            runtime.spawn(redraw_when_asked(shell.clone(), app.clone(), item));
        }
        Err(e) => {
            eprintln!(
                "Headroom could not put its icon in the tray ({e}): check that a desktop session (D-Bus) is running."
            );
            return 1;
        }
    }
    app.start();
    if let Some(window) = open {
        app.open_window(window);
    }
    runtime.block_on(async {
        // "Quit Headroom", or the session asking it to end (Ctrl+C, SIGTERM at logout).
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
    });
    tracing::info!("quitting");
    // Background work (a poll, a notification) is dropped; every change was saved when made.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    0
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
