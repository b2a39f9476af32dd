//! Codex's own login, read (never written, never refreshed) from `$CODEX_HOME/auth.json`, from
//! the OS keychain entry Codex writes when `cli_auth_credentials_store` is `keyring` or `auto`, or
//! from its encrypted "secrets" store (see [`crate::login::codex_secrets`]).
//!
//! Codex's refresh token is single-use: redeeming it would break Codex's login. Headroom never
//! keeps it and never sends it anywhere: a login is reduced to its access token on reading.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;

use crate::json::string;
use crate::login::keychain::{Keychain, KeychainError};

pub const CODEX_KEYRING_SERVICE: &str = "Codex Auth";

/// A way Codex can be signed in that carries no ChatGPT plan quota Headroom can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoQuotaLogin {
    /// An OpenAI API key (`codex login --with-api-key`): billed per token, no plan.
    ApiKey,
    /// An Amazon Bedrock API key: billed by AWS.
    Bedrock,
    /// An agent identity (`codex login --with-access-token` with an agent JWT), which signs its
    /// requests with a private key Headroom does not hold.
    AgentIdentity,
}

impl NoQuotaLogin {
    /// "an API key", for sentences.
    pub fn describe(self) -> &'static str {
        match self {
            NoQuotaLogin::ApiKey => "an API key",
            NoQuotaLogin::Bedrock => "an Amazon Bedrock API key",
            NoQuotaLogin::AgentIdentity => "an agent identity",
        }
    }
}

/// A Codex login as stored, reduced to what Headroom may use.
#[derive(Clone)]
pub enum CodexLogin {
    /// Signed in with ChatGPT: the plan quota can be read.
    ChatGpt { access_token: SecretString, id_token: Option<SecretString>, account_id: Option<String> },
    /// A Codex access token (`codex login --with-access-token`, `personal_access_token`): sent
    /// as Codex sends it, with the account its owner's metadata names.
    AccessToken { token: SecretString },
    /// Signed in a way that has no plan quota to show.
    NoQuota(NoQuotaLogin),
    /// The store holds no usable login (`auth.json` after `codex logout`, say).
    Empty,
}

impl fmt::Debug for CodexLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodexLogin::ChatGpt { account_id, .. } => {
                f.debug_struct("ChatGpt").field("access_token", &"***").field("account_id", account_id).finish()
            }
            CodexLogin::AccessToken { .. } => f.debug_struct("AccessToken").field("token", &"***").finish(),
            CodexLogin::NoQuota(kind) => f.debug_tuple("NoQuota").field(kind).finish(),
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
    let bytes = match crate::storage::read_small_file(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LoginReadError::Io { path, reason: e.to_string() }),
    };
    parse_auth_json(&bytes)
        .map(Some)
        .map_err(|reason| LoginReadError::Malformed { place: format!("Codex's login file {}", path.display()), reason })
}

/// Parses the `auth.json` shape: `{auth_mode?, OPENAI_API_KEY?, tokens?: {id_token, access_token,
/// refresh_token, account_id}, personal_access_token?, agent_identity?, bedrock_api_key?,
/// last_refresh?}`, with the camelCase token names old files used. Unknown `auth_mode` values
/// with tokens count as ChatGPT logins.
pub fn parse_auth_json(bytes: &[u8]) -> Result<CodexLogin, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("malformed JSON: {e}"))?;
    if !value.is_object() {
        return Err("not a JSON object".into());
    }
    let mode = string(value.get("auth_mode").or_else(|| value.get("authMode"))).map(|m| m.to_ascii_lowercase());
    let text = |v: Option<&Value>| string(v).filter(|t| !t.trim().is_empty());
    // Tokens under `tokens`, or (very old files) at the top level; snake_case or camelCase.
    let token = |snake: &str, camel: &str| {
        let tokens = value.get("tokens").filter(|t| t.is_object());
        text(tokens.and_then(|t| t.get(snake).or_else(|| t.get(camel))))
            .or_else(|| text(value.get(snake).or_else(|| value.get(camel))))
    };
    let access_token = token("access_token", "accessToken");
    let personal = text(value.get("personal_access_token").or_else(|| value.get("personalAccessToken")));
    let api_key = text(value.get("OPENAI_API_KEY"));
    // Newer Codex also keeps Bedrock as AWS access keys (`bedrockAccessKeys`).
    let bedrock = ["bedrock_api_key", "bedrockApiKey", "bedrock_access_keys", "bedrockAccessKeys"]
        .iter()
        .find_map(|name| value.get(*name).filter(|v| !v.is_null()));
    let agent = value.get("agent_identity").or_else(|| value.get("agentIdentity")).filter(|v| !v.is_null());
    let chatgpt = |access: String| CodexLogin::ChatGpt {
        access_token: SecretString::from(access),
        id_token: token("id_token", "idToken").map(SecretString::from),
        account_id: token("account_id", "accountId"),
    };
    Ok(match mode.as_deref() {
        Some("apikey") => CodexLogin::NoQuota(NoQuotaLogin::ApiKey),
        Some("bedrockapikey" | "bedrockaccesskeys") => CodexLogin::NoQuota(NoQuotaLogin::Bedrock),
        Some("agentidentity") => CodexLogin::NoQuota(NoQuotaLogin::AgentIdentity),
        // A blank access token is no login.
        Some("personalaccesstoken") => match personal {
            Some(token) => CodexLogin::AccessToken { token: SecretString::from(token) },
            None => CodexLogin::Empty,
        },
        _ => match (access_token, personal) {
            (Some(access), _) => chatgpt(access),
            (None, Some(token)) => CodexLogin::AccessToken { token: SecretString::from(token) },
            (None, None) if api_key.is_some() => CodexLogin::NoQuota(NoQuotaLogin::ApiKey),
            (None, None) if bedrock.is_some() => CodexLogin::NoQuota(NoQuotaLogin::Bedrock),
            (None, None) if agent.is_some() => CodexLogin::NoQuota(NoQuotaLogin::AgentIdentity),
            (None, None) => CodexLogin::Empty,
        },
    })
}

/// The first 16 hex digits of the SHA-256 of a Codex home's canonical path: how Codex names its
/// keychain entries for that home.
pub fn home_hash(codex_home: &Path) -> String {
    let canonical = codex_home.canonicalize().unwrap_or_else(|_| codex_home.to_path_buf());
    crate::text::short_digest(canonical.to_string_lossy().as_bytes())
}

/// The keychain account Codex uses for a `CODEX_HOME`: `cli|` and [`home_hash`].
pub fn keyring_account(codex_home: &Path) -> String {
    format!("cli|{}", home_hash(codex_home))
}

/// Reads Codex's login from its keychain entry (service `Codex Auth`, the whole `auth.json`
/// document as the secret). `Ok(None)` when there is none.
pub fn read_keyring_login(keychain: &dyn Keychain, codex_home: &Path) -> Result<Option<CodexLogin>, LoginReadError> {
    let account = keyring_account(codex_home);
    let place = format!("Codex's keychain entry \"{CODEX_KEYRING_SERVICE}\" / {account}");
    let Some(bytes) = keychain.read(CODEX_KEYRING_SERVICE, &account)? else { return Ok(None) };
    let json = String::from_utf8(bytes)
        .map_err(|_| LoginReadError::Malformed { place: place.clone(), reason: "it is not text".into() })?;
    parse_auth_json(json.as_bytes()).map(Some).map_err(|reason| LoginReadError::Malformed { place, reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::keychain::MemoryKeychain;
    use secrecy::ExposeSecret;
    use sha2::{Digest, Sha256};

    fn access(login: &CodexLogin) -> Option<(&str, Option<&str>)> {
        match login {
            CodexLogin::ChatGpt { access_token, account_id, .. } => {
                Some((access_token.expose_secret(), account_id.as_deref()))
            }
            _ => None,
        }
    }

    fn kind(json: &str) -> CodexLogin {
        parse_auth_json(json.as_bytes()).unwrap()
    }

    #[cfg(unix)]
    #[test]
    fn an_auth_json_that_is_a_fifo_is_named_not_waited_on() {
        let home = tempfile::tempdir().unwrap();
        let path = auth_file_path(home.path());
        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let started = std::time::Instant::now();
        let error = read_auth_file(home.path()).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "never opened for reading");
        assert!(error.to_string().ends_with("could not be read (it is not a regular file)"), "{error}");
    }

    #[test]
    fn auth_json_shapes() {
        let chatgpt = parse_auth_json(
            br#"{"auth_mode":"chatgpt","OPENAI_API_KEY":null,"tokens":{"id_token":"i","access_token":"a","refresh_token":"r","account_id":"acct"},"last_refresh":"2026-11-20T08:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(access(&chatgpt), Some(("a", Some("acct"))));
        // Absent mode with tokens is a ChatGPT login; absent mode with only a key is an API-key login.
        assert!(access(&kind(r#"{"tokens":{"access_token":"a"}}"#)).is_some());
        assert!(matches!(kind(r#"{"OPENAI_API_KEY":"sk-test"}"#), CodexLogin::NoQuota(NoQuotaLogin::ApiKey)));
        assert!(matches!(
            kind(r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-test","tokens":{"access_token":"a"}}"#),
            CodexLogin::NoQuota(NoQuotaLogin::ApiKey)
        ));
        // A newer auth_mode with tokens still gives the plan numbers.
        assert!(access(&kind(r#"{"auth_mode":"chatgptAuthTokens","tokens":{"access_token":"a"}}"#)).is_some());
        assert!(matches!(kind(r#"{"OPENAI_API_KEY":null}"#), CodexLogin::Empty));
        assert!(parse_auth_json(b"{").unwrap_err().starts_with("malformed JSON"));
        assert_eq!(parse_auth_json(b"[]").unwrap_err(), "not a JSON object");
    }

    #[test]
    fn codex_access_tokens_with_and_without_a_mode() {
        // What `codex login --with-access-token` (0.171.0) writes: no auth_mode at all.
        let login = kind(r#"{"OPENAI_API_KEY": null, "personal_access_token": "at-abc"}"#);
        assert!(matches!(&login, CodexLogin::AccessToken { token } if token.expose_secret() == "at-abc"));
        let login = kind(r#"{"auth_mode":"personalAccessToken","personal_access_token":"at-def"}"#);
        assert!(matches!(&login, CodexLogin::AccessToken { token } if token.expose_secret() == "at-def"));
        // A blank one is no login.
        assert!(matches!(
            kind(r#"{"auth_mode":"personalAccessToken","personal_access_token":"  "}"#),
            CodexLogin::Empty
        ));
        assert!(matches!(kind(r#"{"personal_access_token":""}"#), CodexLogin::Empty));
    }

    #[test]
    fn legacy_camel_case_tokens() {
        let login = kind(r#"{"tokens":{"accessToken":"a","idToken":"i","refreshToken":"r","accountId":"acct-c"}}"#);
        assert_eq!(access(&login), Some(("a", Some("acct-c"))));
        let top = kind(r#"{"accessToken":"b","refreshToken":"r","accountId":"acct-t"}"#);
        assert_eq!(access(&top), Some(("b", Some("acct-t"))));
    }

    #[test]
    fn logins_without_a_plan_quota_are_named() {
        for (json, expected) in [
            (
                r#"{"auth_mode":"bedrockApiKey","bedrock_api_key":{"api_key":"k","region":"eu-central-1"}}"#,
                NoQuotaLogin::Bedrock,
            ),
            (r#"{"bedrock_api_key":{"api_key":"k","region":"us-east-1"}}"#, NoQuotaLogin::Bedrock),
            (
                r#"{"auth_mode":"bedrockAccessKeys","bedrock_access_keys":{"region":"us-east-1"}}"#,
                NoQuotaLogin::Bedrock,
            ),
            (r#"{"bedrock_access_keys":{"region":"us-east-1"}}"#, NoQuotaLogin::Bedrock),
            (r#"{"auth_mode":"agentIdentity","agent_identity":"eyJ.e30.x"}"#, NoQuotaLogin::AgentIdentity),
            (r#"{"agent_identity":{"agent_runtime_id":"r"}}"#, NoQuotaLogin::AgentIdentity),
            (r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-x"}"#, NoQuotaLogin::ApiKey),
        ] {
            assert!(matches!(kind(json), CodexLogin::NoQuota(k) if k == expected), "{json}");
        }
    }

    #[test]
    fn debug_never_shows_the_token() {
        let login = parse_auth_json(br#"{"tokens":{"access_token":"very-secret-value"}}"#).unwrap();
        assert!(!format!("{login:?}").contains("very-secret-value"));
        let login = kind(r#"{"personal_access_token":"at-very-secret"}"#);
        assert!(!format!("{login:?}").contains("at-very-secret"));
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
    fn no_entry_and_unreachable_keychain() {
        assert!(read_keyring_login(&MemoryKeychain::default(), Path::new("/x")).unwrap().is_none());
        let failing = MemoryKeychain::failing(KeychainError::Unavailable("no bus".into()));
        assert!(matches!(
            read_keyring_login(&failing, Path::new("/x")),
            Err(LoginReadError::Keychain(KeychainError::Unavailable(_)))
        ));
    }
}
