//! The live usage client: one polite GET to the usage endpoint, every failure typed.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use sha2::Digest;

use crate::environment::BaseUrl;
use crate::error::{UsageError, CHECK_BASE_URL, MAX_RETRY_AFTER_SECONDS, TRY_LATER};
use crate::login::credentials::{Credential, TokenOwner};
use crate::model::{ResetCreditList, UsageSnapshot};
use crate::sources::reset_credits::{self, ConsumeOutcome};
use crate::sources::usage_body::{parse_usage_body, BodyError};

pub const TIMEOUT: Duration = Duration::from_secs(15);
pub const MAX_BODY_BYTES: usize = 1 << 20;
pub const USER_AGENT: &str = concat!("Headroom/", env!("CARGO_PKG_VERSION"));

/// Talks to `{base}/wham/usage` (or `{base}/api/codex/usage`).
#[derive(Debug, Clone)]
pub struct UsageClient {
    http: reqwest::Client,
    url: String,
    host: String,
    /// `{origin}/api/auth/session`, where a session cookie is exchanged for an access token.
    session_url: String,
    /// `{authapi}/v1/user-auth-credential/whoami`, where Codex asks who owns a Codex access token.
    whoami_url: String,
    /// Its host, named when asking it fails.
    whoami_host: String,
    /// `{base}/wham/rate-limit-reset-credits`: the banked resets, and `…/consume` to use one.
    reset_credits_url: String,
    /// Headroom's data folder, where the owners of Codex access tokens are remembered (none:
    /// in memory only).
    data_dir: Option<std::path::PathBuf>,
}

impl UsageClient {
    /// Builds the client: rustls with the system's roots plus an optional extra PEM bundle
    /// (`CODEX_CA_CERTIFICATE`, else `SSL_CERT_FILE`), proxies from the environment, 15 s timeout.
    pub fn new(
        base_url: &BaseUrl,
        authapi_base_url: &str,
        ca_bundle: Option<(&str, &Path)>,
    ) -> Result<UsageClient, UsageError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(3));
        if let Some((variable, path)) = ca_bundle {
            let pem = std::fs::read(path).map_err(|e| {
                UsageError::Other(format!(
                    "The CA bundle named by {variable} ({}) could not be read ({e}): fix the path or unset {variable}.",
                    path.display()
                ))
            })?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|certs| !certs.is_empty())
                .ok_or_else(|| {
                    UsageError::Other(format!(
                        "The CA bundle named by {variable} ({}) holds no PEM certificates: point {variable} at a PEM file or unset it.",
                        path.display()
                    ))
                })?;
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder.build().map_err(|e| {
            UsageError::Other(format!("The HTTP client could not be set up ({e}): check your TLS and proxy settings."))
        })?;
        let url = base_url.usage_url();
        let parsed = reqwest::Url::parse(&url).ok();
        let host = host_of(&url);
        let session_url =
            parsed.map(|u| format!("{}/api/auth/session", u.origin().ascii_serialization())).unwrap_or_default();
        let whoami_url = format!("{}/v1/user-auth-credential/whoami", authapi_base_url.trim_end_matches('/'));
        let reset_credits_url = base_url.reset_credits_url();
        let whoami_host = host_of(&whoami_url);
        Ok(UsageClient { http, url, host, session_url, whoami_url, whoami_host, reset_credits_url, data_dir: None })
    }

    /// The client remembering what it learns (the owners of Codex access tokens) in `data_dir`.
    pub fn remembering_in(self, data_dir: Option<std::path::PathBuf>) -> UsageClient {
        UsageClient { data_dir, ..self }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Who owns a Codex access token: the account it is for, asked as Codex asks (a GET with the
    /// token, nothing spent or changed). Remembered for the life of the process.
    pub async fn token_owner(&self, credential: &Credential) -> Result<TokenOwner, UsageError> {
        let digest: [u8; 32] = sha2::Sha256::digest(credential.access_token().expose_secret().as_bytes()).into();
        if let Some(owner) = known_owner(credential, self.data_dir.as_deref()) {
            return Ok(owner);
        }
        tracing::info!(url = %crate::text::mask_userinfo(&self.whoami_url), "asking who owns the Codex access token");
        let response = self
            .http
            .get(&self.whoami_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .bearer_auth(credential.access_token().expose_secret())
            .send()
            .await
            .map_err(|e| self.network_error_at(&e, &self.whoami_host))?;
        let status = response.status().as_u16();
        let host = self.whoami_host.clone();
        if matches!(status, 401 | 403) {
            return Err(UsageError::AccessTokenRefused { origin: credential.origin, status, host });
        }
        let body = match self.read_body(response).await {
            Ok(body) => body,
            Err(UsageError::Network { cause, .. }) => return Err(UsageError::Network { host, cause }),
            Err(other) => return Err(other),
        };
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let text = |key: &str| crate::json::string(value.get(key));
        let Some(account_id) = text("chatgpt_account_id").filter(|_| (200..300).contains(&status)) else {
            let problem = if (200..300).contains(&status) {
                "its answer names no account".to_string()
            } else {
                format!("HTTP {status}")
            };
            return Err(UsageError::OwnerUnknown { host, problem });
        };
        let owner = TokenOwner {
            account_id,
            email: text("email"),
            plan: text("chatgpt_plan_type").map(|p| p.to_ascii_lowercase()),
            user_id: text("chatgpt_user_id"),
        };
        OWNERS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(Default::default)
            .insert(digest, owner.clone());
        remember_owner(self.data_dir.as_deref(), &digest, &owner);
        Ok(owner)
    }

    /// Fetches the usage numbers with `credential`.
    pub async fn fetch(&self, credential: &Credential) -> Result<UsageSnapshot, UsageError> {
        let request = self.with_login(self.http.get(&self.url), credential);
        tracing::info!(
            url = %crate::text::mask_userinfo(&self.url),
            credential = credential.origin.id(),
            "asking the usage service"
        );
        let response = request.send().await.map_err(|e| self.network_error(&e))?;
        let status = response.status().as_u16();
        tracing::info!(status, "usage service answered");
        if response.content_length().is_some_and(|length| length > MAX_BODY_BYTES as u64) {
            return Err(too_large());
        }
        refused(status, credential, &response)?;
        let body = self.read_body(response).await?;
        forbidden(status, credential, &body)?;
        match status {
            200..=299 => parse_usage_body(&body, Utc::now()).map_err(invalid_body),
            _ => Err(UsageError::InvalidResponse {
                problem: format!("HTTP {status} instead of usage numbers"),
                advice: CHECK_BASE_URL,
            }),
        }
    }

    /// The banked reset credits: a GET with the usage call's headers, nothing spent.
    pub async fn reset_credits(&self, credential: &Credential) -> Result<ResetCreditList, UsageError> {
        tracing::info!(url = %crate::text::mask_userinfo(&self.reset_credits_url), "reading the reset credits");
        let request = self.with_login(self.http.get(&self.reset_credits_url), credential);
        let body = self.answer_of(request, credential, "the list of reset credits").await?;
        reset_credits::parse_list(&body, Utc::now())
            .map_err(|e| UsageError::InvalidResponse { problem: e.to_string(), advice: TRY_LATER })
    }

    /// Uses one banked reset credit: `POST …/rate-limit-reset-credits/consume` with
    /// `{"redeem_request_id", "credit_id"?}`, exactly as Codex sends it. Only ever called after the
    /// user said yes; `request_id` is that decision's, so sending it again after a lost answer
    /// spends nothing more (the service answers `already_redeemed`).
    pub async fn consume_reset_credit(
        &self,
        credential: &Credential,
        request_id: &str,
        credit_id: Option<&str>,
    ) -> Result<ConsumeOutcome, UsageError> {
        let url = format!("{}/consume", self.reset_credits_url);
        tracing::info!(url = %crate::text::mask_userinfo(&url), "using a reset credit, as the user asked");
        let mut body = serde_json::json!({ "redeem_request_id": request_id });
        if let Some(id) = credit_id {
            body["credit_id"] = serde_json::Value::String(id.to_string());
        }
        let request = self
            .with_login(self.http.post(&url), credential)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        let body = self.answer_of(request, credential, "an answer to using the reset credit").await?;
        reset_credits::parse_outcome(&body)
            .map_err(|e| UsageError::InvalidResponse { problem: e.to_string(), advice: TRY_LATER })
    }

    /// Sends a request of the reset-credit family and reads its answer's body: a refusal, a 5xx or
    /// an answer that is not a 2xx is the error the usage call would give (`what` names what was
    /// expected instead).
    async fn answer_of(
        &self,
        request: reqwest::RequestBuilder,
        credential: &Credential,
        what: &str,
    ) -> Result<Vec<u8>, UsageError> {
        let response = request.send().await.map_err(|e| self.network_error(&e))?;
        let status = response.status().as_u16();
        refused(status, credential, &response)?;
        let body = self.read_body(response).await?;
        forbidden(status, credential, &body)?;
        if !(200..300).contains(&status) {
            return Err(UsageError::InvalidResponse {
                problem: format!("HTTP {status} instead of {what}"),
                advice: TRY_LATER,
            });
        }
        Ok(body)
    }

    /// The usage call's headers: the login, the account it is for, JSON.
    fn with_login(&self, request: reqwest::RequestBuilder, credential: &Credential) -> reqwest::RequestBuilder {
        let request = request
            .header(reqwest::header::ACCEPT, "application/json")
            .bearer_auth(credential.access_token().expose_secret());
        match &credential.account_id {
            Some(account) => request.header("ChatGPT-Account-Id", account),
            None => request,
        }
    }

    /// Exchanges a `__Secure-next-auth.session-token` cookie for an access token, as chatgpt.com's
    /// own page does on load.
    pub async fn exchange_session_cookie(&self, cookie: &SecretString) -> Result<ExchangedToken, ExchangeError> {
        let response = self
            .http
            .get(&self.session_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::COOKIE,
                format!("{}={}", crate::login::paste::SESSION_COOKIE, cookie.expose_secret()),
            )
            .send()
            .await
            .map_err(|e| ExchangeError::Network(self.network_error(&e)))?;
        let status = response.status().as_u16();
        let body = self.read_body(response).await.map_err(ExchangeError::Network)?;
        if looks_like_html(&body) {
            return Err(ExchangeError::Challenged);
        }
        if !(200..300).contains(&status) {
            return Err(ExchangeError::Rejected { status });
        }
        let value: serde_json::Value = serde_json::from_slice(&body).map_err(|_| ExchangeError::Malformed)?;
        let Some(access_token) = value.get("accessToken").and_then(|v| v.as_str()).filter(|t| !t.is_empty()) else {
            // next-auth answers `{}` for a session it does not know.
            return Err(ExchangeError::Rejected { status });
        };
        Ok(ExchangedToken {
            access_token: SecretString::from(access_token.to_string()),
            expires: value
                .get("expires")
                .and_then(|v| v.as_str())
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc)),
        })
    }

    /// Reads the body, refusing more than [`MAX_BODY_BYTES`].
    async fn read_body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, UsageError> {
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.network_error(&e))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn network_error(&self, error: &reqwest::Error) -> UsageError {
        self.network_error_at(error, &self.host)
    }

    fn network_error_at(&self, error: &reqwest::Error, host: &str) -> UsageError {
        // reqwest's messages name the URL but never the request headers, so the token cannot leak;
        // still, describe the cause in words rather than echoing the error chain.
        let cause = if error.is_timeout() {
            format!("no answer within {} s", TIMEOUT.as_secs())
        } else if error.is_connect() {
            "connection failed".to_string()
        } else if error.is_body() || error.is_decode() {
            "the connection broke off mid-answer".to_string()
        } else {
            "the request failed".to_string()
        };
        let detail = root_cause(error);
        UsageError::Network {
            host: host.to_string(),
            cause: if detail.is_empty() { cause } else { format!("{cause}: {detail}") },
        }
    }
}

/// "host:port" of a URL, or the URL without its password when it does not parse.
fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(port) => format!("{h}:{port}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| crate::text::mask_userinfo(url))
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut source = error.source();
    let mut last = None;
    while let Some(inner) = source {
        last = Some(inner.to_string());
        source = inner.source();
    }
    last.unwrap_or_default()
}

/// Owners already asked for, by the SHA-256 of the token (never the token itself).
static OWNERS: std::sync::Mutex<Option<std::collections::HashMap<[u8; 32], TokenOwner>>> = std::sync::Mutex::new(None);

/// Where owners are remembered between runs, by the token's digest (never the token), so every
/// Headroom process shares one answer per token: `token-owners.json` in the data folder.
fn owners_file(data_dir: Option<&Path>) -> Option<std::path::PathBuf> {
    data_dir.map(|d| d.join("token-owners.json"))
}

fn hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The owner of a Codex access token as already asked (by this process or an earlier one), with
/// nothing sent.
pub fn known_owner(credential: &Credential, data_dir: Option<&Path>) -> Option<TokenOwner> {
    let digest: [u8; 32] = sha2::Sha256::digest(credential.access_token().expose_secret().as_bytes()).into();
    if let Some(owner) = OWNERS.lock().unwrap_or_else(|e| e.into_inner()).as_ref().and_then(|m| m.get(&digest)) {
        return Some(owner.clone());
    }
    let file = owners_file(data_dir)?;
    let owners: std::collections::BTreeMap<String, TokenOwner> = crate::storage::read_json(&file).ok().flatten()?;
    let owner = owners.get(&hex(&digest)).cloned()?;
    // Kept in memory too: the tray asks on every poll, and the file says the same until then.
    OWNERS.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert_with(Default::default).insert(digest, owner.clone());
    Some(owner)
}

fn remember_owner(data_dir: Option<&Path>, digest: &[u8; 32], owner: &TokenOwner) {
    let Some(file) = owners_file(data_dir) else { return };
    let mut owners: std::collections::BTreeMap<String, TokenOwner> =
        crate::storage::read_json(&file).ok().flatten().unwrap_or_default();
    owners.insert(hex(digest), owner.clone());
    // A few tokens at most; an old one's entry is harmless (it names an account, nothing secret).
    if let Err(e) = crate::storage::write_json(&file, &owners) {
        tracing::warn!("who owns the Codex access token could not be remembered ({e})");
    }
}

/// An access token obtained from a session cookie.
pub struct ExchangedToken {
    pub access_token: SecretString,
    /// When the browser session ends (the access token itself may expire sooner).
    pub expires: Option<chrono::DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExchangeError {
    #[error("chatgpt.com refused to exchange the session cookie (its bot check answered instead): paste the token from the Authorization header instead.")]
    Challenged,
    #[error("The session cookie was not accepted (HTTP {status}; signed out or expired): sign in to chatgpt.com again and copy a fresh cookie, or paste the token from the Authorization header instead.")]
    Rejected { status: u16 },
    #[error("The cookie exchange answered with something other than JSON: paste the token from the Authorization header instead.")]
    Malformed,
    #[error("{0}")]
    Network(UsageError),
}

/// The answers, before their body is read, that say the login or the service refused: every call
/// made with the login reads them alike.
fn refused(status: u16, credential: &Credential, response: &reqwest::Response) -> Result<(), UsageError> {
    match status {
        401 => Err(UsageError::Unauthorized { origin: credential.origin, status }),
        429 => Err(UsageError::RateLimited {
            retry_after_seconds: response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after),
        }),
        500..=599 => Err(UsageError::ServerError { status }),
        _ => Ok(()),
    }
}

/// A 403 is the login refused, unless its body is the CDN's bot challenge (an HTML page): that is
/// no verdict on the login.
fn forbidden(status: u16, credential: &Credential, body: &[u8]) -> Result<(), UsageError> {
    match status {
        403 if looks_like_html(body) => Err(invalid_body(BodyError::Html)),
        403 => Err(UsageError::Unauthorized { origin: credential.origin, status }),
        _ => Ok(()),
    }
}

fn looks_like_html(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
}

fn too_large() -> UsageError {
    UsageError::InvalidResponse {
        problem: format!("an answer larger than {} MiB", MAX_BODY_BYTES >> 20),
        advice: TRY_LATER,
    }
}

fn invalid_body(error: BodyError) -> UsageError {
    let advice = match error {
        BodyError::Html => TRY_LATER,
        BodyError::MalformedJson(_) => "try again later, and update Headroom if this keeps happening.",
    };
    UsageError::InvalidResponse { problem: error.to_string(), advice }
}

/// `Retry-After` as seconds (or an HTTP date, turned into seconds from now), at most a day.
pub fn parse_retry_after(value: &str) -> Option<u64> {
    let value = value.trim();
    let seconds = if let Ok(seconds) = value.parse::<u64>() {
        seconds
    } else if value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
        u64::MAX // more digits than a u64 holds
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        (at.with_timezone(&Utc) - Utc::now()).num_seconds().max(0) as u64
    };
    Some(seconds.min(MAX_RETRY_AFTER_SECONDS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after("120"), Some(120));
        assert_eq!(parse_retry_after(" 5 "), Some(5));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(0));
        assert_eq!(parse_retry_after("soon"), None);
        // Out-of-range asks are a day, never a wrap-around to "now".
        assert_eq!(parse_retry_after("10000000000000"), Some(86_400));
        assert_eq!(parse_retry_after("18446744073709551615"), Some(86_400));
        assert_eq!(parse_retry_after("99999999999999999999999"), Some(86_400));
        assert_eq!(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT"), Some(86_400));
    }
}
