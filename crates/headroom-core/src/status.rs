//! Getting the numbers: choose a source, ask it, fall back to the session logs when the live
//! service fails, and keep the error that explains why.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::sources::client::UsageClient;
use secrecy::ExposeSecret;

use crate::environment::{read_codex_config, BaseUrl, CodexConfig, ConfigError, Environment};
use crate::error::UsageError;
use crate::fallback::Fallback;
use crate::login::credentials::{discover, Credential, DiscoverMode, Discovery, TokenKind};
use crate::login::keychain::Keychain;
use crate::login::vault::{PastedTokenSource, Slot, Vault};
use crate::model::UsageSnapshot;
use crate::sources::session_log::{self, LogFinding};
use crate::sources::shared_numbers::SharedNumbers;

/// `--source auto|api|logs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourcePreference {
    /// The live API when a credential exists, else the session logs; when the API fails and
    /// the logs have numbers, those numbers with the API's error attached.
    #[default]
    Auto,
    Api,
    Logs,
}

/// Everything read from the surroundings once per run.
#[derive(Debug, Clone)]
pub struct Context {
    pub env: Environment,
    pub config: CodexConfig,
    pub config_error: Option<ConfigError>,
    pub base_url: BaseUrl,
    /// Whether the Codex home's own login and session logs belong to the account read with this
    /// context. Not for a pasted token of another account: its numbers never come from this
    /// home's logs, nor its credential from this home's login.
    pub own_home: bool,
}

impl Context {
    pub fn load(env: Environment) -> Context {
        let (config, config_error) = read_codex_config(&env.codex_home);
        let base_url = BaseUrl::resolve(&env, &config);
        Context { env, config, config_error, base_url, own_home: true }
    }

    pub fn sessions_dir(&self) -> PathBuf {
        session_log::sessions_dir(&self.env.codex_home)
    }

    pub fn client(&self) -> Result<UsageClient, UsageError> {
        let ca = self.env.ca_bundle.as_ref().map(|(var, path)| (*var, path.as_path()));
        Ok(UsageClient::new(&self.base_url, &self.env.authapi_base_url(), ca)?
            .remembering_in(self.env.data_dir.clone()))
    }

    /// Every place a credential may be, in the documented order, and last the ChatGPT login
    /// saved by the fallback switch while Codex runs on Headroom's key.
    pub fn discover(
        &self,
        keychain: &dyn Keychain,
        pasted: Option<&dyn PastedTokenSource>,
        mode: DiscoverMode,
    ) -> Discovery {
        let mut discovery = discover(&self.env, &self.config, keychain, pasted, mode, self.own_home);
        if self.own_home && discovery.wants_saved_login() {
            let saved = Fallback::without_codex(&self.env.codex_home, &self.config, keychain).saved_login_in_use();
            discovery.add_saved_login(saved, Vault::location(Slot::SavedCodexLogin));
        }
        discovery
    }

    /// The fallback switch for this Codex folder and config, with `codex` from PATH.
    pub fn fallback<'a>(&self, keychain: &'a dyn Keychain) -> Fallback<'a> {
        Fallback::with_codex(
            &self.env.codex_home,
            &self.config,
            keychain,
            crate::sources::codex_app_server::find_codex(),
        )
    }
}

/// How one read goes: the source wanted, where the history is (the platform's when `None`), and
/// the numbers shared with other Headroom processes (none: always ask).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions<'a> {
    pub preference: SourcePreference,
    pub history_path: Option<&'a std::path::Path>,
    pub shared: Option<&'a SharedNumbers>,
    /// What was kept under the account's workspace alone (history rows, alert memory, from
    /// before people in one workspace were told apart) goes to this account: it is the one
    /// watched account in its workspace. Off, nothing moves.
    pub carry_over: bool,
}

impl ReadOptions<'_> {
    pub fn from(preference: SourcePreference) -> ReadOptions<'static> {
        ReadOptions { preference, ..ReadOptions::default() }
    }
}

/// The answer to "how much is left", with everything needed to explain it.
#[derive(Debug, Clone)]
pub struct StatusReport {
    pub snapshot: Option<UsageSnapshot>,
    /// The credential used, or that would have been used.
    pub credential: Option<Credential>,
    /// Why the preferred source gave no numbers (set even when logs filled in).
    pub error: Option<UsageError>,
    /// The session-log file the numbers came from.
    pub log_file: Option<PathBuf>,
    /// Each window's pace, in `snapshot.windows` order, once the history has been consulted.
    pub paces: Vec<Option<crate::alerts::pace::Pace>>,
}

impl StatusReport {
    /// 0 when there is something to show (numbers, credits, a plan), otherwise the error's code.
    pub fn exit_code(&self) -> u8 {
        match (&self.snapshot, &self.error) {
            (Some(snapshot), _) if snapshot.has_anything() => 0,
            (_, Some(error)) => error.exit_code(),
            (_, None) => 1,
        }
    }
}

/// The one read pipeline, for the tray and the CLI alike: reads the numbers, then records
/// them in the usage history (the platform's, or `history_path`), which gives each window its
/// pace. History trouble never costs the numbers: it comes back as one sentence to show or log.
pub async fn read_and_record(
    ctx: &Context,
    keychain: &dyn Keychain,
    pasted: Option<&dyn PastedTokenSource>,
    options: &ReadOptions<'_>,
    now: DateTime<Utc>,
) -> (StatusReport, Option<String>) {
    let mut report = read_status(ctx, keychain, pasted, options, now).await;
    let Some(snapshot) = &report.snapshot else { return (report, None) };
    // A shared answer is recorded again: the history keeps one sample per moment, so this
    // costs nothing and fills a history the tray never wrote.
    let (paces, notice) =
        crate::history::record_and_pace(options.history_path, snapshot, &ctx.sessions_dir(), options.carry_over, now);
    report.paces = paces;
    (report, notice)
}

/// Reads the numbers from the preferred source.
pub async fn read_status(
    ctx: &Context,
    keychain: &dyn Keychain,
    pasted: Option<&dyn PastedTokenSource>,
    options: &ReadOptions<'_>,
    now: DateTime<Utc>,
) -> StatusReport {
    let preference = options.preference;
    if preference == SourcePreference::Logs {
        return from_logs(ctx, None, None, now);
    }
    let discovery = ctx.discover(keychain, pasted, DiscoverMode::FirstFound);
    for probe in &discovery.probes {
        tracing::debug!(origin = probe.origin.id(), location = %probe.location, outcome = ?probe.outcome, "credential probe");
    }
    let Some(credential) = discovery.credential().cloned() else {
        let error = discovery.missing_error();
        return match preference {
            SourcePreference::Api => {
                StatusReport { snapshot: None, credential: None, error: Some(error), log_file: None, paces: Vec::new() }
            }
            // Plain absence of a login is no failure when the logs have numbers; a damaged or
            // API-key-only login is worth saying beside them.
            _ if matches!(error, UsageError::NoCredentials { detail: None }) => {
                let mut report = from_logs(ctx, None, None, now);
                // Logs that hold no limits say more than "no login" (their sentence names both).
                if report.snapshot.is_none() && !matches!(report.error, Some(UsageError::NoUsageInLogs { .. })) {
                    report.error = Some(error);
                }
                report
            }
            _ => from_logs(ctx, None, Some(error), now),
        };
    };
    // A Codex access token names no account; once its owner was asked (by any Headroom
    // process), its numbers are shared like any account's.
    let credential = match owned(ctx, credential).await {
        Ok(credential) => credential,
        Err((credential, error)) if preference == SourcePreference::Auto => {
            return from_logs(ctx, Some(credential), Some(error), now)
        }
        Err((credential, error)) => {
            return StatusReport {
                snapshot: None,
                credential: Some(credential),
                error: Some(error),
                log_file: None,
                paces: Vec::new(),
            }
        }
    };
    let answer = match (options.shared, crate::sources::shared_numbers::account_key(&credential)) {
        (Some(shared), Some(account)) => {
            shared.answer_or_ask(&account, &ctx.base_url.url, &credential, now, fetch_live(ctx, &credential, now)).await
        }
        _ => fetch_live(ctx, &credential, now).await,
    };
    match answer {
        Ok(snapshot) => StatusReport {
            snapshot: Some(snapshot),
            credential: Some(credential),
            error: None,
            log_file: None,
            paces: Vec::new(),
        },
        Err(error) if preference == SourcePreference::Auto => from_logs(ctx, Some(credential), Some(error), now),
        Err(error) => StatusReport {
            snapshot: None,
            credential: Some(credential),
            error: Some(error),
            log_file: None,
            paces: Vec::new(),
        },
    }
}

/// A Codex access token names no account: its owner, as remembered (by any Headroom process) or
/// asked once as Codex asks, so its numbers are shared like any account's. Other credentials as
/// they are; a damaged token is left for `fetch_live` to refuse without sending it.
pub(crate) async fn owned(ctx: &Context, credential: Credential) -> Result<Credential, (Credential, UsageError)> {
    if credential.kind != TokenKind::CodexAccessToken
        || credential.account_id.is_some()
        || crate::error::token_defect(credential.access_token().expose_secret()).is_some()
    {
        return Ok(credential);
    }
    if let Some(owner) = crate::sources::client::known_owner(&credential, ctx.env.data_dir.as_deref()) {
        return Ok(credential.with_owner(owner));
    }
    let client = match ctx.client() {
        Ok(client) => client,
        Err(e) => return Err((credential, e)),
    };
    match client.token_owner(&credential).await {
        Ok(owner) => Ok(credential.with_owner(owner)),
        Err(e) => Err((credential, e)),
    }
}

/// Whether a token may be sent at all: not one that has visibly expired, nor a damaged one (a
/// login problem for the user to fix, not a network failure to retry).
pub(crate) fn sendable(credential: &Credential, now: DateTime<Utc>) -> Result<(), UsageError> {
    if let Some(at) = credential.claims.expires_at.filter(|_| credential.claims.is_expired(now)) {
        return Err(UsageError::Expired { origin: credential.origin, at });
    }
    match crate::error::token_defect(credential.access_token().expose_secret()) {
        Some(what) => Err(UsageError::MalformedToken { origin: credential.origin, what }),
        None => Ok(()),
    }
}

/// Asks the live service, unless the token has visibly expired (then nothing is sent).
pub async fn fetch_live(
    ctx: &Context,
    credential: &Credential,
    now: DateTime<Utc>,
) -> Result<UsageSnapshot, UsageError> {
    sendable(credential, now)?;
    let client = ctx.client()?;
    let owned;
    let credential = match credential.kind {
        // A Codex access token says nothing about its account: ask who owns it, as Codex does,
        // and send the usage request for that account.
        TokenKind::CodexAccessToken if credential.account_id.is_none() => {
            let owner = client.token_owner(credential).await?;
            owned = credential.with_owner(owner);
            &owned
        }
        _ => credential,
    };
    let snapshot = with_account_from(client.fetch(credential).await?, credential);
    Ok(with_reset_credit_list(&client, credential, snapshot, ctx.env.data_dir.as_deref(), now).await)
}

/// Adds the list of banked reset credits to an answer that counts some: as kept when it was
/// asked for within the hour, else asked for again (a failure keeps the last list of the day).
async fn with_reset_credit_list(
    client: &UsageClient,
    credential: &Credential,
    mut snapshot: UsageSnapshot,
    data_dir: Option<&std::path::Path>,
    now: DateTime<Utc>,
) -> UsageSnapshot {
    use crate::sources::reset_credits::{list_due, shown_list, ResetCreditStore};
    let account = crate::model::AccountKey::of(&snapshot);
    let store = ResetCreditStore::in_data_dir(data_dir);
    let (Some(store), false, true) = (store, account.is_unknown(), snapshot.reset_credits.is_some_and(|c| c > 0))
    else {
        return snapshot;
    };
    let entry = store.entry(account.as_str());
    if !list_due(entry.as_ref(), snapshot.reset_credits.unwrap_or(0), now) {
        snapshot.reset_credit_list = shown_list(entry, now);
        return snapshot;
    }
    match client.reset_credits(credential).await {
        Ok(list) => {
            store.save_list(account.as_str(), Some(&list), snapshot.reset_credits.unwrap_or(0), now);
            snapshot.reset_credit_list = Some(list);
        }
        Err(e) => {
            tracing::warn!("the list of reset credits could not be read: {e}");
            store.save_list(account.as_str(), None, snapshot.reset_credits.unwrap_or(0), now);
            snapshot.reset_credit_list = shown_list(entry, now);
        }
    }
    snapshot
}

/// Fills plan and account from the token where the body leaves them out.
fn with_account_from(mut snapshot: UsageSnapshot, credential: &Credential) -> UsageSnapshot {
    let claims = &credential.claims;
    snapshot.plan = snapshot.plan.or_else(|| claims.plan.clone());
    // The workspace as the service answered for it; the person as the login names them (a
    // body may name its workspace's owner, or no one), so the numbers are keyed as the
    // accounts list keys the login.
    snapshot.account.account_id = snapshot.account.account_id.or_else(|| credential.account_id.clone());
    if claims.user_id.is_some() || claims.email.is_some() {
        // The body's email only when the body names the same person.
        let same_person = claims.user_id.is_some() && snapshot.account.user_id == claims.user_id;
        let body_email = snapshot.account.email.take().filter(|_| same_person);
        snapshot.account.user_id = claims.user_id.clone();
        snapshot.account.email = claims.email.clone().or(body_email);
    }
    snapshot
}

/// The session logs' newest numbers, with `error` (the live source's failure) kept. When the logs
/// have nothing, the live error wins over "no logs" because it is the more useful sentence.
fn from_logs(
    ctx: &Context,
    credential: Option<Credential>,
    error: Option<UsageError>,
    now: DateTime<Utc>,
) -> StatusReport {
    let dir = ctx.sessions_dir();
    if !ctx.own_home {
        let error = error.unwrap_or(UsageError::NoCredentials { detail: None });
        return StatusReport { snapshot: None, credential, error: Some(error), log_file: None, paces: Vec::new() };
    }
    let (finding, files_seen) = match session_log::find_newest(&session_log::rollout_dirs(&ctx.env.codex_home)) {
        Ok((finding, stats)) => (finding, stats.files_seen),
        Err(e) => {
            let error = error.unwrap_or_else(|| {
                UsageError::Other(format!(
                    "Codex's session logs in {} could not be read ({e}): check the folder's permissions.",
                    dir.display()
                ))
            });
            return StatusReport { snapshot: None, credential, error: Some(error), log_file: None, paces: Vec::new() };
        }
    };
    match finding {
        Some(LogFinding { snapshot, path }) => {
            let mut snapshot = snapshot.with_resets_applied(now);
            if let Some(credential) = credential.as_ref().filter(|c| c.origin.is_codex_login()) {
                // The logs are Codex's, and so is this login: the account is the same.
                snapshot = with_account_from(snapshot, credential);
            }
            StatusReport { snapshot: Some(snapshot), credential, error, log_file: Some(path), paces: Vec::new() }
        }
        None => StatusReport {
            snapshot: None,
            credential,
            error: Some(error.unwrap_or(if files_seen > 0 {
                UsageError::NoUsageInLogs { dir }
            } else {
                UsageError::NoSessionLogs { dir }
            })),
            log_file: None,
            paces: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::codex_login::NoQuotaLogin;
    use crate::login::credentials::tests::{env, home_with_auth};
    use crate::login::keychain::MemoryKeychain;
    use headroom_testkit::jwt::codex_auth_json;

    #[test]
    fn the_numbers_are_the_logins_person() {
        let mut credential = Credential::auth_file_for_tests(None);
        credential.claims.user_id = Some("user-me".into());
        credential.claims.email = Some("me@corp.example".into());
        let mut body = UsageSnapshot::plus_for_tests(Vec::new(), Utc::now());
        body.account.user_id = Some("user-owner".into());
        body.account.email = Some("owner@corp.example".into());
        let snapshot = with_account_from(body.clone(), &credential);
        assert_eq!(crate::model::AccountKey::of(&snapshot).as_str(), "acct-1/user-me");
        assert_eq!(snapshot.account.email.as_deref(), Some("me@corp.example"));
        // A login that names the person but not their email never takes the owner's email.
        let mut unnamed = credential.clone();
        unnamed.claims.email = None;
        assert_eq!(with_account_from(body.clone(), &unnamed).account.email, None);
        // A login that names no one leaves the body's person.
        let anonymous = Credential::auth_file_for_tests(None);
        assert_eq!(crate::model::AccountKey::of(&with_account_from(body, &anonymous)).as_str(), "acct-1/user-owner");
    }

    #[test]
    fn on_the_fallback_key_the_saved_chatgpt_login_reads_the_plan() {
        let key = "sk-test-fallback-0123456789abcdef";
        let home = home_with_auth(&format!("{{\"auth_mode\":\"apikey\",\"OPENAI_API_KEY\":\"{key}\"}}"));
        let keychain = MemoryKeychain::default();
        let none = Context::load(env(home.path())).discover(&keychain, None, DiscoverMode::FirstFound);
        assert!(
            matches!(none.missing_error(), UsageError::NoQuota(NoQuotaLogin::ApiKey)),
            "no saved login: an API-key login"
        );
        keychain.insert("Headroom", "fallback-api-key", key.as_bytes());
        keychain.insert(
            "Headroom",
            &crate::fallback::saved_login_entry(home.path()),
            codex_auth_json("saved-access", "id", Some("acct-s")).as_bytes(),
        );
        let d = Context::load(env(home.path())).discover(&keychain, None, DiscoverMode::FirstFound);
        let cred = d.credential().expect("the saved login");
        assert_eq!(cred.access_token().expose_secret(), "saved-access");
        assert_eq!(cred.account_id.as_deref(), Some("acct-s"));
        assert!(cred.location.contains("saved-codex-login"));
        // Another API key in auth.json is not Headroom's switch: the saved login is not used.
        std::fs::write(
            home.path().join("auth.json"),
            r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-someone-else-000000000"}"#,
        )
        .unwrap();
        let d = Context::load(env(home.path())).discover(&keychain, None, DiscoverMode::FirstFound);
        assert!(d.credential().is_none());
    }
}
