//! Unsigned JWTs in the shape ChatGPT issues, made at test time (never checked in).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Default)]
pub struct TestClaims {
    pub exp: Option<i64>,
    pub email: Option<String>,
    pub plan: Option<String>,
    pub account_id: Option<String>,
    /// Access tokens carry the email under `https://api.openai.com/profile`; id tokens at the top.
    pub email_in_profile_claim: bool,
    /// `chatgpt_user_id`: the person in the workspace; by default `user-` and the email's local
    /// part, so two people in one workspace are two people.
    pub user_id: Option<String>,
}

impl TestClaims {
    /// A Plus login for `email`, expiring `valid_for_seconds` from now (negative: already expired).
    pub fn plus(email: &str, account_id: &str, valid_for_seconds: i64) -> Self {
        TestClaims {
            exp: Some(now_unix() + valid_for_seconds),
            email: Some(email.to_string()),
            plan: Some("plus".into()),
            account_id: Some(account_id.to_string()),
            email_in_profile_claim: false,
            user_id: None,
        }
    }
}

pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Builds `header.payload.signature` with a fixed fake signature.
pub fn make_jwt(claims: &TestClaims) -> String {
    let mut payload = Map::new();
    if let Some(exp) = claims.exp {
        payload.insert("exp".into(), json!(exp));
        payload.insert("iat".into(), json!(exp - 864_000));
    }
    let mut auth = Map::new();
    if let Some(plan) = &claims.plan {
        auth.insert("chatgpt_plan_type".into(), json!(plan));
    }
    if let Some(account) = &claims.account_id {
        auth.insert("chatgpt_account_id".into(), json!(account));
    }
    let user = claims.user_id.clone().unwrap_or_else(|| match &claims.email {
        Some(email) => format!("user-{}", email.split('@').next().unwrap_or_default().to_ascii_lowercase()),
        None => "user-test".into(),
    });
    auth.insert("chatgpt_user_id".into(), json!(user));
    payload.insert("https://api.openai.com/auth".into(), Value::Object(auth));
    if let Some(email) = &claims.email {
        if claims.email_in_profile_claim {
            payload.insert("https://api.openai.com/profile".into(), json!({ "email": email }));
        } else {
            payload.insert("email".into(), json!(email));
        }
    }
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(Value::Object(payload).to_string());
    format!("{header}.{body}.dGVzdC1zaWduYXR1cmUtbm90LXJlYWw")
}

/// A Codex `auth.json` for a ChatGPT login with the given access token.
pub fn codex_auth_json(access_token: &str, id_token: &str, account_id: Option<&str>) -> String {
    let mut tokens = json!({
        "id_token": id_token,
        "access_token": access_token,
        "refresh_token": "rt-test-refresh-token-never-used",
    });
    if let Some(account) = account_id {
        tokens["account_id"] = json!(account);
    }
    serde_json::to_string_pretty(&json!({
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": null,
        "tokens": tokens,
        "last_refresh": "2026-11-20T08:00:00Z",
    }))
    .unwrap()
}
