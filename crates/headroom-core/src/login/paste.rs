//! What a person pastes into Headroom, and what it is.
//!
//! Accepted: a ChatGPT access token (a JWT, as in the `Authorization: Bearer eyJ…` header of the
//! request to `backend-api/wham/usage`), with or without `Bearer `, the header name, quotes or
//! whitespace around it; a Codex access token (`at-…`, the kind `codex login --with-access-token`
//! takes, for enterprise automation); or the `__Secure-next-auth.session-token` cookie (its value alone, or
//! the `name=value` pair, or a whole `Cookie:` header, including the split `.0`/`.1` form), which
//! is then exchanged for an access token. Everything else is refused with a sentence that says
//! what was pasted and what is wanted, without repeating what was pasted.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::humanize;
use crate::login::jwt::{decode_claims, JwtError};

pub const SESSION_COOKIE: &str = "__Secure-next-auth.session-token";

/// A paste that can be used.
#[derive(Debug, Clone)]
pub enum Paste {
    AccessToken(SecretString),
    SessionCookie(SecretString),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasteError {
    #[error("Nothing was pasted: copy the token from your browser (it starts with eyJ) and paste it again.")]
    Empty,
    #[error("That is an OpenAI API key (sk-…), and API keys have no plan quota to show: use it as a fallback key instead (`headroom fallback set-key`), and paste a ChatGPT token here.")]
    ApiKey,
    #[error("That token is cut off ({found}): copy the whole value after `Bearer ` in the Authorization header; it has three parts separated by dots.")]
    TruncatedJwt { found: String },
    #[error("That is not a ChatGPT token ({what}): paste the value after `Bearer ` in the Authorization header of the request to backend-api/wham/usage, or the {SESSION_COOKIE} cookie.")]
    Unrecognised { what: String },
    #[error("That token expired {when}: copy a fresh one from chatgpt.com (reload the page first).")]
    Expired { when: String },
    #[error("That Codex access token is cut off or damaged: copy the whole token (it starts with at- and has no spaces) and paste it again.")]
    TruncatedAccessToken,
}

/// Decides what `raw` is. `now` is for refusing a token that has already expired.
pub fn classify(raw: &str, now: DateTime<Utc>) -> Result<Paste, PasteError> {
    let text = strip_decoration(raw);
    if text.is_empty() {
        return Err(PasteError::Empty);
    }
    if let Some(cookie) = session_cookie(text) {
        return Ok(Paste::SessionCookie(SecretString::from(cookie)));
    }
    if text.starts_with("sk-") {
        return Err(PasteError::ApiKey);
    }
    if let Some(rest) = text.strip_prefix(crate::login::credentials::CODEX_ACCESS_TOKEN_PREFIX) {
        let token_alphabet = rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
        return if rest.len() >= 8 && token_alphabet {
            Ok(Paste::AccessToken(SecretString::from(text.to_string())))
        } else {
            Err(PasteError::TruncatedAccessToken)
        };
    }
    let parts = text.split('.').count();
    let jwt_alphabet = text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='));
    if jwt_alphabet && text.starts_with("eyJ") {
        return match (parts, decode_claims(text)) {
            (3, Ok(claims)) => match claims.expires_at {
                Some(at) if at <= now => Err(PasteError::Expired { when: humanize::age(at, now) }),
                _ => Ok(Paste::AccessToken(SecretString::from(text.to_string()))),
            },
            // A session cookie's value is an encrypted JWT: five parts, the second empty.
            (5, _) => Ok(Paste::SessionCookie(SecretString::from(text.to_string()))),
            (n, _) if n < 3 => Err(PasteError::TruncatedJwt { found: format!("{n} of its 3 parts") }),
            (_, Err(JwtError::NotBase64 | JwtError::NotJson)) => {
                Err(PasteError::TruncatedJwt { found: "its middle part is damaged".into() })
            }
            (n, _) => Err(PasteError::Unrecognised { what: format!("{n} dot-separated parts where a token has 3") }),
        };
    }
    Err(PasteError::Unrecognised { what: describe(text) })
}

/// Removes what surrounds a token when it is copied from DevTools: whitespace, quotes, the
/// header name, `Bearer `.
fn strip_decoration(raw: &str) -> &str {
    let mut text = raw.trim().trim_matches(|c| c == '"' || c == '\'' || c == '`').trim();
    for prefix in ["authorization:", "cookie:"] {
        if text.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix)) {
            text = text[prefix.len()..].trim();
        }
    }
    if text.eq_ignore_ascii_case("bearer") {
        return "";
    }
    if text.get(..7).is_some_and(|head| head.eq_ignore_ascii_case("bearer ")) {
        text = text[7..].trim();
    }
    text.trim_matches(|c| c == '"' || c == '\'').trim()
}

/// The session cookie's value from `name=value` pairs, joining the `.0`, `.1`… chunks that
/// browsers split a large cookie into.
fn session_cookie(text: &str) -> Option<String> {
    if !text.contains(SESSION_COOKIE) {
        return None;
    }
    let mut whole = None;
    let mut chunks: Vec<(u32, &str)> = Vec::new();
    for pair in text.split(';') {
        let Some((name, value)) = pair.trim().split_once('=') else { continue };
        let Some(rest) = name.trim().strip_prefix(SESSION_COOKIE) else { continue };
        let value = value.trim();
        if rest.is_empty() {
            whole = Some(value.to_string());
        } else if let Some(index) = rest.strip_prefix('.').and_then(|i| i.parse().ok()) {
            chunks.push((index, value));
        }
    }
    chunks.sort_by_key(|(i, _)| *i);
    whole.or_else(|| (!chunks.is_empty()).then(|| chunks.iter().map(|(_, v)| *v).collect())).filter(|v| !v.is_empty())
}

/// Says what kind of thing was pasted without repeating it.
fn describe(text: &str) -> String {
    let length = text.chars().count();
    if text.starts_with("http://") || text.starts_with("https://") {
        "a web address".into()
    } else if text.starts_with('{') || text.starts_with('[') {
        "JSON".into()
    } else if text.contains('\n') {
        format!("{} lines of text", text.lines().count())
    } else if text.contains(char::is_whitespace) {
        format!("{length} characters of text with spaces")
    } else {
        format!("{length} characters that are not a JWT")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use headroom_testkit::jwt::{make_jwt, TestClaims};
    use secrecy::ExposeSecret;

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    fn token() -> String {
        make_jwt(&TestClaims::plus("p@example.com", "acct", 86_400))
    }

    const JWE: &str = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXYtdGVzdA.Y2lwaGVydGV4dC10ZXN0.dGFnLXRlc3Q";

    #[test]
    fn accepted_access_token_forms() {
        let t = token();
        for pasted in [
            t.clone(),
            format!("  {t}\n"),
            format!("Bearer {t}"),
            format!("bearer {t}"),
            format!("\"{t}\""),
            format!("'Bearer {t}'"),
            format!("Authorization: Bearer {t}"),
            format!("authorization: bearer {t} \r\n"),
        ] {
            match classify(&pasted, now()) {
                Ok(Paste::AccessToken(s)) => assert_eq!(s.expose_secret(), t, "{pasted:?}"),
                other => panic!("{pasted:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn codex_access_tokens_are_accepted_and_damaged_ones_refused() {
        let token = "at-0123456789abcdefghij_KLMNOP-qrs";
        for pasted in [token.to_string(), format!("Bearer {token}\n"), format!("\"{token}\"")] {
            match classify(&pasted, now()) {
                Ok(Paste::AccessToken(s)) => assert_eq!(s.expose_secret(), token, "{pasted:?}"),
                other => panic!("{pasted:?} gave {other:?}"),
            }
        }
        for damaged in ["at-", "at-short", "at-0123456789 abcdef", "at-0123456789\nabcdef"] {
            assert_eq!(classify(damaged, now()).unwrap_err(), PasteError::TruncatedAccessToken, "{damaged:?}");
        }
    }

    #[test]
    fn accepted_session_cookie_forms() {
        for (pasted, expected) in [
            (JWE.to_string(), JWE.to_string()),
            (format!("{SESSION_COOKIE}={JWE}"), JWE.to_string()),
            (format!("Cookie: _ga=1; {SESSION_COOKIE}={JWE}; other=x"), JWE.to_string()),
            (format!("{SESSION_COOKIE}.1=PART2; {SESSION_COOKIE}.0=eyJPART1"), "eyJPART1PART2".to_string()),
        ] {
            match classify(&pasted, now()) {
                Ok(Paste::SessionCookie(s)) => assert_eq!(s.expose_secret(), expected, "{pasted:?}"),
                other => panic!("{pasted:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn refused_forms_say_what_was_pasted_and_what_is_wanted() {
        let t = token();
        let truncated: String = t.split('.').take(2).collect::<Vec<_>>().join(".");
        let expired = make_jwt(&TestClaims::plus("p@example.com", "acct", -3 * 3_600));
        let damaged = {
            let mut parts: Vec<String> = t.split('.').map(String::from).collect();
            let half = parts[1].len() / 2 + 1;
            parts[1].truncate(half);
            parts.join(".")
        };
        let cases: Vec<(String, PasteError)> = vec![
            ("".into(), PasteError::Empty),
            ("   \n\t".into(), PasteError::Empty),
            ("Bearer ".into(), PasteError::Empty),
            ("sk-proj-abc123".into(), PasteError::ApiKey),
            ("  sk-abc  ".into(), PasteError::ApiKey),
            (truncated, PasteError::TruncatedJwt { found: "2 of its 3 parts".into() }),
            ("eyJhbGciOiJSUzI1NiJ9".into(), PasteError::TruncatedJwt { found: "1 of its 3 parts".into() }),
            (damaged, PasteError::TruncatedJwt { found: "its middle part is damaged".into() }),
            (expired, PasteError::Expired { when: "3 h ago".into() }),
            (
                "https://chatgpt.com/backend-api/wham/usage".into(),
                PasteError::Unrecognised { what: "a web address".into() },
            ),
            ("{\"accessToken\": 1}".into(), PasteError::Unrecognised { what: "JSON".into() }),
            ("hunter2".into(), PasteError::Unrecognised { what: "7 characters that are not a JWT".into() }),
            ("two words".into(), PasteError::Unrecognised { what: "9 characters of text with spaces".into() }),
            ("a\nb".into(), PasteError::Unrecognised { what: "2 lines of text".into() }),
        ];
        for (pasted, expected) in cases {
            let got = classify(&pasted, now()).unwrap_err();
            assert_eq!(got, expected, "{pasted:?}");
            let message = got.to_string();
            assert!(message.ends_with('.') && message.contains(": "), "{message}");
            if pasted.len() > 6 {
                assert!(!message.contains(pasted.trim()), "the message repeats the paste: {message}");
            }
        }
    }
}
