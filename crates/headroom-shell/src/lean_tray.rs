//! The process that runs all day on Linux: Headroom's loop drawn as a StatusNotifierItem, with no
//! GTK and no webview. A left click and "Open dashboard" are handed to `opens` (the window
//! process, once it exists); everything else in the menu is carried out here.

use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use headroom_core::present::dashboard_view::DashboardView;
use headroom_core::present::tray_view::TrayView;
use headroom_icon::{IconCache, Style};

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
    opens: Arc<dyn Fn(Window) + Send + Sync>,
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

    /// No window runs in this process: nothing to push yet (the window process will listen).
    fn dashboard_changed(&self, _view: DashboardView) {}

    fn open_window(&self, window: Window) {
        (self.opens)(window);
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

/// Runs the tray process until "Quit Headroom"; the exit code for `main`.
pub fn run(demo: bool, opens: Arc<dyn Fn(Window) + Send + Sync>) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("Headroom could not start ({e}): the system refused a thread or a timer.");
            return 1;
        }
    };
    let (quit, mut quitting) = tokio::sync::mpsc::unbounded_channel();
    let shell = Arc::new(SniShell { dirty: Notify::new(), icon: Mutex::default(), quit, opens });
    let app = App::new(Shared::load(demo), shell.clone(), runtime.handle().clone());
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
