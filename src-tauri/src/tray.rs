//! The tray icon and its menu. Linux gives tray icons no clicks and no tooltip, so everything
//! is reachable from the menu. The icon is redrawn and the menu rebuilt only when what they
//! show changes.

use std::sync::Mutex;

use chrono::Utc;
use headroom_core::present::tray_view::{tray_view, MenuView, OtherAccount, TrayInputs, TrayView};
use headroom_icon::{IconCache, Style};
use tauri::image::Image;
use tauri::menu::{Menu, MenuBuilder, MenuItemBuilder, SubmenuBuilder};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

use crate::state::SharedState;
use crate::windows::{self, Window};

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

fn view(shared: &SharedState) -> TrayView {
    let session = shared.session.lock().unwrap();
    let shown = session.shown();
    // The shown account first, then every other in the accounts' order.
    let others: Vec<OtherAccount> = session
        .accounts()
        .iter()
        .filter(|a| a.watched.id != shown.watched.id)
        .map(|a| OtherAccount {
            label: a.watched.label(),
            snapshot: a.snapshot.as_ref(),
            error: a.error.as_ref(),
            command: a.watched.codex_command(),
        })
        .collect();
    tray_view(&TrayInputs {
        snapshot: shown.snapshot.as_ref(),
        error: shown.error.as_ref(),
        settings: &session.settings,
        paused_until: session.paused_until,
        on_api_key: session.on_fallback_key,
        fallback_key: session.fallback_key,
        restored_at: session.restored_at,
        paces: &shown.paces,
        label: shown.watched.label(),
        command: shown.watched.codex_command(),
        others: &others,
        hook_trouble: session.hook_trouble(),
        now: Utc::now(),
    })
}

/// What a menu item asks for, beyond opening a window or quitting (which the tray does itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuAction {
    Refresh,
    PauseForAnHour,
    PauseUntilReset,
    Resume,
    SwitchToApiKey,
    SwitchToPlan,
    /// Copy the command of the menu's `n`th sibling hint (`CODEX_HOME=… codex`).
    CopyHintCommand(usize),
}

/// The command the menu's `n`th hint offers to copy, as the menu shows it now.
pub fn hint_command(shared: &SharedState, n: usize) -> Option<String> {
    view(shared).menu.hints.get(n).and_then(|h| h.command.clone())
}

/// Carries out a [`MenuAction`]; given at creation so the tray needs nothing of the app's logic.
pub type OnAction = fn(&AppHandle, &SharedState, MenuAction);

pub fn create(app: &AppHandle, shared: &SharedState, on_action: OnAction) -> tauri::Result<()> {
    let view = view(shared);
    let mut shown = Shown::default();
    let icon = shown.icon.update(&view.icon, ICON.0, ICON.1).expect("the first icon is always drawn");
    let menu = build_menu(app, &view.menu)?;
    shown.menu = Some(view.menu.clone());
    shown.title = Some(view.title.clone());
    let tray = TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::new_owned(icon.rgba, icon.size, icon.size))
        .icon_as_template(ICON.1 == Style::Template)
        .tooltip(&view.tooltip)
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(move |app, event| on_menu(app, event.id().as_ref(), on_action));
    let tray = match &view.title {
        Some(title) => tray.title(title),
        None => tray,
    };
    tray.build(app)?;
    app.manage(Mutex::new(shown));
    Ok(())
}

/// Brings the tray up to date with the state; cheap when nothing changed. Runs on the main
/// thread, at once when called there: a tray call from another thread waits for the main thread,
/// so a poll holding `Shown` while the main thread waited for it (a menu click) froze both for
/// good. With every refresh on the main thread, `Shown` is never contended.
pub fn refresh(app: &AppHandle, shared: &SharedState) {
    let (handle, shared) = (app.clone(), shared.clone());
    if let Err(e) = app.run_on_main_thread(move || refresh_on_main_thread(&handle, &shared)) {
        tracing::debug!("the tray was not refreshed (the app is closing): {e}");
    }
}

fn refresh_on_main_thread(app: &AppHandle, shared: &SharedState) {
    let view = view(shared);
    let Some(tray) = app.tray_by_id(TRAY_ID) else { return };
    let shown = app.state::<Mutex<Shown>>();
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
        match build_menu(app, &view.menu) {
            Ok(menu) => {
                let _ = tray.set_menu(Some(menu));
                let _ = tray.set_tooltip(Some(&view.tooltip));
                shown.menu = Some(view.menu.clone());
            }
            Err(e) => tracing::warn!("could not rebuild the tray menu: {e}"),
        }
    }
}

fn build_menu(app: &AppHandle, view: &MenuView) -> tauri::Result<Menu<Wry>> {
    let paused = view.alerts_paused;
    let info = |id: &str, text: &str| MenuItemBuilder::with_id(id, text).enabled(false).build(app);
    let mut menu =
        MenuBuilder::new(app).item(&info("header", &view.header)?).item(&info("status", &view.status)?).separator();
    for (i, row) in view.rows.iter().enumerate() {
        menu = menu.item(&info(&format!("row-{i}"), row)?);
    }
    if let Some(blocked) = &view.blocked {
        menu = menu.item(&info("blocked", blocked)?);
    }
    if let Some(paused_line) = &view.paused {
        menu = menu.item(&info("paused", paused_line)?);
    }
    if let Some(line) = &view.on_api_key {
        menu = menu.item(&info("on-api-key", line)?);
    }
    if let Some(line) = &view.open_sessions {
        menu = menu.item(&info("open-sessions", line)?);
    }
    for (i, section) in view.accounts.iter().enumerate() {
        menu = menu
            .separator()
            .item(&info(&format!("account-{i}-header"), &section.header)?)
            .item(&info(&format!("account-{i}-status"), &section.status)?);
        for (j, row) in section.rows.iter().enumerate() {
            menu = menu.item(&info(&format!("account-{i}-row-{j}"), row)?);
        }
    }
    if let Some(line) = &view.hook_trouble {
        menu = menu.separator().item(&info("hook-trouble", line)?);
    }
    for (i, hint) in view.hints.iter().enumerate() {
        menu = menu.separator().item(&info(&format!("hint-{i}"), &hint.text)?);
        if let Some(command) = &hint.command {
            menu = menu.text(format!("copy-hint-{i}"), format!("Copy “{command}”"));
        }
    }
    if view.offer_api_key {
        menu = menu.separator().text("fallback-switch", "Switch Codex to API key (billed at API rates)");
    }
    if view.offer_plan {
        menu = menu.separator().text("fallback-restore", "Switch Codex back to your ChatGPT plan");
    }
    let pause = if paused {
        SubmenuBuilder::with_id(app, "pause", "Pause alerts").text("resume", "Resume alerts").build()?
    } else {
        let pause = SubmenuBuilder::with_id(app, "pause", "Pause alerts").text("pause-hour", "For 1 hour");
        match &view.pause_until_reset {
            Some(label) => pause.text("pause-reset", label),
            None => pause,
        }
        .build()?
    };
    menu.separator()
        .text("refresh", "Refresh now")
        .text("dashboard", "Open dashboard")
        .text("settings", "Settings…")
        .item(&pause)
        .separator()
        .text("quit", "Quit Headroom")
        .build()
}

fn on_menu(app: &AppHandle, id: &str, on_action: OnAction) {
    let action = match id {
        "dashboard" => return windows::open(app, Window::Dashboard),
        "settings" => return windows::open(app, Window::Settings),
        "quit" => return app.exit(0),
        "refresh" => MenuAction::Refresh,
        "pause-hour" => MenuAction::PauseForAnHour,
        "pause-reset" => MenuAction::PauseUntilReset,
        "resume" => MenuAction::Resume,
        "fallback-switch" => MenuAction::SwitchToApiKey,
        "fallback-restore" => MenuAction::SwitchToPlan,
        other => match other.strip_prefix("copy-hint-").and_then(|i| i.parse().ok()) {
            Some(i) => MenuAction::CopyHintCommand(i),
            None => return,
        },
    };
    let shared = app.state::<SharedState>().inner().clone();
    on_action(app, &shared, action);
}
