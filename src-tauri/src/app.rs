//! The app's state and what happens when numbers arrive: alerts, the tray, the files on disk.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use headroom_core::alerts::AlertKind;
use headroom_core::alerts::{merge, Alert, AlertEngine, AlertState, UserPause};
use headroom_core::environment::Environment;
use headroom_core::error::UsageError;
use headroom_core::fallback::{CodexNow, Fallback, Move};
use headroom_core::history;
use headroom_core::keychain::OsKeychain;
use headroom_core::model::UsageSnapshot;
use headroom_core::poll::{self, PollPlan, Trigger};
use headroom_core::settings::{self, Settings};
use headroom_core::status::{read_status, Context, SourcePreference, StatusReport};
use headroom_core::vault::Slot;
use headroom_core::vault::Vault;
use headroom_core::{alert_pause, codex_app_server, demo, storage};
use tauri::AppHandle;

use crate::codex_watch::CodexWatch;
use crate::{notifications, tray};
use tokio::sync::mpsc;

/// How long after Codex last wrote a session log it counts as in use (poll every minute).
const ACTIVE_FOR: Duration = Duration::minutes(10);

pub struct Inner {
    pub settings: Settings,
    pub snapshot: Option<UsageSnapshot>,
    /// Each window's pace, in the snapshot's window order.
    pub paces: Vec<Option<headroom_core::pace::Pace>>,
    pub error: Option<UsageError>,
    pub engine: AlertEngine,
    pub paused_until: Option<DateTime<Utc>>,
    /// The account alerts are remembered under; sticky so session-log samples share it.
    pub account_key: String,
    /// Notification ids by alert identity, so a newer alert replaces the older one.
    pub notification_ids: std::collections::HashMap<String, u32>,
    /// When Headroom last asked Codex to refresh its expired login (at most hourly).
    pub last_heal_attempt: Option<DateTime<Utc>>,
    /// The first-run settings window was opened (once per run).
    pub welcomed: bool,
    /// The alert state as last written, so an unchanged state costs no disk write.
    pub alerts_written: Option<AlertState>,
    /// A fallback API key is stored.
    pub fallback_key: bool,
    /// Codex runs on Headroom's fallback key now.
    pub on_fallback_key: bool,
    /// When Headroom last put Codex back on the plan (open sessions stay on the key).
    pub restored_at: Option<DateTime<Utc>>,
}

pub struct Shared {
    pub inner: Mutex<Inner>,
    pub demo: bool,
    pub data_dir: Option<PathBuf>,
    triggers: Mutex<Option<mpsc::UnboundedSender<Trigger>>>,
    /// Unix seconds of Codex's last session-log write, from the file watcher.
    last_codex_write: Arc<AtomicI64>,
    codex_watch: Mutex<CodexWatch>,
}

pub type SharedState = Arc<Shared>;

impl Shared {
    /// Reads settings and the state saved by the last run. Nothing here can stop the app: a bad
    /// file is reported and replaced by defaults.
    pub fn load(demo: bool) -> SharedState {
        let (settings, problems) = match settings::default_path() {
            Some(path) => settings::load(&path),
            None => (Settings::default(), Vec::new()),
        };
        for problem in &problems {
            tracing::warn!("{problem}");
        }
        if !problems.is_empty() {
            // Said once at start, where the user will see it; the defaults apply meanwhile.
            let alert = Alert {
                kind: headroom_core::alerts::AlertKind::Summary { count: problems.len() },
                identity: "settings".into(),
                title: "Headroom's settings file has problems".into(),
                body: problems.join("\n"),
            };
            pending_settings_alert(Some(alert));
        }
        let data_dir = storage::data_dir();
        let read = |name: &str| data_dir.as_ref().map(|d| d.join(name));
        let snapshot = if demo { None } else { read(storage::LAST_SNAPSHOT).and_then(|p| load_json(&p)) };
        // Numbers saved while the clock was ahead: how old they are cannot be said, so they are
        // not shown (the first answer comes within seconds).
        let snapshot = snapshot.filter(|s: &UsageSnapshot| {
            let ahead = s.dated_ahead(Utc::now());
            if ahead {
                tracing::info!("the saved numbers are dated {} (ahead of the clock); not shown", s.observed_at);
            }
            !ahead
        });
        let alert_state: AlertState = read("alerts.json").and_then(|p| load_json(&p)).unwrap_or_default();
        let paused_until = if demo { None } else { read(alert_pause::PAUSE_FILE).and_then(|p| load_json(&p)) }
            .and_then(|p: alert_pause::SavedPause| p.still_running(Utc::now()));
        let account_key = snapshot.as_ref().map(account_key).unwrap_or_else(|| "default".into());
        Arc::new(Shared {
            inner: Mutex::new(Inner {
                settings,
                snapshot,
                paces: Vec::new(),
                error: None,
                engine: AlertEngine::new(alert_state),
                paused_until,
                account_key,
                notification_ids: Default::default(),
                last_heal_attempt: None,
                welcomed: false,
                alerts_written: None,
                fallback_key: false,
                on_fallback_key: false,
                restored_at: None,
            }),
            demo,
            data_dir,
            triggers: Mutex::new(None),
            last_codex_write: Arc::new(AtomicI64::new(0)),
            codex_watch: Mutex::new(CodexWatch::default()),
        })
    }

    /// Watches the Codex folder the settings name now (see `codex_watch`).
    fn follow_codex_home(self: &Arc<Self>) {
        if self.demo {
            return;
        }
        let home = environment(&self.inner.lock().unwrap().settings).codex_home;
        self.codex_watch.lock().unwrap().follow(&home, self, &self.last_codex_write);
    }

    pub fn trigger(&self, trigger: Trigger) {
        if let Some(tx) = self.triggers.lock().unwrap().as_ref() {
            let _ = tx.send(trigger);
        }
    }

    fn save(&self, name: &str, value: &impl serde::Serialize) {
        if let Some(dir) = &self.data_dir {
            if let Err(e) = storage::write_json(&dir.join(name), value) {
                // A full disk costs the saved state, never the running app.
                tracing::warn!("could not save {name} in {}: {e}", dir.display());
            }
        }
    }
}

fn load_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Option<T> {
    match storage::read_json(path) {
        Ok(value) => value,
        Err(e) => {
            tracing::warn!("{e}; starting without it");
            None
        }
    }
}

fn account_key(snapshot: &UsageSnapshot) -> String {
    snapshot.account.account_id.clone().or_else(|| snapshot.account.email.clone()).unwrap_or_else(|| "default".into())
}

pub fn environment(settings: &Settings) -> Environment {
    Environment::from_process().with_codex_home(settings.codex_home.as_deref())
}

/// A settings problem found before the app could notify, shown once it can.
fn pending_settings_alert(set: Option<Alert>) -> Option<Alert> {
    static PENDING: Mutex<Option<Alert>> = Mutex::new(None);
    let mut pending = PENDING.lock().unwrap();
    match set {
        Some(alert) => pending.replace(alert),
        None => pending.take(),
    }
}

/// Turns launch-at-login on or off to match the setting, touching it only when they differ.
pub fn apply_autostart(app: &AppHandle, wanted: bool) {
    use tauri_plugin_autostart::ManagerExt;
    let launcher = app.autolaunch();
    match launcher.is_enabled() {
        Ok(enabled) if enabled == wanted => {}
        _ => {
            let result = if wanted { launcher.enable() } else { launcher.disable() };
            if let Err(e) = result {
                tracing::warn!("could not change launch at login ({e})");
            }
        }
    }
}

/// Starts polling (and watching Codex's folder) in the background.
pub fn start(app: AppHandle, shared: SharedState) {
    if let Some(alert) = pending_settings_alert(None) {
        notifications::show(shared.clone(), alert);
    }
    let (tx, rx) = mpsc::unbounded_channel();
    *shared.triggers.lock().unwrap() = Some(tx);
    let settings = shared.inner.lock().unwrap().settings.clone();
    if !shared.demo {
        apply_autostart(&app, settings.autostart);
    }
    let plan = if shared.demo {
        PollPlan {
            interval: Duration::seconds(5),
            active_interval: Duration::seconds(5),
            min_gap: Duration::seconds(1),
            ..PollPlan::from_settings(&settings)
        }
    } else {
        PollPlan::from_settings(&settings)
    };
    shared.follow_codex_home();

    let fetch_shared = shared.clone();
    let active_shared = shared.clone();
    let report_shared = shared.clone();
    tauri::async_runtime::spawn(poll::run(
        plan,
        rx,
        move || fetch(fetch_shared.clone()),
        move || {
            let last = active_shared.last_codex_write.load(Ordering::Relaxed);
            Utc::now().timestamp() - last < ACTIVE_FOR.num_seconds()
        },
        move |report| on_report(&app, &report_shared, report),
    ));
}

async fn fetch(shared: SharedState) -> StatusReport {
    if shared.demo {
        return StatusReport {
            snapshot: Some(demo::snapshot(Utc::now())),
            credential: None,
            error: None,
            log_file: None,
            paces: Vec::new(),
        };
    }
    let settings = shared.inner.lock().unwrap().settings.clone();
    // The keychain answers over blocking D-Bus calls: keep them off the async workers.
    let fallback_shared = shared.clone();
    let answer = tauri::async_runtime::spawn_blocking(move || {
        let ctx = Context::load(environment(&settings));
        let vault = Vault::new(&OsKeychain);
        // Whether a fallback key is stored and Codex runs on it, for the icon and the menu.
        let on_key = matches!(fallback_for(&ctx).codex_now(), Ok(CodexNow::FallbackKey));
        let key = matches!(vault.load(Slot::FallbackApiKey), Ok(Some(_)));
        {
            let mut inner = fallback_shared.inner.lock().unwrap();
            inner.fallback_key = key;
            inner.on_fallback_key = on_key;
        }
        let now = Utc::now();
        let mut report = tokio::runtime::Handle::current().block_on(read_status(
            &ctx,
            &OsKeychain,
            Some(&vault),
            SourcePreference::Auto,
            now,
        ));
        // Every snapshot goes into the history, which gives each window its pace.
        if let Some(snapshot) = &report.snapshot {
            let sessions = headroom_core::session_log::sessions_dir(&ctx.env.codex_home);
            let (paces, notice) = history::record_and_pace(None, snapshot, &sessions, now);
            report.paces = paces;
            if let Some(notice) = notice {
                tracing::warn!("{notice}");
            }
        }
        report
    })
    .await;
    answer.unwrap_or_else(|e| StatusReport {
        snapshot: None,
        credential: None,
        error: Some(UsageError::Other(format!("Reading the numbers failed unexpectedly ({e}): restart Headroom."))),
        log_file: None,
        paces: Vec::new(),
    })
}

/// New numbers (or a failure): keep the last good numbers, decide alerts, update the tray.
fn on_report(app: &AppHandle, shared: &SharedState, report: StatusReport) {
    let now = Utc::now();
    let mut alerts: Vec<Alert> = Vec::new();
    let mut save_snapshot = None;
    let mut welcome = false;
    let fallback_move;
    {
        let mut inner = shared.inner.lock().unwrap();
        let inner = &mut *inner;
        let pause = UserPause { until: inner.paused_until };
        if let Some(snapshot) = &report.snapshot {
            if report.credential.is_some() || inner.account_key == "default" {
                inner.account_key = account_key(snapshot);
            }
            if snapshot.replaces(inner.snapshot.as_ref(), now) {
                if inner.snapshot.as_ref() != Some(snapshot) {
                    save_snapshot = Some(snapshot.clone());
                }
                inner.snapshot = Some(snapshot.clone());
                inner.paces = report.paces.clone();
            }
            alerts.extend(inner.engine.observe(snapshot, &inner.account_key, &inner.settings, pause, now));
            alerts.extend(inner.engine.pace(snapshot, &report.paces, &inner.account_key, &inner.settings, pause, now));
        }
        if let Some(credential) = &report.credential {
            let key = format!(
                "{}|{}|{}",
                credential.origin.id(),
                credential.account_id.as_deref().unwrap_or("-"),
                credential.claims.expires_at.map(|t| t.timestamp()).unwrap_or(0)
            );
            if let Some(expires) = credential.claims.expires_at {
                alerts.extend(inner.engine.token_expiry(&key, credential.origin, expires, &inner.settings, pause, now));
            }
            if matches!(report.error, Some(UsageError::Unauthorized { .. })) {
                alerts.extend(inner.engine.credentials_rejected(&key, credential.origin, &inner.settings, pause, now));
            }
        }
        // The fallback key: offered beside "limit reached" / "available again", or used at once
        // when the user opted in.
        fallback_move = headroom_core::fallback::decide(
            &alerts,
            inner.fallback_key,
            inner.on_fallback_key,
            inner.settings.fallback_automatic,
        );
        for alert in &mut alerts {
            match (&alert.kind, fallback_move) {
                (AlertKind::LimitReached { .. }, Some(Move::OfferKey)) => alert
                    .body
                    .push_str(" Your fallback API key can keep Codex going: choose “Switch Codex to API key” in the Headroom menu."),
                (AlertKind::AvailableAgain { .. }, Some(Move::OfferPlan)) => alert
                    .body
                    .push_str(" Codex still uses your API key: choose “Switch Codex back to your ChatGPT plan” in the Headroom menu."),
                _ => {}
            }
        }
        if let Some(summary) = inner.engine.release_held(&inner.settings, now) {
            alerts.push(summary);
        }
        if needs_codex_refresh(&report) && codex_app_server::due(inner.last_heal_attempt, now) {
            if let Some(codex) = codex_app_server::find_codex() {
                inner.last_heal_attempt = Some(now);
                heal(shared.clone(), codex, environment(&inner.settings).codex_home);
            }
        }
        // First run: no source at all. The settings window explains the ways in.
        let no_source = matches!(
            report.error,
            Some(UsageError::NoCredentials { .. } | UsageError::NoSessionLogs { .. } | UsageError::NoQuota(_))
        );
        if report.snapshot.is_none() && inner.snapshot.is_none() && no_source && !inner.welcomed {
            inner.welcomed = true;
            welcome = true;
        }
        inner.error = report.error.clone();
        if let Some(error) = &report.error {
            tracing::info!(kind = error.kind().id(), "refresh failed: {error}");
        }
        if inner.alerts_written.as_ref() != Some(inner.engine.state()) {
            shared.save("alerts.json", inner.engine.state());
            inner.alerts_written = Some(inner.engine.state().clone());
        }
    }
    if welcome {
        crate::windows::open(app, crate::windows::Window::Settings);
    }
    match fallback_move {
        Some(Move::SwitchToKey) => fallback_action(app, shared, true),
        Some(Move::SwitchToPlan) => fallback_action(app, shared, false),
        _ => {}
    }
    if let Some(snapshot) = save_snapshot.filter(|_| !shared.demo) {
        shared.save(storage::LAST_SNAPSHOT, &snapshot);
    }
    shared.follow_codex_home();
    tray::refresh(app, shared);
    // Open windows update at once; with none open nobody listens and this costs nothing.
    let _ = tauri::Emitter::emit(app, "dashboard", dashboard_view(shared));
    if let Some(alert) = merge(alerts) {
        notifications::show(shared.clone(), alert);
    }
}

/// Saves settings and applies them at once: schedule, launch at login, tray, open windows.
pub fn apply_settings(app: &AppHandle, shared: &SharedState, settings: Settings) -> Result<(), String> {
    if let Some(path) = settings::default_path() {
        settings::save(&path, &settings).map_err(|e| {
            format!(
                "The settings could not be saved in {} ({e}): check that the folder is writable and the disk not full.",
                path.display()
            )
        })?;
    }
    let old = std::mem::replace(&mut shared.inner.lock().unwrap().settings, settings.clone());
    if !shared.demo {
        shared.trigger(Trigger::Reschedule(PollPlan::from_settings(&settings)));
        apply_autostart(app, settings.autostart);
        if old.codex_home != settings.codex_home {
            // Another Codex folder is another login: watched from now on and read at once, as
            // "Refresh now" would.
            shared.follow_codex_home();
            shared.trigger(Trigger::Click);
        }
    }
    tray::refresh(app, shared);
    let _ = tauri::Emitter::emit(app, "dashboard", dashboard_view(shared));
    Ok(())
}

/// The dashboard's view of the current state.
pub fn dashboard_view(shared: &SharedState) -> headroom_core::dashboard_view::DashboardView {
    let inner = shared.inner.lock().unwrap();
    headroom_core::dashboard_view::dashboard_view(
        inner.snapshot.as_ref(),
        &inner.paces,
        inner.error.as_ref(),
        &inner.settings,
        Utc::now(),
    )
}

pub fn fallback_for(ctx: &Context) -> Fallback<'static> {
    ctx.fallback(&OsKeychain)
}

/// "Switch Codex to API key" / "Switch Codex back to your ChatGPT plan", from the menu.
pub fn fallback_action(app: &AppHandle, shared: &SharedState, to_key: bool) {
    let shared = shared.clone();
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let settings = shared.inner.lock().unwrap().settings.clone();
        let fallback = fallback_for(&Context::load(environment(&settings)));
        let result = if to_key { fallback.switch() } else { fallback.restore().map(|_| ()) };
        let (title, body) = match (&result, to_key) {
            (Ok(()), true) => (
                "Codex switched to your API key",
                format!(
                    "It is billed at API rates; your ChatGPT login is saved and comes back from the menu. {}",
                    headroom_core::fallback::OPEN_SESSIONS_KEEP_PLAN
                ),
            ),
            (Ok(()), false) => (
                "Codex is back on your ChatGPT plan",
                format!(
                    "Your saved ChatGPT login is in place again. {}",
                    headroom_core::fallback::OPEN_SESSIONS_KEEP_KEY
                ),
            ),
            (Err(e), _) => ("Codex's login was not changed", e.to_string()),
        };
        let alert = Alert {
            kind: headroom_core::alerts::AlertKind::Summary { count: 1 },
            identity: "fallback".into(),
            title: title.into(),
            body,
        };
        if result.is_ok() {
            let mut inner = shared.inner.lock().unwrap();
            inner.on_fallback_key = to_key;
            inner.restored_at = (!to_key).then(Utc::now);
            drop(inner);
            tray::refresh(&app, &shared);
        }
        notifications::show(shared.clone(), alert);
        shared.trigger(Trigger::CredentialsChanged);
    });
}

/// Codex's own login expired or was refused: Codex can refresh it (Headroom never spends its
/// single-use refresh token itself).
fn needs_codex_refresh(report: &StatusReport) -> bool {
    match &report.error {
        Some(UsageError::Expired { origin, .. } | UsageError::Unauthorized { origin, .. }) => origin.is_codex_login(),
        _ => false,
    }
}

/// Asks `codex app-server` to refresh the login, then fetches again with it.
fn heal(shared: SharedState, codex: PathBuf, codex_home: PathBuf) {
    tauri::async_runtime::spawn(async move {
        tracing::info!("asking Codex to refresh its expired login");
        match codex_app_server::refresh_login(&codex, &codex_home).await {
            Ok(()) => {
                tracing::info!("Codex refreshed its login");
                shared.trigger(Trigger::CredentialsChanged);
            }
            Err(e) => tracing::warn!("{e}; the menu asks the user to run `codex`"),
        }
    });
}

/// Pauses alerts for an hour, or until the limit resets (see `alert_pause`), and keeps the pause
/// on disk so that a restart does not end it.
pub fn pause(app: &AppHandle, shared: &SharedState, until_reset: bool) {
    let now = Utc::now();
    let until = {
        let mut inner = shared.inner.lock().unwrap();
        let until = if until_reset {
            alert_pause::until_reset(inner.snapshot.as_ref(), now).map(|p| p.until)
        } else {
            Some(alert_pause::for_an_hour(now))
        };
        if until.is_some() {
            inner.paused_until = until;
        }
        until
    };
    if let Some(until) = until.filter(|_| !shared.demo) {
        shared.save(alert_pause::PAUSE_FILE, &alert_pause::SavedPause { until });
    }
    tray::refresh(app, shared);
}

pub fn resume(app: &AppHandle, shared: &SharedState) {
    shared.inner.lock().unwrap().paused_until = None;
    if let Some(dir) = shared.data_dir.as_ref().filter(|_| !shared.demo) {
        if let Err(e) = std::fs::remove_file(dir.join(alert_pause::PAUSE_FILE)) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!("could not remove the saved pause in {}: {e}", dir.display());
            }
        }
    }
    tray::refresh(app, shared);
}
