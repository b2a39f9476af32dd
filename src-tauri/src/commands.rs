//! The commands the web UI may call (and nothing else: see capabilities/default.json). The
//! backend pushes new numbers as `dashboard` events; the UI does not poll.

use headroom_core::poll::Trigger;
use headroom_core::present::dashboard_view::DashboardView;
use tauri::State;

use chrono::Utc;
use headroom_core::login::credentials::{DiscoverMode, ProbeOutcome};
use headroom_core::login::keychain::OsKeychain;
use headroom_core::login::paste::{classify, Paste};
use headroom_core::login::pasted_tokens::{PastedEntry, PastedTokens};
use headroom_core::login::vault::{Slot, TokenInfo, Vault};
use headroom_core::model::{AccountKey, SourceKind};
use headroom_core::settings::{FieldProblem, SettingsForm};
use headroom_core::status::Context;
use headroom_shell::state::environment;
use headroom_shell::App;
use serde::Serialize;

/// The dashboard's numbers now.
#[tauri::command]
pub fn dashboard(state: State<'_, App>) -> DashboardView {
    state.dashboard_view()
}

/// "Retry" and "Refresh": fetch now (clicks within 5 s are one).
#[tauri::command]
pub fn refresh(state: State<'_, App>) {
    state.refresh_all();
}

/// The settings as the window edits them.
#[tauri::command]
pub fn settings(state: State<'_, App>) -> SettingsForm {
    SettingsForm::from_settings(&state.shared.session.lock().unwrap().settings)
}

/// What saving the settings window's form did: the settings now in force and, beside their
/// fields, the values that could not be used (those fields keep their previous values).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Serialize)]
pub struct SavedSettings {
    pub form: SettingsForm,
    pub problems: Vec<FieldProblem>,
}

/// Saves every field that is valid, at once; a wrong field never holds back the others.
#[tauri::command]
pub fn save_settings(state: State<'_, App>, form: SettingsForm) -> SavedSettings {
    let current = state.shared.session.lock().unwrap().settings.clone();
    let (settings, mut problems) = form.apply_to(&current);
    if let Err(message) = state.apply_settings(settings) {
        problems.push(FieldProblem { field: String::new(), message });
    }
    SavedSettings { form: SettingsForm::from_settings(&state.shared.session.lock().unwrap().settings), problems }
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Serialize)]
pub struct Source {
    pub name: String,
    pub place: String,
    pub status: String,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Serialize)]
pub struct Credentials {
    /// Where the numbers come from now.
    pub in_use: Option<String>,
    pub sources: Vec<Source>,
    /// The pasted token, shown only as its mask and what it says about itself.
    pub pasted: Option<TokenInfo>,
    /// The numbers shown come from Codex's session logs (no login was usable).
    pub from_session_logs: bool,
}

/// Every place credentials are looked for, what each holds, and the pasted token's details.
#[tauri::command]
pub async fn credentials(state: State<'_, App>) -> Result<Credentials, String> {
    let (settings, from_session_logs) = {
        let inner = state.shared.session.lock().unwrap();
        let from_logs = inner.shown().snapshot.as_ref().is_some_and(|s| s.source == SourceKind::SessionLog);
        (inner.settings.clone(), from_logs)
    };
    // Keychain reads block on D-Bus.
    tauri::async_runtime::spawn_blocking(move || {
        let ctx = Context::load(environment(&settings));
        let vault = Vault::new(&OsKeychain);
        let discovery = ctx.discover(&OsKeychain, Some(&vault), DiscoverMode::All);
        let sources = discovery
            .probes
            .iter()
            .map(|p| Source {
                name: p.origin.describe().to_string(),
                place: p.location.clone(),
                status: match &p.outcome {
                    ProbeOutcome::Found(c) => {
                        format!("found{}", c.claims.email.as_ref().map(|e| format!(": {e}")).unwrap_or_default())
                    }
                    ProbeOutcome::NotFound(why) => format!("not found ({why})"),
                    ProbeOutcome::NoQuota(kind) => format!("{}: no plan quota", kind.describe()),
                    ProbeOutcome::Failed(why) => format!("unusable: {why}"),
                    ProbeOutcome::Skipped(why) => format!("skipped: {why}"),
                },
            })
            .collect();
        let pasted = vault.load(Slot::AccessToken).ok().flatten().map(|t| TokenInfo::of(&t, Utc::now()));
        let in_use = discovery.credential().map(|c| c.origin.describe().to_string());
        Credentials { from_session_logs: from_session_logs && in_use.is_none(), in_use, sources, pasted }
    })
    .await
    .map_err(|e| e.to_string())
}

/// Takes what was pasted (a token or the session cookie), keeps the access token in the OS
/// keychain, and refreshes. The token never travels back to the window.
#[tauri::command]
pub async fn paste_token(state: State<'_, App>, text: String) -> Result<TokenInfo, String> {
    let now = Utc::now();
    let settings = state.shared.session.lock().unwrap().settings.clone();
    let ctx = Context::load(environment(&settings));
    let token = match classify(&text, now).map_err(|e| e.to_string())? {
        Paste::AccessToken(token) => token,
        Paste::SessionCookie(cookie) => {
            let client = ctx.client().map_err(|e| e.to_string())?;
            client.exchange_session_cookie(&cookie).await.map_err(|e| e.to_string())?.access_token
        }
    };
    let stored = token.clone();
    // Another account's token is kept beside the others; the same account's replaces its own.
    tauri::async_runtime::spawn_blocking(move || PastedTokens::new(&OsKeychain).store(&stored))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    state.shared.trigger(Trigger::CredentialsChanged);
    Ok(TokenInfo::of(&token, now))
}

#[tauri::command]
pub async fn remove_token(state: State<'_, App>) -> Result<(), String> {
    tauri::async_runtime::spawn_blocking(|| PastedTokens::new(&OsKeychain).remove(&PastedEntry::first()))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    state.shared.trigger(Trigger::CredentialsChanged);
    Ok(())
}

/// Asks the usage service whether it accepts the pasted token.
#[tauri::command]
pub async fn check_token(state: State<'_, App>) -> Result<String, String> {
    let settings = state.shared.session.lock().unwrap().settings.clone();
    let token = tauri::async_runtime::spawn_blocking(|| Vault::new(&OsKeychain).load(Slot::AccessToken))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?
        .ok_or("No token is stored: paste one first.")?;
    let credential = headroom_core::Credential::new(
        headroom_core::CredentialOrigin::Keychain,
        Vault::location(Slot::AccessToken),
        token,
        None,
        None,
    );
    let ctx = Context::load(environment(&settings));
    match headroom_core::status::fetch_live(&ctx, &credential, Utc::now()).await {
        Ok(_) => Ok("Accepted by the usage service.".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Until when alerts are paused (RFC 3339), if they are.
#[tauri::command]
pub fn alert_pause(state: State<'_, App>) -> Option<String> {
    let until = state.shared.session.lock().unwrap().paused_until.filter(|u| *u > Utc::now());
    until.map(|u| u.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// What "until the limit resets" would mean now: "Until the 5-hour limit resets (15:34)", or
/// nothing when no window says when it resets.
#[tauri::command]
pub fn reset_pause_label(state: State<'_, App>) -> Option<String> {
    let inner = state.shared.session.lock().unwrap();
    headroom_core::alerts::pause::until_reset(inner.shown().snapshot.as_ref(), Utc::now()).map(|p| p.label)
}

/// Pauses alerts for an hour, or until the limit resets (see `alert_pause`).
#[tauri::command]
pub fn pause_alerts(state: State<'_, App>, until_reset: bool) -> Option<String> {
    state.pause(until_reset);
    alert_pause(state)
}

#[tauri::command]
pub fn resume_alerts(state: State<'_, App>) {
    state.resume();
}

/// The UI's report of its first paint, for the open-to-paint benchmark.
#[tauri::command]
pub fn painted(window: String) {
    crate::windows::painted(&window);
}

/// The chart's data: each window's use over the last `days` days (7 by default) and its resets.
#[tauri::command]
pub fn history(
    state: State<'_, App>,
    days: Option<u32>,
    account: Option<String>,
) -> Result<headroom_core::present::history_view::HistoryView, String> {
    use headroom_core::history::{self, History};
    // The account asked for (a dashboard card's), else the one the tray shows.
    let (current, id) = {
        let session = state.shared.session.lock().unwrap();
        let chosen = account
            .as_deref()
            .and_then(|id| session.accounts().iter().find(|a| a.watched.id == id))
            .unwrap_or_else(|| session.shown());
        (chosen.snapshot.clone(), chosen.watched.id.clone())
    };
    let account = current.as_ref().map(AccountKey::of).unwrap_or_else(|| AccountKey::from_stored(&id));
    let until = Utc::now();
    let since = until - chrono::Duration::days(i64::from(days.unwrap_or(7).clamp(1, 180)));
    let Some(path) = history::default_path().filter(|p| p.exists()) else {
        return Ok(headroom_core::present::history_view::history_view(&[], &account, since, until, current.as_ref()));
    };
    let samples = History::open(&path).and_then(|h| h.since(since)).map_err(|e| format!("{e}."))?;
    Ok(headroom_core::present::history_view::history_view(&samples, &account, since, until, current.as_ref()))
}

/// "Export CSV": the whole history into the Downloads folder; returns the file's path.
#[tauri::command]
pub fn export_history() -> Result<String, String> {
    use headroom_core::history::{self, History};
    let path = history::default_path()
        .filter(|p| p.exists())
        .ok_or("There is no usage history yet: it starts with the first numbers.")?;
    let samples =
        History::open(&path).and_then(|h| h.since(chrono::DateTime::UNIX_EPOCH)).map_err(|e| format!("{e}."))?;
    let folder = dirs::download_dir().or_else(dirs::home_dir).ok_or("No Downloads folder is known for this user.")?;
    let file = folder.join(format!("headroom-history-{}.csv", Utc::now().format("%Y-%m-%d")));
    headroom_core::storage::write_atomically(&file, history::to_csv(&samples).as_bytes()).map_err(|e| {
        format!(
            "The history could not be saved as {} ({e}): check that the folder is writable and the disk not full.",
            file.display()
        )
    })?;
    Ok(file.display().to_string())
}

/// The dashboard's "Tokens" tab: tokens per day over the last `days` days (14 by default), in
/// local time, from Codex's session logs through the per-file cache. Read off the UI thread.
#[tauri::command]
pub async fn token_usage(
    state: State<'_, App>,
    days: Option<u32>,
    account: Option<String>,
) -> Result<headroom_core::tokens::report::DailyReport, String> {
    use headroom_core::tokens::report::{daily, Filter, Zone};
    // Tokens are counted per Codex home: the account's, else the default one.
    let codex_home = {
        let session = state.shared.session.lock().unwrap();
        let home = account
            .as_deref()
            .and_then(|id| session.accounts().iter().find(|a| a.watched.id == id))
            .and_then(|a| a.watched.home().map(std::path::Path::to_path_buf));
        home.unwrap_or_else(|| environment(&session.settings).codex_home)
    };
    let days = i64::from(days.unwrap_or(14).clamp(1, 366));
    tauri::async_runtime::spawn_blocking(move || {
        let cache = headroom_core::tokens::ledger::default_cache_path(&codex_home);
        let ledger = headroom_core::tokens::ledger::load(&codex_home, cache.as_deref());
        let today = chrono::Local::now().date_naive();
        let filter = Filter { zone: Zone::Local, since: Some(today - chrono::Duration::days(days - 1)), until: None };
        daily(&ledger, &filter)
    })
    .await
    .map_err(|e| format!("Reading Codex's session logs failed unexpectedly ({e}): try again."))
}

/// One account in the settings window's list: never a secret, only where it was found.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Serialize)]
pub struct AccountEntry {
    pub id: String,
    /// Its email, else its id.
    pub label: String,
    /// Each place its login was found: a home's path, a keychain entry, a variable.
    pub found_in: Vec<String>,
    pub is_default: bool,
    /// The tray icon shows it.
    pub shown: bool,
    /// Pinned by the user (the icon shows it whatever the default).
    pub pinned: bool,
    /// It has an added home or a pasted token that can be removed.
    pub removable: bool,
    /// `CODEX_HOME=… codex`, when it has a Codex home of its own.
    pub command: Option<String>,
}

/// Every account, as found now (read off the UI thread: the keychain answers over D-Bus).
#[tauri::command]
pub async fn accounts(state: State<'_, App>) -> Result<Vec<AccountEntry>, String> {
    use headroom_core::accounts::roster::{HomeOrigin, Place, Roster};
    let settings = state.shared.session.lock().unwrap().settings.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let env = environment(&settings);
        let roster = Roster::find(&env, &settings, &OsKeychain);
        let shown = roster.shown(settings.pinned_account.as_deref(), &env).id.clone();
        roster
            .accounts
            .iter()
            .map(|a| AccountEntry {
                id: a.id.clone(),
                label: a.label().to_string(),
                found_in: a.places.iter().map(Place::describe).collect(),
                is_default: a.default,
                shown: a.id == shown,
                pinned: settings.pinned_account.is_some() && a.id == shown,
                removable: a
                    .places
                    .iter()
                    .any(|p| matches!(p, Place::Pasted(_) | Place::Home { origin: HomeOrigin::Added, .. })),
                command: a.codex_command(),
            })
            .collect()
    })
    .await
    .map_err(|e| e.to_string())
}

/// Saves a change to the accounts and reads them again at once.
fn apply_account_change(state: &App, settings: headroom_core::settings::Settings) -> Result<(), String> {
    state.apply_settings(settings)?;
    state.refresh_all();
    Ok(())
}

/// "Add a Codex home": refused with a sentence unless the folder holds a ChatGPT login.
#[tauri::command]
pub async fn add_home(state: State<'_, App>, path: String) -> Result<String, String> {
    let mut settings = state.shared.session.lock().unwrap().settings.clone();
    let (settings, added) = tauri::async_runtime::spawn_blocking(move || {
        let env = environment(&settings);
        headroom_core::accounts::changes::add_home(&env, &mut settings, &OsKeychain, std::path::Path::new(path.trim()))
            .map(|added| (settings, added))
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())??;
    if added.already {
        return Ok(format!("{} is watched already ({}).", added.path.display(), added.account));
    }
    apply_account_change(&state, settings)?;
    Ok(format!("Added {} ({}).", added.path.display(), added.account))
}

/// The folder picker, opened from Rust: the path goes back to the window, nothing else.
#[tauri::command]
pub async fn choose_folder(app: tauri::AppHandle) -> Option<String> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().set_title("Choose a Codex home").pick_folder(move |folder| {
        let _ = tx.send(folder.and_then(|f| f.into_path().ok()).map(|p| p.display().to_string()));
    });
    rx.await.ok().flatten()
}

/// Removes an added home or a pasted token (from the keychain).
#[tauri::command]
pub async fn remove_account(state: State<'_, App>, id: String) -> Result<String, String> {
    let mut settings = state.shared.session.lock().unwrap().settings.clone();
    let (settings, removed) = tauri::async_runtime::spawn_blocking(move || {
        let env = environment(&settings);
        headroom_core::accounts::changes::remove(&env, &mut settings, &OsKeychain, &id)
            .map(|removed| (settings, removed))
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())??;
    apply_account_change(&state, settings)?;
    Ok(format!("Removed {}.", removed.join(" and ")))
}

/// Shows this account in the tray icon (`None`: the default account again), at once.
#[tauri::command]
pub async fn pin_account(state: State<'_, App>, id: Option<String>) -> Result<(), String> {
    let mut settings = state.shared.session.lock().unwrap().settings.clone();
    let settings = tauri::async_runtime::spawn_blocking(move || {
        let env = environment(&settings);
        headroom_core::accounts::changes::pin(&env, &mut settings, &OsKeychain, id.as_deref())
            .map(|_| settings)
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())??;
    state.apply_settings(settings)?;
    state.show_pinned();
    Ok(())
}

/// One hook in the settings window's list: its events and command, as written in settings.toml.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Serialize)]
pub struct HookEntry {
    /// The event names it runs on ("threshold", "limit_reached", …).
    pub on: Vec<String>,
    pub run: String,
}

#[tauri::command]
pub fn hooks(state: State<'_, App>) -> Vec<HookEntry> {
    let session = state.shared.session.lock().unwrap();
    session
        .settings
        .hooks
        .iter()
        .map(|h| HookEntry { on: h.on.iter().map(|k| k.id().to_string()).collect(), run: h.run.clone() })
        .collect()
}

/// "Run test event": runs the `index`th hook with a made-up threshold crossing for the shown
/// account (marked `"test": true`), off the UI thread, and says how it went.
#[tauri::command]
pub async fn run_test_hook(state: State<'_, App>, index: usize) -> Result<String, String> {
    let (hook, account) = {
        let session = state.shared.session.lock().unwrap();
        let hook = session.settings.hooks.get(index).cloned();
        (hook, session.shown().watched.label().to_string())
    };
    let Some(hook) = hook else {
        return Err("That hook is no longer in settings.toml: reopen Settings to see the hooks as they are now.".into());
    };
    let shared = state.shared.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let event = headroom_core::alerts::hooks::HookEvent::test(&account, Utc::now());
        let result = headroom_shell::hooks::run_and_log(&hook, &event);
        shared.session.lock().unwrap().hook_finished(&hook.run, result.clone());
        result.map(|()| "The hook ran and finished well.".to_string())
    })
    .await
    .map_err(|e| format!("Running the hook failed unexpectedly ({e}): try again."))?
}
