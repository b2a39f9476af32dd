//! Headroom's own secrets, kept in the OS keychain under the service `Headroom` and nowhere else:
//! a token pasted by the user, and (for the fallback feature) an OpenAI API key.
//!
//! There is deliberately no file fallback: when the keychain cannot be reached, storing fails
//! with a sentence that names the fix.

use secrecy::{ExposeSecret, SecretString};

use crate::login::codex_login::LoginReadError;
use crate::login::keychain::{Keychain, KeychainError};
use crate::login::split_entries::SplitEntries;

/// A source of a token pasted into Headroom (the vault). Kept behind a trait so discovery does
/// not depend on how the vault stores it.
pub trait PastedTokenSource {
    /// `Ok(None)` when no token has been pasted.
    fn pasted_token(&self) -> Result<Option<SecretString>, LoginReadError>;
    /// Where it lives, for messages.
    fn location(&self) -> String;
}

pub const SERVICE: &str = "Headroom";

/// What the vault holds, one keychain entry each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A ChatGPT access token pasted by the user.
    AccessToken,
    /// An OpenAI API key to switch Codex to when the plan runs out.
    FallbackApiKey,
    /// Codex's ChatGPT login, saved before switching Codex to the fallback key.
    SavedCodexLogin,
}

impl Slot {
    /// The keychain account name.
    pub fn account(self) -> &'static str {
        match self {
            Slot::AccessToken => "access-token",
            Slot::FallbackApiKey => "fallback-api-key",
            Slot::SavedCodexLogin => "saved-codex-login",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Slot::AccessToken => "the pasted token",
            Slot::FallbackApiKey => "the fallback API key",
            Slot::SavedCodexLogin => "the saved Codex login",
        }
    }
}

/// `eyJhbG…X9kQ`: enough to recognise a secret, too little to use it.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 16 {
        return "…".into();
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// What the settings window may show of a stored token: never the token itself.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenInfo {
    pub mask: String,
    pub email: Option<String>,
    pub plan: Option<String>,
    pub account_id: Option<String>,
    /// RFC 3339.
    pub expires_at: Option<String>,
    pub expired: bool,
}

impl TokenInfo {
    pub fn of(token: &SecretString, now: chrono::DateTime<chrono::Utc>) -> TokenInfo {
        let claims = crate::login::jwt::decode_claims(token.expose_secret()).unwrap_or_default();
        TokenInfo {
            mask: mask(token.expose_secret()),
            email: claims.email.clone(),
            plan: claims.plan.clone(),
            account_id: claims.account_id.clone(),
            expires_at: claims.expires_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            expired: claims.is_expired(now),
        }
    }
}

/// A failure to store, read or remove a secret, as one sentence with its fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}.{}", crate::text::capitalise(&.source.to_string()), .source.remedy(), if *.nothing_saved { " Nothing was saved." } else { "" })]
pub struct VaultError {
    pub source: KeychainError,
    /// Set for failed writes: nothing went to disk instead.
    pub nothing_saved: bool,
}

/// Headroom's keychain entries (split in parts where one entry is too small for them).
pub struct Vault<'a> {
    keychain: SplitEntries<'a>,
}

impl<'a> Vault<'a> {
    pub fn new(keychain: &'a dyn Keychain) -> Vault<'a> {
        Vault { keychain: SplitEntries::new(keychain) }
    }

    /// Stores a secret, replacing what the slot held, in place.
    pub fn store(&self, slot: Slot, secret: &SecretString) -> Result<(), VaultError> {
        self.keychain
            .write(SERVICE, slot.account(), secret.expose_secret().as_bytes())
            .map_err(|source| VaultError { source, nothing_saved: true })
    }

    pub fn load(&self, slot: Slot) -> Result<Option<SecretString>, VaultError> {
        match self.keychain.read(SERVICE, slot.account()) {
            Ok(Some(bytes)) => match String::from_utf8(bytes) {
                Ok(text) => Ok(Some(SecretString::from(text))),
                Err(_) => Err(VaultError {
                    source: KeychainError::Other(format!("{} in the keychain is not text", slot.describe())),
                    nothing_saved: false,
                }),
            },
            Ok(None) => Ok(None),
            Err(source) => Err(VaultError { source, nothing_saved: false }),
        }
    }

    /// Stores a secret under an entry of a slot's family named for one thing (a Codex home's
    /// saved login: `saved-codex-login|<home hash>`), in place.
    pub fn store_named(&self, name: &str, secret: &SecretString) -> Result<(), VaultError> {
        self.keychain
            .write(SERVICE, name, secret.expose_secret().as_bytes())
            .map_err(|source| VaultError { source, nothing_saved: true })
    }

    pub fn load_named(&self, name: &str) -> Result<Option<SecretString>, VaultError> {
        match self.keychain.read(SERVICE, name) {
            Ok(Some(bytes)) => String::from_utf8(bytes).map(|t| Some(SecretString::from(t))).map_err(|_| VaultError {
                source: KeychainError::Other(format!("\"{SERVICE}\" / {name} in the keychain is not text")),
                nothing_saved: false,
            }),
            Ok(None) => Ok(None),
            Err(source) => Err(VaultError { source, nothing_saved: false }),
        }
    }

    pub fn clear_named(&self, name: &str) -> Result<bool, VaultError> {
        self.keychain.delete(SERVICE, name).map_err(|source| VaultError { source, nothing_saved: false })
    }

    /// Removes a slot's entry; `Ok(false)` when it was empty.
    pub fn clear(&self, slot: Slot) -> Result<bool, VaultError> {
        self.keychain.delete(SERVICE, slot.account()).map_err(|source| VaultError { source, nothing_saved: false })
    }

    /// Where a slot lives, for messages: `"Headroom" / access-token in the OS keychain`.
    pub fn location(slot: Slot) -> String {
        format!("\"{SERVICE}\" / {} in the OS keychain", slot.account())
    }
}

impl PastedTokenSource for Vault<'_> {
    fn pasted_token(&self) -> Result<Option<SecretString>, LoginReadError> {
        match self.load(Slot::AccessToken) {
            Ok(token) => Ok(token),
            Err(e) => Err(LoginReadError::Keychain(e.source)),
        }
    }

    fn location(&self) -> String {
        Vault::location(Slot::AccessToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::keychain::MemoryKeychain;

    #[test]
    fn masks_show_only_the_ends() {
        assert_eq!(mask("eyJhbGciOiJSUzI1NiJ9.payload.sigX9kQ"), "eyJhbG…X9kQ");
        assert_eq!(mask("sk-short"), "…");
    }

    #[test]
    fn store_load_replace_clear() {
        let keychain = MemoryKeychain::default();
        let vault = Vault::new(&keychain);
        assert!(vault.load(Slot::AccessToken).unwrap().is_none());
        vault.store(Slot::AccessToken, &SecretString::from("one".to_string())).unwrap();
        vault.store(Slot::AccessToken, &SecretString::from("two".to_string())).unwrap();
        assert_eq!(vault.load(Slot::AccessToken).unwrap().unwrap().expose_secret(), "two");
        assert!(vault.load(Slot::FallbackApiKey).unwrap().is_none(), "slots are separate");
        assert!(vault.clear(Slot::AccessToken).unwrap());
        assert!(!vault.clear(Slot::AccessToken).unwrap());
    }

    #[test]
    fn failures_name_the_fix_and_say_nothing_was_saved() {
        // (The fix names the platform's keychain: see the keychain's own tests.)
        let unreachable = KeychainError::Unavailable("no D-Bus session".into());
        let keychain = MemoryKeychain::failing(unreachable.clone());
        let error = Vault::new(&keychain).store(Slot::AccessToken, &SecretString::from("x".to_string())).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "The OS keychain cannot be reached (no D-Bus session): {}. Nothing was saved.",
                unreachable.remedy()
            )
        );
        let locked = KeychainError::Locked("collection is locked".into());
        let error = Vault::new(&MemoryKeychain::failing(locked.clone())).load(Slot::AccessToken).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("The OS keychain is locked or refused access (collection is locked): {}.", locked.remedy())
        );
    }

    #[test]
    fn a_saved_login_longer_than_a_windows_credential_is_kept_whole() {
        // A ChatGPT login as Codex saves it: three tokens of about 2000 characters.
        let token = "eyJ".to_string() + &"x".repeat(2000);
        let login = format!(r#"{{"tokens":{{"id_token":"{token}","access_token":"{token}","refresh_token":"rt_1"}}}}"#);
        let keychain = MemoryKeychain::with_entry_limit(crate::login::keychain::WINDOWS_CREDENTIAL_UNITS);
        let vault = Vault::new(&keychain);
        vault.store(Slot::SavedCodexLogin, &SecretString::from(login.clone())).unwrap();
        assert_eq!(vault.load(Slot::SavedCodexLogin).unwrap().unwrap().expose_secret(), login);
        assert!(keychain.accounts(SERVICE).len() > 3, "in parts: {:?}", keychain.accounts(SERVICE));
        assert!(vault.clear(Slot::SavedCodexLogin).unwrap());
        assert!(keychain.accounts(SERVICE).is_empty(), "the parts went with it");
    }
}
