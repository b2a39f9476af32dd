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
    /// What the person can do about it, as the second half of a sentence, for this platform's
    /// keychain.
    pub fn remedy(&self) -> &'static str {
        self.remedy_on(Platform::current())
    }

    fn remedy_on(&self, platform: Platform) -> &'static str {
        use Platform::*;
        match (self, platform) {
            (KeychainError::Unavailable(_), Linux) => {
                "install and start a Secret Service keyring (gnome-keyring or KWallet), or on a headless machine set HEADROOM_ACCESS_TOKEN"
            }
            (KeychainError::Unavailable(_), MacOs) => {
                "run Headroom in your own login session, where your login keychain is, or set HEADROOM_ACCESS_TOKEN"
            }
            (KeychainError::Unavailable(_), Windows) => {
                "run Headroom in your own signed-in Windows session, where the Credential Manager is, or set HEADROOM_ACCESS_TOKEN"
            }
            (KeychainError::Locked(_), Linux) => "unlock your login keyring and try again",
            (KeychainError::Locked(_), MacOs) => "unlock your login keychain and try again",
            (KeychainError::Locked(_), Windows) => {
                "sign in to Windows with your own account (a service or another user's session has no access to your Credential Manager) and try again"
            }
            (KeychainError::Other(_), Linux) => {
                "check that your keyring works (for example with `secret-tool search service Headroom`)"
            }
            (KeychainError::Other(_), MacOs) => "check your login keychain in Keychain Access",
            (KeychainError::Other(_), Windows) => {
                "check the Credential Manager (Control Panel → Credential Manager → Windows Credentials lists Headroom's entries)"
            }
        }
    }
}

/// Whose keychain Headroom talks to, for the advice it gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Platform {
    Linux,
    MacOs,
    Windows,
}

impl Platform {
    fn current() -> Platform {
        if cfg!(windows) {
            Platform::Windows
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Linux
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

    /// The longest text one entry holds, in UTF-16 code units (a character outside the Basic
    /// Multilingual Plane counts two), when the keychain has such a limit; `None` when it has
    /// none worth knowing. See [`crate::login::split_entries`].
    fn entry_limit(&self) -> Option<usize> {
        None
    }
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
        match read_entry(&Self::entry(service, account)?) {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    fn write(&self, service: &str, account: &str, secret: &[u8]) -> Result<(), KeychainError> {
        // keyring updates the matching item when one exists (Secret Service CreateItem with
        // replace, SecItemUpdate on macOS, CredWrite on Windows).
        write_entry(&Self::entry(service, account)?, secret).map_err(map_error)
    }

    fn delete(&self, service: &str, account: &str) -> Result<bool, KeychainError> {
        match Self::entry(service, account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(e)),
        }
    }

    fn entry_limit(&self) -> Option<usize> {
        // A Windows credential holds at most 2560 bytes, and keyring keeps text there as UTF-16.
        cfg!(windows).then_some(WINDOWS_CREDENTIAL_UNITS)
    }
}

/// The UTF-16 code units of text one Windows credential holds (CRED_MAX_CREDENTIAL_BLOB_SIZE,
/// 2560 bytes, two bytes a unit).
pub const WINDOWS_CREDENTIAL_UNITS: usize = 1280;

/// An entry's secret. On Windows, text is kept the way keyring's `set_password` keeps it and
/// every other keyring user (Codex among them) writes it, as UTF-16: read as text, so the
/// passphrase Codex keeps there is the passphrase and not its UTF-16 bytes. A credential that
/// is not UTF-16 text is taken as the bytes it holds. Elsewhere text is stored as its UTF-8
/// bytes whichever call wrote it, and the bytes are read as they are.
fn read_entry(entry: &keyring::Entry) -> keyring::Result<Vec<u8>> {
    if cfg!(windows) {
        return match entry.get_password() {
            Ok(text) => Ok(text.into_bytes()),
            Err(keyring::Error::BadEncoding(bytes)) => Ok(bytes),
            Err(e) => Err(e),
        };
    }
    entry.get_secret()
}

/// Stores a secret, as text when it is text on Windows (see [`read_entry`]).
fn write_entry(entry: &keyring::Entry, secret: &[u8]) -> keyring::Result<()> {
    match std::str::from_utf8(secret) {
        Ok(text) if cfg!(windows) => entry.set_password(text),
        _ => entry.set_secret(secret),
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
    /// Refuse longer entries, as the Windows Credential Manager does (see [`Keychain::entry_limit`]).
    limit: Option<usize>,
}

impl MemoryKeychain {
    pub fn failing(error: KeychainError) -> Self {
        MemoryKeychain { failure: Some(error), ..Default::default() }
    }

    /// A keychain whose entries hold at most `units` UTF-16 code units of text.
    pub fn with_entry_limit(units: usize) -> Self {
        MemoryKeychain { limit: Some(units), ..Default::default() }
    }

    pub fn insert(&self, service: &str, account: &str, secret: &[u8]) {
        self.entries.lock().unwrap().insert((service.to_string(), account.to_string()), secret.to_vec());
    }

    /// Every account stored under `service`, sorted.
    pub fn accounts(&self, service: &str) -> Vec<String> {
        let mut accounts: Vec<String> =
            self.entries.lock().unwrap().keys().filter(|(s, _)| s == service).map(|(_, a)| a.clone()).collect();
        accounts.sort();
        accounts
    }
}

/// How many UTF-16 code units `secret` takes as text (its length in bytes when it is not text).
pub fn text_units(secret: &[u8]) -> usize {
    std::str::from_utf8(secret).map(|t| t.encode_utf16().count()).unwrap_or(secret.len())
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
        if let Some(limit) = self.limit.filter(|limit| text_units(secret) > *limit) {
            return Err(KeychainError::Other(format!("the secret is longer than an entry's limit of {limit}")));
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

    fn entry_limit(&self) -> Option<usize> {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_names_the_keychain_of_the_platform() {
        let unreachable = KeychainError::Unavailable("x".into());
        assert!(unreachable.remedy_on(Platform::Linux).contains("gnome-keyring or KWallet"));
        assert!(unreachable.remedy_on(Platform::Windows).contains("Credential Manager"));
        for platform in [Platform::Linux, Platform::MacOs, Platform::Windows] {
            assert!(unreachable.remedy_on(platform).contains("HEADROOM_ACCESS_TOKEN"), "{platform:?}");
            assert!(!KeychainError::Other("x".into()).remedy_on(platform).is_empty());
        }
        let locked = KeychainError::Locked("x".into());
        assert_eq!(locked.remedy_on(Platform::Linux), "unlock your login keyring and try again");
        assert_eq!(locked.remedy_on(Platform::MacOs), "unlock your login keychain and try again");
        assert!(!locked.remedy_on(Platform::Windows).contains("keyring"), "Windows has no keyring to unlock");
    }

    #[test]
    fn text_is_counted_as_windows_stores_it() {
        assert_eq!(text_units(b"abc"), 3);
        assert_eq!(text_units("é😀".as_bytes()), 3, "one unit for é, two for an emoji");
        assert_eq!(text_units(&[0xff, 0xfe, 0x00]), 3, "bytes that are not text count as bytes");
        let limited = MemoryKeychain::with_entry_limit(4);
        assert!(limited.write("s", "a", b"1234").is_ok());
        assert!(limited.write("s", "a", b"12345").is_err());
        assert_eq!(limited.read("s", "a").unwrap().as_deref(), Some(&b"1234"[..]), "a refused write keeps the old");
    }
}
