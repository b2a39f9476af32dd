//! The tray's menu as plain data: every shell (the StatusNotifierItem's dbusmenu, tray-icon's
//! native menus, Tauri's) builds the same entries from [`menu_entries`] and hands a clicked
//! entry's id back to [`MenuAction::from_id`], so what the menu holds and does is decided once.

use chrono::Utc;
use headroom_core::present::tray_view::{tray_view, MenuView, OtherAccount, TrayInputs, TrayView};

use crate::state::Shared;
use crate::Window;

/// What the tray shows now: the shown account's numbers, then every other account's.
pub fn current_view(shared: &Shared) -> TrayView {
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

/// What a menu item asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuAction {
    Open(Window),
    Quit,
    Refresh,
    PauseForAnHour,
    PauseUntilReset,
    Resume,
    SwitchToApiKey,
    SwitchToPlan,
    /// Copy the command of the menu's `n`th sibling hint (`CODEX_HOME=… codex`).
    CopyHintCommand(usize),
    /// "Use a reset credit…": the dashboard, where the credit is named and the use confirmed
    /// (a menu cannot ask first).
    UseResetCredit,
}

impl MenuAction {
    /// The action of the entry with this id; `None` for an entry that only shows something.
    pub fn from_id(id: &str) -> Option<MenuAction> {
        Some(match id {
            "dashboard" => MenuAction::Open(Window::Dashboard),
            "settings" => MenuAction::Open(Window::Settings),
            "quit" => MenuAction::Quit,
            "refresh" => MenuAction::Refresh,
            "pause-hour" => MenuAction::PauseForAnHour,
            "pause-reset" => MenuAction::PauseUntilReset,
            "resume" => MenuAction::Resume,
            "fallback-switch" => MenuAction::SwitchToApiKey,
            "fallback-restore" => MenuAction::SwitchToPlan,
            "use-reset-credit" => MenuAction::UseResetCredit,
            other => MenuAction::CopyHintCommand(other.strip_prefix("copy-hint-")?.parse().ok()?),
        })
    }
}

/// One entry of the menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuEntry {
    /// A line that shows something and does nothing (drawn greyed out).
    Info {
        id: String,
        text: String,
    },
    /// A line that does something when clicked: its id goes to [`MenuAction::from_id`].
    Action {
        id: String,
        text: String,
    },
    Separator,
    Submenu {
        id: String,
        text: String,
        entries: Vec<MenuEntry>,
    },
}

fn info(id: impl Into<String>, text: &str) -> MenuEntry {
    MenuEntry::Info { id: id.into(), text: text.to_string() }
}

fn action(id: impl Into<String>, text: impl Into<String>) -> MenuEntry {
    MenuEntry::Action { id: id.into(), text: text.into() }
}

/// The menu for this view, top to bottom.
pub fn menu_entries(view: &MenuView) -> Vec<MenuEntry> {
    let mut menu = vec![info("header", &view.header), info("status", &view.status), MenuEntry::Separator];
    for (i, row) in view.rows.iter().enumerate() {
        menu.push(info(format!("row-{i}"), row));
    }
    let lines = [
        ("blocked", &view.blocked),
        ("paused", &view.paused),
        ("on-api-key", &view.on_api_key),
        ("open-sessions", &view.open_sessions),
    ];
    menu.extend(lines.into_iter().filter_map(|(id, line)| line.as_deref().map(|text| info(id, text))));
    for (i, section) in view.accounts.iter().enumerate() {
        menu.push(MenuEntry::Separator);
        menu.push(info(format!("account-{i}-header"), &section.header));
        menu.push(info(format!("account-{i}-status"), &section.status));
        for (j, row) in section.rows.iter().enumerate() {
            menu.push(info(format!("account-{i}-row-{j}"), row));
        }
    }
    if let Some(line) = &view.hook_trouble {
        menu.extend([MenuEntry::Separator, info("hook-trouble", line)]);
    }
    for (i, hint) in view.hints.iter().enumerate() {
        menu.extend([MenuEntry::Separator, info(format!("hint-{i}"), &hint.text)]);
        if let Some(command) = &hint.command {
            menu.push(action(format!("copy-hint-{i}"), format!("Copy “{command}”")));
        }
    }
    if view.offer_api_key {
        menu.extend([MenuEntry::Separator, action("fallback-switch", "Switch Codex to API key (billed at API rates)")]);
    }
    if view.offer_plan {
        menu.extend([MenuEntry::Separator, action("fallback-restore", "Switch Codex back to your ChatGPT plan")]);
    }
    if view.offer_reset_credit {
        menu.extend([MenuEntry::Separator, action("use-reset-credit", "Use a reset credit…")]);
    }
    let pause = if view.alerts_paused {
        vec![action("resume", "Resume alerts")]
    } else {
        let mut pause = vec![action("pause-hour", "For 1 hour")];
        if let Some(label) = &view.pause_until_reset {
            pause.push(action("pause-reset", label.as_str()));
        }
        pause
    };
    menu.extend([
        MenuEntry::Separator,
        action("refresh", "Refresh now"),
        action("dashboard", "Open dashboard"),
        action("settings", "Settings…"),
        MenuEntry::Submenu { id: "pause".into(), text: "Pause alerts".into(), entries: pause },
        MenuEntry::Separator,
        action("quit", "Quit Headroom"),
    ]);
    menu
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_entry_names_an_action_and_no_info_entry_does() {
        let view = MenuView {
            header: "Codex · Plus".into(),
            status: "updated just now".into(),
            rows: vec!["5-hour: 70% left".into()],
            blocked: Some("Blocked".into()),
            pause_until_reset: Some("Until the 5-hour limit resets (15:34)".into()),
            offer_api_key: true,
            offer_plan: true,
            offer_reset_credit: true,
            ..MenuView::default()
        };
        fn walk(entries: &[MenuEntry], actions: &mut Vec<String>) {
            for entry in entries {
                match entry {
                    MenuEntry::Info { id, .. } => assert_eq!(MenuAction::from_id(id), None, "{id} only shows"),
                    MenuEntry::Action { id, .. } => {
                        assert!(MenuAction::from_id(id).is_some(), "{id} does something");
                        actions.push(id.clone());
                    }
                    MenuEntry::Submenu { entries, .. } => walk(entries, actions),
                    MenuEntry::Separator => {}
                }
            }
        }
        let mut actions = Vec::new();
        walk(&menu_entries(&view), &mut actions);
        let expected = [
            "fallback-switch",
            "fallback-restore",
            "use-reset-credit",
            "refresh",
            "dashboard",
            "settings",
            "pause-hour",
            "pause-reset",
            "quit",
        ];
        assert_eq!(actions, expected);
        assert_eq!(MenuAction::from_id("copy-hint-2"), Some(MenuAction::CopyHintCommand(2)));
        assert_eq!(MenuAction::from_id("copy-hint-x"), None);
    }
}
