//! What the dashboard window shows, as data the web UI renders: the numbers, what blocks, how
//! fresh they are, and for an error the one action that fixes it. Times travel as RFC 3339 so
//! the UI can tick countdowns and show local times itself.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::error::UsageError;
use crate::humanize::used_and_left;
use crate::model::CredentialOrigin;
use crate::model::{SourceKind, UsageSnapshot, WindowKind};
use crate::present::words::{credits_text, level, no_windows, pool_credits, short_error};
use crate::settings::{Settings, ShowAs};
use headroom_types::Level;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowView {
    /// "5-hour", "Weekly", "Code review weekly", "GPT-5.3-Codex-Spark 5-hour".
    pub title: String,
    pub limit: String,
    pub kind: WindowKind,
    pub used_percent: u32,
    pub left_percent: u32,
    pub resets_at: Option<String>,
    pub reset_since: bool,
    pub level: Level,
    /// "12% ahead of even pace, runs out in ~2 h 10 m", when the window has a pace.
    pub pace: Option<String>,
    /// A credit pool's own count: "250 of 1000 credits used".
    pub credits: Option<String>,
    /// The one model a per-model limit can be used with: "Luna only" for Luna Reserve.
    pub only: Option<String>,
}

/// One banked reset credit, for the dashboard's list and its "Use a reset credit…".
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResetCreditView {
    pub id: String,
    /// "Full reset (Weekly + 5 hr)".
    pub title: String,
    /// RFC 3339, or none when it does not expire.
    pub expires_at: Option<String>,
    /// "expires 17 Jul", "does not expire".
    pub expiry: String,
    /// What "Use a reset credit…" asks before anything is sent.
    pub question: String,
}

/// What blocks Codex, in the words the tray and the CLI use; the UI adds the ticking time:
/// `{lead} until {resets_at} ({countdown}){tail}.`
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlockedView {
    /// "Blocked by the weekly limit"
    pub lead: String,
    pub resets_at: Option<String>,
    /// " — Codex can go on with Luna Reserve (Luna only, 76% left); 2 reset credits
    /// available: using one resets this limit now", or empty.
    pub tail: String,
}

/// The one thing that fixes an error.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Run `codex` in a terminal (it refreshes its own login).
    RunCodex,
    /// Sign in: `codex login`, or paste a token in Settings.
    SignIn,
    /// Paste a fresh token in Settings.
    PasteToken,
    CheckNetwork,
    /// Wait and retry.
    Retry,
    /// Run `headroom doctor`.
    Doctor,
}

impl Action {
    /// The one thing that fixes it, as a sentence (its commands in backticks).
    pub fn sentence(self) -> &'static str {
        match self {
            Action::RunCodex => "Run `codex` in a terminal to refresh your login",
            Action::SignIn => "Run `codex login`, or paste a token in Settings",
            Action::PasteToken => "Paste a fresh token in Settings",
            Action::CheckNetwork => "Check your network connection",
            Action::Retry => "Try again in a few minutes",
            Action::Doctor => "Run `headroom doctor` to see what is wrong",
        }
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorView {
    /// A few words: "Login expired — run `codex`".
    pub short: String,
    /// The whole sentence with its fix.
    pub message: String,
    pub action: Action,
    /// What to do, for the card's own account: "Run `CODEX_HOME=~/.codex-work codex` in a
    /// terminal to refresh your login" (never plain `codex` for another home's account).
    pub fix: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DashboardView {
    pub plan: Option<String>,
    pub email: Option<String>,
    pub account_id: Option<String>,
    /// None before the first numbers.
    pub source: Option<SourceKind>,
    pub observed_at: Option<String>,
    pub stale: bool,
    pub show_as: ShowAs,
    pub windows: Vec<WindowView>,
    pub credits: Option<String>,
    /// "2 reset credits available — the next expires 17 Jul".
    pub reset_credits: Option<String>,
    /// Each banked reset, soonest to expire first (empty when the list could not be read).
    pub reset_credit_list: Vec<ResetCreditView>,
    /// Offer "Use a reset credit…": a credit is banked and a limit blocks or nearly blocks.
    pub offer_reset_credit: bool,
    /// Said instead of windows when the answer has none.
    pub notice: Option<String>,
    pub blocked: Option<BlockedView>,
    pub error: Option<ErrorView>,
    /// Which account this is.
    pub account: AccountTag,
    /// Every other account, a card each, in the accounts' order (empty with one account, and
    /// in each of these).
    pub others: Vec<DashboardView>,
}

/// Which account a card is about.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccountTag {
    /// What `--account` and the history know it by (its account id, else email, else place).
    pub id: String,
    /// Its email, else its id.
    pub label: String,
    /// The account Codex uses by default.
    pub is_default: bool,
    /// `CODEX_HOME=… codex`, when it has a Codex home of its own.
    pub command: Option<String>,
    /// It has a Codex home on this machine (so its tokens can be counted).
    pub has_home: bool,
}

/// The dashboard of every account: the shown one's view, the others' beside it.
pub fn accounts_dashboard(session: &crate::session::Session, now: DateTime<Utc>) -> DashboardView {
    let card = |a: &crate::session::AccountState| {
        let mut view = dashboard_view(a.snapshot.as_ref(), &a.paces, a.error.as_ref(), &session.settings, now);
        let command = a.watched.codex_command();
        if let Some(error) = view.error.as_mut() {
            error.short = crate::humanize::in_home(&error.short, command.as_deref());
            error.message = crate::humanize::in_home(&error.message, command.as_deref());
            error.fix = crate::humanize::in_home(&error.fix, command.as_deref());
        }
        view.account = AccountTag {
            id: a.watched.id.clone(),
            label: a.watched.label().to_string(),
            is_default: a.watched.default,
            command: a.watched.codex_command(),
            has_home: a.watched.home().is_some(),
        };
        view
    };
    let shown = session.shown();
    let mut view = card(shown);
    view.others = session.accounts().iter().filter(|a| a.watched.id != shown.watched.id).map(card).collect();
    view
}

fn time(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

pub fn action_for(error: &UsageError) -> Action {
    match error {
        UsageError::Expired { origin, .. }
        | UsageError::Unauthorized { origin, .. }
        | UsageError::AccessTokenRefused { origin, .. }
        | UsageError::MalformedToken { origin, .. } => match origin {
            CredentialOrigin::CodexKeyring | CredentialOrigin::CodexSecrets | CredentialOrigin::CodexAuthFile => {
                Action::RunCodex
            }
            CredentialOrigin::Keychain | CredentialOrigin::Env => Action::PasteToken,
        },
        UsageError::NoCredentials { .. }
        | UsageError::NoQuota(_)
        | UsageError::NoSessionLogs { .. }
        | UsageError::NoUsageInLogs { .. }
        | UsageError::HomeGone { .. } => Action::SignIn,
        UsageError::Network { .. } => Action::CheckNetwork,
        UsageError::RateLimited { .. }
        | UsageError::ServerError { .. }
        | UsageError::OwnerUnknown { .. }
        | UsageError::InvalidResponse { .. } => Action::Retry,
        UsageError::Other(_) | UsageError::Unreadable(_) => Action::Doctor,
    }
}

pub fn dashboard_view(
    snapshot: Option<&UsageSnapshot>,
    paces: &[Option<crate::alerts::pace::Pace>],
    error: Option<&UsageError>,
    settings: &Settings,
    now: DateTime<Utc>,
) -> DashboardView {
    let blocking = snapshot.and_then(UsageSnapshot::blocking_window);
    DashboardView {
        plan: snapshot.and_then(|s| s.plan.as_deref()).map(crate::humanize::plan_name),
        email: snapshot.and_then(|s| s.account.email.clone()),
        account_id: snapshot.and_then(|s| s.account.account_id.clone()),
        source: snapshot.map(|s| s.source),
        observed_at: time(snapshot.map(|s| s.observed_at)),
        stale: snapshot.is_some_and(|s| settings.is_stale(s, now)),
        show_as: settings.show_as,
        windows: snapshot
            .map(|s| {
                s.windows
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        let (used, left) = used_and_left(w.used_percent);
                        WindowView {
                            pace: paces
                                .get(i)
                                .and_then(Option::as_ref)
                                .filter(|_| !w.is_exhausted())
                                .map(|p| crate::alerts::pace::describe(p, now)),
                            title: w.title(),
                            limit: w.limit.as_str().to_string(),
                            kind: w.kind,
                            used_percent: used,
                            left_percent: left,
                            resets_at: time(w.resets_at),
                            reset_since: w.reset_since_observed,
                            credits: w.credits.and_then(pool_credits),
                            only: w.only_with(),
                            level: level(w, blocking == Some(w) || s.is_exhausted(w), settings),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
        credits: snapshot.and_then(|s| s.credits.as_ref()).and_then(credits_text),
        reset_credits: snapshot.and_then(|s| {
            let count = s.reset_credits.filter(|c| *c > 0)?;
            Some(crate::humanize::reset_credits_line(count, s.reset_credit_list.as_ref(), now))
        }),
        reset_credit_list: snapshot
            .filter(|s| s.reset_credits.is_some_and(|c| c > 0))
            .and_then(|s| s.reset_credit_list.as_ref())
            .map(|list| {
                list.credits
                    .iter()
                    .map(|c| ResetCreditView {
                        id: c.id.clone(),
                        title: c.title().to_string(),
                        expires_at: time(c.expires_at),
                        expiry: crate::humanize::reset_credit_expiry(c, now),
                        question: crate::present::reset_credit::question(c, None, now),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        offer_reset_credit: snapshot.is_some_and(|s| crate::present::reset_credit::worth_using(s, settings).is_ok()),
        notice: snapshot.filter(|s| s.windows.is_empty()).map(|s| format!("{}.", no_windows(s))),
        blocked: snapshot.and_then(crate::humanize::blocked).map(|b| BlockedView {
            lead: b.lead,
            resets_at: time(b.resets_at),
            tail: b.tail,
        }),
        error: error.map(|e| ErrorView {
            short: short_error(e),
            message: e.to_string(),
            action: action_for(e),
            fix: action_for(e).sentence().to_string(),
        }),
        account: AccountTag::default(),
        others: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Account, UsageWindow, WindowKind};
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
    }

    fn snapshot(five: f64, weekly: f64) -> UsageSnapshot {
        let windows = vec![
            UsageWindow::main(WindowKind::FiveHour, five, Some(now() + Duration::minutes(133))),
            UsageWindow::main(WindowKind::Weekly, weekly, Some(now() + Duration::days(2))),
        ];
        UsageSnapshot {
            plan: Some("plus".into()),
            account: Account { email: Some("dev@example.com".into()), ..Default::default() },
            limit_reached: windows.iter().any(UsageWindow::is_exhausted),
            windows,
            credits: None,
            limit_reached_reason: None,
            spend_control: None,
            reset_credits: None,
            unreadable: Vec::new(),
            switched_off: Vec::new(),
            reset_credit_list: None,
            observed_at: now() - Duration::minutes(2),
            source: SourceKind::Api,
        }
    }

    #[test]
    fn numbers_and_levels() {
        let view = dashboard_view(Some(&snapshot(42.0, 96.0)), &[], None, &Settings::default(), now());
        assert_eq!(view.plan.as_deref(), Some("Plus"));
        assert_eq!(view.source, Some(SourceKind::Api));
        assert_eq!(serde_json::to_value(&view).unwrap()["source"], "api", "the model's name for a live answer");
        assert_eq!(view.observed_at.as_deref(), Some("2026-11-22T09:58:00Z"));
        assert!(!view.stale);
        let w = &view.windows[0];
        assert_eq!((w.title.as_str(), w.used_percent, w.left_percent, w.level), ("5-hour", 42, 58, Level::Plenty));
        assert_eq!(serde_json::to_value(&view.windows[1]).unwrap()["level"], "nearly-out", "the UI's class name");
        assert_eq!(w.resets_at.as_deref(), Some("2026-11-22T12:13:00Z"));
        assert_eq!(view.windows[1].level, Level::NearlyOut);
        assert!(view.blocked.is_none() && view.error.is_none());
    }

    #[test]
    fn blocked_banner_names_the_window() {
        let view = dashboard_view(Some(&snapshot(3.0, 100.0)), &[], None, &Settings::default(), now());
        let blocked = view.blocked.unwrap();
        assert_eq!(blocked.lead, "Blocked by the weekly limit");
        assert_eq!(blocked.resets_at.as_deref(), Some("2026-11-24T10:00:00Z"));
        assert_eq!(view.windows[1].level, Level::Blocked);
    }

    #[test]
    fn errors_carry_the_action_that_fixes_them() {
        let cases = [
            (UsageError::Expired { origin: CredentialOrigin::CodexAuthFile, at: now() }, Action::RunCodex),
            (UsageError::Unauthorized { origin: CredentialOrigin::Keychain, status: 401 }, Action::PasteToken),
            (UsageError::NoCredentials { detail: None }, Action::SignIn),
            (UsageError::Network { host: "chatgpt.com".into(), cause: "x".into() }, Action::CheckNetwork),
            (UsageError::ServerError { status: 502 }, Action::Retry),
            (UsageError::Other("x".into()), Action::Doctor),
        ];
        for (error, action) in cases {
            let view = dashboard_view(None, &[], Some(&error), &Settings::default(), now());
            assert_eq!(view.error.as_ref().unwrap().action, action, "{error}");
            assert!(view.windows.is_empty());
        }
        let json = serde_json::to_value(dashboard_view(
            None,
            &[],
            Some(&UsageError::NoQuota(crate::login::codex_login::NoQuotaLogin::ApiKey)),
            &Settings::default(),
            now(),
        ))
        .unwrap();
        assert_eq!(json["error"]["action"], "sign-in");
    }
}
