//! The tray on macOS and Windows: the `tray-icon` crate's icon and native menu, on an event loop
//! (tao's, without any window) that owns the main thread as both systems require; the loop's
//! work runs on the tokio runtime beside it. On macOS the app is an accessory (no Dock icon, no
//! app switcher) and its icon a template image, drawn in the menu bar's own colour; a click
//! shows the menu, as menu-bar apps do. On Windows a left click opens the dashboard and a right
//! click shows the menu.

use headroom_core::present::tray_view::{MenuView, TrayView};
use headroom_icon::{IconCache, Style};
use tao::event::{Event, StartCause};
use tao::event_loop::{ControlFlow, EventLoopBuilder};
use tray_icon::menu::MenuEvent;
use tray_icon::{Icon, MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};

use crate::menu::{menu_entries, MenuAction};
use crate::native_menu::NativeMenu;
use crate::tray_loop::{on_menu, start, until_quit, Process, Running};
use crate::Window;

#[cfg(target_os = "macos")]
const ICON: (u32, Style) = (36, Style::Template);
#[cfg(not(target_os = "macos"))]
const ICON: (u32, Style) = (32, Style::Colour);

/// What the event loop is woken for.
#[derive(Debug)]
enum Wake {
    /// The tray is out of date.
    Redraw,
    Quit,
}

/// What is on screen now, to skip work when nothing changed.
#[derive(Default)]
struct Shown {
    icon: IconCache,
    title: Option<Option<String>>,
    tooltip: Option<String>,
    menu: Option<MenuView>,
    native: Option<NativeMenu>,
}

pub(crate) fn run(process: Process) -> i32 {
    #[allow(unused_mut)]
    let mut event_loop = EventLoopBuilder::<Wake>::with_user_event().build();
    #[cfg(target_os = "macos")]
    {
        use tao::platform::macos::{ActivationPolicy, EventLoopExtMacOS};
        event_loop.set_activation_policy(ActivationPolicy::Accessory);
        crate::notifications::register_app();
    }
    let proxy = std::sync::Mutex::new(event_loop.create_proxy());
    let running = process.begin(move || {
        let _ = proxy.lock().unwrap().send_event(Wake::Redraw);
    });
    // Clicks and menu choices arrive on the main thread; what they ask is done on the runtime.
    let (chosen, quit) = (running.app.clone(), running.quit.clone());
    // An id names its entry whatever the menu's shape now (see `menu`): one no longer shown still
    // does what it said, and an info line's does nothing.
    MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
        if let Some(action) = MenuAction::from_id(&event.id.0) {
            on_menu(&chosen, &quit, action)
        }
    }));
    let clicked = running.app.clone();
    TrayIconEvent::set_event_handler(Some(move |event: TrayIconEvent| {
        if let TrayIconEvent::Click { button: MouseButton::Left, button_state: MouseButtonState::Up, .. } = event {
            if cfg!(not(target_os = "macos")) {
                clicked.open_window(Window::Dashboard);
            }
        }
    }));
    let quitter = std::sync::Mutex::new(event_loop.create_proxy());
    let Running { runtime, app, quitting, open, .. } = running;
    runtime.spawn(async move {
        until_quit(quitting).await;
        let _ = quitter.lock().unwrap().send_event(Wake::Quit);
    });
    let mut runtime = Some(runtime);
    let mut tray: Option<TrayIcon> = None;
    let mut shown = Shown::default();
    event_loop.run(move |event, _, control_flow| {
        *control_flow = ControlFlow::Wait;
        match event {
            // The icon is made once the loop runs (macOS wants its application running first).
            Event::NewEvents(StartCause::Init) => {
                let view = app.tray_view();
                match build(&view, &mut shown) {
                    Ok(icon) => {
                        tray = Some(icon);
                        start(&app, open);
                    }
                    Err(e) => {
                        eprintln!("Headroom could not put its icon in the tray ({e}).");
                        std::process::exit(1);
                    }
                }
            }
            Event::UserEvent(Wake::Redraw) => {
                if let Some(tray) = &tray {
                    update(tray, &app.tray_view(), &mut shown);
                }
            }
            // Windows ends the session (WM_ENDSESSION; tao would end the process right after):
            // as on Quit, the icon goes first and the runtime is left as it is.
            Event::LoopDestroyed => {
                tracing::info!("the session is ending: Headroom quits");
                tray.take();
                std::mem::forget(runtime.take());
                std::process::exit(0);
            }
            Event::UserEvent(Wake::Quit) => {
                // The icon is taken out of the tray first (Windows would show a dead one).
                tray.take();
                // Background work (a poll, a notification) is dropped without shutting the
                // runtime down, where a poll in flight would panic on its timers; every change
                // was saved when it was made.
                std::mem::forget(runtime.take());
                *control_flow = ControlFlow::Exit;
                std::process::exit(0);
            }
            _ => {}
        }
    })
}

fn icon(view: &TrayView, shown: &mut Shown) -> Option<Icon> {
    let drawn = shown.icon.update(&view.icon, ICON.0, ICON.1)?;
    Icon::from_rgba(drawn.rgba, drawn.size, drawn.size).ok()
}

fn build(view: &TrayView, shown: &mut Shown) -> Result<TrayIcon, String> {
    let (menu, native) = NativeMenu::build(&menu_entries(&view.menu)).map_err(|e| e.to_string())?;
    shown.native = Some(native);
    let mut builder = TrayIconBuilder::new()
        .with_tooltip(&view.tooltip)
        .with_menu(Box::new(menu))
        .with_icon_as_template(ICON.1 == Style::Template)
        .with_menu_on_left_click(cfg!(target_os = "macos"));
    if let Some(icon) = icon(view, shown) {
        builder = builder.with_icon(icon);
    }
    if let Some(title) = &view.title {
        builder = builder.with_title(title);
    }
    shown.title = Some(view.title.clone());
    shown.tooltip = Some(view.tooltip.clone());
    shown.menu = Some(view.menu.clone());
    builder.build().map_err(|e| e.to_string())
}

/// Brings the icon up to date; cheap when nothing changed.
fn update(tray: &TrayIcon, view: &TrayView, shown: &mut Shown) {
    if let Some(icon) = icon(view, shown) {
        // `set_icon_with_as_template` does nothing but on macOS: on Windows the icon stayed as
        // it was drawn at start whatever the numbers did (tests/windows.rs).
        #[cfg(target_os = "macos")]
        let redrawn = tray.set_icon_with_as_template(Some(icon), ICON.1 == Style::Template);
        #[cfg(not(target_os = "macos"))]
        let redrawn = tray.set_icon(Some(icon));
        if let Err(e) = redrawn {
            tracing::warn!("could not redraw the tray icon ({e})");
        }
    }
    if shown.title.as_ref() != Some(&view.title) {
        tray.set_title(view.title.as_deref());
        shown.title = Some(view.title.clone());
    }
    if shown.tooltip.as_ref() != Some(&view.tooltip) {
        let _ = tray.set_tooltip(Some(&view.tooltip));
        shown.tooltip = Some(view.tooltip.clone());
    }
    if shown.menu.as_ref() != Some(&view.menu) {
        let entries = menu_entries(&view.menu);
        // The same entries with new words (the numbers, "Updated …"): into the items shown.
        if shown.native.as_mut().is_some_and(|native| native.reword(&entries)) {
            shown.menu = Some(view.menu.clone());
            return;
        }
        match NativeMenu::build(&entries) {
            Ok((menu, native)) => {
                tray.set_menu(Some(Box::new(menu)));
                shown.menu = Some(view.menu.clone());
                shown.native = Some(native);
            }
            Err(e) => tracing::warn!("could not rebuild the tray menu ({e})"),
        }
    }
}
