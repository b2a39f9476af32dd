//! Codex's encrypted login store ("secrets", the keychain back end Codex turns on with
//! `[features] secret_auth_storage`, and by default on Windows): the login lives in
//! `$CODEX_HOME/secrets/codex_auth.age`, age-encrypted with a scrypt passphrase that Codex keeps
//! in the OS keychain under service `codex`, account `secrets|` + the home's hash. Decrypted, the
//! file is `{"version": 1, "secrets": {"global/CODEX_AUTH": "<the auth.json document>"}}`.
//! Codex 0.140 named the file `cli_auth.age` and the secret `global/CLI_AUTH`; both are read.
//! (openai/codex `codex-rs/secrets/src/local.rs` and `codex-rs/login/src/auth/storage.rs`.)
//!
//! Read-only, as every one of Codex's stores. Decrypting is slow on purpose (scrypt, about a
//! second), so what it gave is kept in memory while the file stays byte for byte the same; what
//! is kept is the login already reduced to its access token, never the refresh token.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use secrecy::SecretString;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::login::codex_login::{home_hash, parse_auth_json, CodexLogin, LoginReadError};
use crate::login::keychain::Keychain;

/// The keychain service Codex keeps the passphrase under.
pub const SECRETS_SERVICE: &str = "codex";

/// The files Codex has used, newest name first, with the key of the login inside each.
const FILES: [(&str, &str); 2] = [("codex_auth.age", "global/CODEX_AUTH"), ("cli_auth.age", "global/CLI_AUTH")];

/// The keychain account of a home's passphrase: `secrets|` and the home's hash.
pub fn passphrase_account(codex_home: &Path) -> String {
    format!("secrets|{}", home_hash(codex_home))
}

fn secrets_dir(codex_home: &Path) -> PathBuf {
    codex_home.join("secrets")
}

/// The encrypted login file that exists, with the key of the login in it.
pub fn secrets_file(codex_home: &Path) -> Option<(PathBuf, &'static str)> {
    FILES.iter().map(|(name, key)| (secrets_dir(codex_home).join(name), *key)).find(|(path, _)| path.is_file())
}

/// Where the store is, for messages: the file and the passphrase's keychain entry.
pub fn location(codex_home: &Path) -> String {
    let file = secrets_file(codex_home).map(|(p, _)| p).unwrap_or_else(|| secrets_dir(codex_home).join(FILES[0].0));
    format!("{} (passphrase \"{SECRETS_SERVICE}\" / {})", file.display(), passphrase_account(codex_home))
}

/// Logins already decrypted, by the SHA-256 of the encrypted bytes they came from, reduced to
/// what Headroom may use (no refresh token).
static DECRYPTED: Mutex<Option<HashMap<[u8; 32], Value>>> = Mutex::new(None);

/// Reads Codex's login from its encrypted store; `Ok(None)` when there is no such file.
pub fn read_secrets_login(keychain: &dyn Keychain, codex_home: &Path) -> Result<Option<CodexLogin>, LoginReadError> {
    let Some((path, key)) = secrets_file(codex_home) else { return Ok(None) };
    let ciphertext = crate::storage::read_small_file(&path)
        .map_err(|e| LoginReadError::Io { path: path.clone(), reason: e.to_string() })?;
    let place = format!("Codex's encrypted login {}", path.display());
    let malformed = |reason: String| LoginReadError::Malformed { place: place.clone(), reason };
    let document = match opened(keychain, codex_home, key, &ciphertext) {
        Ok(Some(document)) => document,
        Ok(None) => return Ok(Some(CodexLogin::Empty)),
        Err(Opening::Keychain(e)) => return Err(LoginReadError::Keychain(e)),
        Err(Opening::Unreadable(reason)) => return Err(malformed(reason)),
    };
    parse_auth_json(&serde_json::to_vec(&document).unwrap_or_default()).map(Some).map_err(malformed)
}

/// The auth.json document inside encrypted bytes saved from the file `name` (see
/// [`crate::login::codex_login_store`]), opened with the home's passphrase; `None` when it cannot be.
pub fn decrypt_document(keychain: &dyn Keychain, codex_home: &Path, name: &str, ciphertext: &[u8]) -> Option<Value> {
    let key = FILES.iter().find(|(file, _)| *file == name)?.1;
    opened(keychain, codex_home, key, ciphertext).ok().flatten()
}

enum Opening {
    Keychain(crate::login::keychain::KeychainError),
    Unreadable(String),
}

/// The auth.json document stored under `key`, decrypted (once per distinct file) and reduced to
/// what Headroom may use; `Ok(None)` when the store holds no login.
fn opened(keychain: &dyn Keychain, codex_home: &Path, key: &str, ciphertext: &[u8]) -> Result<Option<Value>, Opening> {
    let digest: [u8; 32] = Sha256::digest(ciphertext).into();
    if let Some(document) = DECRYPTED.lock().unwrap_or_else(|e| e.into_inner()).as_ref().and_then(|m| m.get(&digest)) {
        return Ok(Some(document.clone()));
    }
    let account = passphrase_account(codex_home);
    let passphrase = keychain.read(SECRETS_SERVICE, &account).map_err(Opening::Keychain)?.ok_or_else(|| {
        Opening::Unreadable(format!("its passphrase is not in the OS keychain (\"{SECRETS_SERVICE}\" / {account})"))
    })?;
    let passphrase =
        String::from_utf8(passphrase).map_err(|_| Opening::Unreadable("its passphrase is not text".into()))?;
    let plaintext = decrypt(ciphertext, passphrase).map_err(Opening::Unreadable)?;
    let Some(document) = login_in(&plaintext, key).map_err(Opening::Unreadable)? else { return Ok(None) };
    let document = without_refresh_token(document);
    DECRYPTED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(digest, document.clone());
    Ok(Some(document))
}

/// Codex's refresh token is single-use and Headroom never needs it: it is dropped on reading.
fn without_refresh_token(mut document: Value) -> Value {
    if let Some(tokens) = document.get_mut("tokens").and_then(Value::as_object_mut) {
        tokens.remove("refresh_token");
        tokens.remove("refreshToken");
    }
    if let Some(top) = document.as_object_mut() {
        top.remove("refreshToken");
    }
    document
}

/// Decrypts an age file encrypted to a scrypt passphrase.
fn decrypt(ciphertext: &[u8], passphrase: String) -> Result<Vec<u8>, String> {
    let identity = age::scrypt::Identity::new(SecretString::from(passphrase));
    age::decrypt(&identity, ciphertext).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys | age::DecryptError::DecryptionFailed => {
            "the passphrase in the OS keychain does not open it".to_string()
        }
        other => format!("it is not an age file Codex wrote: {other}"),
    })
}

/// The auth.json document stored under `key` in the decrypted secrets document.
fn login_in(plaintext: &[u8], key: &str) -> Result<Option<Value>, String> {
    let document: Value = serde_json::from_slice(plaintext).map_err(|e| format!("its contents are not JSON: {e}"))?;
    let version = document.get("version").and_then(Value::as_u64).unwrap_or(0);
    if version > 1 {
        return Err(format!("it is version {version} of Codex's format, newer than Headroom reads"));
    }
    let secrets = document.get("secrets").and_then(Value::as_object).ok_or("it holds no secrets")?;
    match secrets.get(key).and_then(Value::as_str) {
        Some(auth) => serde_json::from_str(auth).map(Some).map_err(|e| format!("its login is not JSON: {e}")),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::keychain::MemoryKeychain;
    use secrecy::ExposeSecret;

    fn home_with(name: &str, key: &str, auth: &str, passphrase: &str) -> (tempfile::TempDir, MemoryKeychain) {
        let home = tempfile::tempdir().unwrap();
        let document = serde_json::json!({"version": 1, "secrets": {key: auth}}).to_string();
        std::fs::create_dir_all(home.path().join("secrets")).unwrap();
        std::fs::write(
            home.path().join("secrets").join(name),
            headroom_testkit::codex_secrets::encrypt(document.as_bytes(), passphrase),
        )
        .unwrap();
        let keychain = MemoryKeychain::default();
        keychain.insert(SECRETS_SERVICE, &passphrase_account(home.path()), passphrase.as_bytes());
        (home, keychain)
    }

    fn token(login: Option<CodexLogin>) -> String {
        match login {
            Some(CodexLogin::ChatGpt { access_token, .. }) => access_token.expose_secret().to_string(),
            other => panic!("expected a ChatGPT login, got {other:?}"),
        }
    }

    #[test]
    fn reads_both_file_names_codex_has_used() {
        let auth = r#"{"auth_mode":"chatgpt","tokens":{"access_token":"new-name","refresh_token":"r"}}"#;
        let (home, keychain) = home_with("codex_auth.age", "global/CODEX_AUTH", auth, "cGFzcw==");
        assert_eq!(token(read_secrets_login(&keychain, home.path()).unwrap()), "new-name");
        let auth = r#"{"tokens":{"access_token":"old-name"}}"#;
        let (home, keychain) = home_with("cli_auth.age", "global/CLI_AUTH", auth, "b2xk");
        assert_eq!(token(read_secrets_login(&keychain, home.path()).unwrap()), "old-name");
    }

    #[test]
    fn no_file_is_no_login_and_bad_ones_are_named() {
        let home = tempfile::tempdir().unwrap();
        assert!(read_secrets_login(&MemoryKeychain::default(), home.path()).unwrap().is_none());

        let auth = r#"{"tokens":{"access_token":"a"}}"#;
        let (home, _) = home_with("codex_auth.age", "global/CODEX_AUTH", auth, "right");
        let error = read_secrets_login(&MemoryKeychain::default(), home.path()).unwrap_err().to_string();
        assert!(error.contains("passphrase is not in the OS keychain") && error.contains("secrets|"), "{error}");

        let wrong = MemoryKeychain::default();
        wrong.insert(SECRETS_SERVICE, &passphrase_account(home.path()), b"wrong");
        let error = read_secrets_login(&wrong, home.path()).unwrap_err().to_string();
        assert!(error.contains("does not open it"), "{error}");

        std::fs::write(home.path().join("secrets/codex_auth.age"), b"not age at all").unwrap();
        let error = read_secrets_login(&wrong, home.path()).unwrap_err().to_string();
        assert!(error.contains("not an age file"), "{error}");
    }

    #[test]
    fn an_api_key_inside_is_an_api_key_login() {
        let auth = r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-test-000"}"#;
        let (home, keychain) = home_with("codex_auth.age", "global/CODEX_AUTH", auth, "p");
        assert!(matches!(
            read_secrets_login(&keychain, home.path()).unwrap(),
            Some(CodexLogin::NoQuota(crate::login::codex_login::NoQuotaLogin::ApiKey))
        ));
    }
}
