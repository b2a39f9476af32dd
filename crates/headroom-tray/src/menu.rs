//! The tray's menu as plain data: every shell (the StatusNotifierItem's dbusmenu, tray-icon's
//! native menus) builds the same entries from [`menu_entries`] and hands a clicked entry's
//! [`MenuAction`] back, so what the menu holds and does is decided once.
//!
//! An entry's id is derived from what it is, never from where it sits: a host may still show
//! the menu before the last change of shape (a hint came, an error went), and a click there
//! must do what the person saw — or nothing — never what now sits in that place.

use chrono::Utc;
use headroom_core::present::tray_view::{session_tray_view, MenuView, TrayView};

use crate::state::Shared;
use crate::Window;

/// What the tray shows now: the shown account's numbers, then every other account's.
pub fn current_view(shared: &Shared) -> TrayView {
    session_tray_view(shared.engine.lock().unwrap().session(), Utc::now())
}

/// What a menu item asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuAction {
    Open(Window),
    Quit,
    Refresh,
    PauseForAnHour,
    PauseUntilReset,
    Resume,
    SwitchToApiKey,
    SwitchToPlan,
    /// Copy this command (a hint's `CODEX_HOME=… codex`), the one the entry showed.
    CopyCommand(String),
    /// "Use a reset credit…": the dashboard, where the credit is named and the use confirmed
    /// (a menu cannot ask first).
    UseResetCredit,
}

impl MenuAction {
    /// The entry's id: the same for the same action whatever the menu around it.
    pub fn id(&self) -> String {
        match self {
            MenuAction::Open(window) => window.label().to_string(),
            MenuAction::Quit => "quit".into(),
            MenuAction::Refresh => "refresh".into(),
            MenuAction::PauseForAnHour => "pause-hour".into(),
            MenuAction::PauseUntilReset => "pause-reset".into(),
            MenuAction::Resume => "resume".into(),
            MenuAction::SwitchToApiKey => "fallback-switch".into(),
            MenuAction::SwitchToPlan => "fallback-restore".into(),
            MenuAction::UseResetCredit => "use-reset-credit".into(),
            MenuAction::CopyCommand(command) => format!("copy:{command}"),
        }
    }

    /// The action of the entry with this id (see [`MenuAction::id`]); `None` for an entry that
    /// only shows something.
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
            other => MenuAction::CopyCommand(other.strip_prefix("copy:")?.to_string()),
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
    /// A line that does something when clicked.
    Action {
        action: MenuAction,
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

fn action(action: MenuAction, text: impl Into<String>) -> MenuEntry {
    MenuEntry::Action { action, text: text.into() }
}

impl MenuEntry {
    /// What stands for this entry in a host (a dbusmenu number is kept per id, a native menu
    /// item is made with it): from what the entry is, so it never names another one.
    pub fn id(&self) -> Option<String> {
        match self {
            MenuEntry::Info { id, .. } | MenuEntry::Submenu { id, .. } => Some(id.clone()),
            MenuEntry::Action { action, .. } => Some(action.id()),
            MenuEntry::Separator => None,
        }
    }
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
    // Every other account is one line, its details in a submenu: with four accounts the menu
    // was 21–29 lines long.
    if !view.accounts.is_empty() {
        menu.push(MenuEntry::Separator);
    }
    for (i, section) in view.accounts.iter().enumerate() {
        let mut details = vec![info(format!("account-{i}-header"), &section.header)];
        details.push(info(format!("account-{i}-status"), &section.status));
        for (j, row) in section.rows.iter().enumerate() {
            details.push(info(format!("account-{i}-row-{j}"), row));
        }
        menu.push(MenuEntry::Submenu { id: format!("account-{i}"), text: section.summary.clone(), entries: details });
    }
    if let Some(line) = &view.hook_trouble {
        menu.extend([MenuEntry::Separator, info("hook-trouble", line)]);
    }
    for (i, hint) in view.hints.iter().enumerate() {
        menu.extend([MenuEntry::Separator, info(format!("hint-{i}"), &hint.text)]);
        if let Some(command) = &hint.command {
            menu.push(action(MenuAction::CopyCommand(command.clone()), format!("Copy “{command}”")));
        }
    }
    if view.offer_api_key {
        menu.extend([
            MenuEntry::Separator,
            action(MenuAction::SwitchToApiKey, "Switch Codex to API key (billed at API rates)"),
        ]);
    }
    if view.offer_plan {
        menu.extend([MenuEntry::Separator, action(MenuAction::SwitchToPlan, "Switch Codex back to your ChatGPT plan")]);
    }
    if view.offer_reset_credit {
        menu.extend([MenuEntry::Separator, action(MenuAction::UseResetCredit, "Use a reset credit…")]);
    }
    let pause = if view.alerts_paused {
        vec![action(MenuAction::Resume, "Resume alerts")]
    } else {
        let mut pause = vec![action(MenuAction::PauseForAnHour, "For 1 hour")];
        if let Some(label) = &view.pause_until_reset {
            pause.push(action(MenuAction::PauseUntilReset, label.as_str()));
        }
        pause
    };
    menu.extend([
        MenuEntry::Separator,
        action(MenuAction::Refresh, "Refresh now"),
        action(MenuAction::Open(Window::Dashboard), "Open dashboard"),
        action(MenuAction::Open(Window::Settings), "Settings…"),
        MenuEntry::Submenu { id: "pause".into(), text: "Pause alerts".into(), entries: pause },
        MenuEntry::Separator,
        action(MenuAction::Quit, "Quit Headroom"),
    ]);
    // A section with nothing in it (no rows yet on the first run) leaves no doubled line.
    menu.dedup_by(|a, b| *a == MenuEntry::Separator && *b == MenuEntry::Separator);
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
                    MenuEntry::Action { action, .. } => {
                        assert_eq!(MenuAction::from_id(&action.id()).as_ref(), Some(action), "its id names it");
                        actions.push(action.id());
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
        let copy = MenuAction::CopyCommand("CODEX_HOME=~/.codex-work codex".into());
        assert_eq!(MenuAction::from_id(&copy.id()), Some(copy));
        assert_eq!(MenuAction::from_id("row-0"), None);
    }

    /// With four accounts the menu was 21–29 lines: each other account is now one line with a
    /// submenu, so the top level grows by one line per account (and one separator).
    #[test]
    fn other_accounts_are_a_line_each_with_their_details_in_a_submenu() {
        use headroom_core::present::tray_view::AccountSection;
        let section = |n: usize| AccountSection {
            summary: format!("account{n}@example.com: 40% left (weekly, resets in 2 days)"),
            header: format!("Codex · Plus · account{n}@example.com"),
            status: "Updated 2 min ago".into(),
            rows: vec!["5-hour: 80% left · resets 15:00".into(), "Weekly: 40% left · resets Tue 09:00".into()],
        };
        let view = |accounts: usize| MenuView {
            header: "Codex · Plus".into(),
            status: "Updated just now".into(),
            rows: vec!["5-hour: 70% left".into(), "Weekly: 50% left".into()],
            accounts: (0..accounts).map(section).collect(),
            ..MenuView::default()
        };
        let one = menu_entries(&view(0)).len();
        let four = menu_entries(&view(3));
        assert_eq!(four.len(), one + 1 + 3, "a separator and a line per other account");
        let Some(MenuEntry::Submenu { text, entries, .. }) =
            four.iter().find(|e| matches!(e, MenuEntry::Submenu { id, .. } if id == "account-0"))
        else {
            panic!("{four:#?}")
        };
        assert_eq!(text, "account0@example.com: 40% left (weekly, resets in 2 days)");
        assert_eq!(entries.len(), 4, "header, status and the rows");
    }

    /// The first run (nothing read yet) drew two separators in a row.
    #[test]
    fn no_two_separators_follow_each_other() {
        for view in
            [MenuView::default(), MenuView { hook_trouble: Some("⚠ a hook failed".into()), ..MenuView::default() }]
        {
            let entries = menu_entries(&view);
            let doubled = entries.windows(2).any(|w| w[0] == MenuEntry::Separator && w[1] == MenuEntry::Separator);
            assert!(!doubled, "{entries:#?}");
        }
    }
}
