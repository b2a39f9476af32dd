//! Finds the credential to ask the usage service with, in a fixed order:
//!
//! 1. `HEADROOM_ACCESS_TOKEN` in the environment;
//! 2. a token pasted into Headroom and kept in its own keychain entry (the vault; see
//!    [`PastedTokenSource`]);
//! 3. Codex's login in the OS keychain, when `cli_auth_credentials_store` is `keyring` or `auto`:
//!    its keychain entry, and its encrypted secrets store (whose passphrase is in the keychain),
//!    the one Codex is set to use first;
//! 4. Codex's `$CODEX_HOME/auth.json`.
//!
//! Everything is read-only. Each place looked at is recorded as a [`Probe`] so `doctor` can say
//! what was found where and why the others were passed over.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::environment::{CodexConfig, Environment, ENV_ACCESS_TOKEN};
use crate::error::UsageError;
use crate::login::codex_login::{self, CodexLogin, LoginReadError, NoQuotaLogin};
use crate::login::jwt::{decode_claims, TokenClaims};
use crate::login::keychain::{Keychain, KeychainError};
use crate::login::vault::PastedTokenSource;
use crate::model::CredentialOrigin;

/// The owner of a Codex access token, as Codex's account service names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenOwner {
    pub account_id: String,
    pub email: Option<String>,
    pub plan: Option<String>,
    pub user_id: Option<String>,
}

/// What kind of bearer token a credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A ChatGPT access token (a JWT that names its account and expiry).
    ChatGpt,
    /// A Codex access token (`at-…`, from `codex login --with-access-token`): opaque, so its
    /// account comes from asking who owns it, as Codex does.
    CodexAccessToken,
}

/// Codex access tokens start with this (Codex's `personal_access_token.rs` tells them apart so).
pub const CODEX_ACCESS_TOKEN_PREFIX: &str = "at-";

/// A usable access token and what it says about itself.
#[derive(Clone)]
pub struct Credential {
    pub origin: CredentialOrigin,
    /// Where it was read from, safe to print: a variable name, a path, a keychain entry name.
    pub location: String,
    access_token: SecretString,
    pub kind: TokenKind,
    pub account_id: Option<String>,
    pub claims: TokenClaims,
}

impl Credential {
    /// Builds a credential from an access token, reading its claims.
    pub fn new(
        origin: CredentialOrigin,
        location: String,
        access_token: SecretString,
        id_token: Option<&SecretString>,
        account_id: Option<String>,
    ) -> Credential {
        let claims = decode_claims(access_token.expose_secret()).unwrap_or_default();
        let claims = match id_token {
            Some(id) => claims.or(decode_claims(id.expose_secret()).unwrap_or_default()),
            None => claims,
        };
        let account_id = account_id.or_else(|| claims.account_id.clone());
        let kind = if access_token.expose_secret().starts_with(CODEX_ACCESS_TOKEN_PREFIX) {
            TokenKind::CodexAccessToken
        } else {
            TokenKind::ChatGpt
        };
        Credential { origin, location, access_token, kind, account_id, claims }
    }

    /// A Codex access token, whatever it starts with (Codex stored it as one).
    pub fn codex_access_token(origin: CredentialOrigin, location: String, token: SecretString) -> Credential {
        Credential { kind: TokenKind::CodexAccessToken, ..Credential::new(origin, location, token, None, None) }
    }

    pub fn access_token(&self) -> &SecretString {
        &self.access_token
    }

    /// This credential with the account its owner's metadata names.
    pub fn with_owner(&self, owner: TokenOwner) -> Credential {
        let mut credential = self.clone();
        credential.account_id = Some(owner.account_id);
        credential.claims.email = credential.claims.email.take().or(owner.email);
        credential.claims.plan = credential.claims.plan.take().or(owner.plan);
        credential.claims.user_id = credential.claims.user_id.take().or(owner.user_id);
        credential
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("origin", &self.origin)
            .field("location", &self.location)
            .field("access_token", &"***")
            .field("kind", &self.kind)
            .field("account_id", &self.account_id)
            .field("claims", &self.claims)
            .finish()
    }
}

/// What looking in one place found.
#[derive(Debug, Clone)]
pub enum ProbeOutcome {
    Found(Credential),
    /// Nothing there; the text says what was looked for.
    NotFound(String),
    /// A login with no plan quota to read (an API key, Bedrock, an agent identity).
    NoQuota(NoQuotaLogin),
    /// The place could not be read; the text is the sentence `doctor` shows.
    Failed(String),
    /// Not looked at, and why.
    Skipped(String),
}

#[derive(Debug, Clone)]
pub struct Probe {
    pub origin: CredentialOrigin,
    pub location: String,
    pub outcome: ProbeOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoverMode {
    /// Stop at the first usable credential (for fetching).
    FirstFound,
    /// Look everywhere (for `doctor`).
    All,
}

/// The result of looking for credentials.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub probes: Vec<Probe>,
}

impl Discovery {
    /// Codex runs on an API key and nothing else gave a credential: while Codex runs on
    /// Headroom's fallback key, the plan is still read with the ChatGPT login Headroom saved
    /// before switching (never refreshed: only its access token is used).
    pub fn wants_saved_login(&self) -> bool {
        self.credential().is_none()
            && self.probes.iter().any(|p| matches!(p.outcome, ProbeOutcome::NoQuota(NoQuotaLogin::ApiKey)))
    }

    /// Records what reading that saved login found: `Ok(None)` when Codex is not on Headroom's
    /// key or nothing is saved, which is nothing to report.
    pub fn add_saved_login<E: fmt::Display>(&mut self, read: Result<Option<CodexLogin>, E>, location: String) {
        let outcome = match read {
            Ok(Some(login)) => login_outcome(login, CredentialOrigin::CodexAuthFile, &location),
            Ok(None) => return,
            Err(e) => ProbeOutcome::Failed(format!("the saved Codex login could not be read ({e})")),
        };
        self.probes.push(Probe { origin: CredentialOrigin::CodexAuthFile, location, outcome });
    }

    /// The credential that wins: the first one found.
    pub fn credential(&self) -> Option<&Credential> {
        self.probes.iter().find_map(|p| match &p.outcome {
            ProbeOutcome::Found(c) => Some(c),
            _ => None,
        })
    }

    /// The error to report when no credential was found.
    pub fn missing_error(&self) -> UsageError {
        if let Some(kind) = self.probes.iter().find_map(|p| match p.outcome {
            ProbeOutcome::NoQuota(kind) => Some(kind),
            _ => None,
        }) {
            return UsageError::NoQuota(kind);
        }
        let failure = self.probes.iter().find_map(|p| match &p.outcome {
            ProbeOutcome::Failed(why) => Some(why.clone()),
            _ => None,
        });
        UsageError::NoCredentials { detail: failure }
    }
}

/// Strips what people paste around a token: whitespace, quotes, a `Bearer ` prefix.
pub fn clean_token(raw: &str) -> &str {
    let mut token = raw.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    for prefix in ["Bearer ", "bearer ", "BEARER "] {
        if let Some(rest) = token.strip_prefix(prefix) {
            token = rest.trim();
        }
    }
    token
}

/// Looks for a credential in the documented order; Codex's own stores (3 and 4) only when
/// `codex_login` is set (not for a pasted token of another account than this home's).
pub fn discover(
    env: &Environment,
    config: &CodexConfig,
    keychain: &dyn Keychain,
    pasted: Option<&dyn PastedTokenSource>,
    mode: DiscoverMode,
    codex_login: bool,
) -> Discovery {
    let mut discovery = Discovery::default();
    let done = |d: &Discovery| mode == DiscoverMode::FirstFound && d.credential().is_some();

    // 1. The environment variable.
    discovery.probes.push(Probe {
        origin: CredentialOrigin::Env,
        location: ENV_ACCESS_TOKEN.into(),
        outcome: match &env.access_token {
            Some(raw) => {
                let token = clean_token(raw.expose_secret());
                if token.is_empty() {
                    ProbeOutcome::NotFound("set but empty".into())
                } else {
                    ProbeOutcome::Found(Credential::new(
                        CredentialOrigin::Env,
                        ENV_ACCESS_TOKEN.into(),
                        SecretString::from(token.to_string()),
                        None,
                        None,
                    ))
                }
            }
            None => ProbeOutcome::NotFound("not set".into()),
        },
    });
    if done(&discovery) {
        return discovery;
    }

    // 2. A token pasted into Headroom.
    if let Some(source) = pasted {
        let location = source.location();
        let outcome = match source.pasted_token() {
            Ok(Some(token)) => {
                ProbeOutcome::Found(Credential::new(CredentialOrigin::Keychain, location.clone(), token, None, None))
            }
            Ok(None) => ProbeOutcome::NotFound("no token pasted".into()),
            // Without a keychain nothing can have been pasted (storing needs one), so this is
            // no failure worth reporting on a headless machine.
            Err(LoginReadError::Keychain(KeychainError::Unavailable(_))) => {
                ProbeOutcome::Skipped("the OS keychain cannot be reached, so no token can have been pasted".into())
            }
            Err(LoginReadError::Keychain(e)) => ProbeOutcome::Failed(format!("{e}: {}", e.remedy())),
            Err(e) => ProbeOutcome::Failed(e.to_string()),
        };
        discovery.probes.push(Probe { origin: CredentialOrigin::Keychain, location, outcome });
        if done(&discovery) {
            return discovery;
        }
    }

    if !codex_login {
        return discovery;
    }

    // 3. Codex's keychain stores: its entry, and its encrypted secrets file. Both are tried
    //    (read-only), the one Codex is set to use first.
    if config.credentials_store.uses_keyring() {
        let mut stores = [CredentialOrigin::CodexKeyring, CredentialOrigin::CodexSecrets];
        if config.secrets_store_first() {
            stores.reverse();
        }
        for origin in stores {
            discovery.probes.push(keychain_store_probe(origin, env, keychain));
            if done(&discovery) {
                return discovery;
            }
        }
    } else {
        discovery.probes.push(Probe {
            origin: CredentialOrigin::CodexKeyring,
            location: codex_keyring_location(env),
            outcome: ProbeOutcome::Skipped(format!(
                "Codex keeps its login in a file (cli_auth_credentials_store = \"{}\")",
                config.credentials_store.as_str()
            )),
        });
    }

    // 4. Codex's auth.json, tried even when the keychain could not be reached.
    let path = codex_login::auth_file_path(&env.codex_home);
    let file_location = path.display().to_string();
    let file_outcome = match codex_login::read_auth_file(&env.codex_home) {
        Ok(Some(login)) => login_outcome(login, CredentialOrigin::CodexAuthFile, &file_location),
        Ok(None) => ProbeOutcome::NotFound("no such file".into()),
        Err(e) => ProbeOutcome::Failed(e.to_string()),
    };
    discovery.probes.push(Probe {
        origin: CredentialOrigin::CodexAuthFile,
        location: file_location,
        outcome: file_outcome,
    });
    // 5. (the ChatGPT login Headroom saved before switching Codex to its fallback key) is
    //    looked at by the caller, which knows the fallback: see `Discovery::wants_saved_login`.
    discovery
}

fn codex_keyring_location(env: &Environment) -> String {
    format!("\"{}\" / {}", codex_login::CODEX_KEYRING_SERVICE, codex_login::keyring_account(&env.codex_home))
}

/// Looks in one of Codex's keychain-backed stores.
fn keychain_store_probe(origin: CredentialOrigin, env: &Environment, keychain: &dyn Keychain) -> Probe {
    let (location, read) = match origin {
        CredentialOrigin::CodexSecrets => (
            crate::login::codex_secrets::location(&env.codex_home),
            crate::login::codex_secrets::read_secrets_login(keychain, &env.codex_home),
        ),
        _ => (codex_keyring_location(env), codex_login::read_keyring_login(keychain, &env.codex_home)),
    };
    let outcome = read_outcome(read, origin, &location);
    Probe { origin, location, outcome }
}

/// What a read of one of Codex's stores found.
fn read_outcome(
    read: Result<Option<CodexLogin>, LoginReadError>,
    origin: CredentialOrigin,
    location: &str,
) -> ProbeOutcome {
    match read {
        Ok(Some(login)) => login_outcome(login, origin, location),
        Ok(None) => ProbeOutcome::NotFound("no entry".into()),
        Err(LoginReadError::Keychain(e)) => ProbeOutcome::Failed(format!("{e}: {}", e.remedy())),
        Err(e) => ProbeOutcome::Failed(e.to_string()),
    }
}

fn login_outcome(login: CodexLogin, origin: CredentialOrigin, location: &str) -> ProbeOutcome {
    match login {
        CodexLogin::ChatGpt { access_token, id_token, account_id } => ProbeOutcome::Found(Credential::new(
            origin,
            location.to_string(),
            access_token,
            id_token.as_ref(),
            account_id,
        )),
        CodexLogin::AccessToken { token } => {
            ProbeOutcome::Found(Credential::codex_access_token(origin, location.to_string(), token))
        }
        CodexLogin::NoQuota(kind) => ProbeOutcome::NoQuota(kind),
        // A store that is there but whose tokens are blank: no usable login (not an expired one).
        CodexLogin::Empty => ProbeOutcome::Failed(format!(
            "{} in {location} holds no usable login (its tokens are blank: signed out?)",
            crate::text::capitalise(origin.describe())
        )),
    }
}

impl Credential {
    /// Whose login this is ([`crate::model::identity_key`]): the workspace and the person in it,
    /// as the login itself says; `None` for a token that says neither (a Codex access token
    /// before its owner is asked).
    pub fn identity(&self) -> Option<String> {
        crate::model::identity_key(
            self.account_id.as_deref(),
            self.claims.user_id.as_deref(),
            self.claims.email.as_deref(),
        )
    }
}

#[cfg(test)]
impl Credential {
    /// Tests' shorthand: acct-1's login from Codex's auth.json, expiring at `expires_at`.
    pub(crate) fn auth_file_for_tests(expires_at: Option<chrono::DateTime<chrono::Utc>>) -> Credential {
        let mut credential = Credential::new(
            CredentialOrigin::CodexAuthFile,
            "auth.json".into(),
            SecretString::from("not-a-jwt"),
            None,
            Some("acct-1".into()),
        );
        credential.claims.expires_at = expires_at;
        credential
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::environment::CredentialsStore;
    use crate::login::keychain::{KeychainError, MemoryKeychain};
    use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};

    /// A Codex home holding `json` as its auth.json (also used by `status`'s tests).
    pub(crate) fn home_with_auth(json: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("auth.json"), json).unwrap();
        dir
    }

    /// The surroundings with `home` as the Codex home and nothing else set.
    pub(crate) fn env(home: &std::path::Path) -> Environment {
        Environment { codex_home: home.to_path_buf(), ..Default::default() }
    }

    #[test]
    fn cleans_pasted_decorations() {
        assert_eq!(clean_token("  Bearer abc.def.ghi \n"), "abc.def.ghi");
        assert_eq!(clean_token("\"abc\""), "abc");
        assert_eq!(clean_token("'Bearer x'"), "x");
    }

    #[test]
    fn env_token_wins_over_codex_login() {
        let home = home_with_auth(&codex_auth_json("file-token", "id", None));
        let mut env = env(home.path());
        env.access_token = Some(SecretString::from("Bearer env-token".to_string()));
        let d =
            discover(&env, &CodexConfig::default(), &MemoryKeychain::default(), None, DiscoverMode::FirstFound, true);
        let cred = d.credential().unwrap();
        assert_eq!(cred.origin, CredentialOrigin::Env);
        assert_eq!(cred.access_token().expose_secret(), "env-token");
        assert_eq!(d.probes.len(), 1, "stops at the first credential");
    }

    #[test]
    fn auth_file_claims_fill_email_plan_account_and_expiry() {
        let access = make_jwt(&TestClaims {
            exp: Some(1_900_000_000),
            email_in_profile_claim: true,
            email: Some("a@x.io".into()),
            ..Default::default()
        });
        let id =
            make_jwt(&TestClaims { plan: Some("pro".into()), account_id: Some("acct-9".into()), ..Default::default() });
        let home = home_with_auth(&codex_auth_json(&access, &id, None));
        let d = discover(
            &env(home.path()),
            &CodexConfig::default(),
            &MemoryKeychain::default(),
            None,
            DiscoverMode::All,
            true,
        );
        let cred = d.credential().unwrap();
        assert_eq!(cred.origin, CredentialOrigin::CodexAuthFile);
        assert_eq!(cred.claims.email.as_deref(), Some("a@x.io"));
        assert_eq!(cred.claims.plan.as_deref(), Some("pro"));
        assert_eq!(cred.account_id.as_deref(), Some("acct-9"));
        assert_eq!(cred.claims.expires_at.unwrap().timestamp(), 1_900_000_000);
        assert!(matches!(d.probes[1].outcome, ProbeOutcome::Skipped(_)), "file store never touches the keychain");
    }

    #[test]
    fn keyring_store_is_read_first_and_an_unreachable_keychain_falls_back_to_the_file() {
        let home = home_with_auth(&codex_auth_json("file-token", "id", Some("acct-file")));
        let config = CodexConfig { credentials_store: CredentialsStore::Auto, ..Default::default() };

        let keychain = MemoryKeychain::default();
        keychain.insert(
            "Codex Auth",
            &codex_login::keyring_account(home.path()),
            br#"{"tokens":{"access_token":"kc-token"}}"#,
        );
        let d = discover(&env(home.path()), &config, &keychain, None, DiscoverMode::FirstFound, true);
        assert_eq!(d.credential().unwrap().origin, CredentialOrigin::CodexKeyring);
        assert_eq!(d.credential().unwrap().access_token().expose_secret(), "kc-token");

        let broken = MemoryKeychain::failing(KeychainError::Unavailable("no D-Bus session".into()));
        let d = discover(&env(home.path()), &config, &broken, None, DiscoverMode::FirstFound, true);
        assert_eq!(d.credential().unwrap().origin, CredentialOrigin::CodexAuthFile);
        // (On Windows Codex's encrypted store is looked at before its keychain entry.)
        let keyring_probe = d.probes.iter().find(|p| p.origin == CredentialOrigin::CodexKeyring).unwrap();
        match &keyring_probe.outcome {
            ProbeOutcome::Failed(why) => {
                assert!(why.contains("cannot be reached") && why.contains("HEADROOM_ACCESS_TOKEN"), "{why}")
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn api_key_login_says_api_keys_have_no_quota() {
        let home = home_with_auth(r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-test-not-real"}"#);
        let d = discover(
            &env(home.path()),
            &CodexConfig::default(),
            &MemoryKeychain::default(),
            None,
            DiscoverMode::FirstFound,
            true,
        );
        assert!(d.credential().is_none());
        assert!(matches!(d.missing_error(), UsageError::NoQuota(NoQuotaLogin::ApiKey)));
        assert!(d.missing_error().to_string().contains("no plan quota"));
    }

    #[test]
    fn nothing_anywhere_and_a_broken_file() {
        let home = tempfile::tempdir().unwrap();
        let d = discover(
            &env(home.path()),
            &CodexConfig::default(),
            &MemoryKeychain::default(),
            None,
            DiscoverMode::FirstFound,
            true,
        );
        assert!(matches!(d.missing_error(), UsageError::NoCredentials { detail: None }));
        std::fs::write(home.path().join("auth.json"), "{not json").unwrap();
        let d = discover(
            &env(home.path()),
            &CodexConfig::default(),
            &MemoryKeychain::default(),
            None,
            DiscoverMode::FirstFound,
            true,
        );
        let message = d.missing_error().to_string();
        assert!(message.contains("auth.json") && message.contains("codex login"), "{message}");
    }

    struct Pasted(Option<&'static str>);
    impl PastedTokenSource for Pasted {
        fn pasted_token(&self) -> Result<Option<SecretString>, LoginReadError> {
            Ok(self.0.map(|t| SecretString::from(t.to_string())))
        }
        fn location(&self) -> String {
            "Headroom's keychain entry".into()
        }
    }

    #[test]
    fn a_pasted_token_comes_after_the_env_and_before_codex() {
        let home = home_with_auth(&codex_auth_json("file-token", "id", None));
        let d = discover(
            &env(home.path()),
            &CodexConfig::default(),
            &MemoryKeychain::default(),
            Some(&Pasted(Some("pasted"))),
            DiscoverMode::FirstFound,
            true,
        );
        assert_eq!(d.credential().unwrap().origin, CredentialOrigin::Keychain);
        let d = discover(
            &env(home.path()),
            &CodexConfig::default(),
            &MemoryKeychain::default(),
            Some(&Pasted(None)),
            DiscoverMode::FirstFound,
            true,
        );
        assert_eq!(d.credential().unwrap().origin, CredentialOrigin::CodexAuthFile);
    }

    #[test]
    fn debug_output_masks_the_token() {
        let cred = Credential::new(
            CredentialOrigin::Env,
            "x".into(),
            SecretString::from("tok-secret-123".to_string()),
            None,
            None,
        );
        assert!(!format!("{cred:?}").contains("tok-secret-123"));
    }
}
