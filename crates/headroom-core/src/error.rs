//! Every way getting the numbers can fail, each with one sentence that says what happened and
//! what to do next. The sentences never contain a token.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::humanize;
use crate::model::CredentialOrigin;

/// The longest `Retry-After` honoured: a server asking for more is asking for a day's rest.
pub const MAX_RETRY_AFTER_SECONDS: u64 = 86_400;

/// The failure classes of the `status --json` contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    NoCredentials,
    Unauthorized,
    Expired,
    /// The token itself is damaged (a line break inside, say): it cannot even be sent.
    MalformedToken,
    RateLimited,
    ServerError,
    InvalidResponse,
    Network,
    /// Anything else (an unreadable CA bundle, say).
    Other,
}

impl ErrorKind {
    /// The `headroom` exit code: 2 no source, 3 credentials rejected or expired, 4 temporary, 1 other.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::NoCredentials => 2,
            ErrorKind::Unauthorized | ErrorKind::Expired | ErrorKind::MalformedToken => 3,
            ErrorKind::RateLimited | ErrorKind::ServerError | ErrorKind::InvalidResponse | ErrorKind::Network => 4,
            ErrorKind::Other => 1,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            ErrorKind::NoCredentials => "no_credentials",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Expired => "expired",
            ErrorKind::MalformedToken => "malformed_token",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::ServerError => "server_error",
            ErrorKind::InvalidResponse => "invalid_response",
            ErrorKind::Network => "network",
            ErrorKind::Other => "other",
        }
    }

    /// Worth retrying later without anyone doing anything.
    pub fn is_temporary(self) -> bool {
        self.exit_code() == 4
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UsageError {
    #[error("{}", no_credentials(.detail.as_deref()))]
    NoCredentials { detail: Option<String> },

    #[error("{}", no_quota(*.0))]
    NoQuota(crate::login::codex_login::NoQuotaLogin),

    #[error("Codex home {} is gone — remove it in Settings (or with `headroom accounts remove {}`) if you no longer use it.", .path.display(), .path.display())]
    HomeGone { path: PathBuf },

    #[error("No Codex session logs were found under {}: use Codex once so it writes them, or run `codex login` so Headroom can ask the service.", .dir.display())]
    NoSessionLogs { dir: PathBuf },

    #[error("Codex's session logs hold no usage limits yet (in {}): they appear once Codex has sent a message, or run `codex login` so Headroom can ask the service.", .dir.display())]
    NoUsageInLogs { dir: PathBuf },

    #[error("{} expired {}: {}", crate::text::capitalise(.origin.describe()), humanize::when(*.at), refresh_advice(*.origin))]
    Expired { origin: CredentialOrigin, at: DateTime<Utc> },

    #[error("The usage service rejected {} (HTTP {status}): {}", .origin.describe(), refresh_advice(*.origin))]
    Unauthorized { origin: CredentialOrigin, status: u16 },

    /// The account service refused to say who owns a Codex access token: the token itself was
    /// refused (revoked or expired), which no fresh ChatGPT token fixes.
    #[error("The account service at {host} refused the Codex access token in {} (HTTP {status}): {}", .origin.describe(), access_token_advice(*.origin))]
    AccessTokenRefused { origin: CredentialOrigin, status: u16, host: String },

    /// The account service failed to say who owns a Codex access token (a 5xx, a 429, or an
    /// answer without an account).
    #[error("The account service at {host} could not say whose the Codex access token is ({problem}): try again in a few minutes.")]
    OwnerUnknown { host: String, problem: String },

    #[error("{} contains {what}, so it cannot be sent: {}", crate::text::capitalise(.origin.describe()), paste_again(*.origin))]
    MalformedToken { origin: CredentialOrigin, what: &'static str },

    #[error("The usage service is limiting how often it is asked (HTTP 429): try again {}.", retry_hint(*.retry_after_seconds))]
    RateLimited { retry_after_seconds: Option<u64> },

    #[error("The usage service failed (HTTP {status}): try again in a few minutes.")]
    ServerError { status: u16 },

    #[error("The usage service sent {problem}: {advice}")]
    InvalidResponse { problem: String, advice: &'static str },

    #[error("Could not reach {host} ({cause}): check your network connection and proxy settings.")]
    Network { host: String, cause: String },

    /// A setup problem; the text is a whole sentence with its fix.
    #[error("{0}")]
    Other(String),

    /// The account cannot be read now for a reason known before asking (its pasted token is
    /// behind a locked keychain); the text is the whole sentence, short enough for a menu line.
    #[error("{0}")]
    Unreadable(String),
}

pub(crate) const TRY_LATER: &str = "try again in a few minutes.";
pub(crate) const CHECK_BASE_URL: &str = "check chatgpt_base_url in Codex's config.toml and HEADROOM_CHATGPT_BASE_URL.";

impl UsageError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            UsageError::NoCredentials { .. }
            | UsageError::NoQuota(_)
            | UsageError::NoSessionLogs { .. }
            | UsageError::NoUsageInLogs { .. }
            | UsageError::HomeGone { .. } => ErrorKind::NoCredentials,
            UsageError::Expired { .. } => ErrorKind::Expired,
            UsageError::MalformedToken { .. } => ErrorKind::MalformedToken,
            UsageError::Unauthorized { .. } | UsageError::AccessTokenRefused { .. } => ErrorKind::Unauthorized,
            UsageError::RateLimited { .. } => ErrorKind::RateLimited,
            UsageError::ServerError { .. } | UsageError::OwnerUnknown { .. } => ErrorKind::ServerError,
            UsageError::InvalidResponse { .. } => ErrorKind::InvalidResponse,
            UsageError::Network { .. } => ErrorKind::Network,
            UsageError::Other(_) => ErrorKind::Other,
            UsageError::Unreadable(_) => ErrorKind::NoCredentials,
        }
    }

    pub fn exit_code(&self) -> u8 {
        self.kind().exit_code()
    }

    /// The `Retry-After` the service asked for, if any.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            UsageError::RateLimited { retry_after_seconds } => *retry_after_seconds,
            _ => None,
        }
    }
}

fn no_credentials(detail: Option<&str>) -> String {
    match detail {
        Some(detail) => format!(
            "{}: run `codex login` to sign in again, or set HEADROOM_ACCESS_TOKEN.",
            crate::text::capitalise(detail)
        ),
        None => {
            "No Codex login was found: run `codex login` to sign in with ChatGPT, or set HEADROOM_ACCESS_TOKEN.".into()
        }
    }
}

fn no_quota(login: crate::login::codex_login::NoQuotaLogin) -> String {
    use crate::login::codex_login::NoQuotaLogin;
    match login {
        NoQuotaLogin::ApiKey => "Codex is signed in with an API key, and API keys have no plan quota to show: run `codex login` and sign in with ChatGPT to see your plan's limits.".into(),
        other => format!(
            "Codex is signed in with {}, which has no ChatGPT plan quota Headroom can read: sign in with ChatGPT (`codex login`) to see your plan's limits, or paste a ChatGPT token with `headroom token set`.",
            other.describe()
        ),
    }
}

fn paste_again(origin: CredentialOrigin) -> &'static str {
    match origin {
        CredentialOrigin::Env => "set HEADROOM_ACCESS_TOKEN again, the whole token on one line.",
        CredentialOrigin::Keychain => "paste it again in Settings or with `headroom token set`.",
        _ => "run `codex login` to sign in again.",
    }
}

/// What is wrong with a token that cannot be sent as a header, if anything.
pub fn token_defect(token: &str) -> Option<&'static str> {
    if token.contains(['\n', '\r']) {
        Some("a line break")
    } else if token.contains(char::is_whitespace) {
        Some("spaces")
    } else if token.chars().any(|c| c.is_control() || !c.is_ascii()) {
        Some("characters a token never has")
    } else {
        None
    }
}

fn access_token_advice(origin: CredentialOrigin) -> &'static str {
    match origin {
        CredentialOrigin::Env => "create a new Codex access token and put it in HEADROOM_ACCESS_TOKEN.",
        CredentialOrigin::Keychain => {
            "create a new Codex access token and paste it with `headroom token set` or in Settings."
        }
        _ => "create a new Codex access token and sign Codex in with it (`codex login --with-access-token`).",
    }
}

fn refresh_advice(origin: CredentialOrigin) -> &'static str {
    match origin {
        CredentialOrigin::Env => "copy a fresh token from chatgpt.com into HEADROOM_ACCESS_TOKEN.",
        CredentialOrigin::Keychain => "paste a fresh one in Settings or with `headroom token set`.",
        CredentialOrigin::CodexKeyring | CredentialOrigin::CodexSecrets | CredentialOrigin::CodexAuthFile => {
            "run `codex` to refresh your login."
        }
    }
}

fn retry_hint(seconds: Option<u64>) -> String {
    match seconds {
        Some(s) => {
            let now = Utc::now();
            let wait = chrono::Duration::seconds(s.min(MAX_RETRY_AFTER_SECONDS) as i64);
            humanize::relative(now + wait, now)
        }
        None => "in a few minutes".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_one_sentence_with_a_next_step() {
        let errors = [
            UsageError::NoCredentials { detail: None },
            UsageError::NoCredentials {
                detail: Some("Codex's login file /h/.codex/auth.json could not be understood (malformed JSON)".into()),
            },
            UsageError::NoQuota(crate::login::codex_login::NoQuotaLogin::ApiKey),
            UsageError::NoQuota(crate::login::codex_login::NoQuotaLogin::Bedrock),
            UsageError::NoQuota(crate::login::codex_login::NoQuotaLogin::AgentIdentity),
            UsageError::NoSessionLogs { dir: "/h/.codex/sessions".into() },
            UsageError::NoUsageInLogs { dir: "/h/.codex/sessions".into() },
            UsageError::Expired {
                origin: CredentialOrigin::CodexAuthFile,
                at: Utc::now() - chrono::Duration::hours(3),
            },
            UsageError::Unauthorized { origin: CredentialOrigin::Env, status: 401 },
            UsageError::AccessTokenRefused {
                origin: CredentialOrigin::Env,
                status: 401,
                host: "auth.openai.com".into(),
            },
            UsageError::OwnerUnknown { host: "auth.openai.com".into(), problem: "HTTP 502".into() },
            UsageError::RateLimited { retry_after_seconds: Some(120) },
            UsageError::RateLimited { retry_after_seconds: None },
            UsageError::ServerError { status: 502 },
            UsageError::InvalidResponse { problem: "an HTML page".into(), advice: TRY_LATER },
            UsageError::Network { host: "chatgpt.com".into(), cause: "timed out after 15 s".into() },
            UsageError::MalformedToken { origin: CredentialOrigin::Env, what: "a line break" },
            UsageError::HomeGone { path: "/h/.codex-work".into() },
        ];
        for error in errors {
            let text = error.to_string();
            assert!(text.ends_with('.'), "{text}");
            assert!(text.contains(": ") || text.contains(" — "), "says what to do after a colon or a dash: {text}");
            assert!(text.chars().next().unwrap().is_uppercase(), "{text}");
        }
    }

    #[test]
    fn codex_logins_are_refreshed_by_running_codex() {
        let text =
            UsageError::Expired { origin: CredentialOrigin::CodexKeyring, at: Utc::now() - chrono::Duration::days(2) }
                .to_string();
        assert!(text.starts_with("Codex's login in the OS keychain expired 2 days ago"), "{text}");
        assert!(text.contains("run `codex` to refresh your login"));
        assert_eq!(
            UsageError::RateLimited { retry_after_seconds: Some(120) }.to_string(),
            "The usage service is limiting how often it is asked (HTTP 429): try again in 2 min."
        );
    }

    #[test]
    fn exit_codes() {
        assert_eq!(UsageError::NoQuota(crate::login::codex_login::NoQuotaLogin::ApiKey).exit_code(), 2);
        assert_eq!(UsageError::Unauthorized { origin: CredentialOrigin::Env, status: 403 }.exit_code(), 3);
        assert_eq!(UsageError::ServerError { status: 500 }.exit_code(), 4);
        assert_eq!(UsageError::Other("x".into()).exit_code(), 1);
    }
}
