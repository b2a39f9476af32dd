//! Switching Codex to a fallback API key when the plan runs out, and back, losing nothing.
//!
//! The order of steps is what keeps the user's ChatGPT login safe: first a copy of Codex's
//! current login goes into Headroom's keychain entry and is read back; only then is Codex handed
//! the key (through `codex login --with-api-key` with the key on stdin when `codex` is installed,
//! else by writing `auth.json` as Codex would, atomically). A crash at any point leaves either the
//! old or the new login in place, and the saved copy in the keychain.
//!
//! "The login Headroom wrote" is recognised by what it is: an API-key login whose key is the
//! fallback key in Headroom's keychain. So switching back never overwrites a login the user has
//! changed meanwhile, and needs no other record.
//!
//! Each Codex home's login is saved in an entry of its own, named as Codex names its own entries
//! for that home (`saved-codex-login|` and the first 16 hex digits of the SHA-256 of the home's
//! canonical path): switching a second home never touches the first one's saved login, and a
//! restore reads only its own home's entry, so a login never moves between homes. A login saved
//! by an earlier version (one entry, `saved-codex-login`) did not note its home: it is put back
//! only when the user says it is this home's (`headroom fallback restore --from-earlier-version`),
//! and never read for numbers meanwhile.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use secrecy::{ExposeSecret, SecretString};

use crate::environment::CodexConfig;
use crate::json::string;
use crate::login::codex_login::{parse_auth_json, CodexLogin, NoQuotaLogin};
use crate::login::codex_login_store::{LoginStore, StoreError};
use crate::login::keychain::Keychain;
use crate::login::vault::{Slot, Vault, VaultError};

/// What a switch means for Codex sessions already running. A running Codex keeps the login it
/// loaded at start: it reads the store again only to recover a stale or rejected ChatGPT token,
/// and then only when the stored login is for the same account, never for an API key
/// (openai/codex `codex-rs/login/src/auth/manager.rs`, `refresh_token` and
/// `reload_if_account_id_matches`). A new process (a restart, `codex resume`) reads it afresh.
pub const OPEN_SESSIONS_KEEP_PLAN: &str =
    "Codex sessions that are already open keep using your ChatGPT plan until you restart them or run `codex resume`.";
pub const OPEN_SESSIONS_KEEP_KEY: &str = "Codex sessions that are already open keep using the API key (billed at API rates) until you restart them or run `codex resume`.";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FallbackError {
    #[error("No fallback API key is stored: add one with `headroom fallback set-key` (it reads the key from standard input).")]
    NoKey,
    #[error("That does not look like an OpenAI API key ({0}): paste the whole key, which starts with sk-.")]
    NotAKey(&'static str),
    #[error("Codex has no login in {0}: run `codex login` first.")]
    NoLogin(String),
    #[error("Codex is already using the fallback API key: nothing to switch.")]
    AlreadyOnKey,
    #[error("Codex's login is an API key that is not Headroom's fallback key: Headroom leaves it alone; switch by hand with `codex login`.")]
    ForeignApiKey,
    #[error("No saved ChatGPT login is in Headroom's keychain entry: sign in again with `codex login`.")]
    NothingSaved,
    #[error("{0} could not be understood (it is not a login Codex wrote): fix it or sign in again with `codex login`; nothing was changed.")]
    MalformedLogin(String),
    #[error("The ChatGPT login to put back{} was saved by an earlier version of Headroom, which did not note which Codex home it came from: if it is this home's, run `headroom fallback restore --from-earlier-version`; nothing was changed.", .0.as_ref().map(|who| format!(" ({who})")).unwrap_or_default())]
    EarlierVersionsCopy(Option<String>),
    #[error("Codex's login changed since Headroom switched it, so Headroom will not overwrite it: your ChatGPT login is still saved in the keychain; run `codex login` to sign in, or put Codex back on the API key first.")]
    ChangedMeanwhile,
    #[error("The copy of Codex's login in the keychain did not read back the same, so nothing was changed: check your keyring and try again.")]
    SavedCopyDiffers,
    #[error(
        "`codex login --with-api-key` failed ({0}): Codex's login is unchanged and the saved copy is in the keychain."
    )]
    CodexRefused(String),
    #[error("{0}: nothing was changed; check its permissions, or unlock your keyring, and try again.")]
    StoreRead(String),
    #[error("{0}: nothing else was changed and your ChatGPT login is saved in Headroom's keychain entry; fix that (a writable folder, space on the disk, an unlocked keyring) and try again.")]
    Store(String),
    #[error("{0}: nothing was changed; install Codex (`codex` on PATH) so Headroom can switch through it.")]
    NeedsCodex(String),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl From<StoreError> for FallbackError {
    fn from(e: StoreError) -> FallbackError {
        match e {
            StoreError::NeedsCodex(_) => FallbackError::NeedsCodex(e.to_string()),
            StoreError::Read { .. } => FallbackError::StoreRead(e.to_string()),
            StoreError::Write { .. } => FallbackError::Store(e.to_string()),
        }
    }
}

/// Which login Codex uses now, as far as switching is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodexNow {
    ChatGpt,
    /// The API-key login Headroom wrote (its key is the stored fallback key).
    FallbackKey,
    OtherApiKey,
    NoLogin,
}

/// The key must look like an OpenAI API key; Headroom never sends it anywhere itself.
pub fn check_key(raw: &str) -> Result<SecretString, FallbackError> {
    let key = raw.trim().trim_matches(|c| c == '"' || c == '\'');
    if key.is_empty() {
        return Err(FallbackError::NotAKey("nothing was given"));
    }
    if !key.starts_with("sk-") {
        return Err(FallbackError::NotAKey("it does not start with sk-"));
    }
    if key.len() < 20 {
        return Err(FallbackError::NotAKey("it is too short"));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FallbackError::NotAKey("it contains spaces or line breaks"));
    }
    Ok(SecretString::from(key.to_string()))
}

/// Crash points for the fault-injection tests: `HEADROOM_TEST_CRASH_AT=<step>` aborts the process
/// right after that step, as a power cut or a kill would.
fn crash_point(step: &str) {
    if std::env::var("HEADROOM_TEST_CRASH_AT").as_deref() == Ok(step) {
        std::process::abort();
    }
}

pub struct Fallback<'a> {
    pub vault: Vault<'a>,
    pub codex_home: PathBuf,
    /// `codex` on PATH, used to hand over the key through Codex's own door.
    pub codex: Option<PathBuf>,
    /// Where Codex keeps its login: auth.json or its keychain entries.
    pub store: LoginStore<'a>,
}

/// The keychain entry holding `codex_home`'s saved ChatGPT login.
pub fn saved_login_entry(codex_home: &Path) -> String {
    format!("{}|{}", Slot::SavedCodexLogin.account(), crate::login::codex_login::home_hash(codex_home))
}

impl<'a> Fallback<'a> {
    /// The fallback that switches through `codex` (the program), when there is one.
    pub fn with_codex(
        codex_home: &Path,
        config: &CodexConfig,
        keychain: &'a dyn Keychain,
        codex: Option<PathBuf>,
    ) -> Fallback<'a> {
        Fallback { codex, ..Fallback::without_codex(codex_home, config, keychain) }
    }

    /// The fallback for reading only (which login Codex uses, what is saved).
    pub fn without_codex(codex_home: &Path, config: &CodexConfig, keychain: &'a dyn Keychain) -> Fallback<'a> {
        Fallback {
            vault: Vault::new(keychain),
            codex_home: codex_home.to_path_buf(),
            codex: None,
            store: LoginStore::for_codex(codex_home, config, keychain),
        }
    }
}

impl Fallback<'_> {
    fn read_login(&self) -> Result<Option<Vec<u8>>, FallbackError> {
        Ok(self.store.snapshot()?)
    }

    fn is_fallback_login(&self, snapshot: &[u8]) -> Result<bool, FallbackError> {
        let Some(key) = self.vault.load(Slot::FallbackApiKey)? else { return Ok(false) };
        let document = self.store.document(snapshot);
        Ok(matches!(login_in(document.as_ref()), Some(CodexLogin::NoQuota(NoQuotaLogin::ApiKey)))
            && document.and_then(|d| string(d.get("OPENAI_API_KEY"))).as_deref() == Some(key.expose_secret()))
    }

    pub fn codex_now(&self) -> Result<CodexNow, FallbackError> {
        match self.read_login()? {
            Some(snapshot) => self.classify(&snapshot),
            None => Ok(CodexNow::NoLogin),
        }
    }

    /// Which login a snapshot of Codex's login is (read once by the caller: in the keychain
    /// layout a read is several keychain calls).
    fn classify(&self, snapshot: &[u8]) -> Result<CodexNow, FallbackError> {
        if self.is_fallback_login(snapshot)? {
            return Ok(CodexNow::FallbackKey);
        }
        Ok(match self.login_of(snapshot) {
            Some(CodexLogin::ChatGpt { .. } | CodexLogin::AccessToken { .. }) => CodexNow::ChatGpt,
            Some(CodexLogin::NoQuota(NoQuotaLogin::ApiKey)) => CodexNow::OtherApiKey,
            Some(CodexLogin::NoQuota(_) | CodexLogin::Empty) => CodexNow::NoLogin,
            // There is something, but not a login: say so rather than "no login".
            None => return Err(FallbackError::MalformedLogin(self.store.place())),
        })
    }

    /// The ChatGPT login saved before switching, while Codex runs on Headroom's key: the plan is
    /// still read with it (never refreshed: only its access token is used).
    pub fn saved_login_in_use(&self) -> Result<Option<CodexLogin>, FallbackError> {
        if self.codex_now()? != CodexNow::FallbackKey {
            return Ok(None);
        }
        // Only this home's own copy: an earlier version's may be another home's person.
        let Some(saved) = self.vault.load_named(&saved_login_entry(&self.codex_home))? else { return Ok(None) };
        Ok(self.login_of(saved.expose_secret().as_bytes()))
    }

    /// Whether this home's login is saved in its own entry.
    pub fn has_saved_login(&self) -> Result<bool, FallbackError> {
        Ok(self.vault.load_named(&saved_login_entry(&self.codex_home))?.is_some())
    }

    /// Whether an earlier version's single saved login is still in the keychain, and whose it
    /// is as far as its tokens say (an email).
    pub fn earlier_versions_copy(&self) -> Result<Option<Option<String>>, FallbackError> {
        Ok(self.vault.load(Slot::SavedCodexLogin)?.map(|saved| self.email_in(&saved)))
    }

    /// Whose a saved login is, as far as its tokens say: an email.
    fn email_in(&self, saved: &SecretString) -> Option<String> {
        match self.login_of(saved.expose_secret().as_bytes()) {
            Some(CodexLogin::ChatGpt { access_token, id_token, .. }) => {
                let claims = |t: &SecretString| crate::login::jwt::decode_claims(t.expose_secret()).ok();
                let access = claims(&access_token).unwrap_or_default();
                let id = id_token.as_ref().and_then(claims).unwrap_or_default();
                access.or(id).email
            }
            _ => None,
        }
    }

    /// Forgets this home's saved login once it is back (and an earlier version's, which was it).
    fn clear_saved(&self, from_legacy: bool) -> Result<(), FallbackError> {
        self.vault.clear_named(&saved_login_entry(&self.codex_home))?;
        if from_legacy {
            self.vault.clear(Slot::SavedCodexLogin)?;
        }
        Ok(())
    }

    pub fn set_key(&self, raw: &str) -> Result<(), FallbackError> {
        let key = check_key(raw)?;
        self.vault.store(Slot::FallbackApiKey, &key)?;
        Ok(())
    }

    /// Saves Codex's ChatGPT login in the keychain, then hands Codex the fallback key.
    pub fn switch(&self) -> Result<(), FallbackError> {
        let key = self.vault.load(Slot::FallbackApiKey)?.ok_or(FallbackError::NoKey)?;
        let current = self.read_login()?.ok_or_else(|| FallbackError::NoLogin(self.store.place()))?;
        match self.classify(&current)? {
            CodexNow::FallbackKey => return Err(FallbackError::AlreadyOnKey),
            CodexNow::OtherApiKey => return Err(FallbackError::ForeignApiKey),
            CodexNow::NoLogin => return Err(FallbackError::NoLogin(self.store.place())),
            CodexNow::ChatGpt => {}
        }

        // 1. The saved copy, in this home's own entry, read back before anything else changes.
        let saved = SecretString::from(String::from_utf8_lossy(&current).into_owned());
        let entry = saved_login_entry(&self.codex_home);
        self.vault.store_named(&entry, &saved)?;
        match self.vault.load_named(&entry)? {
            Some(back) if back.expose_secret().as_bytes() == current.as_slice() => {}
            _ => return Err(FallbackError::SavedCopyDiffers),
        }
        crash_point("saved");

        // 2. The key, through Codex's own door when it is installed.
        match &self.codex {
            Some(codex) => login_with_api_key(codex, &self.codex_home, &key)?,
            None => self.store.write_api_key(key.expose_secret())?,
        }
        crash_point("switched");
        Ok(())
    }

    /// Puts the saved ChatGPT login back, only over the login Headroom wrote. `Ok(false)` when
    /// Codex already has that login.
    /// Once the login is back (read back the same), the saved copy is removed from the keychain:
    /// a stale refresh token kept there helps nobody.
    pub fn restore(&self) -> Result<bool, FallbackError> {
        self.put_back(false)
    }

    /// [`Fallback::restore`] with the login an earlier version saved (one entry for every home),
    /// when this home has none of its own: the user has said it is this home's.
    pub fn restore_earlier_versions_copy(&self) -> Result<bool, FallbackError> {
        self.put_back(true)
    }

    fn put_back(&self, earlier_versions: bool) -> Result<bool, FallbackError> {
        let current = self.read_login()?;
        let on_key = match &current {
            Some(bytes) => self.is_fallback_login(bytes)?,
            None => false,
        };
        let own = self.vault.load_named(&saved_login_entry(&self.codex_home))?;
        let from_legacy = own.is_none();
        let saved = match own {
            Some(own) => Some(own),
            // An earlier version's single entry is only ever put back into a home on Headroom's
            // key, and only when the user says it is this home's: it may be another home's person.
            None if on_key => match self.vault.load(Slot::SavedCodexLogin)? {
                Some(legacy) if earlier_versions => Some(legacy),
                Some(legacy) => return Err(FallbackError::EarlierVersionsCopy(self.email_in(&legacy))),
                None => None,
            },
            None => None,
        };
        let Some(saved) = saved else {
            return match current.as_deref().map(|bytes| self.classify(bytes)).transpose()? {
                Some(CodexNow::ChatGpt) => Ok(false),
                _ => Err(FallbackError::NothingSaved),
            };
        };
        if current.as_deref() == Some(saved.expose_secret().as_bytes()) {
            self.clear_saved(from_legacy)?;
            return Ok(false);
        }
        if !on_key {
            return Err(FallbackError::ChangedMeanwhile);
        }
        self.store.put_back(saved.expose_secret().as_bytes())?;
        crash_point("restored");
        if self.read_login()?.as_deref() != Some(saved.expose_secret().as_bytes()) {
            return Err(FallbackError::SavedCopyDiffers);
        }
        self.clear_saved(from_legacy)?;
        Ok(true)
    }
}

impl Fallback<'_> {
    /// The login a snapshot holds, when it can be read.
    fn login_of(&self, snapshot: &[u8]) -> Option<CodexLogin> {
        login_in(self.store.document(snapshot).as_ref())
    }
}

fn login_in(document: Option<&serde_json::Value>) -> Option<CodexLogin> {
    parse_auth_json(&serde_json::to_vec(document?).ok()?).ok()
}

/// `codex login --with-api-key`, the key on stdin (never in argv or the environment).
fn login_with_api_key(codex: &Path, codex_home: &Path, key: &SecretString) -> Result<(), FallbackError> {
    let mut child = Command::new(codex)
        .args(["login", "--with-api-key"])
        .env("CODEX_HOME", codex_home)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| FallbackError::CodexRefused(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(format!("{}\n", key.expose_secret()).as_bytes())
            .map_err(|e| FallbackError::CodexRefused(e.to_string()))?;
    }
    let output = child.wait_with_output().map_err(|e| FallbackError::CodexRefused(e.to_string()))?;
    if output.status.success() {
        Ok(())
    } else {
        // Codex's message, minus anything that could echo the key.
        let message = String::from_utf8_lossy(&output.stderr).replace(key.expose_secret(), "***");
        Err(FallbackError::CodexRefused(message.trim().lines().last().unwrap_or("no reason given").to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::keychain::MemoryKeychain;

    const KEY: &str = "sk-test-0123456789abcdefghijklmnop";
    const CHATGPT: &str =
        "{\n  \"auth_mode\": \"chatgpt\",\n  \"tokens\": {\"access_token\": \"a.b.c\", \"refresh_token\": \"r\"}\n}\n";

    fn setup(keychain: &MemoryKeychain) -> (tempfile::TempDir, Fallback<'_>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("auth.json"), CHATGPT).unwrap();
        let fallback = Fallback {
            vault: Vault::new(keychain),
            codex_home: dir.path().to_path_buf(),
            codex: None,
            store: LoginStore::File(dir.path().join("auth.json")),
        };
        (dir, fallback)
    }

    #[test]
    fn keys_are_checked() {
        assert!(check_key(KEY).is_ok());
        assert!(check_key(&format!(" '{KEY}'\n")).is_ok());
        assert_eq!(check_key("").err(), Some(FallbackError::NotAKey("nothing was given")));
        assert_eq!(check_key("eyJhbGciOi.x.y").err(), Some(FallbackError::NotAKey("it does not start with sk-")));
        assert_eq!(check_key("sk-short").err(), Some(FallbackError::NotAKey("it is too short")));
        assert_eq!(
            check_key("sk-abc def 0123456789abc").err(),
            Some(FallbackError::NotAKey("it contains spaces or line breaks"))
        );
    }

    #[test]
    fn switch_and_back_round_trip_the_login_byte_for_byte() {
        let keychain = MemoryKeychain::default();
        let (dir, fallback) = setup(&keychain);
        assert_eq!(fallback.switch(), Err(FallbackError::NoKey));
        fallback.set_key(KEY).unwrap();
        fallback.switch().unwrap();
        assert_eq!(fallback.codex_now().unwrap(), CodexNow::FallbackKey);
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("auth.json")).unwrap()).unwrap();
        assert_eq!(written["auth_mode"], "apikey");
        assert_eq!(fallback.switch(), Err(FallbackError::AlreadyOnKey));
        assert!(fallback.restore().unwrap());
        assert_eq!(std::fs::read_to_string(dir.path().join("auth.json")).unwrap(), CHATGPT);
        assert!(!fallback.has_saved_login().unwrap(), "the saved copy is gone once restored");
        assert!(!fallback.restore().unwrap(), "already restored");
        // A damaged login is named as such, not as "no login".
        std::fs::write(dir.path().join("auth.json"), "{ not json").unwrap();
        assert!(matches!(fallback.switch(), Err(FallbackError::MalformedLogin(_))));
    }

    #[test]
    fn each_home_keeps_its_own_saved_login_and_none_moves_between_homes() {
        let keychain = MemoryKeychain::default();
        let (a_dir, a) = setup(&keychain);
        let (b_dir, b) = setup(&keychain);
        let b_login = CHATGPT.replace("a.b.c", "b-access");
        std::fs::write(b_dir.path().join("auth.json"), &b_login).unwrap();
        a.set_key(KEY).unwrap();
        a.switch().unwrap();
        b.switch().unwrap();
        assert_ne!(saved_login_entry(a_dir.path()), saved_login_entry(b_dir.path()));
        // While both run on the key, each reads the plan with its own saved login.
        let access = |f: &Fallback| match f.saved_login_in_use().unwrap() {
            Some(CodexLogin::ChatGpt { access_token, .. }) => access_token.expose_secret().to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!((access(&a), access(&b)), ("a.b.c".to_string(), "b-access".to_string()));
        assert!(a.restore().unwrap());
        assert_eq!(std::fs::read_to_string(a_dir.path().join("auth.json")).unwrap(), CHATGPT, "A's own login");
        assert!(b.restore().unwrap());
        assert_eq!(std::fs::read_to_string(b_dir.path().join("auth.json")).unwrap(), b_login, "B's own login");
    }

    #[test]
    fn an_earlier_versions_single_saved_login_goes_back_only_when_the_user_says_whose_it_is() {
        let keychain = MemoryKeychain::default();
        let (dir, fallback) = setup(&keychain);
        fallback.set_key(KEY).unwrap();
        fallback.switch().unwrap();
        // As an earlier version left it: the one entry for every home.
        let saved = fallback.vault.load_named(&saved_login_entry(dir.path())).unwrap().unwrap();
        fallback.vault.clear_named(&saved_login_entry(dir.path())).unwrap();
        fallback.vault.store(Slot::SavedCodexLogin, &saved).unwrap();
        // Another home, not on the key, never takes it.
        let (other_dir, other) = setup(&keychain);
        assert!(!other.restore().unwrap());
        assert_eq!(std::fs::read_to_string(other_dir.path().join("auth.json")).unwrap(), CHATGPT);
        assert!(fallback.vault.load(Slot::SavedCodexLogin).unwrap().is_some());
        // The home on the key: not put back, nor read for numbers, until the user says so.
        let refused = fallback.restore().unwrap_err();
        assert!(matches!(refused, FallbackError::EarlierVersionsCopy(_)), "{refused:?}");
        assert!(refused.to_string().contains("`headroom fallback restore --from-earlier-version`"), "{refused}");
        assert!(fallback.saved_login_in_use().unwrap().is_none(), "maybe another home's person");
        assert!(!fallback.has_saved_login().unwrap());
        assert!(fallback.earlier_versions_copy().unwrap().is_some());
        assert!(fallback.restore_earlier_versions_copy().unwrap());
        assert_eq!(std::fs::read_to_string(dir.path().join("auth.json")).unwrap(), CHATGPT);
        assert!(fallback.vault.load(Slot::SavedCodexLogin).unwrap().is_none());
    }

    #[test]
    fn a_login_changed_meanwhile_is_never_overwritten() {
        let keychain = MemoryKeychain::default();
        let (dir, fallback) = setup(&keychain);
        fallback.set_key(KEY).unwrap();
        fallback.switch().unwrap();
        let other = "{\"auth_mode\":\"chatgpt\",\"tokens\":{\"access_token\":\"new.login.here\"}}";
        std::fs::write(dir.path().join("auth.json"), other).unwrap();
        assert_eq!(fallback.restore(), Err(FallbackError::ChangedMeanwhile));
        assert_eq!(std::fs::read_to_string(dir.path().join("auth.json")).unwrap(), other);
        assert!(FallbackError::ChangedMeanwhile.to_string().contains("still saved in the keychain"));
    }

    #[test]
    fn a_foreign_api_key_is_left_alone() {
        let keychain = MemoryKeychain::default();
        let (dir, fallback) = setup(&keychain);
        fallback.set_key(KEY).unwrap();
        std::fs::write(
            dir.path().join("auth.json"),
            "{\"auth_mode\":\"apikey\",\"OPENAI_API_KEY\":\"sk-someone-elses-key-000\"}",
        )
        .unwrap();
        assert_eq!(fallback.switch(), Err(FallbackError::ForeignApiKey));
    }

    #[test]
    fn a_locked_keychain_changes_nothing() {
        let keychain = MemoryKeychain::default();
        let (dir, fallback) = setup(&keychain);
        fallback.set_key(KEY).unwrap();
        let broken = MemoryKeychain::failing(crate::login::keychain::KeychainError::Locked("locked".into()));
        let fallback = Fallback { vault: Vault::new(&broken), ..fallback };
        assert!(matches!(fallback.switch(), Err(FallbackError::Vault(_))));
        assert_eq!(std::fs::read_to_string(dir.path().join("auth.json")).unwrap(), CHATGPT);
    }
}
