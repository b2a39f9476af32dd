//! When Headroom speaks up: a pure engine (samples in, alerts out) following
//! `alert-rules.md`. Exactly one alert per event that matters:
//!
//! - edge-triggered: a threshold fires when it is crossed, not while it stays crossed; the first
//!   sample after start-up sets the baseline silently (except a window already at its limit);
//! - highest only: several thresholds crossed in one poll fire once, for the highest;
//! - once per cycle: memory is kept per (account, limit, window kind) and reset cycle, a cycle
//!   being identified by its reset time give or take a few minutes, and survives restarts;
//! - confirm before good news: "available again" needs the old reset time passed and a sample
//!   taken after it showing room, and waits while another window still blocks;
//! - stale or out-of-order samples change nothing;
//! - the user is in charge: toggles, thresholds per kind, quiet hours (held, then summarised),
//!   snooze until a window resets, and a pause.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Local, Utc};
use serde::{Deserialize, Serialize};

use crate::alerts::hooks::{HookEvent, HookEventKind};
use crate::alerts::key::{AlertKey, CredentialKey};
use crate::humanize::{clock, duration, relative, used_and_left};
use crate::model::{AccountKey, CredentialOrigin};
use crate::model::{LimitId, UsageSnapshot, UsageWindow, WindowKind};
use crate::settings::Settings;

/// Reset times jitter by seconds from poll to poll; a cycle is the same while its reset time
/// stays within this of the one first seen.
pub const CYCLE_JITTER: Duration = Duration::minutes(5);
/// How long before a reset credit expires Headroom says so.
pub const RESET_CREDIT_WARNING: Duration = Duration::days(3);
/// Alerts held during quiet hours, at most.
const MAX_HELD: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AlertKind {
    Threshold {
        window: WindowKind,
        percent: u8,
    },
    LimitReached {
        window: WindowKind,
    },
    AvailableAgain {
        window: WindowKind,
    },
    /// A window reset, but another still blocks.
    StillBlocked {
        window: WindowKind,
        blocked_by: WindowKind,
    },
    /// At the current rate the window runs out before it resets.
    Pace {
        window: WindowKind,
    },
    /// A limit is reached and the account has credits: Codex goes on by spending them.
    CreditsInUse {
        window: WindowKind,
    },
    /// The credit balance fell below the user's threshold.
    CreditsLow {
        below: f64,
    },
    /// A banked reset credit expires within 3 days (once per credit).
    ResetCreditExpiring {
        credit: String,
    },
    TokenExpiring {
        within_days: u8,
    },
    CredentialsRejected,
    /// What quiet hours held back.
    Summary {
        count: usize,
    },
    /// Headroom's settings file could not be read whole (said once at start).
    SettingsProblems {
        count: usize,
    },
    /// Codex's login was switched to the fallback key or back to the plan, or the switch failed.
    FallbackSwitch {
        to_key: bool,
        done: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub kind: AlertKind,
    /// Stable per (account, window) or per credential, so a newer alert replaces an older one.
    pub identity: AlertKey,
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct WindowMemory {
    /// The reset time that names the current cycle.
    cycle: Option<DateTime<Utc>>,
    /// Thresholds already fired (or counted as fired) in this cycle.
    fired: BTreeSet<u8>,
    limit_fired: bool,
    /// Set while the window is at its limit: the reset to wait for before "available again".
    awaiting_reset: Option<DateTime<Utc>>,
    /// When the window was last seen at its limit.
    exhausted_at: Option<DateTime<Utc>>,
    snoozed: bool,
    /// The pace alert fired in this cycle.
    #[serde(default)]
    pace_fired: bool,
}

/// Per account: whether the credit balance was last seen below the user's threshold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct CreditsMemory {
    below: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct CredentialMemory {
    expiry_stages_fired: BTreeSet<u8>,
    rejected_fired: bool,
}

/// Everything the engine remembers; persisted in the data folder between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertState {
    windows: BTreeMap<AlertKey, WindowMemory>,
    credentials: BTreeMap<CredentialKey, CredentialMemory>,
    #[serde(default)]
    credits: BTreeMap<AccountKey, CreditsMemory>,
    /// Per account, the reset credits already warned about (by id), so each is said once.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    reset_credits_warned: BTreeMap<AccountKey, BTreeSet<String>>,
    /// The newest sample's time over every account (what earlier versions kept, alone).
    last_observed_at: Option<DateTime<Utc>>,
    /// Each account's newest sample time: accounts are read side by side, and one account's
    /// answer arriving a moment after another's is not out of order.
    #[serde(default)]
    last_observed: BTreeMap<AccountKey, DateTime<Utc>>,
    held: Vec<Alert>,
}

impl AlertState {
    /// Memory kept under the workspace alone (before people in one workspace were told apart) goes
    /// to the first person of that workspace seen, once: a crossing remembered is not told again.
    fn carry_over(&mut self, account: &AccountKey) {
        let Some(workspace) = account.workspace_only() else { return };
        let mine = |k: &AlertKey| k.account() == Some(account);
        if self.windows.keys().any(mine) || self.last_observed.contains_key(account) {
            return;
        }
        let moved: Vec<AlertKey> = self.windows.keys().filter(|k| k.account() == Some(&workspace)).cloned().collect();
        for key in moved {
            if let (Some(memory), AlertKey::Window { limit, kind, .. }) = (self.windows.remove(&key), &key) {
                self.windows
                    .insert(AlertKey::Window { account: account.clone(), limit: limit.clone(), kind: *kind }, memory);
            }
        }
        if let Some(at) = self.last_observed.remove(&workspace) {
            self.last_observed.insert(account.clone(), at);
        }
        if let Some(credits) = self.credits.remove(&workspace) {
            self.credits.insert(account.clone(), credits);
        }
        if let Some(warned) = self.reset_credits_warned.remove(&workspace) {
            self.reset_credits_warned.insert(account.clone(), warned);
        }
    }

    /// The newest sample seen of `account` (a file from before accounts were kept apart has one
    /// time for its one account).
    fn last_observed_of(&self, account: &AccountKey) -> Option<DateTime<Utc>> {
        match self.last_observed.get(account) {
            Some(at) => Some(*at),
            None if self.last_observed.is_empty() => self.last_observed_at,
            None => None,
        }
    }
}

/// What the user has asked for right now, beside the settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserPause {
    /// Alerts are dropped until then ("Pause alerts for 1 hour" / "until reset").
    pub until: Option<DateTime<Utc>>,
}

pub struct AlertEngine {
    state: AlertState,
    /// False until the first sample after start-up has set the baseline.
    started: bool,
    /// The hook events decided since they were last taken: every crossing, before the user's
    /// notification choices (toggles, snooze, pause, quiet hours) are applied.
    events: Vec<HookEvent>,
}

impl AlertEngine {
    pub fn new(state: AlertState) -> AlertEngine {
        AlertEngine { state, started: false, events: Vec::new() }
    }

    /// The hook events decided since the last call.
    pub fn take_events(&mut self) -> Vec<HookEvent> {
        std::mem::take(&mut self.events)
    }

    pub fn state(&self) -> &AlertState {
        &self.state
    }

    /// Snoozes alerts for one window until it resets.
    pub fn snooze_until_reset(&mut self, account: &AccountKey, window: &UsageWindow) {
        self.state.windows.entry(AlertKey::window(account, window)).or_default().snoozed = true;
    }

    /// Times remembered from a clock that was ahead (saved state, or a clock set back while
    /// running) would drop every new sample as out of order and hold back good news. Such a
    /// time is taken to be just before the sample at hand, the first one with a true date.
    fn distrust_times_ahead(&mut self, snapshot: &UsageSnapshot, now: DateTime<Utc>) {
        let Some(latest) = now.checked_add_signed(crate::model::CLOCK_SLACK) else { return };
        let just_before = snapshot.observed_at.checked_sub_signed(Duration::seconds(1)).unwrap_or(snapshot.observed_at);
        if self.state.last_observed_at.is_some_and(|last| last > latest) {
            self.state.last_observed_at = None;
        }
        self.state.last_observed.retain(|_, last| *last <= latest);
        for memory in self.state.windows.values_mut() {
            if memory.exhausted_at.is_some_and(|at| at > latest) {
                memory.exhausted_at = Some(just_before);
            }
        }
    }

    /// Memory kept under `account`'s workspace alone (by a version that did not tell people in
    /// one workspace apart) becomes `account`'s. Only for the one watched account in its
    /// workspace: with two, whose crossings they were cannot be told.
    pub fn carry_over(&mut self, account: &AccountKey) {
        self.state.carry_over(account);
    }

    /// Takes a usage sample and returns the alerts it calls for (after the user's settings).
    pub fn observe(
        &mut self,
        snapshot: &UsageSnapshot,
        account: &AccountKey,
        settings: &Settings,
        pause: UserPause,
        now: DateTime<Utc>,
    ) -> Vec<Alert> {
        self.distrust_times_ahead(snapshot, now);
        if self.state.last_observed_of(account).is_some_and(|last| snapshot.observed_at < last) {
            return Vec::new();
        }
        self.state.last_observed.insert(account.clone(), snapshot.observed_at);
        self.state.last_observed_at = self.state.last_observed_at.max(Some(snapshot.observed_at));
        let baseline = !self.started;
        self.started = true;

        let blocking = snapshot.blocking_window().map(|w| (w.limit.clone(), w.kind, w.resets_at));
        let mut alerts = Vec::new();
        for window in &snapshot.windows {
            let key = AlertKey::window(account, window);
            let first_sight = !self.state.windows.contains_key(&key);
            let memory = self.state.windows.entry(key.clone()).or_default();
            let exhausted = snapshot.is_exhausted(window)
                || blocking.as_ref().is_some_and(|(limit, kind, _)| *limit == window.limit && *kind == window.kind);
            let mut fired: Vec<AlertKind> = Vec::new();

            // A new cycle: the reset time moved by more than jitter, or (when the service no
            // longer says when) the old one has passed. A reset time that has passed but is
            // still reported is the old cycle, not yet rolled over: nothing re-arms.
            let new_cycle = match (memory.cycle, window.resets_at) {
                (Some(old), Some(new)) => (new - old).abs() > CYCLE_JITTER,
                (Some(old), None) => snapshot.observed_at >= old,
                (None, _) => false,
            };
            if new_cycle || window.reset_since_observed {
                memory.fired.clear();
                memory.limit_fired = false;
                memory.snoozed = false;
                memory.pace_fired = false;
                memory.cycle = None;
            }
            if window.resets_at.is_some() {
                memory.cycle = window.resets_at;
            }

            let used = window.used_clamped();
            let thresholds = settings.thresholds_for(window.kind);
            // Re-arm what the window has dropped below.
            memory.fired.retain(|t| used >= f64::from(*t));
            let crossed: Vec<u8> =
                thresholds.iter().copied().filter(|t| used >= f64::from(*t) && !memory.fired.contains(t)).collect();
            memory.fired.extend(crossed.iter().copied());

            if exhausted && !memory.limit_fired {
                // At the limit, "limit reached" says it all: no threshold alert beside it. When
                // the account has credits, Codex goes on by spending them: that is the news.
                memory.limit_fired = true;
                let quota = matches!(window.limit, LimitId::Codex | LimitId::CreditPool);
                if quota && snapshot.spends_credits() && settings.toggles.credits_in_use {
                    fired.push(AlertKind::CreditsInUse { window: window.kind });
                } else {
                    fired.push(AlertKind::LimitReached { window: window.kind });
                }
            } else if let (Some(highest), false) = (crossed.last(), baseline || first_sight) {
                fired.push(AlertKind::Threshold { window: window.kind, percent: *highest });
            }
            if exhausted {
                memory.exhausted_at = Some(snapshot.observed_at);
                if window.resets_at.is_some() {
                    memory.awaiting_reset = window.resets_at;
                }
            } else if let Some(waited_for) = memory.awaiting_reset.or(memory.exhausted_at) {
                // Good news only from a sample taken after the reset it waited for.
                if snapshot.observed_at > waited_for {
                    memory.awaiting_reset = None;
                    memory.exhausted_at = None;
                    match blocking.as_ref().filter(|(limit, _, _)| *limit == window.limit) {
                        Some((_, blocked_by, _)) => {
                            fired.push(AlertKind::StillBlocked { window: window.kind, blocked_by: *blocked_by })
                        }
                        None => fired.push(AlertKind::AvailableAgain { window: window.kind }),
                    }
                }
            }

            let snoozed = memory.snoozed;
            for kind in fired {
                let (title, body) = window_text(&kind, window, snapshot, now);
                if let Some(event) = hook_event_kind(&kind) {
                    let left = 100.0 - window.used_clamped();
                    let summary = title.clone();
                    self.events.push(HookEvent::for_window(event, window.kind, left, window.resets_at, summary, now));
                }
                if snoozed || !event_enabled(settings, &kind) {
                    continue;
                }
                alerts.push(Alert { kind, identity: key.clone(), title, body });
            }
        }
        alerts.extend(self.credits_low(snapshot, account, settings));
        self.deliver(alerts, settings, pause, now)
    }

    /// Once when the credit balance falls below the user's threshold; re-armed when it is back
    /// above. The first balance ever seen for an account is the baseline.
    fn credits_low(&mut self, snapshot: &UsageSnapshot, account: &AccountKey, settings: &Settings) -> Vec<Alert> {
        let (Some(threshold), Some(credits)) = (settings.credits_low_below, snapshot.credits.as_ref()) else {
            return Vec::new();
        };
        let Some(balance) = credits.balance.filter(|_| !credits.unlimited) else { return Vec::new() };
        let memory = self.state.credits.entry(account.clone()).or_default();
        let below = balance < threshold;
        let was = memory.below.replace(below);
        if !below || was != Some(false) {
            return Vec::new();
        }
        vec![Alert {
            kind: AlertKind::CreditsLow { below: threshold },
            identity: AlertKey::Credits { account: account.clone() },
            title: format!("Codex credits are running low: {balance:.2} left"),
            body: format!(
                "That is below the {threshold:.2} you set; add credits on chatgpt.com, or change the threshold in Headroom's settings."
            ),
        }]
    }

    /// Once per banked reset credit, when it expires within 3 days: a reset saved for a bad day
    /// must not be lost unnoticed. Credits that are gone from the list are forgotten.
    pub fn reset_credit_expiry(
        &mut self,
        snapshot: &UsageSnapshot,
        account: &AccountKey,
        settings: &Settings,
        pause: UserPause,
        now: DateTime<Utc>,
    ) -> Vec<Alert> {
        let Some(list) = snapshot.reset_credit_list.as_ref().filter(|_| snapshot.reset_credits.is_some_and(|c| c > 0))
        else {
            return Vec::new();
        };
        let warned = self.state.reset_credits_warned.entry(account.clone()).or_default();
        warned.retain(|id| list.credits.iter().any(|c| c.id == *id));
        let mut alerts = Vec::new();
        for credit in &list.credits {
            let Some(expires) = credit.expires_at else { continue };
            if expires <= now || expires - now > RESET_CREDIT_WARNING || !warned.insert(credit.id.clone()) {
                continue;
            }
            let kind = AlertKind::ResetCreditExpiring { credit: credit.id.clone() };
            if !event_enabled(settings, &kind) {
                continue;
            }
            let title = credit.title.as_deref().unwrap_or("A reset credit");
            alerts.push(Alert {
                kind,
                identity: AlertKey::ResetCredits { account: account.clone() },
                title: format!("A Codex reset credit expires {}", relative(expires, now)),
                body: format!(
                    "“{title}” can no longer be used after {}: use it before then if a limit stops you (`headroom reset-credit use`, or the menu).",
                    clock(expires, now)
                ),
            });
        }
        self.deliver(alerts, settings, pause, now)
    }

    /// The pace alert (off unless the user turns it on): once per cycle, when a window's current
    /// rate runs it out before its reset. `paces` is in `snapshot.windows` order; call after
    /// `observe`, which names the cycle.
    pub fn pace(
        &mut self,
        snapshot: &UsageSnapshot,
        paces: &[Option<crate::alerts::pace::Pace>],
        account: &AccountKey,
        settings: &Settings,
        pause: UserPause,
        now: DateTime<Utc>,
    ) -> Vec<Alert> {
        let mut alerts = Vec::new();
        for (window, pace) in snapshot.windows.iter().zip(paces) {
            let (Some(runs_out), Some(resets)) = (pace.as_ref().and_then(|p| p.runs_out_at()), window.resets_at) else {
                continue;
            };
            let key = AlertKey::window(account, window);
            let Some(memory) = self.state.windows.get_mut(&key) else { continue };
            if window.is_exhausted() || runs_out >= resets || memory.pace_fired {
                continue;
            }
            memory.pace_fired = true;
            let kind = AlertKind::Pace { window: window.kind };
            if memory.snoozed || !event_enabled(settings, &kind) {
                continue;
            }
            let title = format!("{} runs out in ~{}", limit_name(window), crate::humanize::duration(runs_out - now));
            let body = format!(
                "At this rate it lasts until {}, before it resets at {}.",
                clock(runs_out, now),
                clock(resets, now)
            );
            alerts.push(Alert { kind, identity: key, title, body });
        }
        self.deliver(alerts, settings, pause, now)
    }

    /// Warns once within 3 days of the token's expiry and once more within 1 day.
    pub fn token_expiry(
        &mut self,
        credential_key: &CredentialKey,
        origin: CredentialOrigin,
        expires_at: DateTime<Utc>,
        settings: &Settings,
        pause: UserPause,
        now: DateTime<Utc>,
    ) -> Vec<Alert> {
        let left = expires_at - now;
        if left <= Duration::zero() {
            return Vec::new(); // expired: the menu says so; an alert would come too late
        }
        let due: Vec<u8> = [3u8, 1].into_iter().filter(|d| left <= Duration::days(i64::from(*d))).collect();
        let memory = self.state.credentials.entry(credential_key.clone()).or_default();
        let new: Vec<u8> = due.iter().copied().filter(|d| !memory.expiry_stages_fired.contains(d)).collect();
        memory.expiry_stages_fired.extend(due);
        let Some(&most_urgent) = new.last() else { return Vec::new() };
        let kind = AlertKind::TokenExpiring { within_days: most_urgent };
        let title = format!("{} expires {}", login_name(origin), relative(expires_at, now));
        self.events.push(HookEvent::for_login(HookEventKind::LoginExpiring, title.clone(), now));
        if !event_enabled(settings, &kind) {
            return Vec::new();
        }
        let body = format!("{} before then.", advice(origin));
        let alert = Alert { kind, identity: AlertKey::Credential(credential_key.clone()), title, body };
        self.deliver(vec![alert], settings, pause, now)
    }

    /// Once per credential: the service answered 401/403.
    pub fn credentials_rejected(
        &mut self,
        credential_key: &CredentialKey,
        origin: CredentialOrigin,
        settings: &Settings,
        pause: UserPause,
        now: DateTime<Utc>,
    ) -> Vec<Alert> {
        let memory = self.state.credentials.entry(credential_key.clone()).or_default();
        if memory.rejected_fired {
            return Vec::new();
        }
        memory.rejected_fired = true;
        let kind = AlertKind::CredentialsRejected;
        let title = format!("{} was rejected", login_name(origin));
        self.events.push(HookEvent::for_login(HookEventKind::LoginRejected, title.clone(), now));
        if !event_enabled(settings, &kind) {
            return Vec::new();
        }
        let alert = Alert {
            kind,
            identity: AlertKey::Credential(credential_key.clone()),
            title,
            body: format!("{}.", advice(origin)),
        };
        self.deliver(vec![alert], settings, pause, now)
    }

    /// After quiet hours: one alert that sums up what was held.
    pub fn release_held(&mut self, settings: &Settings, now: DateTime<Utc>) -> Option<Alert> {
        if self.state.held.is_empty() || in_quiet_hours(settings, now) {
            return None;
        }
        let held = std::mem::take(&mut self.state.held);
        let lines: Vec<String> = held.iter().map(|a| a.title.clone()).collect();
        Some(Alert {
            kind: AlertKind::Summary { count: held.len() },
            identity: AlertKey::Summary,
            title: format!(
                "While quiet hours were on: {} Codex alert{}",
                held.len(),
                if held.len() == 1 { "" } else { "s" }
            ),
            body: lines.join("\n"),
        })
    }

    fn deliver(&mut self, alerts: Vec<Alert>, settings: &Settings, pause: UserPause, now: DateTime<Utc>) -> Vec<Alert> {
        if alerts.is_empty() || !settings.alerts_enabled || pause.until.is_some_and(|until| now < until) {
            return Vec::new();
        }
        if in_quiet_hours(settings, now) {
            self.state.held.extend(alerts);
            let excess = self.state.held.len().saturating_sub(MAX_HELD);
            self.state.held.drain(..excess);
            return Vec::new();
        }
        alerts
    }
}

/// Several alerts from one poll become one notification.
pub fn merge(alerts: Vec<Alert>) -> Option<Alert> {
    match alerts.len() {
        0 => None,
        1 => alerts.into_iter().next(),
        n => Some(Alert {
            kind: alerts[0].kind.clone(),
            identity: AlertKey::Several { account: alerts[0].identity.account().cloned().unwrap_or_default() },
            title: format!("{n} Codex alerts"),
            body: alerts.iter().map(|a| format!("{} — {}", a.title, a.body)).collect::<Vec<_>>().join("\n"),
        }),
    }
}

fn in_quiet_hours(settings: &Settings, now: DateTime<Utc>) -> bool {
    settings.quiet_hours.is_some_and(|q| q.contains(now.with_timezone(&Local).time()))
}

/// The hook event an alert is, for the events hooks can be run on.
fn hook_event_kind(kind: &AlertKind) -> Option<HookEventKind> {
    match kind {
        AlertKind::Threshold { .. } => Some(HookEventKind::Threshold),
        AlertKind::LimitReached { .. } => Some(HookEventKind::LimitReached),
        AlertKind::AvailableAgain { .. } => Some(HookEventKind::AvailableAgain),
        AlertKind::CreditsInUse { .. } => Some(HookEventKind::CreditsInUse),
        _ => None,
    }
}

fn event_enabled(settings: &Settings, kind: &AlertKind) -> bool {
    let t = &settings.toggles;
    match kind {
        AlertKind::Threshold { .. } => t.threshold,
        AlertKind::LimitReached { .. } => t.limit_reached,
        AlertKind::AvailableAgain { .. } | AlertKind::StillBlocked { .. } => t.available_again,
        AlertKind::Pace { .. } => t.pace,
        AlertKind::CreditsInUse { .. } => t.credits_in_use,
        AlertKind::CreditsLow { .. } => settings.credits_low_below.is_some(),
        AlertKind::ResetCreditExpiring { .. } => t.reset_credit_expiring,
        AlertKind::TokenExpiring { .. } => t.token_expiring,
        AlertKind::CredentialsRejected => t.credentials_rejected,
        AlertKind::Summary { .. } | AlertKind::SettingsProblems { .. } | AlertKind::FallbackSwitch { .. } => true,
    }
}

/// "Codex 5-hour limit", "Codex code review weekly limit", "GPT-5.3-Codex-Spark 5-hour limit".
fn limit_name(window: &UsageWindow) -> String {
    match &window.limit {
        LimitId::Codex => format!("Codex {} limit", window.length_label()),
        LimitId::CodeReview => format!("Codex code review {} limit", window.length_label()),
        LimitId::CreditPool => "Codex monthly credit limit".into(),
        LimitId::LunaReserve => window.title(),
        LimitId::Feature(feature) => {
            format!("{} {} limit", window.limit_name.as_deref().unwrap_or(feature), window.length_label())
        }
    }
}

fn until(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match at {
        Some(at) if at > now => format!("{} (in {})", clock(at, now), duration(at - now)),
        _ => "its reset".into(),
    }
}

fn window_text(
    kind: &AlertKind,
    window: &UsageWindow,
    snapshot: &UsageSnapshot,
    now: DateTime<Utc>,
) -> (String, String) {
    let name = limit_name(window);
    let (_, left) = used_and_left(window.used_percent);
    match kind {
        AlertKind::Threshold { percent, .. } => {
            let resets = window
                .resets_at
                .filter(|at| *at > now)
                .map(|at| format!(" — resets {}", clock(at, now)))
                .unwrap_or_default();
            (format!("{name} {percent}% used{resets}"), format!("{left}% left until {}.", until(window.resets_at, now)))
        }
        AlertKind::LimitReached { .. } => {
            let body = match &window.limit {
                LimitId::Codex | LimitId::CreditPool if snapshot.spends_credits() => {
                    format!("Codex goes on with your credits until {}.", until(window.resets_at, now))
                }
                LimitId::Codex => format!("Codex is blocked until {}.", until(window.resets_at, now)),
                LimitId::CreditPool => {
                    format!("Your workspace's monthly credit limit is reached until {}.", until(window.resets_at, now))
                }
                LimitId::LunaReserve => {
                    format!("Codex cannot go on with the reserve until {}.", until(window.resets_at, now))
                }
                _ => format!("This limit is used up until {}.", until(window.resets_at, now)),
            };
            // The plan is out, but the reserve has room: that is what the user wants to know.
            let body = match snapshot.reserve_with_room() {
                Some(reserve) if matches!(window.limit, LimitId::Codex | LimitId::CreditPool) => {
                    format!("{body} It can go on with {}.", crate::humanize::reserve_note(reserve))
                }
                _ => body,
            };
            let title = match window.limit {
                LimitId::LunaReserve => format!("{name} used up"),
                _ => format!("{name} reached"),
            };
            (title, body)
        }
        AlertKind::CreditsInUse { .. } => {
            let balance = snapshot.credits.as_ref().map(crate::humanize::credit_balance).unwrap_or_default();
            (
                format!("{name} reached — now using your credits ({balance})"),
                format!("Codex spends your credits until {}.", until(window.resets_at, now)),
            )
        }
        AlertKind::AvailableAgain { .. } => match window.limit {
            LimitId::Codex | LimitId::CreditPool => (
                "Codex is available again".into(),
                format!("The {} limit has reset; {left}% left.", window.length_label()),
            ),
            // A model's own limit (the reserve, say) resetting is not the plan coming back.
            _ => (format!("{name} is available again"), format!("It has reset; {left}% left.")),
        },
        AlertKind::StillBlocked { blocked_by, .. } => {
            let blocker = snapshot.main_windows().find(|w| w.kind == *blocked_by).and_then(|w| w.resets_at);
            (
                format!("{name} reset — still blocked"),
                format!("The {} limit blocks Codex until {}.", blocked_by.label(), until(blocker, now)),
            )
        }
        _ => (String::new(), String::new()),
    }
}

fn login_name(origin: CredentialOrigin) -> &'static str {
    match origin {
        CredentialOrigin::Env => "The token in HEADROOM_ACCESS_TOKEN",
        CredentialOrigin::Keychain => "The token pasted into Headroom",
        CredentialOrigin::CodexKeyring | CredentialOrigin::CodexSecrets | CredentialOrigin::CodexAuthFile => {
            "Your Codex login"
        }
    }
}

fn advice(origin: CredentialOrigin) -> &'static str {
    match origin {
        CredentialOrigin::Env => "Copy a fresh token from chatgpt.com into HEADROOM_ACCESS_TOKEN",
        CredentialOrigin::Keychain => "Paste a fresh one with `headroom token set` or in Settings",
        CredentialOrigin::CodexKeyring | CredentialOrigin::CodexSecrets | CredentialOrigin::CodexAuthFile => {
            "Run `codex` to refresh it"
        }
    }
}
