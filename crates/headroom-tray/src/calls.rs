//! The tray's answers to the windows' calls (the calls and the answers' shapes are
//! `headroom_protocol::calls`'s).

use chrono::Utc;
use headroom_core::accounts::changes::AccountChangeError;
use headroom_core::accounts::read::UseError;
use headroom_core::accounts::roster::{HomeOrigin, Place, Roster};
use headroom_core::engine::Command;
use headroom_core::login::credentials::DiscoverMode;
use headroom_core::login::pasted_tokens::{PastedEntry, PastedTokens};
use headroom_core::login::vault::TokenInfo;
use headroom_core::model::{AccountKey, SourceKind, UsageSnapshot};
use headroom_core::poll::Trigger;
use headroom_core::present::history_view::{history_view, HistoryView};
use headroom_core::present::words::probe_status;
use headroom_core::settings::{FieldProblem, Settings, SettingsForm};
use headroom_core::status::Context;
use headroom_core::tokens::report::DailyReport;

use crate::state::keychain;
use headroom_protocol::calls::{
    AccountCredentials, AccountEntry, Answer, Call, CallError, Credentials, HookEntry, Reply, SavedSettings, Source,
};

use crate::App;

/// What was asked cannot be done as asked (see [`CallError::Refused`]).
fn refused(sentence: impl Into<String>) -> CallError {
    CallError::Refused(sentence.into())
}

/// It was tried and failed (see [`CallError::Failed`]).
fn failed(error: impl std::fmt::Display) -> CallError {
    CallError::Failed(error.to_string())
}

/// Runs blocking work (the keychain answers over D-Bus, files) off the async workers.
async fn off_the_loop<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, CallError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| failed(format!("The work failed unexpectedly ({e}): try again.")))
}

/// The socket's server hands every call to the tray's app.
impl headroom_protocol::server::Answerer for App {
    fn answer(&self, call: Call) -> impl std::future::Future<Output = Answer> + Send {
        let app = self.clone();
        async move { answer(&app, call).await }
    }
}

/// Carries out one call.
pub async fn answer(app: &App, call: Call) -> Answer {
    let shared = &app.shared;
    Ok(match call {
        // Only a connection can watch (see `headroom_protocol::server`); asked here, there is nobody to tell.
        Call::Watch { .. } => Reply::Watching(false),
        Call::Dashboard => Reply::Dashboard(Box::new(app.dashboard_view())),
        Call::Refresh => {
            app.handle(Command::Refresh);
            Reply::Done
        }
        Call::Settings => Reply::Settings(Box::new(SettingsForm::from_settings(&shared.settings()))),
        Call::SaveSettings { form, base } => Reply::Saved(Box::new(save_settings(app, *form, base.map(|b| *b)))),
        Call::Credentials => Reply::Credentials(Box::new(credentials(app).await?)),
        Call::CredentialsChanged => {
            shared.trigger(Trigger::CredentialsChanged);
            Reply::Done
        }
        Call::RemoveToken { account } => {
            let entry = pasted_entry_of(app, account).await?;
            off_the_loop(move || PastedTokens::new(keychain()).remove(&entry)).await?.map_err(failed)?;
            shared.trigger(Trigger::CredentialsChanged);
            app.handle(Command::Refresh);
            Reply::Done
        }
        Call::CheckToken { account } => Reply::Sentence(check_token(app, account).await?),
        Call::AlertPause => Reply::Maybe(alert_pause(app)),
        Call::ResetPauseLabel => {
            let engine = shared.engine.lock().unwrap();
            let shown = engine.session().shown().snapshot.as_ref();
            Reply::Maybe(headroom_core::alerts::pause::until_reset(shown, Utc::now()).map(|p| p.label))
        }
        Call::PauseAlerts { until_reset } => {
            app.handle(Command::PauseAlerts { until_reset });
            Reply::Maybe(alert_pause(app))
        }
        Call::ResumeAlerts => {
            app.handle(Command::ResumeAlerts);
            Reply::Done
        }
        Call::History { days, account } => Reply::History(Box::new(history(app, days, account)?)),
        Call::ExportHistory { account } => {
            let app = app.clone();
            Reply::Sentence(off_the_loop(move || export_history(&app, account)).await??)
        }
        Call::TokenUsage { days, account } => Reply::TokenUsage(Box::new(token_usage(app, days, account).await?)),
        Call::Accounts => Reply::Accounts(accounts(app).await?),
        Call::AddHome { path } => Reply::Sentence(add_home(app, path).await?),
        Call::RemoveAccount { account } => {
            let removed = change_accounts(app, move |env, settings| {
                headroom_core::accounts::changes::remove(
                    env,
                    settings,
                    keychain(),
                    &account,
                    headroom_core::accounts::changes::Removal::Watching,
                )
            })
            .await?;
            app.handle(Command::Refresh);
            Reply::Sentence(format!("Removed {}.", removed.join(" and ")))
        }
        Call::PinAccount { account } => {
            change_accounts(app, move |env, settings| {
                headroom_core::accounts::changes::pin(env, settings, keychain(), account.as_deref())
            })
            .await?;
            app.handle(Command::ShowPinned);
            Reply::Done
        }
        Call::Hooks => {
            let engine = shared.engine.lock().unwrap();
            let hooks = engine.session().settings().hooks.iter();
            Reply::Hooks(
                hooks
                    .map(|h| HookEntry { on: h.on.iter().map(|k| k.id().to_string()).collect(), run: h.run.clone() })
                    .collect(),
            )
        }
        Call::RunTestHook { index } => Reply::Sentence(run_test_hook(app, index).await?),
        Call::UseResetCredit { account, credit } => Reply::Sentence(use_reset_credit(app, account, credit).await?),
        Call::Open { window } => {
            app.open_window(window);
            Reply::Done
        }
    })
}

/// Saves every field that is valid, at once; a wrong field never holds back the others. Only
/// what the user changed in the window (what differs from the form it was shown) is written,
/// over the file as it is now: a home added with `headroom accounts add`, a hook written by hand
/// or a value an editor changed after the window opened stays.
fn save_settings(app: &App, form: SettingsForm, base: Option<SettingsForm>) -> SavedSettings {
    let shown = app.shared.settings();
    let base = match base {
        Some(base) => base.apply_to(&shown).0,
        None => shown,
    };
    let (mine, mut problems) = form.apply_to(&base);
    let saved = app.change_settings(|file| {
        *file = headroom_core::settings_edit::merge(&base, &mine, file);
        Ok::<_, headroom_core::settings_edit::EditError>(())
    });
    if let Err(error) = saved {
        problems.push(FieldProblem { field: String::new(), message: error.to_string() });
    }
    SavedSettings { form: SettingsForm::from_settings(&app.shared.settings()), problems }
}

/// Until when alerts are paused (RFC 3339), if they are.
fn alert_pause(app: &App) -> Option<String> {
    let until = app.shared.engine.lock().unwrap().session().paused_until().filter(|u| *u > Utc::now());
    until.map(|u| u.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// The pasted token of the account `id` (none: the shown account's), or why there is none.
async fn pasted_entry_of(app: &App, id: Option<String>) -> Result<PastedEntry, CallError> {
    let settings = app.shared.settings();
    let shown = app.shared.engine.lock().unwrap().session().shown().watched.id.clone();
    off_the_loop(move || {
        let env = settings.environment();
        let roster = Roster::find(&env, &settings, keychain());
        let id = id.unwrap_or(shown);
        let account = roster
            .accounts
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| refused("That account is no longer watched: reopen Settings."))?;
        account.pasted().cloned().ok_or_else(|| {
            refused(format!("No token is pasted for {}: there is nothing to remove or check.", account.label()))
        })
    })
    .await?
}

/// Every place credentials are looked for (for the shown account), what each holds, its pasted
/// token's details, and where every account's numbers come from.
async fn credentials(app: &App) -> Result<Credentials, CallError> {
    // Settings was opened: the person may answer an unlock prompt now.
    keychain().ask_again();
    let demo = app.shared.demo;
    let (settings, from_session_logs, shown_id) = {
        let engine = app.shared.engine.lock().unwrap();
        let session = engine.session();
        let from_logs = session.shown().snapshot.as_ref().is_some_and(|s| s.source == SourceKind::SessionLog);
        (session.settings().clone(), from_logs, session.shown().watched.id.clone())
    };
    off_the_loop(move || {
        let env = settings.environment();
        let roster = Roster::find(&env, &settings, keychain());
        let tokens = PastedTokens::new(keychain());
        let info = |entry: &PastedEntry| tokens.load(entry).ok().flatten().map(|t| TokenInfo::of(&t, Utc::now()));
        let accounts: Vec<AccountCredentials> = roster
            .accounts
            .iter()
            .map(|a| {
                let source = headroom_core::accounts::read::numbers_source(a, &env, keychain());
                AccountCredentials {
                    id: a.id.clone(),
                    label: a.listing(),
                    name: a.email.clone().unwrap_or_else(|| a.id.clone()),
                    workspace: a.plan_and_workspace(),
                    source: source.as_ref().ok().cloned(),
                    problem: source.err(),
                    pasted: a.pasted().and_then(info),
                    shown: a.id == shown_id,
                }
            })
            .collect();
        // The shown account's credentials, tried in the usual order: a token pasted for another
        // account is that account's, never this one's.
        let shown = roster.accounts.iter().find(|a| a.id == shown_id).unwrap_or_else(|| roster.default_account());
        let ctx = shown.context(&env);
        let source = shown.pasted().map(|entry| tokens.source(entry.clone()));
        let discovery = ctx.discover(
            keychain(),
            source.as_ref().map(|s| s as &dyn headroom_core::login::vault::PastedTokenSource),
            DiscoverMode::All,
        );
        let sources = discovery
            .probes
            .iter()
            .map(|p| Source {
                name: p.origin.describe().to_string(),
                place: p.location.clone(),
                status: probe_status(&p.outcome),
            })
            .collect();
        let pasted = shown.pasted().and_then(info);
        let in_use = discovery.credential().map(|c| c.origin.describe().to_string());
        Credentials { from_session_logs: from_session_logs && in_use.is_none(), in_use, sources, pasted, accounts }
    })
    .await
    .map(|credentials| if demo { as_in_the_demo(credentials) } else { credentials })
}

/// In `--demo` the tray shows made-up numbers: no real login is the one in the tray (Settings
/// said the real login was, beside the demo's numbers).
fn as_in_the_demo(mut credentials: Credentials) -> Credentials {
    for account in &mut credentials.accounts {
        account.shown = false;
    }
    credentials.in_use = Some("Headroom's demo (made-up numbers, nothing is read)".into());
    credentials.from_session_logs = false;
    credentials
}

/// Asks the usage service whether it accepts the token pasted for `account` (none: the shown
/// account's).
async fn check_token(app: &App, account: Option<String>) -> Result<String, CallError> {
    let settings = app.shared.settings();
    let entry = pasted_entry_of(app, account).await?;
    let location = entry.location();
    let token = off_the_loop(move || PastedTokens::new(keychain()).load(&entry))
        .await?
        .map_err(failed)?
        .ok_or_else(|| refused("No token is stored: paste one first."))?;
    let credential =
        headroom_core::Credential::new(headroom_core::CredentialOrigin::Keychain, location, token, None, None);
    let ctx = Context::load(settings.environment());
    match headroom_core::status::fetch_live(&ctx, &credential, Utc::now()).await {
        Ok(_) => Ok("Accepted by the usage service.".into()),
        Err(e) => Err(failed(e)),
    }
}

/// The account a card asks about (`id`; none: the one the tray shows) as the history keys it,
/// with its name and its numbers now; `None` for an account no longer watched.
fn history_account(app: &App, id: Option<&str>) -> Option<(AccountKey, String, Option<UsageSnapshot>)> {
    let engine = app.shared.engine.lock().unwrap();
    let session = engine.session();
    let chosen = match id {
        Some(id) => session.accounts().iter().find(|a| a.watched.id == id)?,
        None => session.shown(),
    };
    let key =
        chosen.snapshot.as_ref().map(AccountKey::of).unwrap_or_else(|| AccountKey::from_stored(&chosen.watched.id));
    Some((key, chosen.watched.label().to_string(), chosen.snapshot.clone()))
}

/// An account's history as CSV in the Downloads folder, named for the account and the day: each
/// card exports its own (before, every card's button exported every account's rows).
fn export_history(app: &App, account: Option<String>) -> Result<String, CallError> {
    use headroom_core::history::{self, History};
    let (account, label, _) = history_account(app, account.as_deref())
        .ok_or_else(|| refused("That account is no longer watched: reopen the dashboard."))?;
    let path = history::default_path()
        .filter(|p| p.exists())
        .ok_or_else(|| refused("There is no usage history yet: it starts with the first numbers."))?;
    let samples = History::open(&path)
        .and_then(|h| h.since(chrono::DateTime::UNIX_EPOCH))
        .map_err(|e| failed(format!("{e}.")))?;
    let mine: Vec<_> = samples.into_iter().filter(|s| account.is_unknown() || s.account == account).collect();
    let folder = dirs::download_dir()
        .or_else(dirs::home_dir)
        .ok_or_else(|| failed("No Downloads folder is known for this user (is HOME set?): nothing was saved."))?;
    let name: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '-' | '_') { c } else { '-' })
        .collect();
    let file =
        folder.join(format!("headroom-history-{}-{}.csv", name.trim_matches('-'), Utc::now().format("%Y-%m-%d")));
    headroom_core::storage::write_atomically(&file, history::to_csv(&mine).as_bytes()).map_err(|e| {
        failed(format!(
            "The history could not be saved as {} ({e}): check that the folder is writable and the disk not full.",
            file.display()
        ))
    })?;
    Ok(file.display().to_string())
}

/// The chart's data: each window's use over the last `days` days (7 by default) and its resets,
/// for the account asked for (a dashboard card's), else the one the tray shows.
fn history(app: &App, days: Option<u32>, account: Option<String>) -> Result<HistoryView, CallError> {
    use headroom_core::history::{self, History};
    // An account no longer watched: the tray's, as before.
    let (account, _, current) = history_account(app, account.as_deref())
        .or_else(|| history_account(app, None))
        .ok_or_else(|| failed("Headroom shows no account yet: try again in a moment."))?;
    let until = Utc::now();
    let since = until - chrono::Duration::days(i64::from(days.unwrap_or(7).clamp(1, 180)));
    let Some(path) = history::default_path().filter(|p| p.exists()) else {
        return Ok(history_view(&[], &account, since, until, current.as_ref()));
    };
    let samples = History::open(&path).and_then(|h| h.since(since)).map_err(|e| failed(format!("{e}.")))?;
    Ok(history_view(&samples, &account, since, until, current.as_ref()))
}

/// The dashboard's "Tokens" tab: tokens per day over the last `days` days (14 by default), in
/// local time, from Codex's session logs through the per-file cache; counted per Codex home (the
/// account's, else the default one).
async fn token_usage(app: &App, days: Option<u32>, account: Option<String>) -> Result<DailyReport, CallError> {
    use headroom_core::tokens::report::{daily, Filter, Zone};
    let codex_home = {
        let engine = app.shared.engine.lock().unwrap();
        let session = engine.session();
        let home = account
            .as_deref()
            .and_then(|id| session.accounts().iter().find(|a| a.watched.id == id))
            .and_then(|a| a.watched.home().map(std::path::Path::to_path_buf));
        home.unwrap_or_else(|| session.settings().environment().codex_home)
    };
    let days = i64::from(days.unwrap_or(14).clamp(1, 366));
    off_the_loop(move || {
        let cache = headroom_core::tokens::ledger::default_cache_path(&codex_home);
        let ledger = headroom_core::tokens::ledger::load(&codex_home, cache.as_deref());
        let today = chrono::Local::now().date_naive();
        let filter = Filter { zone: Zone::Local, since: Some(today - chrono::Duration::days(days - 1)), until: None };
        daily(&ledger, &filter)
    })
    .await
}

/// Every account, as found now.
async fn accounts(app: &App) -> Result<Vec<AccountEntry>, CallError> {
    let settings = app.shared.settings();
    off_the_loop(move || {
        let env = settings.environment();
        let roster = Roster::find(&env, &settings, keychain());
        let shown = roster.shown(settings.pinned_account.as_deref(), &env).id.clone();
        roster
            .accounts
            .iter()
            .map(|a| AccountEntry {
                id: a.id.clone(),
                label: a.email.clone().unwrap_or_else(|| a.id.clone()),
                workspace: a.plan_and_workspace(),
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
}

/// Changes the accounts' settings with `change` (off the loop: it reads logins), on the file as
/// it is now and under its lock, and applies them.
async fn change_accounts<T: Send + 'static>(
    app: &App,
    change: impl FnOnce(&headroom_core::environment::Environment, &mut Settings) -> Result<T, AccountChangeError>
        + Send
        + 'static,
) -> Result<T, CallError> {
    let app = app.clone();
    let changed = off_the_loop(move || {
        app.change_settings(|settings| {
            let env = settings.environment();
            change(&env, settings)
        })
    })
    .await?;
    changed.map_err(|e| match e {
        // The file or the keychain could not be changed: trying again may work.
        AccountChangeError::Settings(_) | AccountChangeError::Vault(_) => failed(e),
        _ => refused(e.to_string()),
    })
}

/// "Add a Codex home": refused with a sentence unless the folder holds a ChatGPT login.
async fn add_home(app: &App, path: String) -> Result<String, CallError> {
    let added = change_accounts(app, move |env, settings| {
        headroom_core::accounts::changes::add_home(env, settings, keychain(), std::path::Path::new(path.trim()))
    })
    .await?;
    if added.already {
        return Ok(format!("{} is watched already ({}).", added.path.display(), added.account));
    }
    app.handle(Command::Refresh);
    Ok(format!("Added {} ({}).", added.path.display(), added.account))
}

/// The dashboard's "Use it" after the user read which credit and that it cannot be undone: only
/// while a limit of that account blocks or nearly blocks and the credit is in its list. The
/// outcome is one sentence; after a reset, every account is read again.
async fn use_reset_credit(app: &App, account: String, credit: String) -> Result<String, CallError> {
    use headroom_core::present::reset_credit::{outcome_sentence, pick, worth_using};
    let (watched, snapshot, settings) = {
        let engine = app.shared.engine.lock().unwrap();
        let session = engine.session();
        let state = session
            .accounts()
            .iter()
            .find(|a| a.watched.id == account)
            .ok_or_else(|| refused("That account is no longer watched: open the dashboard again."))?;
        (state.watched.clone(), state.snapshot.clone(), session.settings().clone())
    };
    let snapshot = snapshot.ok_or_else(|| refused("There are no numbers for that account yet: refresh first."))?;
    worth_using(&snapshot, &settings).map_err(|e| refused(e.to_string()))?;
    let chosen = pick(&snapshot, Some(&credit)).map_err(|e| refused(e.to_string()))?.clone();
    let key = AccountKey::of(&snapshot);
    let env = settings.environment();
    let outcome = headroom_core::accounts::read::use_reset_credit(
        &watched,
        &env,
        keychain(),
        key.as_str(),
        &chosen.id,
        Utc::now(),
    )
    .await
    .map_err(|e| match e {
        // Nothing was sent, or the service said no before doing anything: asking again the
        // same way will not help.
        UseError::NotSent(_) | UseError::Refused(_) => refused(e.to_string()),
        UseError::NoDataFolder | UseError::NotKept(_) | UseError::Unanswered(_) => failed(e),
    })?;
    if outcome.changed_limits() {
        app.handle(Command::Refresh);
    }
    Ok(outcome_sentence(&outcome, &chosen, Utc::now()))
}

/// "Run test event": runs the `index`th hook with a made-up threshold crossing for the shown
/// account (marked `"test": true`), off the loop, and says how it went.
async fn run_test_hook(app: &App, index: usize) -> Result<String, CallError> {
    let (hook, account) = {
        let engine = app.shared.engine.lock().unwrap();
        let session = engine.session();
        (session.settings().hooks.get(index).cloned(), session.shown().watched.label().to_string())
    };
    let Some(hook) = hook else {
        return Err(refused(
            "That hook is no longer in settings.toml: reopen Settings to see the hooks as they are now.",
        ));
    };
    let shared = app.shared.clone();
    off_the_loop(move || {
        let event = headroom_core::alerts::hooks::HookEvent::test(&account, Utc::now());
        let result = crate::hooks::run_and_log(&hook, &event);
        shared.engine.lock().unwrap().hook_finished(&hook.run, result.clone());
        result.map(|()| "The hook ran and finished well.".to_string()).map_err(failed)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_the_demo_no_real_login_is_said_to_be_in_the_tray() {
        let real = AccountCredentials {
            id: "acct-1/user-dev".into(),
            label: "dev@example.com".into(),
            name: "dev@example.com".into(),
            workspace: None,
            source: Some("Codex's login file".into()),
            problem: None,
            pasted: None,
            shown: true,
        };
        let credentials = Credentials {
            in_use: Some("Codex's login file".into()),
            sources: Vec::new(),
            pasted: None,
            from_session_logs: false,
            accounts: vec![real],
        };
        let demo = as_in_the_demo(credentials);
        assert!(!demo.accounts[0].shown);
        assert_eq!(demo.in_use.as_deref(), Some("Headroom's demo (made-up numbers, nothing is read)"));
    }
}
