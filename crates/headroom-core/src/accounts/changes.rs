//! Adding a Codex home, removing an added home or a pasted token, pinning the account the icon
//! shows: the rules, shared by `headroom accounts` and the settings window. Each change is made
//! to the [`Settings`] given (the caller saves them) and, for tokens, to the keychain; a refused
//! change changes nothing.

use std::path::{Path, PathBuf};

use crate::accounts::roster::{same_folder, HomeOrigin, Place, Roster};
use crate::environment::Environment;
use crate::login::credentials::DiscoverMode;
use crate::login::keychain::Keychain;
use crate::login::pasted_tokens::PastedTokens;
use crate::login::vault::VaultError;
use crate::settings::{self, Settings};
use crate::status::Context;

/// Why a change was refused, as one sentence with what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountChangeError {
    #[error("{} does not exist: give the folder Codex keeps its login in (the one you run Codex with as CODEX_HOME). Nothing was saved.", .0.display())]
    Missing(PathBuf),
    #[error("{} is not a folder: give the Codex home folder itself, not a file in it. Nothing was saved.", .0.display())]
    NotAFolder(PathBuf),
    #[error("{} holds no Codex login: run `{} login` first, then add it. Nothing was saved.", .0.display(), crate::accounts::roster::codex_with_home(.0))]
    NoLogin(PathBuf),
    #[error("{} holds {what}, which has no plan usage to show: sign in there with ChatGPT (`codex login`), then add it. Nothing was saved.", .path.display())]
    NoQuota { path: PathBuf, what: String },
    #[error("No account is named “{0}”: `headroom accounts list` shows each account's id, email and home.")]
    Unknown(String),
    #[error("“{name}” names {} accounts — {}: give the one you mean by its id.", .matches.len(), .matches.join("; "))]
    Ambiguous { name: String, matches: Vec<String> },
    #[error("{0} has no token pasted into Headroom: there is nothing to remove from the keychain.")]
    NoToken(String),
    #[error("{0} is the Codex home in use here, which Headroom always watches; it cannot be removed (run Codex with another CODEX_HOME, or choose another Codex folder in Settings).")]
    InUse(String),
    #[error("{0}")]
    Vault(#[from] VaultError),
    #[error("{0}")]
    Settings(#[from] crate::settings_edit::EditError),
}

/// What adding a home did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    pub path: PathBuf,
    /// The account its login names (email, else account id).
    pub account: String,
    /// It was watched already (the default home, or added before): nothing changed.
    pub already: bool,
}

/// Adds a Codex home after checking it exists, is a folder and holds a ChatGPT login.
pub fn add_home(
    env: &Environment,
    settings: &mut Settings,
    keychain: &dyn Keychain,
    path: &Path,
) -> Result<Added, AccountChangeError> {
    let path = absolute(&env.expand_home(path));
    if !path.exists() {
        return Err(AccountChangeError::Missing(path));
    }
    if !path.is_dir() {
        return Err(AccountChangeError::NotAFolder(path));
    }
    let mut home_env = env.clone();
    home_env.access_token = None;
    home_env.codex_home = path.clone();
    let discovery = Context::load(home_env).discover(keychain, None, DiscoverMode::FirstFound);
    let Some(credential) = discovery.credential() else {
        return Err(match discovery.missing_error() {
            crate::error::UsageError::NoQuota(kind) => {
                AccountChangeError::NoQuota { path, what: kind.describe().into() }
            }
            _ => AccountChangeError::NoLogin(path),
        });
    };
    let account = credential.claims.email.clone().or_else(|| credential.account_id.clone()).unwrap_or_default();
    let already = same_folder(&path, &env.codex_home) || !settings::add_home(&mut settings.added_homes, path.clone());
    Ok(Added { path, account, already })
}

impl From<crate::accounts::roster::Unresolved> for AccountChangeError {
    fn from(e: crate::accounts::roster::Unresolved) -> AccountChangeError {
        match e {
            crate::accounts::roster::Unresolved::Unknown(name) => AccountChangeError::Unknown(name),
            crate::accounts::roster::Unresolved::Ambiguous { name, matches } => {
                AccountChangeError::Ambiguous { name, matches }
            }
        }
    }
}

/// What removing an account takes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Stop watching: the added home named (or the account's added homes). A token pasted for
    /// the same account stays in the keychain; an account that is only a pasted token is that
    /// token, and goes.
    Watching,
    /// The token pasted for the account, from the keychain (its homes stay watched).
    PastedToken,
}

/// Removes what can be removed of the account `name` (an id, an email, or a home's path, which
/// is all there is of a home that is gone), as `what` says. The Codex home in use is never
/// removed. Returns what was removed, one phrase each.
pub fn remove(
    env: &Environment,
    settings: &mut Settings,
    keychain: &dyn Keychain,
    name: &str,
    what: Removal,
) -> Result<Vec<String>, AccountChangeError> {
    let roster = Roster::find(env, settings, keychain);
    // A home named by its path is that home alone, whatever else its account has.
    let path = env.expand_home(Path::new(name.trim()));
    if what == Removal::Watching
        && settings.added_homes.iter().any(|h| same_folder(&env.expand_home(h), &path))
        && roster.resolve(name, env).map(|a| a.id != name.trim()).unwrap_or(true)
    {
        settings.added_homes.retain(|h| !same_folder(&env.expand_home(h), &path));
        unpin_if_gone(env, settings, keychain);
        return Ok(vec![format!("the added home {}", path.display())]);
    }
    let account = roster.resolve(name, env)?.clone();
    let tokens = PastedTokens::new(keychain);
    let mut removed = Vec::new();
    let only_a_token = account.home().is_none();
    for place in &account.places {
        match (place, what) {
            (Place::Home { path, origin: HomeOrigin::Added, .. }, Removal::Watching) => {
                settings.added_homes.retain(|h| !same_folder(&env.expand_home(h), path));
                removed.push(format!("the added home {}", path.display()));
            }
            (Place::Pasted(entry), _) if what == Removal::PastedToken || only_a_token => {
                tokens.remove(entry)?;
                removed.push(format!("the pasted token for {}", account.label()));
            }
            _ => {}
        }
    }
    if removed.is_empty() {
        return Err(match what {
            Removal::PastedToken => AccountChangeError::NoToken(account.label().to_string()),
            Removal::Watching => AccountChangeError::InUse(account.label().to_string()),
        });
    }
    unpin_if_gone(env, settings, keychain);
    Ok(removed)
}

/// A pin that names no account any more goes (a home that is gone is known by its path only).
fn unpin_if_gone(env: &Environment, settings: &mut Settings, keychain: &dyn Keychain) {
    if let Some(pinned) = settings.pinned_account.clone() {
        if Roster::find(env, settings, keychain).named(&pinned, env).is_none() {
            settings.pinned_account = None;
        }
    }
}

/// Pins the account `name` for the icon (`None` unpins); returns the pinned account's label.
pub fn pin(
    env: &Environment,
    settings: &mut Settings,
    keychain: &dyn Keychain,
    name: Option<&str>,
) -> Result<Option<String>, AccountChangeError> {
    let Some(name) = name else {
        settings.pinned_account = None;
        return Ok(None);
    };
    let roster = Roster::find(env, settings, keychain);
    let account = roster.resolve(name, env)?;
    settings.pinned_account = Some(account.id.clone());
    Ok(Some(account.label().to_string()))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::keychain::MemoryKeychain;
    use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};
    use secrecy::SecretString;

    fn login(dir: &Path, name: &str, email: &str, account: &str) -> PathBuf {
        let home = dir.join(name);
        std::fs::create_dir_all(&home).unwrap();
        let access = make_jwt(&TestClaims::plus(email, account, 3_600));
        std::fs::write(home.join("auth.json"), codex_auth_json(&access, &access, Some(account))).unwrap();
        home
    }

    fn env(dir: &Path, default: &Path) -> Environment {
        Environment { codex_home: default.to_path_buf(), user_home: Some(dir.join("user")), ..Default::default() }
    }

    #[test]
    fn a_home_is_added_only_when_it_holds_a_chatgpt_login() {
        let dir = tempfile::tempdir().unwrap();
        let default = login(dir.path(), "codex", "me@example.com", "acct-me");
        let env = env(dir.path(), &default);
        let keychain = MemoryKeychain::default();
        let mut settings = Settings::default();
        let missing = dir.path().join("nope");
        assert_eq!(add_home(&env, &mut settings, &keychain, &missing), Err(AccountChangeError::Missing(missing)));
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        assert_eq!(add_home(&env, &mut settings, &keychain, &file), Err(AccountChangeError::NotAFolder(file)));
        let empty = dir.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let refused = add_home(&env, &mut settings, &keychain, &empty).unwrap_err();
        assert_eq!(
            refused.to_string(),
            format!(
                "{} holds no Codex login: run `{} login` first, then add it. Nothing was saved.",
                empty.display(),
                crate::accounts::roster::codex_with_home(&empty)
            )
        );
        std::fs::write(empty.join("auth.json"), r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-x-0000000000"}"#)
            .unwrap();
        assert!(matches!(add_home(&env, &mut settings, &keychain, &empty), Err(AccountChangeError::NoQuota { .. })));
        assert!(settings.added_homes.is_empty(), "nothing refused was kept");

        let work = login(dir.path(), "codex-work", "work@example.com", "acct-work");
        let added = add_home(&env, &mut settings, &keychain, &work).unwrap();
        assert_eq!((added.account.as_str(), added.already), ("work@example.com", false));
        assert!(add_home(&env, &mut settings, &keychain, &work).unwrap().already);
        assert!(add_home(&env, &mut settings, &keychain, &default).unwrap().already, "the default home");
        assert_eq!(settings.added_homes, vec![work]);
    }

    #[test]
    fn removing_takes_added_homes_and_tokens_never_the_home_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let default = login(dir.path(), "codex", "me@example.com", "acct-me");
        let work = login(dir.path(), "codex-work", "work@example.com", "acct-work");
        let env = env(dir.path(), &default);
        let keychain = MemoryKeychain::default();
        let tokens = PastedTokens::new(&keychain);
        tokens.store(&SecretString::from(make_jwt(&TestClaims::plus("col@example.com", "acct-col", 60)))).unwrap();
        let mut settings = Settings { added_homes: vec![work.clone()], ..Settings::default() };
        pin(&env, &mut settings, &keychain, Some("work@example.com")).unwrap();
        assert_eq!(settings.pinned_account.as_deref(), Some("acct-work/user-work"));

        assert!(matches!(
            remove(&env, &mut settings, &keychain, "me@example.com", Removal::Watching),
            Err(AccountChangeError::InUse(_))
        ));
        assert_eq!(
            remove(&env, &mut settings, &keychain, "nobody", Removal::Watching),
            Err(AccountChangeError::Unknown("nobody".into()))
        );
        let removed = remove(&env, &mut settings, &keychain, work.to_str().unwrap(), Removal::Watching).unwrap();
        assert_eq!(removed, vec![format!("the added home {}", work.display())]);
        assert!(settings.added_homes.is_empty());
        assert_eq!(settings.pinned_account, None, "the pin went with it");
        assert_eq!(remove(&env, &mut settings, &keychain, "col@example.com", Removal::Watching).unwrap().len(), 1);
        assert!(tokens.entries().unwrap().is_empty(), "gone from the keychain");
    }

    #[test]
    fn removing_a_home_keeps_the_token_pasted_for_its_account_and_removing_the_token_is_its_own_act() {
        let dir = tempfile::tempdir().unwrap();
        let default = login(dir.path(), "codex", "me@example.com", "acct-me");
        let work = login(dir.path(), "codex-work", "work@example.com", "acct-work");
        let env = env(dir.path(), &default);
        let keychain = MemoryKeychain::default();
        let tokens = PastedTokens::new(&keychain);
        tokens.store(&SecretString::from(make_jwt(&TestClaims::plus("work@example.com", "acct-work", 60)))).unwrap();
        let mut settings = Settings { added_homes: vec![work.clone()], ..Settings::default() };
        let removed = remove(&env, &mut settings, &keychain, work.to_str().unwrap(), Removal::Watching).unwrap();
        assert_eq!(removed, vec![format!("the added home {}", work.display())]);
        assert_eq!(tokens.entries().unwrap().len(), 1, "the pasted token stays in the keychain");
        // Now the account is its token alone; removing the token is asked for by name.
        assert_eq!(
            remove(&env, &mut settings, &keychain, "me@example.com", Removal::PastedToken),
            Err(AccountChangeError::NoToken("me@example.com".into()))
        );
        let removed = remove(&env, &mut settings, &keychain, "work@example.com", Removal::PastedToken).unwrap();
        assert_eq!(removed, vec!["the pasted token for work@example.com".to_string()]);
        assert!(tokens.entries().unwrap().is_empty());
    }

    #[test]
    fn a_deleted_home_is_removed_by_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let default = login(dir.path(), "codex", "me@example.com", "acct-me");
        let env = env(dir.path(), &default);
        let gone = dir.path().join("was-here");
        let mut settings = Settings { added_homes: vec![gone.clone()], ..Settings::default() };
        let removed =
            remove(&env, &mut settings, &MemoryKeychain::default(), gone.to_str().unwrap(), Removal::Watching).unwrap();
        assert_eq!(removed.len(), 1);
        assert!(settings.added_homes.is_empty());
        assert!(matches!(
            pin(&env, &mut settings, &MemoryKeychain::default(), Some("nobody@example.com")),
            Err(AccountChangeError::Unknown(_))
        ));
    }
}
