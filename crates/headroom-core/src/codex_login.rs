//! Codex's own login, read (never written, never refreshed) from `$CODEX_HOME/auth.json` or from
//! the OS keychain entries Codex writes when `cli_auth_credentials_store` is `keyring` or `auto`.
//!
//! Codex's refresh token is single-use: redeeming it would break Codex's login. Headroom never
//! reads it out of the keychain and never sends it anywhere.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::keychain::{Keychain, KeychainError};
use crate::usage_body::string;

pub const CODEX_KEYRING_SERVICE: &str = "Codex Auth";

/// A Codex login as stored, reduced to what Headroom may use.
#[derive(Clone)]
pub enum CodexLogin {
    /// Signed in with ChatGPT: the plan quota can be read.
    ChatGpt { access_token: SecretString, id_token: Option<SecretString>, account_id: Option<String> },
    /// Signed in with an API key, which has no plan quota.
    ApiKey,
    /// The store holds no usable login (`auth.json` after `codex logout`, say).
    Empty,
}

impl fmt::Debug for CodexLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodexLogin::ChatGpt { account_id, .. } => {
                f.debug_struct("ChatGpt").field("access_token", &"***").field("account_id", account_id).finish()
            }
            CodexLogin::ApiKey => f.write_str("ApiKey"),
            CodexLogin::Empty => f.write_str("Empty"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginReadError {
    #[error("Codex's login file {} could not be read ({reason})", .path.display())]
    Io { path: PathBuf, reason: String },
    #[error("{place} could not be understood ({reason})")]
    Malformed { place: String, reason: String },
    #[error(transparent)]
    Keychain(#[from] KeychainError),
}

pub fn auth_file_path(codex_home: &Path) -> PathBuf {
    codex_home.join("auth.json")
}

/// Reads `$CODEX_HOME/auth.json`; `Ok(None)` when there is no such file.
pub fn read_auth_file(codex_home: &Path) -> Result<Option<CodexLogin>, LoginReadError> {
    let path = auth_file_path(codex_home);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LoginReadError::Io { path, reason: e.to_string() }),
    };
    parse_auth_json(&bytes)
        .map(Some)
        .map_err(|reason| LoginReadError::Malformed { place: format!("Codex's login file {}", path.display()), reason })
}

/// Parses the `auth.json` shape: `{auth_mode?, OPENAI_API_KEY?, tokens?: {id_token, access_token,
/// refresh_token, account_id}, last_refresh?}`. Unknown `auth_mode` values with tokens count as
/// ChatGPT logins.
pub fn parse_auth_json(bytes: &[u8]) -> Result<CodexLogin, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("malformed JSON: {e}"))?;
    if !value.is_object() {
        return Err("not a JSON object".into());
    }
    let mode = string(value.get("auth_mode")).map(|m| m.to_ascii_lowercase());
    let has_api_key = string(value.get("OPENAI_API_KEY")).is_some();
    let tokens = value.get("tokens").filter(|t| t.is_object());
    let access_token = tokens.and_then(|t| string(t.get("access_token")));
    Ok(match (mode.as_deref(), access_token) {
        (Some("apikey"), _) => CodexLogin::ApiKey,
        (_, Some(access)) => CodexLogin::ChatGpt {
            access_token: SecretString::from(access),
            id_token: tokens.and_then(|t| string(t.get("id_token"))).map(SecretString::from),
            account_id: tokens.and_then(|t| string(t.get("account_id"))),
        },
        (_, None) if has_api_key => CodexLogin::ApiKey,
        (_, None) => CodexLogin::Empty,
    })
}

/// The keychain account Codex uses for a `CODEX_HOME`: `cli|` and the first 16 hex digits of the
/// SHA-256 of its canonical path.
pub fn keyring_account(codex_home: &Path) -> String {
    let canonical = codex_home.canonicalize().unwrap_or_else(|_| codex_home.to_path_buf());
    let digest = Sha256::digest(canonical.to_string_lossy().as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("cli|{hex}")
}

/// Reads Codex's login from the keychain, in either layout: the split `v2` entries
/// (`cli|<hash>|v2|active` naming a revision, then one entry per field) or one entry holding the
/// whole `auth.json` document. `Ok(None)` when neither exists.
pub fn read_keyring_login(keychain: &dyn Keychain, codex_home: &Path) -> Result<Option<CodexLogin>, LoginReadError> {
    let base = keyring_account(codex_home);
    let place = format!("Codex's keychain entry \"{CODEX_KEYRING_SERVICE}\" / {base}");
    let read_text = |account: &str| -> Result<Option<String>, LoginReadError> {
        match keychain.read(CODEX_KEYRING_SERVICE, account)? {
            Some(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| LoginReadError::Malformed {
                place: place.clone(),
                reason: format!("{account} is not UTF-8"),
            }),
            None => Ok(None),
        }
    };

    if let Some(revision) = read_text(&format!("{base}|v2|active"))? {
        let revision = revision.trim().to_string();
        let field = |name: &str| read_text(&format!("{base}|v2|{revision}|{name}"));
        let manifest: Value = field("manifest")?.and_then(|m| serde_json::from_str(&m).ok()).ok_or_else(|| {
            LoginReadError::Malformed {
                place: place.clone(),
                reason: format!("revision {revision} has no readable manifest"),
            }
        })?;
        let mode = string(manifest.get("auth_mode")).map(|m| m.to_ascii_lowercase());
        let has_tokens = manifest.get("has_tokens").and_then(Value::as_bool).unwrap_or(false);
        let has_api_key = manifest.get("has_openai_api_key").and_then(Value::as_bool).unwrap_or(false);
        if mode.as_deref() == Some("apikey") || (!has_tokens && has_api_key) {
            return Ok(Some(CodexLogin::ApiKey));
        }
        if !has_tokens {
            return Ok(Some(CodexLogin::Empty));
        }
        let access_token = field("tokens.access_token")?.ok_or_else(|| LoginReadError::Malformed {
            place: place.clone(),
            reason: format!("revision {revision} has no access token"),
        })?;
        return Ok(Some(CodexLogin::ChatGpt {
            access_token: SecretString::from(access_token),
            id_token: field("tokens.id_token")?.map(SecretString::from),
            account_id: field("tokens.account_id")?,
        }));
    }

    match read_text(&base)? {
        Some(json) => {
            parse_auth_json(json.as_bytes()).map(Some).map_err(|reason| LoginReadError::Malformed { place, reason })
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keychain::MemoryKeychain;
    use secrecy::ExposeSecret;

    fn access(login: &CodexLogin) -> Option<(&str, Option<&str>)> {
        match login {
            CodexLogin::ChatGpt { access_token, account_id, .. } => {
                Some((access_token.expose_secret(), account_id.as_deref()))
            }
            _ => None,
        }
    }

    #[test]
    fn auth_json_shapes() {
        let chatgpt = parse_auth_json(
            br#"{"auth_mode":"chatgpt","OPENAI_API_KEY":null,"tokens":{"id_token":"i","access_token":"a","refresh_token":"r","account_id":"acct"},"last_refresh":"2026-11-20T08:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(access(&chatgpt), Some(("a", Some("acct"))));
        // Absent mode with tokens is a ChatGPT login; absent mode with only a key is an API-key login.
        assert!(access(&parse_auth_json(br#"{"tokens":{"access_token":"a"}}"#).unwrap()).is_some());
        assert!(matches!(parse_auth_json(br#"{"OPENAI_API_KEY":"sk-test"}"#).unwrap(), CodexLogin::ApiKey));
        assert!(matches!(
            parse_auth_json(br#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-test","tokens":{"access_token":"a"}}"#)
                .unwrap(),
            CodexLogin::ApiKey
        ));
        // A newer auth_mode with tokens still gives the plan numbers.
        assert!(access(
            &parse_auth_json(br#"{"auth_mode":"chatgptAuthTokens","tokens":{"access_token":"a"}}"#).unwrap()
        )
        .is_some());
        assert!(matches!(parse_auth_json(br#"{"OPENAI_API_KEY":null}"#).unwrap(), CodexLogin::Empty));
        assert!(parse_auth_json(b"{").unwrap_err().starts_with("malformed JSON"));
        assert_eq!(parse_auth_json(b"[]").unwrap_err(), "not a JSON object");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let login = parse_auth_json(br#"{"tokens":{"access_token":"very-secret-value"}}"#).unwrap();
        assert!(!format!("{login:?}").contains("very-secret-value"));
    }

    #[test]
    fn keyring_account_matches_codex_naming() {
        let account = keyring_account(Path::new("/nonexistent/codex-home"));
        // sha256("/nonexistent/codex-home"), first 16 hex digits.
        let expected: String =
            Sha256::digest(b"/nonexistent/codex-home").iter().take(8).map(|b| format!("{b:02x}")).collect();
        assert_eq!(account, format!("cli|{expected}"));
        assert_eq!(account.len(), 4 + 16);
    }

    #[test]
    fn reads_the_single_entry_layout() {
        let home = Path::new("/nonexistent/h1");
        let keychain = MemoryKeychain::default();
        keychain.insert(
            CODEX_KEYRING_SERVICE,
            &keyring_account(home),
            br#"{"tokens":{"access_token":"a1","account_id":"x"}}"#,
        );
        let login = read_keyring_login(&keychain, home).unwrap().unwrap();
        assert_eq!(access(&login), Some(("a1", Some("x"))));
    }

    #[test]
    fn reads_the_split_v2_layout() {
        let home = Path::new("/nonexistent/h2");
        let base = keyring_account(home);
        let keychain = MemoryKeychain::default();
        keychain.insert(CODEX_KEYRING_SERVICE, &format!("{base}|v2|active"), b"1763000000000000000");
        let entry = |name: &str| format!("{base}|v2|1763000000000000000|{name}");
        keychain.insert(
            CODEX_KEYRING_SERVICE,
            &entry("manifest"),
            br#"{"auth_mode":"chatgpt","has_openai_api_key":false,"has_tokens":true,"has_account_id":true,"last_refresh":null}"#,
        );
        keychain.insert(CODEX_KEYRING_SERVICE, &entry("tokens.access_token"), b"a2");
        keychain.insert(CODEX_KEYRING_SERVICE, &entry("tokens.id_token"), b"i2");
        keychain.insert(CODEX_KEYRING_SERVICE, &entry("tokens.account_id"), b"acct-2");
        let login = read_keyring_login(&keychain, home).unwrap().unwrap();
        assert_eq!(access(&login), Some(("a2", Some("acct-2"))));
    }

    #[test]
    fn v2_layout_without_a_manifest_or_access_token_is_reported() {
        let home = Path::new("/nonexistent/h3");
        let base = keyring_account(home);
        let keychain = MemoryKeychain::default();
        keychain.insert(CODEX_KEYRING_SERVICE, &format!("{base}|v2|active"), b"7");
        let error = read_keyring_login(&keychain, home).unwrap_err();
        assert!(error.to_string().contains("no readable manifest"), "{error}");
        keychain.insert(CODEX_KEYRING_SERVICE, &format!("{base}|v2|7|manifest"), br#"{"has_tokens":true}"#);
        assert!(read_keyring_login(&keychain, home).unwrap_err().to_string().contains("no access token"));
    }

    #[test]
    fn no_entry_and_unreachable_keychain() {
        assert!(read_keyring_login(&MemoryKeychain::default(), Path::new("/x")).unwrap().is_none());
        let failing = MemoryKeychain::failing(KeychainError::Unavailable("no bus".into()));
        assert!(matches!(
            read_keyring_login(&failing, Path::new("/x")),
            Err(LoginReadError::Keychain(KeychainError::Unavailable(_)))
        ));
    }
}
