//! The tray icon and its menu through Tauri (libappindicator on Linux, which gives the icon no
//! clicks and no tooltip, so everything is reachable from the menu). The menu's entries and what
//! they do come from `headroom_shell::menu`; the icon is redrawn and the menu rebuilt only when
//! what they show changes.

use std::sync::Mutex;

use headroom_core::present::tray_view::MenuView;
use headroom_icon::{IconCache, Style};
use headroom_shell::menu::{menu_entries, MenuAction, MenuEntry};
use headroom_shell::App;
use tauri::image::Image;
use tauri::menu::{IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

pub const TRAY_ID: &str = "headroom";

#[cfg(target_os = "macos")]
const ICON: (u32, Style) = (36, Style::Template);
#[cfg(not(target_os = "macos"))]
const ICON: (u32, Style) = (32, Style::Colour);

/// What is on screen now, to skip work when nothing changed.
#[derive(Default)]
pub struct Shown {
    icon: IconCache,
    title: Option<Option<String>>,
    menu: Option<MenuView>,
}

pub fn create(handle: &AppHandle, app: &App) -> tauri::Result<()> {
    let view = app.tray_view();
    let mut shown = Shown::default();
    let icon = shown.icon.update(&view.icon, ICON.0, ICON.1).expect("the first icon is always drawn");
    let menu = build_menu(handle, &view.menu)?;
    shown.menu = Some(view.menu.clone());
    shown.title = Some(view.title.clone());
    let tray = TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::new_owned(icon.rgba, icon.size, icon.size))
        .icon_as_template(ICON.1 == Style::Template)
        .tooltip(&view.tooltip)
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(move |handle, event| on_menu(handle, event.id().as_ref()));
    let tray = match &view.title {
        Some(title) => tray.title(title),
        None => tray,
    };
    tray.build(handle)?;
    handle.manage(Mutex::new(shown));
    Ok(())
}

/// Brings the tray up to date with the state; cheap when nothing changed. Runs on the main
/// thread, at once when called there: a tray call from another thread waits for the main thread,
/// so a poll holding `Shown` while the main thread waited for it (a menu click) froze both for
/// good. With every refresh on the main thread, `Shown` is never contended.
pub fn refresh(handle: &AppHandle, app: &App) {
    let (handle2, app) = (handle.clone(), app.clone());
    if let Err(e) = handle.run_on_main_thread(move || refresh_on_main_thread(&handle2, &app)) {
        tracing::debug!("the tray was not refreshed (the app is closing): {e}");
    }
}

fn refresh_on_main_thread(handle: &AppHandle, app: &App) {
    let view = app.tray_view();
    let Some(tray) = handle.tray_by_id(TRAY_ID) else { return };
    let shown = handle.state::<Mutex<Shown>>();
    let mut shown = shown.lock().unwrap();
    if let Some(icon) = shown.icon.update(&view.icon, ICON.0, ICON.1) {
        let _ = tray.set_icon(Some(Image::new_owned(icon.rgba, icon.size, icon.size)));
        let _ = tray.set_icon_as_template(ICON.1 == Style::Template);
    }
    if shown.title.as_ref() != Some(&view.title) {
        let _ = tray.set_title(view.title.as_deref());
        shown.title = Some(view.title.clone());
    }
    if shown.menu.as_ref() != Some(&view.menu) {
        match build_menu(handle, &view.menu) {
            Ok(menu) => {
                let _ = tray.set_menu(Some(menu));
                let _ = tray.set_tooltip(Some(&view.tooltip));
                shown.menu = Some(view.menu.clone());
            }
            Err(e) => tracing::warn!("could not rebuild the tray menu: {e}"),
        }
    }
}

fn build_menu(handle: &AppHandle, view: &MenuView) -> tauri::Result<Menu<Wry>> {
    let items = build_items(handle, &menu_entries(view))?;
    let refs: Vec<&dyn IsMenuItem<Wry>> = items.iter().map(|i| i.as_ref()).collect();
    Menu::with_items(handle, &refs)
}

fn build_items(handle: &AppHandle, entries: &[MenuEntry]) -> tauri::Result<Vec<Box<dyn IsMenuItem<Wry>>>> {
    let mut items: Vec<Box<dyn IsMenuItem<Wry>>> = Vec::with_capacity(entries.len());
    for entry in entries {
        items.push(match entry {
            MenuEntry::Info { id, text } => Box::new(MenuItem::with_id(handle, id, text, false, None::<&str>)?),
            MenuEntry::Action { id, text } => Box::new(MenuItem::with_id(handle, id, text, true, None::<&str>)?),
            MenuEntry::Separator => Box::new(PredefinedMenuItem::separator(handle)?),
            MenuEntry::Submenu { id, text, entries } => {
                let children = build_items(handle, entries)?;
                let refs: Vec<&dyn IsMenuItem<Wry>> = children.iter().map(|i| i.as_ref()).collect();
                Box::new(Submenu::with_id_and_items(handle, id, text, true, &refs)?)
            }
        });
    }
    Ok(items)
}

fn on_menu(handle: &AppHandle, id: &str) {
    match MenuAction::from_id(id) {
        Some(MenuAction::Quit) => handle.exit(0),
        Some(action) => handle.state::<App>().on_menu_action(action),
        None => {}
    }
}
