//! The OS keychain behind a small interface: the macOS Keychain, the Windows Credential Manager,
//! the Secret Service (gnome-keyring, KWallet) on Linux, all through the `keyring` crate.
//!
//! Reading is all the core engine needs for Codex's own login; Headroom's vault for pasted tokens
//! builds on the same interface.

use std::fmt;

/// Why the keychain could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeychainError {
    /// No keychain service to talk to (no D-Bus session, no Secret Service provider).
    #[error("the OS keychain cannot be reached ({0})")]
    Unavailable(String),
    /// The keychain is there but locked, or access was refused.
    #[error("the OS keychain is locked or refused access ({0})")]
    Locked(String),
    #[error("the OS keychain failed ({0})")]
    Other(String),
}

impl KeychainError {
    /// What the person can do about it, as the second half of a sentence.
    pub fn remedy(&self) -> &'static str {
        match self {
            KeychainError::Unavailable(_) => {
                "install and start a Secret Service keyring (gnome-keyring or KWallet), or on a headless machine set HEADROOM_ACCESS_TOKEN"
            }
            KeychainError::Locked(_) => "unlock your login keyring and try again",
            KeychainError::Other(_) => "check that your keyring works (for example with `secret-tool search service Headroom`)",
        }
    }
}

/// A store of secrets addressed by (service, account).
pub trait Keychain: Send + Sync {
    /// The secret stored under (service, account), or `None` when there is no such entry.
    fn read(&self, service: &str, account: &str) -> Result<Option<Vec<u8>>, KeychainError>;

    /// Stores a secret, updating an existing entry in place. Never delete and re-create: on macOS
    /// that wipes the entry's "Always allow" list and the keychain asks again and again.
    fn write(&self, service: &str, account: &str, secret: &[u8]) -> Result<(), KeychainError>;

    /// Removes an entry; `Ok(false)` when there was none.
    fn delete(&self, service: &str, account: &str) -> Result<bool, KeychainError>;
}

/// The platform's keychain.
#[derive(Default, Clone, Copy)]
pub struct OsKeychain;

impl fmt::Debug for OsKeychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OsKeychain")
    }
}

impl OsKeychain {
    fn entry(service: &str, account: &str) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(service, account).map_err(map_error)
    }
}

impl Keychain for OsKeychain {
    fn read(&self, service: &str, account: &str) -> Result<Option<Vec<u8>>, KeychainError> {
        match Self::entry(service, account)?.get_secret() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    fn write(&self, service: &str, account: &str, secret: &[u8]) -> Result<(), KeychainError> {
        // keyring's set_secret updates the matching item when one exists (Secret Service
        // CreateItem with replace, SecItemUpdate on macOS, CredWrite on Windows).
        Self::entry(service, account)?.set_secret(secret).map_err(map_error)
    }

    fn delete(&self, service: &str, account: &str) -> Result<bool, KeychainError> {
        match Self::entry(service, account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(e)),
        }
    }
}

pub(crate) fn map_error(error: keyring::Error) -> KeychainError {
    // The keyring crate's messages name the platform's error; they never contain the secret.
    match error {
        // The Secret Service reports a write to a locked collection as a plain D-Bus failure
        // ("Cannot create an item in a locked collection", or Secret.Error.IsLocked).
        keyring::Error::PlatformFailure(e) if e.to_string().to_ascii_lowercase().contains("locked") => {
            KeychainError::Locked(e.to_string())
        }
        keyring::Error::PlatformFailure(e) => KeychainError::Unavailable(e.to_string()),
        keyring::Error::NoStorageAccess(e) => KeychainError::Locked(e.to_string()),
        other => KeychainError::Other(other.to_string()),
    }
}

/// An in-memory keychain for unit tests of code that reads secrets.
#[derive(Debug, Default)]
pub struct MemoryKeychain {
    entries: std::sync::Mutex<std::collections::HashMap<(String, String), Vec<u8>>>,
    failure: Option<KeychainError>,
}

impl MemoryKeychain {
    pub fn failing(error: KeychainError) -> Self {
        MemoryKeychain { failure: Some(error), ..Default::default() }
    }

    pub fn insert(&self, service: &str, account: &str, secret: &[u8]) {
        self.entries.lock().unwrap().insert((service.to_string(), account.to_string()), secret.to_vec());
    }
}

impl Keychain for MemoryKeychain {
    fn read(&self, service: &str, account: &str) -> Result<Option<Vec<u8>>, KeychainError> {
        if let Some(error) = &self.failure {
            return Err(error.clone());
        }
        Ok(self.entries.lock().unwrap().get(&(service.to_string(), account.to_string())).cloned())
    }

    fn write(&self, service: &str, account: &str, secret: &[u8]) -> Result<(), KeychainError> {
        if let Some(error) = &self.failure {
            return Err(error.clone());
        }
        self.insert(service, account, secret);
        Ok(())
    }

    fn delete(&self, service: &str, account: &str) -> Result<bool, KeychainError> {
        if let Some(error) = &self.failure {
            return Err(error.clone());
        }
        Ok(self.entries.lock().unwrap().remove(&(service.to_string(), account.to_string())).is_some())
    }
}
