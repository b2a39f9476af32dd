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
    #[error("{0} is the Codex home in use here, which Headroom always watches; it cannot be removed (run Codex with another CODEX_HOME, or choose another Codex folder in Settings).")]
    InUse(String),
    #[error("{0}")]
    Vault(#[from] VaultError),
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

/// Removes what can be removed of the account `name` (an id, an email, or a home's path, which
/// is all there is of a home that is gone): its added homes and its pasted tokens. The Codex home
/// in use is never removed. Returns what was removed, one phrase each.
pub fn remove(
    env: &Environment,
    settings: &mut Settings,
    keychain: &dyn Keychain,
    name: &str,
) -> Result<Vec<String>, AccountChangeError> {
    let roster = Roster::find(env, settings, keychain);
    let Some(account) = roster.named(name, env).cloned() else {
        // An added home that is not an account any more (merged into another, say) still goes.
        let path = env.expand_home(Path::new(name.trim()));
        let before = settings.added_homes.len();
        settings.added_homes.retain(|h| !same_folder(&env.expand_home(h), &path));
        if settings.added_homes.len() < before {
            return Ok(vec![format!("the added home {}", path.display())]);
        }
        return Err(AccountChangeError::Unknown(name.trim().to_string()));
    };
    let tokens = PastedTokens::new(keychain);
    let mut removed = Vec::new();
    for place in &account.places {
        match place {
            Place::Home { path, origin: HomeOrigin::Added, .. } => {
                settings.added_homes.retain(|h| !same_folder(&env.expand_home(h), path));
                removed.push(format!("the added home {}", path.display()));
            }
            Place::Pasted(entry) => {
                tokens.remove(entry)?;
                removed.push(format!("the pasted token for {}", account.label()));
            }
            _ => {}
        }
    }
    if removed.is_empty() {
        return Err(AccountChangeError::InUse(account.label().to_string()));
    }
    // A pin that names no account any more goes too (a home that is gone is known by its path
    // only, so the pin cannot be compared with the account itself).
    let pinned = settings.pinned_account.clone();
    if pinned
        .is_some_and(|p| account.is_named(&p, env) || Roster::find(env, settings, keychain).named(&p, env).is_none())
    {
        settings.pinned_account = None;
    }
    Ok(removed)
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
    let account = roster.named(name, env).ok_or_else(|| AccountChangeError::Unknown(name.trim().to_string()))?;
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
        assert_eq!(settings.pinned_account.as_deref(), Some("acct-work"));

        assert!(matches!(remove(&env, &mut settings, &keychain, "me@example.com"), Err(AccountChangeError::InUse(_))));
        assert_eq!(remove(&env, &mut settings, &keychain, "nobody"), Err(AccountChangeError::Unknown("nobody".into())));
        let removed = remove(&env, &mut settings, &keychain, work.to_str().unwrap()).unwrap();
        assert_eq!(removed, vec![format!("the added home {}", work.display())]);
        assert!(settings.added_homes.is_empty());
        assert_eq!(settings.pinned_account, None, "the pin went with it");
        assert_eq!(remove(&env, &mut settings, &keychain, "col@example.com").unwrap().len(), 1);
        assert!(tokens.entries().unwrap().is_empty(), "gone from the keychain");
    }

    #[test]
    fn a_deleted_home_is_removed_by_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let default = login(dir.path(), "codex", "me@example.com", "acct-me");
        let env = env(dir.path(), &default);
        let gone = dir.path().join("was-here");
        let mut settings = Settings { added_homes: vec![gone.clone()], ..Settings::default() };
        let removed = remove(&env, &mut settings, &MemoryKeychain::default(), gone.to_str().unwrap()).unwrap();
        assert_eq!(removed.len(), 1);
        assert!(settings.added_homes.is_empty());
        assert!(matches!(
            pin(&env, &mut settings, &MemoryKeychain::default(), Some("nobody@example.com")),
            Err(AccountChangeError::Unknown(_))
        ));
    }
}
