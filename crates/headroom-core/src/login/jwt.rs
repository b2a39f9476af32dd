//! Reads the claims of ChatGPT's JWTs without verifying them: Headroom only needs to know when a
//! token expires and whose it is; the service does the verifying.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::json::{number, string};

const AUTH_CLAIM: &str = "https://api.openai.com/auth";
const PROFILE_CLAIM: &str = "https://api.openai.com/profile";

/// What a token says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenClaims {
    pub expires_at: Option<DateTime<Utc>>,
    pub email: Option<String>,
    pub plan: Option<String>,
    pub account_id: Option<String>,
    pub user_id: Option<String>,
}

impl TokenClaims {
    /// Fills what `self` lacks from `other` (the id token fills gaps the access token leaves).
    pub fn or(self, other: TokenClaims) -> TokenClaims {
        TokenClaims {
            expires_at: self.expires_at.or(other.expires_at),
            email: self.email.or(other.email),
            plan: self.plan.or(other.plan),
            account_id: self.account_id.or(other.account_id),
            user_id: self.user_id.or(other.user_id),
        }
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|exp| exp <= now)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("it does not have the three dot-separated parts of a JWT")]
    NotThreeParts,
    #[error("its payload is not base64url")]
    NotBase64,
    #[error("its payload is not a JSON object")]
    NotJson,
}

/// True when `text` has the shape of a JWT (three base64url parts, the first two non-empty).
pub fn looks_like_jwt(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && !parts[0].is_empty()
        && !parts[1].is_empty()
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'='))
}

/// Decodes a JWT's payload claims.
pub fn decode_claims(token: &str) -> Result<TokenClaims, JwtError> {
    let mut parts = token.trim().split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::NotThreeParts);
    };
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).map_err(|_| JwtError::NotBase64)?;
    let claims: Value = serde_json::from_slice(&bytes).map_err(|_| JwtError::NotJson)?;
    if !claims.is_object() {
        return Err(JwtError::NotJson);
    }
    let auth = claims.get(AUTH_CLAIM);
    let profile = claims.get(PROFILE_CLAIM);
    Ok(TokenClaims {
        expires_at: number(claims.get("exp")).and_then(|s| DateTime::from_timestamp(s as i64, 0)),
        email: string(claims.get("email")).or_else(|| string(profile.and_then(|p| p.get("email")))),
        plan: string(auth.and_then(|a| a.get("chatgpt_plan_type"))).map(|p| p.to_ascii_lowercase()),
        account_id: string(auth.and_then(|a| a.get("chatgpt_account_id"))),
        user_id: string(auth.and_then(|a| a.get("chatgpt_user_id")).or_else(|| auth.and_then(|a| a.get("user_id")))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_testkit::jwt::{make_jwt, TestClaims};

    #[test]
    fn reads_expiry_email_plan_and_account() {
        let token = make_jwt(&TestClaims {
            exp: Some(1_795_340_000),
            email: Some("dev@example.com".into()),
            plan: Some("Plus".into()),
            account_id: Some("acct-1".into()),
            email_in_profile_claim: false,
            user_id: None,
        });
        let claims = decode_claims(&token).unwrap();
        assert_eq!(claims.expires_at, DateTime::from_timestamp(1_795_340_000, 0));
        assert_eq!(claims.email.as_deref(), Some("dev@example.com"));
        assert_eq!(claims.plan.as_deref(), Some("plus"));
        assert_eq!(claims.account_id.as_deref(), Some("acct-1"));
        assert!(looks_like_jwt(&token));
    }

    #[test]
    fn access_tokens_carry_the_email_in_the_profile_claim() {
        let token = make_jwt(&TestClaims {
            email: Some("p@example.com".into()),
            email_in_profile_claim: true,
            ..TestClaims::default()
        });
        assert_eq!(decode_claims(&token).unwrap().email.as_deref(), Some("p@example.com"));
    }

    #[test]
    fn refuses_what_is_not_a_jwt() {
        assert_eq!(decode_claims("abc"), Err(JwtError::NotThreeParts));
        assert_eq!(decode_claims("a.b.c.d"), Err(JwtError::NotThreeParts));
        assert_eq!(decode_claims("a.!!!.c"), Err(JwtError::NotBase64));
        assert_eq!(decode_claims("a.bm90IGpzb24.c"), Err(JwtError::NotJson));
        assert_eq!(decode_claims("a.WzFd.c"), Err(JwtError::NotJson));
        assert!(!looks_like_jwt("sk-proj-abc"));
        assert!(!looks_like_jwt("eyJhbGciOi.eyJzdWIi"));
    }

    #[test]
    fn merges_claims_preferring_the_first() {
        let a = TokenClaims { email: Some("a".into()), ..Default::default() };
        let b = TokenClaims { email: Some("b".into()), plan: Some("pro".into()), ..Default::default() };
        let merged = a.or(b);
        assert_eq!((merged.email.as_deref(), merged.plan.as_deref()), (Some("a"), Some("pro")));
    }
}
