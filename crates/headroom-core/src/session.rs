//! One place decides what a reading means. [`Session::apply`] takes a status report (live
//! numbers, numbers from the session logs, or a failure) and returns the [`Effects`] the shell
//! carries out: the notification to show, a switch of Codex's login, the files to write, asking
//! Codex to refresh its login, opening Settings on first run. The shell decides nothing of this;
//! it only does what it is told, so every decision here is tested without a display.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::accounts::roster::WatchedAccount;

use crate::alerts::engine::{merge, Alert, AlertEngine, AlertKind, AlertState, UserPause};
use crate::alerts::hooks::{hooks_for, Hook, HookEvent};
use crate::alerts::key::{AlertKey, CredentialKey};
use crate::alerts::pace::Pace;
use crate::alerts::pause::SavedPause;
use crate::error::UsageError;
use crate::fallback::{FallbackError, OPEN_SESSIONS_KEEP_KEY, OPEN_SESSIONS_KEEP_PLAN};
use crate::model::{AccountKey, UsageSnapshot};
use crate::settings::Settings;
use crate::sources::codex_app_server;
use crate::status::StatusReport;

/// What the shell does after a reading, in this order: open Settings, switch Codex's login,
/// write the files, redraw, notify.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effects {
    /// One notification for everything this reading called for (several alerts are merged).
    pub notify: Option<Alert>,
    /// Switch Codex's login now: the user opted in to switching automatically.
    pub switch_codex: Option<SwitchCodex>,
    /// The numbers to keep on disk for the next start.
    pub save_snapshot: Option<UsageSnapshot>,
    /// The alert memory to keep on disk, when it changed.
    pub save_alerts: Option<AlertState>,
    /// Ask Codex (`codex app-server`) to refresh its own expired or refused login, in this Codex
    /// home (empty: the default one).
    pub heal: Option<PathBuf>,
    /// First run with no way to get numbers: the settings window explains the ways in.
    pub open_settings: bool,
    /// The user's hooks to run, each with its event (off the polling thread).
    pub run_hooks: Vec<(Hook, HookEvent)>,
}

/// Which way to switch Codex's login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchCodex {
    ToApiKey,
    ToPlan,
}

/// What the fallback should do about this reading's alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    /// Say in the limit-reached alert that the menu can switch Codex to the key.
    OfferKey,
    /// Say in the available-again alert that the menu can put Codex back on the plan.
    OfferPlan,
    Switch(SwitchCodex),
}

/// What the last run left on disk, as read back at start.
#[derive(Debug, Clone, Default)]
pub struct SavedState {
    pub snapshot: Option<UsageSnapshot>,
    pub alerts: AlertState,
    pub pause: Option<SavedPause>,
}

/// One watched account as the session knows it: where it was found, its newest good numbers,
/// why its last reading failed.
#[derive(Debug, Clone)]
pub struct AccountState {
    pub watched: WatchedAccount,
    /// The numbers shown: the newest good ones, kept through failures.
    pub snapshot: Option<UsageSnapshot>,
    /// Each window's pace, in the snapshot's window order.
    pub paces: Vec<Option<Pace>>,
    /// Why the last reading gave no numbers (shown beside the kept ones).
    pub error: Option<UsageError>,
    /// The account alerts are remembered under; sticky so session-log samples share it.
    account: AccountKey,
    /// When Headroom last asked Codex to refresh this account's login (at most hourly).
    last_heal_attempt: Option<DateTime<Utc>>,
}

impl AccountState {
    fn new(watched: WatchedAccount, snapshot: Option<UsageSnapshot>) -> AccountState {
        let account = snapshot.as_ref().map(AccountKey::of).unwrap_or_default();
        AccountState { watched, snapshot, paces: Vec::new(), error: None, account, last_heal_attempt: None }
    }
}

/// Everything Headroom knows between readings.
pub struct Session {
    pub(crate) settings: Settings,
    /// Every watched account, the default one first (at least one).
    accounts: Vec<AccountState>,
    /// The account the icon shows (an index into `accounts`).
    shown: usize,
    pub(crate) paused_until: Option<DateTime<Utc>>,
    /// A fallback API key is stored.
    pub(crate) fallback_key: bool,
    /// Codex runs on Headroom's fallback key now.
    pub(crate) on_fallback_key: bool,
    /// When Headroom last put Codex back on the plan (open sessions stay on the key).
    pub(crate) restored_at: Option<DateTime<Utc>>,
    /// When Headroom last switched Codex's login either way: what was read before is out of date.
    switched_at: Option<DateTime<Utc>>,
    engine: AlertEngine,
    /// The first-run settings window was opened (once per run).
    welcomed: bool,
    /// The alert state as last handed out for saving, so an unchanged state costs no write.
    alerts_written: Option<AlertState>,
    /// Whether anything is written to disk (not in the demo, whose numbers are made up).
    persist: bool,
    /// The last hook that failed (its `run`) and why, said in the menu until it next succeeds.
    hook_trouble: Option<(String, String)>,
}

impl Session {
    /// The session a start begins with. Numbers saved while the clock was ahead are not shown:
    /// how old they are cannot be said, and the first answer comes within seconds.
    pub fn restore(settings: Settings, saved: SavedState, persist: bool, now: DateTime<Utc>) -> Session {
        let snapshot = saved.snapshot.filter(|s| {
            let ahead = s.dated_ahead(now);
            if ahead {
                tracing::info!("the saved numbers are dated {} (ahead of the clock); not shown", s.observed_at);
            }
            !ahead
        });
        Session {
            settings,
            // Until the accounts are known, the saved numbers stand for the one shown.
            accounts: vec![AccountState::new(WatchedAccount::not_yet_known(), snapshot)],
            shown: 0,
            paused_until: saved.pause.and_then(|p| p.still_running(now)),
            fallback_key: false,
            on_fallback_key: false,
            restored_at: None,
            switched_at: None,
            engine: AlertEngine::new(saved.alerts),
            welcomed: false,
            alerts_written: None,
            persist,
            hook_trouble: None,
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Puts `settings` in force; the ones they replace are returned.
    pub(crate) fn replace_settings(&mut self, settings: Settings) -> Settings {
        std::mem::replace(&mut self.settings, settings)
    }

    /// Until when alerts are paused (a pause over is `None` only once it is read again).
    pub fn paused_until(&self) -> Option<DateTime<Utc>> {
        self.paused_until
    }

    /// A hook finished: a failure is kept for the menu (one line, the newest), a success of the
    /// same hook clears it.
    pub fn hook_finished(&mut self, run: &str, result: Result<(), String>) {
        match result {
            Err(sentence) => self.hook_trouble = Some((run.to_string(), sentence)),
            Ok(()) if self.hook_trouble.as_ref().is_some_and(|(failed, _)| failed == run) => self.hook_trouble = None,
            Ok(()) => {}
        }
    }

    /// Why the last failing hook failed, while it has not succeeded since.
    pub fn hook_trouble(&self) -> Option<&str> {
        self.hook_trouble.as_ref().map(|(_, sentence)| sentence.as_str())
    }

    pub fn alert_state(&self) -> &AlertState {
        self.engine.state()
    }

    /// The account the icon shows.
    pub fn shown(&self) -> &AccountState {
        &self.accounts[self.shown]
    }

    /// Every account, the default one first.
    pub fn accounts(&self) -> &[AccountState] {
        &self.accounts
    }

    /// The accounts found now (the default one first) and which one the icon shows. Each keeps
    /// what was known of it; the numbers saved at the last exit go to the account they were read
    /// for and to no other (numbers of an account no longer watched, or of nobody known, are
    /// dropped: never shown under another account's name); an account no longer found is dropped.
    pub fn set_accounts(&mut self, found: &[WatchedAccount], shown_id: &str) {
        if found.is_empty() {
            return;
        }
        let mut old = std::mem::take(&mut self.accounts);
        let saved = old.iter().position(|a| a.watched.id.is_empty()).map(|i| old.remove(i));
        let saved_for = saved.as_ref().and_then(|s| s.snapshot.as_ref()).map(AccountKey::of);
        let mut saved = saved;
        self.accounts = found
            .iter()
            .map(|watched| match old.iter().position(|a| a.watched.id == watched.id) {
                Some(i) => AccountState { watched: watched.clone(), ..old.remove(i) },
                None => AccountState::new(watched.clone(), None),
            })
            .collect();
        self.shown = self.accounts.iter().position(|a| a.watched.id == shown_id).unwrap_or(0);
        if let Some(saved) = saved.take() {
            let target = saved_for.and_then(|key| {
                let by_id = self.accounts.iter().position(|a| a.watched.id == key.as_str());
                // Numbers saved before people in one workspace were told apart name the workspace
                // alone: theirs only when one watched account is in that workspace.
                let in_workspace: Vec<usize> = (0..self.accounts.len())
                    .filter(|&i| self.accounts[i].watched.workspace.as_deref() == Some(key.as_str()))
                    .collect();
                by_id.or(if in_workspace.len() == 1 { Some(in_workspace[0]) } else { None })
            });
            match target {
                Some(target) if self.accounts[target].snapshot.is_none() => {
                    let state = &mut self.accounts[target];
                    state.snapshot = saved.snapshot;
                    state.account = saved.account;
                }
                Some(_) => {}
                None if saved.snapshot.is_some() => {
                    tracing::info!("the numbers saved at the last exit are of an account no longer watched; dropped")
                }
                None => {}
            }
        }
    }

    /// A reading of the account the icon shows; see [`Session::apply_for`].
    pub fn apply(&mut self, report: &StatusReport, now: DateTime<Utc>) -> Effects {
        let id = self.shown().watched.id.clone();
        self.apply_for(&id, report, now)
    }

    /// New numbers for the account `id`, or a failure: keeps its last good numbers, decides its
    /// alerts (and, for the default account, the fallback), and says what to write and whether
    /// Codex needs to refresh its login. A reading for an account no longer watched is ignored.
    pub fn apply_for(&mut self, id: &str, report: &StatusReport, now: DateTime<Utc>) -> Effects {
        let mut effects = Effects::default();
        let Some(index) = self.accounts.iter().position(|a| a.watched.id == id) else { return effects };
        let mut alerts = self.window_alerts(index, report, &mut effects, now);
        alerts.extend(self.credential_alerts(report, now));

        let default = self.accounts[index].watched.default;
        // The fallback switches the default home's login: only that account's limits move it.
        let fallback = if default {
            decide(&alerts, self.fallback_key, self.on_fallback_key, self.settings.fallback_automatic)
        } else {
            None
        };
        offer_in_bodies(&mut alerts, fallback);
        if let Some(Move::Switch(to)) = fallback {
            effects.switch_codex = Some(to);
        }
        let label = self.accounts[index].watched.label().to_string();
        if self.accounts.len() > 1 {
            for alert in &mut alerts {
                alert.title = format!("{label}: {}", alert.title);
            }
        }
        for mut event in self.engine.take_events() {
            event.account = label.clone();
            for hook in hooks_for(&self.settings.hooks, event.event) {
                effects.run_hooks.push((hook.clone(), event.clone()));
            }
        }
        if let Some(summary) = self.engine.release_held(&self.settings, now) {
            alerts.push(summary);
        }

        let state = &mut self.accounts[index];
        if needs_codex_refresh(report) && codex_app_server::due(state.last_heal_attempt, now) {
            state.last_heal_attempt = Some(now);
            effects.heal = state.watched.home().map(std::path::Path::to_path_buf).or(Some(PathBuf::new()));
        }
        let no_source = matches!(
            report.error,
            Some(
                UsageError::NoCredentials { .. }
                    | UsageError::NoSessionLogs { .. }
                    | UsageError::NoUsageInLogs { .. }
                    | UsageError::NoQuota(_)
            )
        );
        if default && report.snapshot.is_none() && state.snapshot.is_none() && no_source && !self.welcomed {
            self.welcomed = true;
            effects.open_settings = true;
        }
        state.error = report.error.clone();
        if self.persist && self.alerts_written.as_ref() != Some(self.engine.state()) {
            self.alerts_written = Some(self.engine.state().clone());
            effects.save_alerts = self.alerts_written.clone();
        }
        effects.notify = merge(alerts);
        effects
    }

    /// Keeps the numbers when they are newer than the shown ones, and the window and pace
    /// alerts they call for.
    fn window_alerts(
        &mut self,
        index: usize,
        report: &StatusReport,
        effects: &mut Effects,
        now: DateTime<Utc>,
    ) -> Vec<Alert> {
        let Some(snapshot) = &report.snapshot else { return Vec::new() };
        let shown = index == self.shown;
        let state = &mut self.accounts[index];
        // An answer that used a credential names the account; session-log samples keep the
        // account already known, so both feed the same alert memory.
        if report.credential.is_some() || state.account.is_unknown() {
            state.account = AccountKey::of(snapshot);
        }
        if snapshot.replaces(state.snapshot.as_ref(), now) {
            // The numbers kept for the next start are the shown account's (the icon's).
            if self.persist && shown && state.snapshot.as_ref() != Some(snapshot) {
                effects.save_snapshot = Some(snapshot.clone());
            }
            state.snapshot = Some(snapshot.clone());
            state.paces = report.paces.clone();
        }
        if !state.watched.shares_workspace {
            self.engine.carry_over(&state.account);
        }
        let pause = UserPause { until: self.paused_until };
        let mut alerts = self.engine.observe(snapshot, &state.account, &self.settings, pause, now);
        alerts.extend(self.engine.pace(snapshot, &report.paces, &state.account, &self.settings, pause, now));
        alerts.extend(self.engine.reset_credit_expiry(snapshot, &state.account, &self.settings, pause, now));
        alerts
    }

    /// A login about to expire, or refused by the service.
    fn credential_alerts(&mut self, report: &StatusReport, now: DateTime<Utc>) -> Vec<Alert> {
        let Some(credential) = &report.credential else { return Vec::new() };
        let pause = UserPause { until: self.paused_until };
        let key = CredentialKey::of(credential);
        let mut alerts = Vec::new();
        if let Some(expires) = credential.claims.expires_at {
            alerts.extend(self.engine.token_expiry(&key, credential.origin, expires, &self.settings, pause, now));
        }
        if matches!(report.error, Some(UsageError::Unauthorized { .. } | UsageError::AccessTokenRefused { .. })) {
            alerts.extend(self.engine.credentials_rejected(&key, credential.origin, &self.settings, pause, now));
        }
        alerts
    }

    /// A switch of Codex's login was carried out (from the menu or automatically): the menu
    /// and the icon follow, and the notification says what open sessions keep using.
    pub fn switched(&mut self, to_key: bool, result: &Result<(), FallbackError>, now: DateTime<Utc>) -> Alert {
        if result.is_ok() {
            self.on_fallback_key = to_key;
            self.restored_at = (!to_key).then_some(now);
            self.switched_at = Some(now);
        }
        switch_alert(to_key, result)
    }

    /// What a poll read of the fallback (is a key stored, does Codex run on it), begun at
    /// `read_at`; `None` where the read failed. A failed read, or one begun before the last
    /// switch (it saw the login as it was), changes nothing: the menu never flips back for a
    /// moment to an offer that no longer applies.
    pub fn observe_fallback(&mut self, key_stored: Option<bool>, codex_on_key: Option<bool>, read_at: DateTime<Utc>) {
        if self.switched_at.is_some_and(|switched| read_at < switched) {
            return;
        }
        if let Some(stored) = key_stored {
            self.fallback_key = stored;
        }
        if let Some(on_key) = codex_on_key {
            self.on_fallback_key = on_key;
        }
    }
}

/// The notification for a switch of Codex's login, done or not.
fn switch_alert(to_key: bool, result: &Result<(), FallbackError>) -> Alert {
    let (title, body) = match (result, to_key) {
        (Ok(()), true) => (
            "Codex switched to your API key",
            format!(
                "It is billed at API rates; your ChatGPT login is saved and comes back from the menu. {OPEN_SESSIONS_KEEP_PLAN}"
            ),
        ),
        (Ok(()), false) => (
            "Codex is back on your ChatGPT plan",
            format!("Your saved ChatGPT login is in place again. {OPEN_SESSIONS_KEEP_KEY}"),
        ),
        (Err(e), _) => ("Codex's login was not changed", e.to_string()),
    };
    Alert {
        kind: AlertKind::FallbackSwitch { to_key, done: result.is_ok() },
        identity: AlertKey::Fallback,
        title: title.into(),
        body,
    }
}

/// Problems found in the settings file (at start, or when it changes), said once where the user
/// will see them; each sentence says what applies meanwhile.
pub fn settings_problems_alert(problems: &[String]) -> Option<Alert> {
    (!problems.is_empty()).then(|| Alert {
        kind: AlertKind::SettingsProblems { count: problems.len() },
        identity: AlertKey::Settings,
        title: "Headroom's settings file has problems".into(),
        body: problems.join("\n"),
    })
}

/// Codex's own login expired or was refused: Codex can refresh it (Headroom never spends its
/// single-use refresh token itself).
fn needs_codex_refresh(report: &StatusReport) -> bool {
    match &report.error {
        Some(UsageError::Expired { origin, .. } | UsageError::Unauthorized { origin, .. }) => origin.is_codex_login(),
        _ => false,
    }
}

/// A main window just reached its limit (or became usable again, confirmed as the alert rules
/// confirm good news): offer the switch, or make it when the user opted in.
fn decide(alerts: &[Alert], key_stored: bool, on_key: bool, automatic: bool) -> Option<Move> {
    let limit_reached =
        alerts.iter().any(|a| matches!(a.kind, AlertKind::LimitReached { .. }) && a.identity.is_main_quota());
    let available =
        alerts.iter().any(|a| matches!(a.kind, AlertKind::AvailableAgain { .. }) && a.identity.is_main_quota());
    match (limit_reached, available) {
        (true, _) if key_stored && !on_key => {
            Some(if automatic { Move::Switch(SwitchCodex::ToApiKey) } else { Move::OfferKey })
        }
        (_, true) if on_key => Some(if automatic { Move::Switch(SwitchCodex::ToPlan) } else { Move::OfferPlan }),
        _ => None,
    }
}

/// The offer goes beside the alert it answers, naming the menu item that does it.
fn offer_in_bodies(alerts: &mut [Alert], fallback: Option<Move>) {
    for alert in alerts {
        match (&alert.kind, fallback) {
            (AlertKind::LimitReached { .. }, Some(Move::OfferKey)) => alert.body.push_str(
                " Your fallback API key can keep Codex going: choose “Switch Codex to API key” in the Headroom menu.",
            ),
            (AlertKind::AvailableAgain { .. }, Some(Move::OfferPlan)) => alert.body.push_str(
                " Codex still uses your API key: choose “Switch Codex back to your ChatGPT plan” in the Headroom menu.",
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::credentials::Credential;
    use crate::model::{CredentialOrigin, SourceKind, UsageWindow, WindowKind};
    use chrono::{Duration, Local, NaiveTime, TimeZone, Timelike};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
    }

    fn at(minute: i64) -> DateTime<Utc> {
        t0() + Duration::minutes(minute)
    }

    /// A live Plus answer at `minute`: the 5-hour window `five` % used (resetting at minute
    /// 300) and the weekly one at 10 %.
    fn answer(minute: i64, five: f64) -> StatusReport {
        let windows = vec![
            UsageWindow::main(WindowKind::FiveHour, five, Some(at(300))),
            UsageWindow::main(WindowKind::Weekly, 10.0, Some(at(7 * 24 * 60))),
        ];
        let snapshot = UsageSnapshot::plus_for_tests(windows, at(minute));
        StatusReport {
            snapshot: Some(snapshot),
            credential: Some(credential(None)),
            error: None,
            log_file: None,
            paces: Vec::new(),
        }
    }

    fn credential(expires_at: Option<DateTime<Utc>>) -> Credential {
        Credential::auth_file_for_tests(expires_at)
    }

    fn failure(error: UsageError, credential: Option<Credential>) -> StatusReport {
        StatusReport { snapshot: None, credential, error: Some(error), log_file: None, paces: Vec::new() }
    }

    fn session() -> Session {
        Session::restore(Settings::default(), SavedState::default(), true, t0())
    }

    fn kinds(effects: &Effects) -> Option<AlertKind> {
        effects.notify.as_ref().map(|a| a.kind.clone())
    }

    #[test]
    fn the_first_answer_is_kept_and_saved_silently_then_the_same_answer_writes_nothing() {
        let mut s = session();
        let first = s.apply(&answer(0, 50.0), at(0));
        assert_eq!(first.notify, None, "the first sample is the baseline");
        assert_eq!(first.save_snapshot.as_ref().map(|s| s.observed_at), Some(at(0)));
        assert!(first.save_alerts.is_some(), "the baseline is remembered");
        assert!(first.heal.is_none() && !first.open_settings && first.switch_codex.is_none());
        assert_eq!(s.shown().snapshot.as_ref().unwrap().windows[0].used_percent, 50.0);

        let again = s.apply(&answer(0, 50.0), at(1));
        assert_eq!(again, Effects::default(), "nothing changed, nothing written, nothing said");
    }

    #[test]
    fn a_crossing_notifies_once() {
        let mut s = session();
        s.apply(&answer(0, 50.0), at(0));
        let crossed = s.apply(&answer(5, 85.0), at(5));
        assert_eq!(kinds(&crossed), Some(AlertKind::Threshold { window: WindowKind::FiveHour, percent: 80 }));
        assert!(crossed.save_snapshot.is_some() && crossed.save_alerts.is_some());
        assert_eq!(s.apply(&answer(10, 86.0), at(10)).notify, None, "once per crossing");
    }

    #[test]
    fn hooks_run_once_per_crossing_whether_or_not_notifications_are_on() {
        use crate::alerts::hooks::HookEventKind;
        let mut s = session();
        s.settings.alerts_enabled = false;
        s.settings.hooks = vec![
            Hook { on: vec![HookEventKind::Threshold], run: "notify-send low".into() },
            Hook { on: vec![HookEventKind::LimitReached], run: "pause-queue".into() },
        ];
        assert!(s.apply(&answer(0, 50.0), at(0)).run_hooks.is_empty(), "the baseline");
        let crossed = s.apply(&answer(5, 85.0), at(5));
        assert_eq!(crossed.notify, None, "notifications are off");
        let [(hook, event)] = crossed.run_hooks.as_slice() else { panic!("{:?}", crossed.run_hooks) };
        assert_eq!(hook.run, "notify-send low");
        assert_eq!(
            (event.event, event.window, event.left_percent, event.account.as_str()),
            (HookEventKind::Threshold, Some("5h"), Some(15.0), s.shown().watched.label())
        );
        assert!(event.summary.contains("80%"), "{}", event.summary);
        assert!(s.apply(&answer(10, 86.0), at(10)).run_hooks.is_empty(), "once per crossing");
        let reached = s.apply(&answer(15, 100.0), at(15));
        assert_eq!(reached.run_hooks.iter().map(|(h, _)| h.run.as_str()).collect::<Vec<_>>(), vec!["pause-queue"]);
    }

    #[test]
    fn a_failure_keeps_the_last_numbers_and_says_why() {
        let mut s = session();
        s.apply(&answer(0, 50.0), at(0));
        let failed = s.apply(&failure(UsageError::Other("offline".into()), None), at(5));
        assert_eq!(failed, Effects::default());
        assert_eq!(s.shown().snapshot.as_ref().unwrap().windows[0].used_percent, 50.0, "the last good numbers stay");
        assert!(matches!(s.shown().error, Some(UsageError::Other(_))));
        s.apply(&answer(10, 55.0), at(10));
        assert!(s.shown().error.is_none(), "a good answer clears the error");
    }

    #[test]
    fn an_older_session_log_sample_is_not_shown_over_a_newer_answer() {
        let mut s = session();
        s.apply(&answer(10, 60.0), at(10));
        let mut from_logs = answer(5, 40.0);
        from_logs.snapshot.as_mut().unwrap().source = SourceKind::SessionLog;
        from_logs.credential = None;
        let late = s.apply(&from_logs, at(11));
        assert!(late.save_snapshot.is_none());
        assert_eq!(s.shown().snapshot.as_ref().unwrap().windows[0].used_percent, 60.0);
    }

    #[test]
    fn the_limit_reached_offers_the_fallback_key_in_its_body_or_switches_when_automatic() {
        let mut s = session();
        s.fallback_key = true;
        s.apply(&answer(0, 50.0), at(0));
        let reached = s.apply(&answer(5, 100.0), at(5));
        let alert = reached.notify.expect("limit reached");
        assert_eq!(alert.kind, AlertKind::LimitReached { window: WindowKind::FiveHour });
        assert!(alert.body.contains("choose “Switch Codex to API key”"), "{}", alert.body);
        assert_eq!(reached.switch_codex, None, "offered, not done");

        let mut auto = session();
        auto.fallback_key = true;
        auto.settings.fallback_automatic = true;
        auto.apply(&answer(0, 50.0), at(0));
        let switched = auto.apply(&answer(5, 100.0), at(5));
        assert_eq!(switched.switch_codex, Some(SwitchCodex::ToApiKey));
        assert!(!switched.notify.unwrap().body.contains("choose"), "no offer for what is being done");

        let mut no_key = session();
        no_key.apply(&answer(0, 50.0), at(0));
        let reached = no_key.apply(&answer(5, 100.0), at(5));
        assert!(!reached.notify.unwrap().body.contains("API key"), "no key, nothing offered");
    }

    #[test]
    fn available_again_on_the_key_offers_the_plan_or_switches_back_when_automatic() {
        for automatic in [false, true] {
            let mut s = session();
            s.settings.fallback_automatic = automatic;
            s.fallback_key = true;
            s.apply(&answer(0, 50.0), at(0));
            s.apply(&answer(5, 100.0), at(5));
            s.on_fallback_key = true;
            let mut back = answer(301, 0.0);
            back.snapshot.as_mut().unwrap().windows[0].resets_at = Some(at(600));
            let effects = s.apply(&back, at(301));
            let alert = effects.notify.expect("available again");
            assert_eq!(alert.kind, AlertKind::AvailableAgain { window: WindowKind::FiveHour });
            if automatic {
                assert_eq!(effects.switch_codex, Some(SwitchCodex::ToPlan));
            } else {
                assert_eq!(effects.switch_codex, None);
                assert!(alert.body.contains("“Switch Codex back to your ChatGPT plan”"), "{}", alert.body);
            }
        }
    }

    #[test]
    fn a_switch_carried_out_moves_the_menu_and_says_what_open_sessions_keep() {
        let mut s = session();
        let alert = s.switched(true, &Ok(()), at(0));
        assert!(s.on_fallback_key && s.restored_at.is_none());
        assert_eq!(alert.kind, AlertKind::FallbackSwitch { to_key: true, done: true });
        assert!(alert.body.contains(OPEN_SESSIONS_KEEP_PLAN));
        let alert = s.switched(false, &Ok(()), at(5));
        assert!(!s.on_fallback_key);
        assert_eq!(s.restored_at, Some(at(5)));
        assert!(alert.body.contains(OPEN_SESSIONS_KEEP_KEY));
        let alert = s.switched(true, &Err(FallbackError::NoKey), at(6));
        assert!(!s.on_fallback_key, "a failed switch changes nothing");
        assert_eq!(
            (alert.kind, alert.title.as_str()),
            (AlertKind::FallbackSwitch { to_key: true, done: false }, "Codex's login was not changed")
        );
    }

    #[test]
    fn a_fallback_read_from_before_the_switch_or_a_failed_one_changes_nothing() {
        let mut s = session();
        s.observe_fallback(Some(true), Some(false), at(0));
        assert!(s.fallback_key && !s.on_fallback_key);
        s.switched(true, &Ok(()), at(10));
        s.observe_fallback(Some(true), Some(false), at(9));
        assert!(s.on_fallback_key, "a read begun before the switch saw the old login");
        s.observe_fallback(None, None, at(11));
        assert!(s.fallback_key && s.on_fallback_key, "a failed read keeps what was known");
        s.observe_fallback(Some(true), Some(false), at(12));
        assert!(!s.on_fallback_key, "a later read is believed (someone ran `codex login`)");
    }

    #[test]
    fn a_login_about_to_expire_and_a_refused_login_notify() {
        let mut s = session();
        let mut expiring = answer(0, 10.0);
        expiring.credential = Some(credential(Some(at(60 * 24 * 2))));
        let effects = s.apply(&expiring, at(0));
        assert!(matches!(kinds(&effects), Some(AlertKind::TokenExpiring { .. })), "{effects:?}");

        let mut s = session();
        let refused = failure(
            UsageError::Unauthorized { origin: CredentialOrigin::Keychain, status: 401 },
            Some(credential(None)),
        );
        let effects = s.apply(&refused, at(0));
        assert_eq!(kinds(&effects), Some(AlertKind::CredentialsRejected));
        assert!(effects.heal.is_none(), "a pasted token is not Codex's to refresh");
    }

    #[test]
    fn codex_is_asked_to_refresh_its_own_expired_login_at_most_hourly() {
        let mut s = session();
        let expired = || failure(UsageError::Expired { origin: CredentialOrigin::CodexAuthFile, at: at(-5) }, None);
        assert!(s.apply(&expired(), at(0)).heal.is_some());
        assert!(s.apply(&expired(), at(10)).heal.is_none(), "not again within the hour");
        assert!(s.apply(&expired(), at(61)).heal.is_some());
    }

    #[test]
    fn the_first_run_without_any_source_opens_settings_once() {
        let mut s = session();
        let nothing = || failure(UsageError::NoCredentials { detail: None }, None);
        assert!(s.apply(&nothing(), at(0)).open_settings);
        assert!(!s.apply(&nothing(), at(5)).open_settings, "once per run");

        let mut known = session();
        known.apply(&answer(0, 10.0), at(0));
        assert!(
            !known.apply(&failure(UsageError::NoCredentials { detail: None }, None), at(5)).open_settings,
            "numbers are shown already"
        );
        let mut offline = session();
        assert!(!offline.apply(&failure(UsageError::Other("offline".into()), None), at(0)).open_settings);
    }

    #[test]
    fn alerts_held_in_quiet_hours_come_out_as_one_summary() {
        let hour = at(5).with_timezone(&Local).time().hour();
        let mut s = session();
        s.settings.quiet_hours = Some(crate::settings::QuietHours {
            start: NaiveTime::from_hms_opt(hour, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt((hour + 1) % 24, 0, 0).unwrap(),
        });
        s.apply(&answer(0, 50.0), at(0));
        assert_eq!(s.apply(&answer(5, 85.0), at(5)).notify, None, "held");
        let after = at(5) + Duration::hours(1) + Duration::minutes(1)
            - Duration::minutes(at(5).with_timezone(&Local).minute() as i64);
        let effects = s.apply(&answer(70, 86.0), after);
        assert_eq!(kinds(&effects), Some(AlertKind::Summary { count: 1 }));
    }

    #[test]
    fn credits_in_use_and_low_credits_notify() {
        let with_credits = |mut report: StatusReport, balance: f64| {
            report.snapshot.as_mut().unwrap().credits =
                Some(crate::model::Credits { has_credits: true, balance: Some(balance), ..Default::default() });
            report
        };
        let mut s = session();
        s.apply(&with_credits(answer(0, 50.0), 9.99), at(0));
        let effects = s.apply(&with_credits(answer(5, 100.0), 9.99), at(5));
        assert_eq!(kinds(&effects), Some(AlertKind::CreditsInUse { window: WindowKind::FiveHour }));

        let mut s = session();
        s.settings.credits_low_below = Some(5.0);
        s.apply(&with_credits(answer(0, 10.0), 6.0), at(0));
        let effects = s.apply(&with_credits(answer(5, 10.0), 4.0), at(5));
        assert_eq!(kinds(&effects), Some(AlertKind::CreditsLow { below: 5.0 }));
    }

    #[test]
    fn a_pace_that_runs_out_before_the_reset_notifies_when_asked_for() {
        let mut s = session();
        s.settings.toggles.pace = true;
        s.apply(&answer(0, 10.0), at(0));
        let mut fast = answer(60, 60.0);
        let window = fast.snapshot.as_ref().unwrap().windows[0].clone();
        fast.paces = vec![crate::alerts::pace::pace(&window, &[(at(0), 10.0), (at(60), 60.0)], at(60)), None];
        assert!(fast.paces[0].as_ref().and_then(Pace::runs_out_at).is_some(), "{:?}", fast.paces);
        let effects = s.apply(&fast, at(60));
        assert_eq!(kinds(&effects), Some(AlertKind::Pace { window: WindowKind::FiveHour }));
        assert_eq!(s.shown().paces, fast.paces, "the paces shown are the reading's");
    }

    #[test]
    fn a_reset_while_another_window_blocks_says_still_blocked() {
        let mut s = session();
        let both_full = |minute: i64, five_reset: i64| {
            let mut report = answer(minute, 100.0);
            let snapshot = report.snapshot.as_mut().unwrap();
            snapshot.windows[0].resets_at = Some(at(five_reset));
            snapshot.windows[1].used_percent = 100.0;
            snapshot.limit_reached = true;
            report
        };
        s.apply(&answer(0, 50.0), at(0));
        s.apply(&both_full(5, 60), at(5));
        let mut after_reset = both_full(61, 360);
        after_reset.snapshot.as_mut().unwrap().windows[0].used_percent = 0.0;
        let effects = s.apply(&after_reset, at(61));
        assert_eq!(
            kinds(&effects),
            Some(AlertKind::StillBlocked { window: WindowKind::FiveHour, blocked_by: WindowKind::Weekly })
        );
    }

    #[test]
    fn a_pause_holds_every_alert() {
        let mut s = session();
        s.paused_until = Some(at(60));
        s.apply(&answer(0, 50.0), at(0));
        assert_eq!(s.apply(&answer(5, 100.0), at(5)).notify, None);
    }

    #[test]
    fn the_demo_writes_nothing() {
        let mut s = Session::restore(Settings::default(), SavedState::default(), false, t0());
        s.apply(&answer(0, 50.0), at(0));
        let effects = s.apply(&answer(5, 85.0), at(5));
        assert!(effects.notify.is_some());
        assert_eq!((effects.save_snapshot, effects.save_alerts), (None, None));
    }

    #[test]
    fn saved_numbers_dated_ahead_of_the_clock_are_not_shown_and_a_pause_that_ended_is_gone() {
        let ahead = answer(180, 60.0).snapshot;
        let saved = SavedState { snapshot: ahead, pause: Some(SavedPause { until: at(-1) }), ..Default::default() };
        let s = Session::restore(Settings::default(), saved, true, t0());
        assert!(s.shown().snapshot.is_none() && s.paused_until.is_none());
        let saved = SavedState {
            snapshot: answer(-5, 60.0).snapshot,
            pause: Some(SavedPause { until: at(30) }),
            ..Default::default()
        };
        let s = Session::restore(Settings::default(), saved, true, t0());
        assert!(s.shown().snapshot.is_some());
        assert_eq!(s.paused_until, Some(at(30)));
    }

    #[test]
    fn settings_problems_are_their_own_alert() {
        assert_eq!(settings_problems_alert(&[]), None);
        let alert = settings_problems_alert(&["bad threshold".into(), "bad time".into()]).unwrap();
        assert_eq!(alert.kind, AlertKind::SettingsProblems { count: 2 });
        assert_eq!(alert.body, "bad threshold\nbad time");
    }

    #[test]
    fn offers_and_automatic_moves_follow_the_alerts() {
        let alert = |kind, limit: &str| Alert {
            kind,
            identity: format!("acct|{limit}|weekly").parse().unwrap(),
            title: String::new(),
            body: String::new(),
        };
        let reached = [alert(AlertKind::LimitReached { window: WindowKind::Weekly }, "codex")];
        let back = [alert(AlertKind::AvailableAgain { window: WindowKind::Weekly }, "codex")];
        assert_eq!(decide(&reached, true, false, false), Some(Move::OfferKey));
        assert_eq!(decide(&reached, true, false, true), Some(Move::Switch(SwitchCodex::ToApiKey)));
        assert_eq!(decide(&reached, false, false, true), None, "no key, nothing to offer");
        assert_eq!(decide(&reached, true, true, true), None, "already on the key");
        assert_eq!(decide(&back, true, true, false), Some(Move::OfferPlan));
        assert_eq!(decide(&back, true, true, true), Some(Move::Switch(SwitchCodex::ToPlan)));
        assert_eq!(decide(&back, true, false, true), None, "not on the key");
        let review = [alert(AlertKind::LimitReached { window: WindowKind::Weekly }, "code_review")];
        assert_eq!(decide(&review, true, false, true), None, "only the main quota blocks Codex");
    }

    /// `answer` for another account.
    fn answer_for(account: &str, minute: i64, five: f64) -> StatusReport {
        let mut report = answer(minute, five);
        report.snapshot.as_mut().unwrap().account.account_id = Some(account.into());
        report.credential.as_mut().unwrap().account_id = Some(account.into());
        report
    }

    fn watched(id: &str, email: &str, default: bool) -> WatchedAccount {
        WatchedAccount { id: id.into(), email: Some(email.into()), default, ..WatchedAccount::default() }
    }

    fn two_accounts(saved: SavedState) -> Session {
        let mut s = Session::restore(Settings::default(), saved, true, t0());
        s.set_accounts(
            &[watched("acct-1", "me@example.com", true), watched("acct-2", "work@example.com", false)],
            "acct-1",
        );
        s
    }

    #[test]
    fn a_crossing_in_one_account_neither_fires_nor_silences_the_other() {
        let mut s = two_accounts(SavedState::default());
        s.apply_for("acct-1", &answer_for("acct-1", 0, 50.0), at(0));
        s.apply_for("acct-2", &answer_for("acct-2", 0, 50.0), at(0));
        let work =
            s.apply_for("acct-2", &answer_for("acct-2", 5, 85.0), at(5)).notify.expect("the work account crossed 80 %");
        assert!(
            work.title.starts_with("work@example.com: Codex 5-hour"),
            "named with more than one account: {}",
            work.title
        );
        assert_eq!(work.identity.account().map(AccountKey::as_str), Some("acct-2"));
        assert_eq!(
            s.apply_for("acct-1", &answer_for("acct-1", 6, 60.0), at(6)).notify,
            None,
            "the other did not cross"
        );
        let mine =
            s.apply_for("acct-1", &answer_for("acct-1", 7, 85.0), at(7)).notify.expect("not silenced by the other");
        assert!(mine.title.starts_with("me@example.com: "), "{}", mine.title);
        assert_eq!(s.apply_for("acct-2", &answer_for("acct-2", 8, 86.0), at(8)).notify, None, "once per crossing");
        assert_eq!(s.shown().snapshot.as_ref().unwrap().windows[0].used_percent, 85.0, "the icon shows acct-1");
        assert_eq!(s.accounts()[1].snapshot.as_ref().unwrap().windows[0].used_percent, 86.0);
    }

    #[test]
    fn a_restart_keeps_both_accounts_memories() {
        let mut s = two_accounts(SavedState::default());
        s.apply_for("acct-1", &answer_for("acct-1", 0, 50.0), at(0));
        s.apply_for("acct-2", &answer_for("acct-2", 0, 50.0), at(0));
        s.apply_for("acct-1", &answer_for("acct-1", 5, 85.0), at(5));
        let saved = s.apply_for("acct-2", &answer_for("acct-2", 5, 85.0), at(5)).save_alerts.expect("remembered");
        let mut again = two_accounts(SavedState { alerts: saved, ..Default::default() });
        assert_eq!(again.apply_for("acct-1", &answer_for("acct-1", 10, 86.0), at(10)).notify, None);
        assert_eq!(again.apply_for("acct-2", &answer_for("acct-2", 10, 86.0), at(10)).notify, None);
        let next =
            again.apply_for("acct-2", &answer_for("acct-2", 15, 96.0), at(15)).notify.expect("the next threshold");
        assert!(next.title.contains("work@example.com"), "{}", next.title);
    }

    #[test]
    fn with_one_account_notifications_read_as_before_and_only_the_default_moves_the_fallback() {
        let mut one = session();
        one.apply(&answer(0, 50.0), at(0));
        let alert = one.apply(&answer(5, 85.0), at(5)).notify.unwrap();
        assert!(alert.title.starts_with("Codex 5-hour"), "{}", alert.title);

        let mut s = two_accounts(SavedState::default());
        s.fallback_key = true;
        s.settings.fallback_automatic = true;
        s.apply_for("acct-2", &answer_for("acct-2", 0, 50.0), at(0));
        let other = s.apply_for("acct-2", &answer_for("acct-2", 5, 100.0), at(5));
        assert!(other.notify.is_some(), "its limit is said");
        assert_eq!(other.switch_codex, None, "another account's limit does not switch the default home");
        s.apply_for("acct-1", &answer_for("acct-1", 0, 50.0), at(0));
        assert_eq!(
            s.apply_for("acct-1", &answer_for("acct-1", 6, 100.0), at(6)).switch_codex,
            Some(SwitchCodex::ToApiKey)
        );
        assert_eq!(s.apply_for("gone", &answer_for("gone", 7, 100.0), at(7)), Effects::default(), "no longer watched");
    }

    #[test]
    fn the_saved_numbers_go_to_their_account_and_the_pin_picks_the_icons() {
        let saved = SavedState { snapshot: answer_for("acct-2", 0, 40.0).snapshot, ..Default::default() };
        let mut s = Session::restore(Settings::default(), saved, true, t0());
        assert_eq!(
            s.shown().snapshot.as_ref().unwrap().windows[0].used_percent,
            40.0,
            "shown before accounts are known"
        );
        s.set_accounts(
            &[watched("acct-1", "me@example.com", true), watched("acct-2", "work@example.com", false)],
            "acct-2",
        );
        assert_eq!(s.shown().watched.id, "acct-2");
        assert!(s.accounts()[0].snapshot.is_none());
        assert_eq!(s.shown().snapshot.as_ref().unwrap().windows[0].used_percent, 40.0);
        // Saving follows the shown account only.
        s.apply_for("acct-1", &answer_for("acct-1", 1, 10.0), at(1));
        assert!(s.apply_for("acct-1", &answer_for("acct-1", 2, 11.0), at(2)).save_snapshot.is_none());
        assert!(s.apply_for("acct-2", &answer_for("acct-2", 2, 41.0), at(2)).save_snapshot.is_some());
        // The accounts found again keep what was known of them.
        s.set_accounts(
            &[watched("acct-1", "me@example.com", true), watched("acct-2", "work@example.com", false)],
            "acct-1",
        );
        assert_eq!(s.shown().snapshot.as_ref().unwrap().windows[0].used_percent, 11.0);
        assert_eq!(s.accounts()[1].snapshot.as_ref().unwrap().windows[0].used_percent, 41.0);
    }

    #[test]
    fn saved_numbers_of_an_account_no_longer_watched_are_never_given_to_another() {
        // Codex's login changed account while Headroom was off: old@'s numbers were saved.
        let mut old = answer_for("acct-old", 0, 17.0).snapshot.unwrap();
        old.account.email = Some("old@example.com".into());
        let saved = SavedState { snapshot: Some(old), ..SavedState::default() };
        let mut s = Session::restore(Settings::default(), saved, true, at(1));
        s.set_accounts(&[watched("acct-new/user-new", "new@example.com", true)], "acct-new/user-new");
        assert!(s.shown().snapshot.is_none(), "new@ never shows old@'s numbers");
        // Numbers saved before people were told apart go to the one account of their workspace.
        let mut plain = answer_for("acct-1", 0, 17.0).snapshot.unwrap();
        plain.account.user_id = None;
        plain.account.email = None;
        let saved = SavedState { snapshot: Some(plain), ..SavedState::default() };
        let mut s = Session::restore(Settings::default(), saved, true, at(1));
        let mut me = watched("acct-1/user-dev", "dev@example.com", true);
        me.workspace = Some("acct-1".into());
        s.set_accounts(&[me.clone()], &me.id);
        assert_eq!(s.shown().snapshot.as_ref().unwrap().windows[0].used_percent, 17.0);
    }

    #[test]
    fn alert_memory_kept_for_a_workspace_goes_to_its_one_watched_person_only() {
        // An earlier version told "limit reached" for the workspace alone (no person named).
        let mut old = Session::restore(Settings::default(), SavedState::default(), true, t0());
        old.set_accounts(&[watched("acct-1", "me@example.com", true)], "acct-1");
        let told = old.apply_for("acct-1", &answer_for("acct-1", 0, 100.0), at(0));
        assert!(told.notify.is_some());
        let saved = told.save_alerts.expect("remembered");
        let person = |id: &str, email: &str, shares: bool| WatchedAccount {
            workspace: Some("acct-1".into()),
            shares_workspace: shares,
            ..watched(&format!("acct-1/{id}"), email, id == "user-me")
        };
        let mine = || {
            let mut report = answer_for("acct-1", 5, 100.0);
            report.snapshot.as_mut().unwrap().account.user_id = Some("user-me".into());
            report
        };
        // The one watched person of that workspace: it was theirs, and is not told again.
        let mut alone = Session::restore(
            Settings::default(),
            SavedState { alerts: saved.clone(), ..Default::default() },
            true,
            t0(),
        );
        alone.set_accounts(&[person("user-me", "me@example.com", false)], "acct-1/user-me");
        assert_eq!(alone.apply_for("acct-1/user-me", &mine(), at(5)).notify, None);
        // Two people watched in it: whose it was cannot be told, so nothing moves and each
        // person's own limit is told.
        let mut two =
            Session::restore(Settings::default(), SavedState { alerts: saved, ..Default::default() }, true, t0());
        two.set_accounts(
            &[person("user-me", "me@example.com", true), person("user-you", "you@example.com", true)],
            "acct-1/user-me",
        );
        let reached = two.apply_for("acct-1/user-me", &mine(), at(5)).notify.expect("my own limit, told");
        assert!(reached.title.contains("limit"), "{}", reached.title);
    }

    #[test]
    fn an_account_read_a_moment_earlier_but_applied_later_is_not_out_of_order() {
        let mut s = two_accounts(SavedState::default());
        s.apply_for("acct-1", &answer_for("acct-1", 0, 50.0), at(0));
        s.apply_for("acct-2", &answer_for("acct-2", 0, 50.0), at(0));
        // Both read on one poll: the work account's answer came first, and is applied second.
        let mut work = answer_for("acct-2", 5, 85.0);
        work.snapshot.as_mut().unwrap().observed_at = at(5) - Duration::milliseconds(3);
        s.apply_for("acct-1", &answer_for("acct-1", 5, 60.0), at(5));
        let crossed = s.apply_for("acct-2", &work, at(5)).notify;
        assert!(crossed.is_some_and(|a| a.title.starts_with("work@example.com: ")));
    }
}
