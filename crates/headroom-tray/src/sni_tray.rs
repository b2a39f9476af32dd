//! The tray on Linux: Headroom's loop drawn as a StatusNotifierItem (see `sni`), on the same
//! tokio runtime as everything else.

use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use headroom_core::present::tray_view::TrayView;
use headroom_icon::{IconCache, Style};

use headroom_core::engine::Command;

use crate::menu::menu_entries;
use crate::sni::{pixmap_from_rgba, Click, Pixmap, StatusNotifierItem, TrayModel};
use crate::tray_loop::{on_menu, start, until_quit, Process};
use crate::{App, Window};

const ICON_SIZE: u32 = 32;

/// The icon last drawn (drawing costs more than comparing the numbers it shows).
#[derive(Default)]
struct Drawn(Mutex<(IconCache, Vec<Pixmap>)>);

impl Drawn {
    fn model(&self, view: &TrayView) -> TrayModel {
        let mut icon = self.0.lock().unwrap();
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

/// The loop marks the tray out of date; this one task redraws it, so a burst of changes (a
/// storm of menu clicks) is one redraw and the newest state is always the one left on screen.
async fn redraw_when_asked(dirty: Arc<Notify>, drawn: Arc<Drawn>, app: App, item: StatusNotifierItem) {
    loop {
        dirty.notified().await;
        if let Err(e) = item.show(drawn.model(&app.tray_view())).await {
            tracing::warn!("could not update the tray item ({e})");
        }
    }
}

/// Ages ("Updated 3 min ago"), countdowns and staleness move with the clock, not only when a
/// reading comes: the tray is redrawn a few times a minute, so a shown age is at most 15 s
/// late (nothing is sent to the host when nothing changed). The menu is also brought up to
/// date as a host opens it (`sni::Menu::about_to_show`).
async fn redraw_as_time_passes(dirty: Arc<Notify>) {
    let mut minutes = tokio::time::interval(std::time::Duration::from_secs(15));
    minutes.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        minutes.tick().await;
        dirty.notify_one();
    }
}

pub(crate) fn run(process: Process) -> i32 {
    let dirty = Arc::new(Notify::new());
    let running = process.begin({
        let dirty = dirty.clone();
        move || dirty.notify_one()
    });
    let drawn = Arc::new(Drawn::default());
    let started = running.runtime.block_on(async {
        let first = drawn.model(&running.app.tray_view());
        let clicked = running.app.clone();
        let on_click = Arc::new(move |click: Click| match click {
            Click::Primary => clicked.open_window(Window::Dashboard),
            Click::Secondary => clicked.handle(Command::Refresh),
        });
        let (chosen, quit) = (running.app.clone(), running.quit.clone());
        let on_menu = Arc::new(move |action| on_menu(&chosen, &quit, action));
        let now = running.app.clone();
        let fresh_menu = Arc::new(move || menu_entries(&now.tray_view().menu));
        StatusNotifierItem::start(first, on_click, on_menu, fresh_menu).await
    });
    match started {
        Ok(item) => {
            // No process of Headroom's outlives its session: with the session's bus gone, the
            // tray (and with it the window process) ends.
            let (gone, quit) = (item.clone(), running.quit.clone());
            running.runtime.spawn(async move {
                gone.bus_gone().await;
                tracing::info!("the desktop session's bus has gone");
                let _ = quit.send(());
            });
            running.runtime.spawn(redraw_as_time_passes(dirty.clone()));
            running.runtime.spawn(redraw_when_asked(dirty, drawn, running.app.clone(), item));
        }
        Err(e) => {
            eprintln!(
                "Headroom could not put its icon in the tray ({e}): check that a desktop session (D-Bus) is running."
            );
            return 1;
        }
    }
    start(&running.app, running.open);
    running.runtime.block_on(until_quit(running.quitting));
    // The host's "Quit Headroom" click is answered before the process goes.
    std::thread::sleep(std::time::Duration::from_millis(150));
    // Ended here, not by shutting the runtime down: a poll in flight would panic on its timers
    // as they went. Every change was saved when it was made.
    std::process::exit(0)
}
