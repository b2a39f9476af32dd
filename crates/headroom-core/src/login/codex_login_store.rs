//! Codex's login as a whole, wherever Codex keeps it: `auth.json`, its OS keychain entry
//! (`cli_auth_credentials_store = "keyring"`), or its encrypted secrets store. The fallback switch
//! needs three things of it: a snapshot to save, an API-key login written as Codex would write it,
//! and a snapshot put back.
//!
//! A snapshot of `auth.json` is the file's bytes, so a round trip is byte for byte. A snapshot of
//! the keychain entry is a small JSON document holding it
//! (`{"codex_keychain": {"account": …, "entries": {account: secret}}}`); one of the encrypted
//! store holds the encrypted file, still encrypted (`{"codex_secrets": {"file": …, "age": base64}}`).
//! [`LoginStore::document`] turns any of them back into the auth.json shape for reading.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};

use crate::environment::CodexConfig;
use crate::login::codex_login::{auth_file_path, keyring_account, CODEX_KEYRING_SERVICE};
use crate::login::keychain::{Keychain, KeychainError};
use crate::storage::write_atomically;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("{place} could not be read ({reason})")]
    Read { place: String, reason: String },
    #[error("{place} could not be written ({reason})")]
    Write { place: String, reason: String },
    /// A store whose format only Codex writes.
    #[error("{0} is Codex's encrypted login, which only Codex itself can write")]
    NeedsCodex(String),
}

/// Where Codex keeps its login.
pub enum LoginStore<'a> {
    File(PathBuf),
    Keychain {
        keychain: &'a dyn Keychain,
        account: String,
    },
    /// The encrypted secrets file; its passphrase is in the keychain.
    Secrets {
        keychain: &'a dyn Keychain,
        codex_home: PathBuf,
    },
}

impl<'a> LoginStore<'a> {
    /// Codex uses its keychain when told to (`keyring`), or with `auto` when no auth.json exists;
    /// in the keychain, its encrypted store when it is set to (or only that holds a login).
    pub fn for_codex(codex_home: &Path, config: &CodexConfig, keychain: &'a dyn Keychain) -> LoginStore<'a> {
        use crate::environment::CredentialsStore;
        let file = auth_file_path(codex_home);
        let keyring = match config.credentials_store {
            CredentialsStore::Keyring => true,
            CredentialsStore::Auto | CredentialsStore::Unknown(_) => !file.exists(),
            CredentialsStore::File | CredentialsStore::Ephemeral => false,
        };
        if !keyring {
            return LoginStore::File(file);
        }
        let account = keyring_account(codex_home);
        let secrets = crate::login::codex_secrets::secrets_file(codex_home).is_some()
            && (config.secrets_store_first() || matches!(keychain.read(CODEX_KEYRING_SERVICE, &account), Ok(None)));
        if secrets {
            LoginStore::Secrets { keychain, codex_home: codex_home.to_path_buf() }
        } else {
            LoginStore::Keychain { keychain, account }
        }
    }

    /// Where the login is, for messages.
    pub fn place(&self) -> String {
        match self {
            LoginStore::File(path) => format!("Codex's login file {}", path.display()),
            LoginStore::Keychain { account, .. } => {
                format!("Codex's keychain entry \"{CODEX_KEYRING_SERVICE}\" / {account}")
            }
            LoginStore::Secrets { codex_home, .. } => {
                format!("Codex's encrypted login {}", crate::login::codex_secrets::location(codex_home))
            }
        }
    }

    /// The login as it is now; `None` when Codex has none.
    pub fn snapshot(&self) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            LoginStore::File(path) => match crate::storage::read_small_file(path) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(self.read_error(e.to_string())),
            },
            LoginStore::Keychain { account, .. } => {
                let Some(whole) = self.read_entry(account)? else { return Ok(None) };
                let entries = BTreeMap::from([(account.clone(), whole)]);
                let document = json!({"codex_keychain": {"account": account, "entries": entries}});
                Ok(Some(serde_json::to_vec(&document).unwrap_or_default()))
            }
            LoginStore::Secrets { codex_home, .. } => {
                let Some((path, _)) = crate::login::codex_secrets::secrets_file(codex_home) else { return Ok(None) };
                let bytes = crate::storage::read_small_file(&path).map_err(|e| self.read_error(e.to_string()))?;
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let document = json!({"codex_secrets": {"file": name, "age": BASE64.encode(bytes)}});
                Ok(Some(serde_json::to_vec(&document).unwrap_or_default()))
            }
        }
    }

    /// The auth.json-shaped document a snapshot stands for: the file itself, the keychain entry,
    /// or the encrypted store decrypted with its passphrase. `None` when it cannot be read.
    pub fn document(&self, snapshot: &[u8]) -> Option<Value> {
        let value: Value = serde_json::from_slice(snapshot).ok()?;
        if let Some(keychain) = value.get("codex_keychain") {
            let account = keychain.get("account")?.as_str()?;
            return serde_json::from_str(keychain.get("entries")?.get(account)?.as_str()?).ok();
        }
        if value.get("codex_secrets").is_some() {
            let LoginStore::Secrets { keychain, codex_home } = self else { return None };
            let (name, bytes) = secrets_snapshot(snapshot)?;
            return crate::login::codex_secrets::decrypt_document(*keychain, codex_home, &name, &bytes);
        }
        Some(value)
    }

    /// The file to write for `auth.json`: the file itself, or what a symbolic link to it points
    /// at (dotfiles setups), so that a write replaces the login, never the link.
    fn file_target(&self, path: &Path) -> Result<PathBuf, StoreError> {
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(path).map_err(|e| {
                self.write_error(format!("it is a symbolic link whose target cannot be reached ({e}); fix the link"))
            }),
            _ => Ok(path.to_path_buf()),
        }
    }

    /// Writes an API-key login the way Codex writes one.
    pub fn write_api_key(&self, key: &str) -> Result<(), StoreError> {
        let login =
            serde_json::to_string_pretty(&json!({"auth_mode": "apikey", "OPENAI_API_KEY": key})).unwrap_or_default();
        match self {
            LoginStore::File(path) => write_atomically(&self.file_target(path)?, login.as_bytes())
                .map_err(|e| self.write_error(e.to_string())),
            LoginStore::Keychain { keychain, account } => keychain
                .write(CODEX_KEYRING_SERVICE, account, login.as_bytes())
                .map_err(|e| self.keychain_write_error(&e)),
            LoginStore::Secrets { .. } => Err(StoreError::NeedsCodex(self.place())),
        }
    }

    /// Puts a snapshot back, as it was.
    pub fn put_back(&self, snapshot: &[u8]) -> Result<(), StoreError> {
        match self {
            LoginStore::File(path) => {
                write_atomically(&self.file_target(path)?, snapshot).map_err(|e| self.write_error(e.to_string()))
            }
            LoginStore::Keychain { keychain, account } => {
                let whole = keychain_entry(snapshot, account)
                    .ok_or_else(|| self.write_error("the saved copy is not a keychain login".into()))?;
                keychain
                    .write(CODEX_KEYRING_SERVICE, account, whole.as_bytes())
                    .map_err(|e| self.keychain_write_error(&e))
            }
            LoginStore::Secrets { codex_home, .. } => {
                let (name, bytes) = secrets_snapshot(snapshot)
                    .ok_or_else(|| self.write_error("the saved copy is not Codex's encrypted login".into()))?;
                let path = codex_home.join("secrets").join(name);
                write_atomically(&path, &bytes).map_err(|e| self.write_error(e.to_string()))
            }
        }
    }

    fn read_entry(&self, name: &str) -> Result<Option<String>, StoreError> {
        let (LoginStore::Keychain { keychain, .. } | LoginStore::Secrets { keychain, .. }) = self else {
            return Ok(None);
        };
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

fn keychain_entry(snapshot: &[u8], account: &str) -> Option<String> {
    let value: Value = serde_json::from_slice(snapshot).ok()?;
    Some(value.get("codex_keychain")?.get("entries")?.get(account)?.as_str()?.to_string())
}

/// The file name and encrypted bytes an encrypted-store snapshot holds.
fn secrets_snapshot(snapshot: &[u8]) -> Option<(String, Vec<u8>)> {
    let value: Value = serde_json::from_slice(snapshot).ok()?;
    let secrets = value.get("codex_secrets")?;
    let name = secrets.get("file")?.as_str()?;
    // Only the names Codex uses, never a path that could point elsewhere.
    if name.contains(['/', '\\']) || !name.ends_with(".age") {
        return None;
    }
    Some((name.to_string(), BASE64.decode(secrets.get("age")?.as_str()?).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::keychain::MemoryKeychain;

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
        assert_eq!(store.document(&saved).unwrap()["tokens"]["access_token"], "a");

        store.write_api_key("sk-key").unwrap();
        assert_eq!(store.document(&store.snapshot().unwrap().unwrap()).unwrap()["OPENAI_API_KEY"], "sk-key");
        store.put_back(&saved).unwrap();
        assert_eq!(store.snapshot().unwrap().unwrap(), saved);
    }

    #[test]
    fn a_file_snapshot_is_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = LoginStore::File(dir.path().join("auth.json"));
        assert_eq!(store.snapshot().unwrap(), None);
        std::fs::write(dir.path().join("auth.json"), "{ \"x\": 1 }\n").unwrap();
        let saved = store.snapshot().unwrap().unwrap();
        assert_eq!(saved, b"{ \"x\": 1 }\n");
        assert_eq!(store.document(&saved).unwrap()["x"], 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_login_file_is_written_through_its_link() {
        let dir = tempfile::tempdir().unwrap();
        let dotfiles = dir.path().join("dotfiles/codex-auth.json");
        std::fs::create_dir_all(dotfiles.parent().unwrap()).unwrap();
        std::fs::write(&dotfiles, r#"{"tokens":{"access_token":"a"}}"#).unwrap();
        let link = dir.path().join("auth.json");
        std::os::unix::fs::symlink(&dotfiles, &link).unwrap();
        let store = LoginStore::File(link.clone());
        let saved = store.snapshot().unwrap().unwrap();
        store.write_api_key("sk-x").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
        assert!(std::fs::read_to_string(&dotfiles).unwrap().contains("sk-x"), "its target holds the key");
        store.put_back(&saved).unwrap();
        assert_eq!(std::fs::read(&dotfiles).unwrap(), saved);
        std::fs::remove_file(&dotfiles).unwrap();
        assert!(store.write_api_key("sk-y").unwrap_err().to_string().contains("symbolic link"));
    }

    #[test]
    fn the_encrypted_store_is_saved_encrypted_and_put_back_byte_for_byte() {
        use crate::login::codex_secrets::{passphrase_account, SECRETS_SERVICE};
        let home = tempfile::tempdir().unwrap();
        let keychain = MemoryKeychain::default();
        keychain.insert(SECRETS_SERVICE, &passphrase_account(home.path()), b"pass");
        let auth = r#"{"auth_mode":"chatgpt","tokens":{"access_token":"enc-a","refresh_token":"enc-r"}}"#;
        let document = json!({"version": 1, "secrets": {"global/CODEX_AUTH": auth}}).to_string();
        let encrypted = headroom_testkit::codex_secrets::encrypt(document.as_bytes(), "pass");
        std::fs::create_dir_all(home.path().join("secrets")).unwrap();
        std::fs::write(home.path().join("secrets/codex_auth.age"), &encrypted).unwrap();

        let config =
            CodexConfig { credentials_store: crate::environment::CredentialsStore::Keyring, ..Default::default() };
        let store = LoginStore::for_codex(home.path(), &config, &keychain);
        assert!(matches!(store, LoginStore::Secrets { .. }), "only the encrypted store holds a login");
        let saved = store.snapshot().unwrap().unwrap();
        assert!(!String::from_utf8_lossy(&saved).contains("enc-r"), "the saved copy stays encrypted");
        assert_eq!(store.document(&saved).unwrap()["tokens"]["access_token"], "enc-a");
        assert!(matches!(store.write_api_key("sk-x"), Err(StoreError::NeedsCodex(_))));

        std::fs::write(home.path().join("secrets/codex_auth.age"), b"something else").unwrap();
        store.put_back(&saved).unwrap();
        assert_eq!(std::fs::read(home.path().join("secrets/codex_auth.age")).unwrap(), encrypted);
        let evil = br#"{"codex_secrets":{"file":"../../auth.json","age":""}}"#;
        assert!(store.put_back(evil).is_err(), "a saved copy never names another path");
    }
}
