//! Codex's login as a whole, wherever Codex keeps it: `auth.json`, or its OS keychain entries
//! (`cli_auth_credentials_store = "keyring"`). The fallback switch needs three things of it: a
//! snapshot to save, an API-key login written as Codex would write it, and a snapshot put back.
//!
//! A snapshot of `auth.json` is the file's bytes, so a round trip is byte for byte. A snapshot of
//! the keychain layout is a small JSON document naming every entry that makes up the login
//! (`{"codex_keychain": {"account": …, "entries": {account: secret}}}`); `auth_document` turns
//! either back into the auth.json shape for reading.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::codex_login::{auth_file_path, keyring_account, CODEX_KEYRING_SERVICE};
use crate::environment::CredentialsStore;
use crate::keychain::{Keychain, KeychainError};
use crate::storage::write_atomically;

/// The per-field entries of the split (`v2`) keychain layout that make up one login revision.
const V2_FIELDS: [&str; 8] = [
    "manifest",
    "tokens.id_token",
    "tokens.access_token",
    "tokens.refresh_token",
    "tokens.account_id",
    "OPENAI_API_KEY",
    "openai_api_key",
    "last_refresh",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{place} could not be read ({reason})")]
    Read { place: String, reason: String },
    #[error("{place} could not be written ({reason})")]
    Write { place: String, reason: String },
    /// The split keychain layout has no documented way in but Codex's own.
    #[error("{0} is in Codex's split keychain layout, which only Codex itself can write")]
    NeedsCodex(String),
}

/// Where Codex keeps its login.
pub enum LoginStore<'a> {
    File(PathBuf),
    Keychain { keychain: &'a dyn Keychain, account: String },
}

impl<'a> LoginStore<'a> {
    /// Codex uses its keychain entry when told to (`keyring`), or with `auto` when no auth.json
    /// exists; otherwise auth.json.
    pub fn for_codex(codex_home: &Path, store: &CredentialsStore, keychain: &'a dyn Keychain) -> LoginStore<'a> {
        let file = auth_file_path(codex_home);
        let keyring = match store {
            CredentialsStore::Keyring => true,
            CredentialsStore::Auto | CredentialsStore::Unknown(_) => !file.exists(),
            CredentialsStore::File | CredentialsStore::Ephemeral => false,
        };
        if keyring {
            LoginStore::Keychain { keychain, account: keyring_account(codex_home) }
        } else {
            LoginStore::File(file)
        }
    }

    /// Where the login is, for messages.
    pub fn place(&self) -> String {
        match self {
            LoginStore::File(path) => format!("Codex's login file {}", path.display()),
            LoginStore::Keychain { account, .. } => {
                format!("Codex's keychain entry \"{CODEX_KEYRING_SERVICE}\" / {account}")
            }
        }
    }

    /// The login as it is now; `None` when Codex has none.
    pub fn snapshot(&self) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            LoginStore::File(path) => match std::fs::read(path) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(self.read_error(e.to_string())),
            },
            LoginStore::Keychain { .. } => {
                let entries = self.keychain_entries()?;
                if entries.is_empty() {
                    return Ok(None);
                }
                let Self::Keychain { account, .. } = self else { unreachable!() };
                let document = json!({"codex_keychain": {"account": account, "entries": entries}});
                Ok(Some(serde_json::to_vec(&document).unwrap_or_default()))
            }
        }
    }

    /// Writes an API-key login the way Codex writes one.
    pub fn write_api_key(&self, key: &str) -> Result<(), StoreError> {
        let login =
            serde_json::to_string_pretty(&json!({"auth_mode": "apikey", "OPENAI_API_KEY": key})).unwrap_or_default();
        match self {
            LoginStore::File(path) => {
                write_atomically(path, login.as_bytes()).map_err(|e| self.write_error(e.to_string()))
            }
            LoginStore::Keychain { keychain, account } => {
                if self.read_entry(&format!("{account}|v2|active"))?.is_some() {
                    return Err(StoreError::NeedsCodex(self.place()));
                }
                keychain
                    .write(CODEX_KEYRING_SERVICE, account, login.as_bytes())
                    .map_err(|e| self.keychain_write_error(&e))
            }
        }
    }

    /// Puts a snapshot back. In the keychain the revision's fields go first and the entry naming
    /// the active revision last, so Codex never sees half a login.
    pub fn put_back(&self, snapshot: &[u8]) -> Result<(), StoreError> {
        match self {
            LoginStore::File(path) => write_atomically(path, snapshot).map_err(|e| self.write_error(e.to_string())),
            LoginStore::Keychain { keychain, account } => {
                let entries = keychain_snapshot_entries(snapshot)
                    .ok_or_else(|| self.write_error("the saved copy is not a keychain login".into()))?;
                let active = format!("{account}|v2|active");
                for (name, secret) in entries.iter().filter(|(name, _)| **name != active) {
                    keychain
                        .write(CODEX_KEYRING_SERVICE, name, secret.as_bytes())
                        .map_err(|e| self.keychain_write_error(&e))?;
                }
                match entries.get(&active) {
                    Some(revision) => keychain.write(CODEX_KEYRING_SERVICE, &active, revision.as_bytes()),
                    // A single-entry login: a split login written meanwhile would shadow it.
                    None => keychain.delete(CODEX_KEYRING_SERVICE, &active).map(|_| ()),
                }
                .map_err(|e| self.keychain_write_error(&e))
            }
        }
    }

    fn keychain_entries(&self) -> Result<BTreeMap<String, String>, StoreError> {
        let LoginStore::Keychain { account, .. } = self else { return Ok(BTreeMap::new()) };
        let mut entries = BTreeMap::new();
        if let Some(whole) = self.read_entry(account)? {
            entries.insert(account.clone(), whole);
        }
        let active = format!("{account}|v2|active");
        if let Some(revision) = self.read_entry(&active)? {
            for field in V2_FIELDS {
                let name = format!("{account}|v2|{}|{field}", revision.trim());
                if let Some(value) = self.read_entry(&name)? {
                    entries.insert(name, value);
                }
            }
            entries.insert(active, revision);
        }
        Ok(entries)
    }

    fn read_entry(&self, name: &str) -> Result<Option<String>, StoreError> {
        let LoginStore::Keychain { keychain, .. } = self else { return Ok(None) };
        match keychain.read(CODEX_KEYRING_SERVICE, name) {
            Ok(bytes) => Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned())),
            Err(e) => Err(self.read_error(format!("{e}: {}", e.remedy()))),
        }
    }

    fn read_error(&self, reason: String) -> StoreError {
        StoreError::Read { place: self.place(), reason }
    }

    fn write_error(&self, reason: String) -> StoreError {
        StoreError::Write { place: self.place(), reason }
    }

    fn keychain_write_error(&self, e: &KeychainError) -> StoreError {
        self.write_error(format!("{e}: {}", e.remedy()))
    }
}

fn keychain_snapshot_entries(snapshot: &[u8]) -> Option<BTreeMap<String, String>> {
    let value: Value = serde_json::from_slice(snapshot).ok()?;
    serde_json::from_value(value.get("codex_keychain")?.get("entries")?.clone()).ok()
}

/// The auth.json-shaped document a snapshot stands for: the file itself, or the keychain entries
/// put back together. `None` when it is not JSON.
pub fn auth_document(snapshot: &[u8]) -> Option<Value> {
    let value: Value = serde_json::from_slice(snapshot).ok()?;
    let Some(keychain) = value.get("codex_keychain") else { return Some(value) };
    let account = keychain.get("account")?.as_str()?;
    let entries = keychain_snapshot_entries(snapshot)?;
    let Some(revision) = entries.get(&format!("{account}|v2|active")) else {
        return serde_json::from_str(entries.get(account)?).ok();
    };
    let field = |name: &str| entries.get(&format!("{account}|v2|{}|{name}", revision.trim())).cloned();
    let manifest: Value = field("manifest").and_then(|m| serde_json::from_str(&m).ok()).unwrap_or(Value::Null);
    let mut document = Map::new();
    document.insert("auth_mode".into(), manifest.get("auth_mode").cloned().unwrap_or(Value::Null));
    if let Some(key) = field("OPENAI_API_KEY").or_else(|| field("openai_api_key")) {
        document.insert("OPENAI_API_KEY".into(), Value::String(key));
    }
    if manifest.get("has_tokens").and_then(Value::as_bool).unwrap_or(false) {
        let mut tokens = Map::new();
        for name in ["id_token", "access_token", "refresh_token", "account_id"] {
            if let Some(value) = field(&format!("tokens.{name}")) {
                tokens.insert(name.into(), Value::String(value));
            }
        }
        document.insert("tokens".into(), Value::Object(tokens));
    }
    Some(Value::Object(document))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keychain::MemoryKeychain;

    fn keychain_store(keychain: &MemoryKeychain) -> LoginStore<'_> {
        LoginStore::Keychain { keychain, account: "cli|0123456789abcdef".into() }
    }

    #[test]
    fn a_single_entry_round_trips_and_reads_as_auth_json() {
        let keychain = MemoryKeychain::default();
        let store = keychain_store(&keychain);
        assert_eq!(store.snapshot().unwrap(), None);
        let login = r#"{"auth_mode":"chatgpt","tokens":{"access_token":"a"}}"#;
        keychain.write(CODEX_KEYRING_SERVICE, "cli|0123456789abcdef", login.as_bytes()).unwrap();
        let saved = store.snapshot().unwrap().unwrap();
        assert_eq!(auth_document(&saved).unwrap()["tokens"]["access_token"], "a");

        store.write_api_key("sk-key").unwrap();
        assert_eq!(auth_document(&store.snapshot().unwrap().unwrap()).unwrap()["OPENAI_API_KEY"], "sk-key");
        store.put_back(&saved).unwrap();
        assert_eq!(store.snapshot().unwrap().unwrap(), saved);
    }

    #[test]
    fn the_split_layout_is_saved_whole_and_put_back_with_its_active_revision() {
        let keychain = MemoryKeychain::default();
        let store = keychain_store(&keychain);
        let write = |name: &str, value: &str| {
            keychain.write(CODEX_KEYRING_SERVICE, &format!("cli|0123456789abcdef{name}"), value.as_bytes()).unwrap()
        };
        write("|v2|active", "7");
        write("|v2|7|manifest", r#"{"auth_mode":"chatgpt","has_tokens":true}"#);
        write("|v2|7|tokens.access_token", "access");
        write("|v2|7|tokens.refresh_token", "refresh");
        let saved = store.snapshot().unwrap().unwrap();
        let document = auth_document(&saved).unwrap();
        assert_eq!(document["auth_mode"], "chatgpt");
        assert_eq!(document["tokens"]["access_token"], "access");
        assert_eq!(document["tokens"]["refresh_token"], "refresh");

        // Only Codex writes a split login; Headroom refuses rather than guess its format.
        assert!(matches!(store.write_api_key("sk-key"), Err(StoreError::NeedsCodex(_))));

        // Codex moved on to a new revision holding the key; putting back restores revision 7.
        write("|v2|active", "8");
        write("|v2|8|manifest", r#"{"auth_mode":"apikey","has_openai_api_key":true,"has_tokens":false}"#);
        write("|v2|8|OPENAI_API_KEY", "sk-key");
        assert_eq!(auth_document(&store.snapshot().unwrap().unwrap()).unwrap()["OPENAI_API_KEY"], "sk-key");
        store.put_back(&saved).unwrap();
        assert_eq!(store.snapshot().unwrap().unwrap(), saved);
    }

    #[test]
    fn a_single_entry_put_back_is_not_shadowed_by_a_split_login() {
        let keychain = MemoryKeychain::default();
        let store = keychain_store(&keychain);
        keychain.write(CODEX_KEYRING_SERVICE, "cli|0123456789abcdef", br#"{"tokens":{"access_token":"a"}}"#).unwrap();
        let saved = store.snapshot().unwrap().unwrap();
        keychain.write(CODEX_KEYRING_SERVICE, "cli|0123456789abcdef|v2|active", b"9").unwrap();
        store.put_back(&saved).unwrap();
        assert_eq!(keychain.read(CODEX_KEYRING_SERVICE, "cli|0123456789abcdef|v2|active").unwrap(), None);
    }

    #[test]
    fn a_file_snapshot_is_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = LoginStore::File(dir.path().join("auth.json"));
        assert_eq!(store.snapshot().unwrap(), None);
        std::fs::write(dir.path().join("auth.json"), "{ \"x\": 1 }\n").unwrap();
        let saved = store.snapshot().unwrap().unwrap();
        assert_eq!(saved, b"{ \"x\": 1 }\n");
        assert_eq!(auth_document(&saved).unwrap()["x"], 1);
    }
}
