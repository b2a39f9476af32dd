//! What the tray shows, decided without a display: the icon's bars and colours, the short
//! title beside it, and every line of its menu. The shell only puts this on screen, and
//! redraws only when it changes.

use chrono::{DateTime, Utc};

use crate::error::UsageError;
use crate::humanize::{
    age, blocked_sentence, clock, heading, reset_credit_line, reset_credits_availability, reset_phrase, used_and_left,
};
use crate::model::{SourceKind, UsageSnapshot, UsageWindow, WindowKind};
use crate::settings::{Settings, ShowAs};

use super::words::{credits_text, level, no_windows, pool_credits, short_error};

pub use headroom_types::{IconBar, IconState, Level};

/// How long after a switch back to the plan the menu says what open sessions keep using.
const OPEN_SESSIONS_SAID_FOR: chrono::Duration = chrono::Duration::hours(1);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MenuView {
    /// "Codex · Plus · dev@example.com"
    pub header: String,
    /// "Updated 2 min ago", or the error with its fix.
    pub status: String,
    /// One line per window, credits, extra limits.
    pub rows: Vec<String>,
    /// "Blocked by the weekly limit until Tue 09:00".
    pub blocked: Option<String>,
    /// "Alerts paused until 15:00".
    pub paused: Option<String>,
    /// The pause submenu's "Until the 5-hour limit resets (15:34)", when a window says when.
    pub pause_until_reset: Option<String>,
    /// "Codex is using your API key (billed at API rates)".
    pub on_api_key: Option<String>,
    /// After a switch either way: what Codex sessions already open keep using.
    pub open_sessions: Option<String>,
    /// Offer "Switch Codex to API key": a main window blocks, a key is stored, Codex is on its plan.
    pub offer_api_key: bool,
    /// Offer "Switch Codex back to your ChatGPT plan": Codex runs on Headroom's key.
    pub offer_plan: bool,
    /// Offer "Use a reset credit…": a credit is banked and a limit blocks or nearly blocks.
    pub offer_reset_credit: bool,
    /// The pause submenu offers "Resume alerts" instead of the pauses.
    pub alerts_paused: bool,
    /// Every other account, a short section each (none with one account).
    pub accounts: Vec<AccountSection>,
    /// Each blocked account's sibling with room, and the command that runs Codex with it.
    pub hints: Vec<SiblingHint>,
    /// The last hook that failed, in one line, until it next runs well.
    pub hook_trouble: Option<String>,
}

/// Another account in the menu: one line, its details in a submenu under it, so the menu stays
/// short however many accounts there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSection {
    /// "work@example.com: 65% left (weekly, resets in 2 days)", or what is wrong.
    pub summary: String,
    pub header: String,
    pub status: String,
    pub rows: Vec<String>,
}

/// "personal@example.com is out until 14:00 — work@example.com has 80% left".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiblingHint {
    pub text: String,
    /// `CODEX_HOME=… codex`, when the sibling has a Codex home of its own.
    pub command: Option<String>,
}

/// Another watched account, as the menu needs it.
pub struct OtherAccount<'a> {
    pub label: &'a str,
    pub snapshot: Option<&'a UsageSnapshot>,
    pub error: Option<&'a UsageError>,
    /// `CODEX_HOME=… codex`, when it has a Codex home of its own.
    pub command: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayView {
    pub icon: IconState,
    /// "58%", where the platform shows text beside the icon.
    pub title: Option<String>,
    pub tooltip: String,
    pub menu: MenuView,
}

pub struct TrayInputs<'a> {
    /// The last good numbers (perhaps from before a restart).
    pub snapshot: Option<&'a UsageSnapshot>,
    /// Why the last refresh failed, if it did.
    pub error: Option<&'a UsageError>,
    pub settings: &'a Settings,
    pub paused_until: Option<DateTime<Utc>>,
    pub on_api_key: bool,
    /// A fallback API key is stored.
    pub fallback_key: bool,
    /// When Headroom last put Codex back on the plan (open sessions stay on the key).
    pub restored_at: Option<DateTime<Utc>>,
    /// Each window's pace, in `snapshot.windows` order (empty when unknown).
    pub paces: &'a [Option<crate::alerts::pace::Pace>],
    /// The shown account's name (its email, else its id) and the command that runs Codex with it.
    pub label: &'a str,
    pub command: Option<String>,
    /// The other accounts, in their order (empty with one account).
    pub others: &'a [OtherAccount<'a>],
    /// Why the last failing hook failed (see `Session::hook_trouble`).
    pub hook_trouble: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// What the tray shows for `session` now: the shown account's numbers, then every other
/// account's, in the accounts' order.
pub fn session_tray_view(session: &crate::session::Session, now: DateTime<Utc>) -> TrayView {
    let shown = session.shown();
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
        settings: session.settings(),
        paused_until: session.paused_until,
        on_api_key: session.on_fallback_key,
        fallback_key: session.fallback_key,
        restored_at: session.restored_at,
        paces: &shown.paces,
        label: shown.watched.label(),
        command: shown.watched.codex_command(),
        others: &others,
        hook_trouble: session.hook_trouble(),
        now,
    })
}

pub fn tray_view(inputs: &TrayInputs) -> TrayView {
    let now = inputs.now;
    let settings = inputs.settings;
    let snapshot = inputs.snapshot;
    let stale = snapshot.is_none_or(|s| settings.is_stale(s, now));

    let icon_windows: Vec<&UsageWindow> = snapshot.map(icon_windows).unwrap_or_default();
    let icon = IconState {
        bars: icon_windows
            .iter()
            .map(|w| {
                let (used, left) = used_and_left(w.used_percent);
                IconBar {
                    fill: (if settings.show_as == ShowAs::Used { used } else { left }) as u8,
                    level: level(
                        w,
                        snapshot.is_some_and(|s| s.blocking_window() == Some(*w) || s.is_exhausted(w)),
                        settings,
                    ),
                }
            })
            .collect(),
        dimmed: stale || inputs.error.is_some(),
        limit_reached: snapshot.is_some_and(|s| s.limit_reached),
        on_api_key: inputs.on_api_key,
    };

    let title = match (settings.tray_title, snapshot.and_then(UsageSnapshot::tightest_window)) {
        (true, Some(w)) => {
            let (used, left) = used_and_left(w.used_percent);
            Some(format!("{}%", if settings.show_as == ShowAs::Used { used } else { left }))
        }
        _ => None,
    };

    let menu = MenuView {
        header: heading(snapshot),
        status: crate::humanize::in_home(&status_line(snapshot, inputs.error, stale, now), inputs.command.as_deref()),
        rows: snapshot.map(|s| rows(s, inputs.paces, settings.show_as, now)).unwrap_or_default(),
        blocked: snapshot.and_then(|s| blocked_sentence(s, now, false)),
        paused: inputs.paused_until.filter(|u| *u > now).map(|u| format!("Alerts paused until {}", clock(u, now))),
        pause_until_reset: crate::alerts::pause::until_reset(snapshot, now).map(|p| p.label),
        on_api_key: inputs.on_api_key.then(|| "Codex is using your API key (billed at API rates)".to_string()),
        // For an hour after Headroom put Codex back on the plan, the menu says what open
        // sessions still use.
        open_sessions: match (inputs.on_api_key, inputs.restored_at.is_some_and(|at| now - at < OPEN_SESSIONS_SAID_FOR))
        {
            (true, _) => Some(crate::fallback::OPEN_SESSIONS_KEEP_PLAN.to_string()),
            (false, true) => Some(crate::fallback::OPEN_SESSIONS_KEEP_KEY.to_string()),
            (false, false) => None,
        },
        offer_api_key: inputs.fallback_key
            && !inputs.on_api_key
            && snapshot.is_some_and(|s| s.blocking_window().is_some()),
        offer_plan: inputs.on_api_key,
        offer_reset_credit: snapshot.is_some_and(|s| crate::present::reset_credit::worth_using(s, settings).is_ok()),
        alerts_paused: inputs.paused_until.is_some_and(|u| u > now),
        accounts: inputs
            .others
            .iter()
            .map(|other| AccountSection {
                summary: format!("{}: {}", other.label, summary(other.snapshot, other.error, now)),
                header: other.snapshot.map(|s| heading(Some(s))).unwrap_or_else(|| format!("Codex · {}", other.label)),
                status: crate::humanize::in_home(
                    &status_line(
                        other.snapshot,
                        other.error,
                        other.snapshot.is_none_or(|s| settings.is_stale(s, now)),
                        now,
                    ),
                    other.command.as_deref(),
                ),
                rows: other.snapshot.map(|s| rows(s, &[], settings.show_as, now)).unwrap_or_default(),
            })
            .collect(),
        hints: sibling_hints(inputs),
        hook_trouble: inputs.hook_trouble.map(|t| format!("⚠ {t}")),
    };
    let mut tooltip = vec![menu.header.clone(), menu.status.clone()];
    tooltip.extend(menu.rows.iter().cloned());
    for other in inputs.others {
        tooltip.push(format!("{}: {}", other.label, summary(other.snapshot, other.error, now)));
    }
    TrayView { icon, title, tooltip: tooltip.join("\n"), menu }
}

/// One line for another account in the tooltip: its tightest window's left, or what is wrong.
fn summary(snapshot: Option<&UsageSnapshot>, error: Option<&UsageError>, now: DateTime<Utc>) -> String {
    match (snapshot.and_then(UsageSnapshot::tightest_window), error) {
        (Some(w), _) => {
            let left = used_and_left(w.used_percent).1;
            format!("{left}% left ({}, {})", w.kind.label(), reset_phrase(w.resets_at, w.reset_since_observed, now))
        }
        (None, Some(e)) => short_error(e),
        (None, None) => "looking…".into(),
    }
}

/// For each blocked account, the sibling with the most room left (on its tightest window) that
/// is not blocked itself: Codex can go on there, with that account's home.
fn sibling_hints(inputs: &TrayInputs) -> Vec<SiblingHint> {
    if inputs.others.is_empty() {
        return Vec::new();
    }
    let now = inputs.now;
    let shown = OtherAccount {
        label: inputs.label,
        snapshot: inputs.snapshot,
        error: inputs.error,
        command: inputs.command.clone(),
    };
    let all: Vec<&OtherAccount> = std::iter::once(&shown).chain(inputs.others.iter()).collect();
    let room = |a: &OtherAccount| -> Option<u32> {
        let s = a.snapshot?;
        if s.blocking_window().is_some() || inputs.settings.is_stale(s, now) {
            return None;
        }
        s.tightest_window().map(|w| used_and_left(w.used_percent).1)
    };
    let mut hints = Vec::new();
    for (i, blocked) in all.iter().enumerate() {
        let Some(window) = blocked.snapshot.and_then(UsageSnapshot::blocking_window) else { continue };
        // An account Codex can run with here (it has a home: a command) comes before any with
        // more room that it cannot: a pasted token has no home to run Codex in.
        let best = all
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .filter_map(|(_, a)| room(a).filter(|left| *left > 0).map(|left| (a.command.is_some(), left, *a)))
            .max_by_key(|(runnable, left, _)| (*runnable, *left));
        let Some((runnable, left, sibling)) = best else { continue };
        let until = window.resets_at.map(|at| format!(" until {}", clock(at, now))).unwrap_or_default();
        let text = if runnable {
            format!("{} is out{until} — {} has {left}% left", blocked.label, sibling.label)
        } else {
            format!(
                "{} is out{until} — {} has {left}% left, but Codex has no login for it here: sign in with it in a Codex home of its own (`CODEX_HOME=… codex login`) and add that home in Settings",
                blocked.label, sibling.label
            )
        };
        hints.push(SiblingHint { text, command: sibling.command.clone() });
    }
    hints
}

/// The 5-hour window and the weekly one, in that order; otherwise the first two main windows.
fn icon_windows(snapshot: &UsageSnapshot) -> Vec<&UsageWindow> {
    let mut main: Vec<&UsageWindow> = snapshot.quota_windows().collect();
    main.sort_by_key(|w| match w.kind {
        WindowKind::FiveHour => 0,
        WindowKind::Weekly => 1,
        WindowKind::Monthly => 2,
        WindowKind::Other => 3,
    });
    main.truncate(2);
    main
}

fn status_line(
    snapshot: Option<&UsageSnapshot>,
    error: Option<&UsageError>,
    stale: bool,
    now: DateTime<Utc>,
) -> String {
    match (snapshot, error) {
        (None, None) => "Looking for your Codex numbers…".into(),
        (None, Some(e)) => short_error(e),
        (Some(s), Some(e)) => format!("{} — showing numbers from {}", short_error(e), clock(s.observed_at, now)),
        (Some(s), None) => {
            let source = if s.source == SourceKind::SessionLog { " (from Codex's session log)" } else { "" };
            let stale = if stale { " — stale" } else { "" };
            format!("Updated {}{source}{stale}", age(s.observed_at, now))
        }
    }
}

fn rows(
    snapshot: &UsageSnapshot,
    paces: &[Option<crate::alerts::pace::Pace>],
    show_as: ShowAs,
    now: DateTime<Utc>,
) -> Vec<String> {
    let mut rows: Vec<String> = snapshot
        .windows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let (used, left) = used_and_left(w.used_percent);
            let amount = if show_as == ShowAs::Used { format!("{used}% used") } else { format!("{left}% left") };
            let pace = paces
                .get(i)
                .and_then(Option::as_ref)
                .filter(|_| !w.is_exhausted())
                .and_then(|p| crate::alerts::pace::verdict_phrase(p, now))
                .map(|v| format!(" · {v}"))
                .unwrap_or_default();
            let credits = w.credits.and_then(pool_credits).map(|c| format!(" · {c}")).unwrap_or_default();
            let only = w.only_with().map(|o| format!(" · {o}")).unwrap_or_default();
            format!(
                "{}: {amount}{only}{credits} · {}{pace}",
                w.title(),
                reset_phrase(w.resets_at, w.reset_since_observed, now)
            )
        })
        .collect();
    if snapshot.windows.is_empty() {
        rows.push(no_windows(snapshot).into());
    }
    if let Some(credits) = snapshot.credits.as_ref().and_then(credits_text) {
        rows.push(format!("Credits: {credits}"));
    }
    if let Some(count) = snapshot.reset_credits.filter(|c| *c > 0) {
        let list = snapshot.reset_credit_list.as_ref();
        rows.push(format!("Reset credits: {count} {}", reset_credits_availability(list, now)));
        for credit in list.map(|l| l.credits.as_slice()).unwrap_or_default() {
            rows.push(format!("– {}", reset_credit_line(credit, now)));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CredentialOrigin;
    use crate::model::{Account, Credits};
    use crate::present::words::NO_WINDOWS;
    use chrono::Duration;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
    }

    fn window(kind: WindowKind, used: f64, reset_in_minutes: i64) -> UsageWindow {
        UsageWindow::main(kind, used, Some(now() + Duration::minutes(reset_in_minutes)))
    }

    fn snapshot(windows: Vec<UsageWindow>, age_minutes: i64) -> UsageSnapshot {
        let limit_reached = windows.iter().any(|w| w.is_exhausted());
        UsageSnapshot {
            plan: Some("plus".into()),
            account: Account { email: Some("dev@example.com".into()), ..Default::default() },
            windows,
            credits: Some(Credits { has_credits: true, balance: Some(12.4), ..Default::default() }),
            limit_reached,
            limit_reached_reason: None,
            spend_control: None,
            reset_credits: None,
            unreadable: Vec::new(),
            switched_off: Vec::new(),
            reset_credit_list: None,
            observed_at: now() - Duration::minutes(age_minutes),
            source: SourceKind::Api,
        }
    }

    fn view(snapshot: Option<&UsageSnapshot>, error: Option<&UsageError>, settings: &Settings) -> TrayView {
        tray_view(&TrayInputs {
            snapshot,
            error,
            settings,
            paused_until: None,
            on_api_key: false,
            fallback_key: false,
            restored_at: None,
            paces: &[],
            label: "",
            command: None,
            others: &[],
            hook_trouble: None,
            now: now(),
        })
    }

    /// The view of `label`'s numbers beside `others`, with default settings.
    fn view_with_others(snapshot: &UsageSnapshot, label: &str, others: &[OtherAccount]) -> TrayView {
        tray_view(&TrayInputs {
            snapshot: Some(snapshot),
            error: None,
            settings: &Settings::default(),
            paused_until: None,
            on_api_key: false,
            fallback_key: false,
            restored_at: None,
            paces: &[],
            label,
            command: None,
            others,
            hook_trouble: None,
            now: now(),
        })
    }

    #[test]
    fn normal_numbers() {
        let snap = snapshot(vec![window(WindowKind::Weekly, 17.0, 5000), window(WindowKind::FiveHour, 42.0, 133)], 2);
        let v = view(Some(&snap), None, &Settings::default());
        assert_eq!(
            v.icon.bars,
            vec![IconBar { fill: 58, level: Level::Plenty }, IconBar { fill: 83, level: Level::Plenty }],
            "5-hour on top"
        );
        assert!(!v.icon.dimmed && !v.icon.limit_reached);
        assert_eq!(v.title.as_deref(), Some("58%"));
        assert_eq!(v.menu.header, "Codex · Plus · dev@example.com");
        assert_eq!(v.menu.status, "Updated 2 min ago");
        assert!(
            v.menu.rows[1].starts_with("5-hour: 58% left · resets ") && v.menu.rows[1].ends_with("(in 2 h 13 m)"),
            "{:?}",
            v.menu.rows
        );
        assert_eq!(v.menu.rows[2], "Credits: 12.40");
        assert_eq!(v.menu.blocked, None);
    }

    #[test]
    fn levels_follow_the_thresholds_and_used_flips_the_fill() {
        let snap = snapshot(vec![window(WindowKind::FiveHour, 85.0, 60), window(WindowKind::Weekly, 96.0, 5000)], 0);
        let mut settings = Settings { show_as: ShowAs::Used, ..Settings::default() };
        let v = view(Some(&snap), None, &settings);
        assert_eq!(
            v.icon.bars,
            vec![IconBar { fill: 85, level: Level::GettingLow }, IconBar { fill: 96, level: Level::NearlyOut }]
        );
        assert_eq!(v.title.as_deref(), Some("96%"), "the window closest to its limit");
        assert!(v.menu.rows[0].contains("85% used"));
        settings.tray_title = false;
        assert_eq!(view(Some(&snap), None, &settings).title, None);
    }

    #[test]
    fn blocked_by_the_weekly_limit() {
        let mut snap =
            snapshot(vec![window(WindowKind::FiveHour, 3.0, 60), window(WindowKind::Weekly, 100.0, 3000)], 0);
        snap.credits = None;
        let v = view(Some(&snap), None, &Settings::default());
        assert!(v.icon.limit_reached);
        assert_eq!(v.icon.bars[1], IconBar { fill: 0, level: Level::Blocked });
        assert_eq!(v.icon.bars[0].level, Level::Plenty);
        assert!(v.menu.blocked.as_deref().unwrap().starts_with("Blocked by the weekly limit until "));
    }

    #[test]
    fn with_credits_a_reached_limit_says_codex_spends_them() {
        let snap = snapshot(vec![window(WindowKind::FiveHour, 100.0, 60), window(WindowKind::Weekly, 30.0, 3000)], 0);
        let v = view(Some(&snap), None, &Settings::default());
        let blocked = v.menu.blocked.unwrap();
        assert!(
            blocked.starts_with("The 5-hour limit is reached: Codex is using your credits (balance 12.40) until "),
            "{blocked}"
        );
    }

    #[test]
    fn a_credit_pool_and_reset_credits_get_their_rows() {
        let mut pool = UsageWindow::main(WindowKind::Monthly, 25.0, Some(now() + Duration::days(9)));
        pool.limit = crate::model::LimitId::CreditPool;
        pool.window_seconds = None;
        pool.credits = Some(crate::model::PoolCredits { used: Some(250.0), limit: Some(1000.0) });
        let mut snap = snapshot(vec![pool], 0);
        snap.credits = None;
        snap.reset_credits = Some(2);
        let v = view(Some(&snap), None, &Settings::default());
        assert!(
            v.menu.rows[0].starts_with("Monthly credit limit: 75% left · 250 of 1000 credits used · resets "),
            "{:?}",
            v.menu.rows
        );
        assert_eq!(v.menu.rows[1], "Reset credits: 2 available");
        assert_eq!(v.icon.bars, vec![IconBar { fill: 75, level: Level::Plenty }], "a pool alone is the icon's bar");
        assert_eq!(v.menu.blocked, None);

        snap.spend_control = Some(crate::model::SpendControl { reached: true });
        snap.limit_reached = true;
        let v = view(Some(&snap), None, &Settings::default());
        let blocked = v.menu.blocked.unwrap();
        assert!(blocked.starts_with("Your workspace's monthly credit limit is reached until "), "{blocked}");
        assert!(!blocked.contains("reset credit"), "a reset credit does not lift a workspace's limit: {blocked}");
        assert!(!v.menu.offer_reset_credit);
        assert_eq!(v.icon.bars[0].level, Level::Blocked);
    }

    #[test]
    fn an_answer_without_windows_says_so() {
        let snap = snapshot(vec![], 0);
        let v = view(Some(&snap), None, &Settings::default());
        assert_eq!(v.menu.rows[0], NO_WINDOWS);
        assert_eq!(v.menu.status, "Updated just now");
    }

    #[test]
    fn a_plan_with_one_window_has_one_bar() {
        let snap = snapshot(vec![window(WindowKind::Weekly, 8.0, 5000)], 0);
        assert_eq!(view(Some(&snap), None, &Settings::default()).icon.bars.len(), 1);
    }

    #[test]
    fn errors_keep_the_last_numbers_and_dim_the_icon() {
        let snap = snapshot(vec![window(WindowKind::FiveHour, 42.0, 133)], 20);
        let offline = UsageError::Network { host: "chatgpt.com".into(), cause: "x".into() };
        let v = view(Some(&snap), Some(&offline), &Settings::default());
        assert!(v.icon.dimmed);
        assert_eq!(v.menu.status, format!("Offline — showing numbers from {}", clock(snap.observed_at, now())));
        assert_eq!(v.menu.rows.len(), 2, "the last good numbers stay");
        let expired = UsageError::Expired { origin: CredentialOrigin::CodexAuthFile, at: now() };
        assert_eq!(view(None, Some(&expired), &Settings::default()).menu.status, "Login expired — run `codex`");
        assert_eq!(view(None, None, &Settings::default()).menu.status, "Looking for your Codex numbers…");
    }

    #[test]
    fn stale_numbers_are_dimmed_and_say_so() {
        let snap = snapshot(vec![window(WindowKind::FiveHour, 42.0, 133)], 40);
        let v = view(Some(&snap), None, &Settings::default());
        assert!(v.icon.dimmed);
        assert_eq!(v.menu.status, "Updated 40 min ago — stale");
    }

    #[test]
    fn on_the_api_key_the_icon_and_menu_say_so() {
        let snap = snapshot(vec![window(WindowKind::Weekly, 100.0, 3000)], 0);
        let settings = Settings::default();
        let v = tray_view(&TrayInputs {
            snapshot: Some(&snap),
            error: None,
            settings: &settings,
            paused_until: None,
            on_api_key: true,
            fallback_key: false,
            restored_at: None,
            paces: &[],
            label: "",
            command: None,
            others: &[],
            hook_trouble: None,
            now: now(),
        });
        assert!(v.icon.on_api_key);
        assert_eq!(v.menu.on_api_key.as_deref(), Some("Codex is using your API key (billed at API rates)"));
    }

    #[test]
    fn the_switch_is_offered_only_when_it_can_help_and_open_sessions_are_named_for_an_hour() {
        let settings = Settings::default();
        let blocked = snapshot(vec![window(WindowKind::Weekly, 100.0, 3000)], 0);
        let room = snapshot(vec![window(WindowKind::Weekly, 40.0, 3000)], 0);
        let inputs = |snap: &UsageSnapshot, key: bool, on_key: bool, restored_at: Option<DateTime<Utc>>| {
            let inputs = TrayInputs {
                snapshot: Some(snap),
                error: None,
                settings: &settings,
                paused_until: None,
                on_api_key: on_key,
                fallback_key: key,
                restored_at,
                paces: &[],
                label: "",
                command: None,
                others: &[],
                hook_trouble: None,
                now: now(),
            };
            tray_view(&inputs).menu
        };
        let menu = inputs(&blocked, true, false, None);
        assert!(menu.offer_api_key && !menu.offer_plan && !menu.alerts_paused);
        assert!(!inputs(&blocked, false, false, None).offer_api_key, "no key stored");
        assert!(!inputs(&room, true, false, None).offer_api_key, "nothing blocks");
        let on_key = inputs(&blocked, true, true, None);
        assert!(!on_key.offer_api_key && on_key.offer_plan);
        assert_eq!(on_key.open_sessions.as_deref(), Some(crate::fallback::OPEN_SESSIONS_KEEP_PLAN));
        let back = inputs(&room, true, false, Some(now() - Duration::minutes(59)));
        assert_eq!(back.open_sessions.as_deref(), Some(crate::fallback::OPEN_SESSIONS_KEEP_KEY));
        assert_eq!(inputs(&room, true, false, Some(now() - Duration::minutes(61))).open_sessions, None);
    }

    #[test]
    fn pause_line() {
        let settings = Settings::default();
        let v = tray_view(&TrayInputs {
            snapshot: None,
            error: None,
            settings: &settings,
            paused_until: Some(now() + Duration::hours(1)),
            on_api_key: false,
            fallback_key: false,
            restored_at: None,
            paces: &[],
            label: "",
            command: None,
            others: &[],
            hook_trouble: None,
            now: now(),
        });
        assert_eq!(v.menu.paused, Some(format!("Alerts paused until {}", clock(now() + Duration::hours(1), now()))));
        assert!(v.menu.alerts_paused, "the submenu offers Resume");
    }

    #[test]
    fn every_account_has_a_section_and_a_blocked_one_points_at_a_sibling_with_room() {
        let mut personal =
            snapshot(vec![window(WindowKind::FiveHour, 100.0, 50), window(WindowKind::Weekly, 30.0, 3000)], 0);
        personal.account.email = Some("personal@example.com".into());
        personal.limit_reached = true;
        let mut work =
            snapshot(vec![window(WindowKind::FiveHour, 20.0, 50), window(WindowKind::Weekly, 35.0, 3000)], 0);
        work.account.email = Some("work@example.com".into());
        let gone = UsageError::HomeGone { path: "/home/dev/.codex-old".into() };
        let others = [
            OtherAccount {
                label: "work@example.com",
                snapshot: Some(&work),
                error: None,
                command: Some("CODEX_HOME=/home/dev/.codex-work codex".into()),
            },
            OtherAccount { label: "/home/dev/.codex-old", snapshot: None, error: Some(&gone), command: None },
        ];
        let view = view_with_others(&personal, "personal@example.com", &others);
        let menu = &view.menu;
        assert_eq!(menu.accounts.len(), 2);
        assert_eq!(menu.accounts[0].header, "Codex · Plus · work@example.com");
        assert!(menu.accounts[0].rows[0].starts_with("5-hour: 80% left · resets"), "{:?}", menu.accounts[0].rows);
        assert_eq!(menu.accounts[1].status, "Codex home is gone — remove it in Settings");
        let until = clock(now() + Duration::minutes(50), now());
        assert_eq!(
            menu.hints,
            vec![SiblingHint {
                // The sibling's tightest window is its weekly one (65 % left).
                text: format!("personal@example.com is out until {until} — work@example.com has 65% left"),
                command: Some("CODEX_HOME=/home/dev/.codex-work codex".into()),
            }]
        );
        assert!(view.tooltip.contains("\nwork@example.com: 65% left (weekly"), "{}", view.tooltip);
        assert!(view.tooltip.contains("\n/home/dev/.codex-old: Codex home is gone"), "{}", view.tooltip);
        // The icon is the shown account's.
        assert_eq!(view.icon.bars[0].fill, 0);
    }

    /// The review's case: a pasted token with the most room and no home was named, an account
    /// with a home and room never was.
    #[test]
    fn a_blocked_account_is_pointed_at_one_codex_can_run_with_before_a_pasted_token() {
        let mut personal =
            snapshot(vec![window(WindowKind::FiveHour, 100.0, 50), window(WindowKind::Weekly, 30.0, 3000)], 0);
        personal.limit_reached = true;
        let pasted = snapshot(vec![window(WindowKind::FiveHour, 5.0, 50), window(WindowKind::Weekly, 10.0, 3000)], 0);
        let work = snapshot(vec![window(WindowKind::FiveHour, 20.0, 50), window(WindowKind::Weekly, 60.0, 3000)], 0);
        let others = [
            OtherAccount { label: "pasted@example.com", snapshot: Some(&pasted), error: None, command: None },
            OtherAccount {
                label: "work@example.com",
                snapshot: Some(&work),
                error: None,
                command: Some("CODEX_HOME=/home/dev/.codex-work codex".into()),
            },
        ];
        let hints = view_with_others(&personal, "personal@example.com", &others).menu.hints;
        assert_eq!(hints.len(), 1);
        assert!(hints[0].text.ends_with("work@example.com has 40% left"), "{}", hints[0].text);
        assert_eq!(hints[0].command.as_deref(), Some("CODEX_HOME=/home/dev/.codex-work codex"));

        // With only the pasted token left, it is named with what the user can do about it.
        let hints = view_with_others(&personal, "personal@example.com", &others[..1]).menu.hints;
        assert_eq!(hints[0].command, None);
        assert!(
            hints[0].text.contains("pasted@example.com has 90% left, but Codex has no login for it here")
                && hints[0].text.contains("`CODEX_HOME=… codex login`"),
            "{}",
            hints[0].text
        );
    }

    #[test]
    fn every_other_account_has_a_one_line_summary() {
        let shown = snapshot(vec![window(WindowKind::FiveHour, 10.0, 50)], 0);
        let work = snapshot(vec![window(WindowKind::FiveHour, 20.0, 50), window(WindowKind::Weekly, 60.0, 3000)], 0);
        let expired = UsageError::HomeGone { path: "/home/dev/.codex-old".into() };
        let others = [
            OtherAccount { label: "work@example.com", snapshot: Some(&work), error: None, command: None },
            OtherAccount { label: "/home/dev/.codex-old", snapshot: None, error: Some(&expired), command: None },
        ];
        let view = view_with_others(&shown, "dev@example.com", &others);
        let summaries: Vec<&str> = view.menu.accounts.iter().map(|a| a.summary.as_str()).collect();
        assert!(summaries[0].starts_with("work@example.com: 40% left (weekly, "), "{summaries:?}");
        assert_eq!(summaries[1], "/home/dev/.codex-old: Codex home is gone — remove it in Settings");
    }
}
