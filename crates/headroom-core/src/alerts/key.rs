//! Who or what an alert is about, as a type. The engine remembers each window, each credential
//! and each account's credits under one of these, and a newer notification replaces the older
//! one with the same key. On disk (alerts.json) and towards the notification service they are
//! the strings earlier versions wrote ("acct|codex|5h", "origin|acct|1796000000",
//! "credential|…"), so state saved before still reads.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{AccountKey, CredentialOrigin, LimitId, UsageWindow, WindowKind};

/// What an alert is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKey {
    /// One window of one account's quota.
    Window { account: AccountKey, limit: LimitId, kind: WindowKind },
    /// One account's credit balance.
    Credits { account: AccountKey },
    /// One account's banked reset credits.
    ResetCredits { account: AccountKey },
    /// One credential (a new token is a new credential).
    Credential(CredentialKey),
    /// Several alerts of one reading, merged into one notification.
    Several { account: AccountKey },
    /// What quiet hours held back.
    Summary,
    /// Problems in Headroom's settings file.
    Settings,
    /// A switch of Codex's login.
    Fallback,
}

impl AlertKey {
    pub fn window(account: &AccountKey, window: &UsageWindow) -> AlertKey {
        AlertKey::Window { account: account.clone(), limit: window.limit.clone(), kind: window.kind }
    }

    /// The account the alert is about, when it is about one.
    pub fn account(&self) -> Option<&AccountKey> {
        match self {
            AlertKey::Window { account, .. }
            | AlertKey::Credits { account }
            | AlertKey::ResetCredits { account }
            | AlertKey::Several { account } => Some(account),
            _ => None,
        }
    }

    /// A window of Codex's main quota: the one whose limit stops Codex.
    pub fn is_main_quota(&self) -> bool {
        matches!(self, AlertKey::Window { limit: LimitId::Codex, .. })
    }
}

/// A credential's alert memory: its origin, its account and its expiry, so a fresh token (a
/// later expiry) starts afresh.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialKey {
    pub origin: CredentialOrigin,
    pub account: Option<String>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
}

impl CredentialKey {
    pub fn of(credential: &crate::login::credentials::Credential) -> CredentialKey {
        CredentialKey {
            origin: credential.origin,
            account: credential.account_id.clone(),
            expires_at: credential.claims.expires_at.map(|t| t.timestamp()),
        }
    }
}

impl fmt::Display for CredentialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}|{}", self.origin.id(), self.account.as_deref().unwrap_or("-"), self.expires_at.unwrap_or(0))
    }
}

impl fmt::Display for AlertKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlertKey::Window { account, limit, kind } => {
                write!(f, "{}|{}|{}", account.as_str(), limit.as_str(), kind.id())
            }
            AlertKey::Credits { account } => write!(f, "{}|credits", account.as_str()),
            AlertKey::ResetCredits { account } => write!(f, "{}|reset-credits", account.as_str()),
            AlertKey::Credential(key) => write!(f, "credential|{key}"),
            AlertKey::Several { account } => f.write_str(account.as_str()),
            AlertKey::Summary => f.write_str("summary"),
            AlertKey::Settings => f.write_str("settings"),
            AlertKey::Fallback => f.write_str("fallback"),
        }
    }
}

/// A stored key that names no known shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not an alert key")]
pub struct NotAKey(String);

impl FromStr for CredentialKey {
    type Err = NotAKey;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = text.split('|').collect();
        let [origin, account, expires] = parts[..] else { return Err(NotAKey(text.into())) };
        let origin = CredentialOrigin::from_id(origin).ok_or_else(|| NotAKey(text.into()))?;
        let expires: i64 = expires.parse().map_err(|_| NotAKey(text.into()))?;
        Ok(CredentialKey {
            origin,
            account: (account != "-").then(|| account.to_string()),
            expires_at: (expires != 0).then_some(expires),
        })
    }
}

impl FromStr for AlertKey {
    type Err = NotAKey;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // Before one type named the unknown account, alert memory called it "default".
        let account = |stored: &str| AccountKey::from_stored(if stored == "default" { "" } else { stored });
        let parts: Vec<&str> = text.split('|').collect();
        Ok(match parts[..] {
            ["summary"] => AlertKey::Summary,
            ["settings"] => AlertKey::Settings,
            ["fallback"] => AlertKey::Fallback,
            ["credential", ..] => AlertKey::Credential(text["credential|".len()..].parse()?),
            [name, "credits"] => AlertKey::Credits { account: account(name) },
            [name, "reset-credits"] => AlertKey::ResetCredits { account: account(name) },
            [name, limit, kind] => AlertKey::Window {
                account: account(name),
                limit: LimitId::from_id(limit),
                kind: WindowKind::from_id(kind).ok_or_else(|| NotAKey(text.into()))?,
            },
            [name] => AlertKey::Several { account: account(name) },
            _ => return Err(NotAKey(text.into())),
        })
    }
}

macro_rules! as_string {
    ($type:ty) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

as_string!(AlertKey);
as_string!(CredentialKey);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_as_written_and_as_earlier_versions_wrote_them() {
        let keys = [
            AlertKey::Window {
                account: AccountKey::from_stored("acct-1"),
                limit: LimitId::Codex,
                kind: WindowKind::FiveHour,
            },
            AlertKey::Window {
                account: AccountKey::default(),
                limit: LimitId::Feature("gpt_5_3_codex_spark".into()),
                kind: WindowKind::Weekly,
            },
            AlertKey::Credits { account: AccountKey::from_stored("acct-1") },
            AlertKey::Credential(CredentialKey {
                origin: CredentialOrigin::CodexAuthFile,
                account: Some("acct-1".into()),
                expires_at: Some(1_796_000_000),
            }),
            AlertKey::Credential(CredentialKey { origin: CredentialOrigin::Env, account: None, expires_at: None }),
            AlertKey::Several { account: AccountKey::from_stored("acct-1") },
            AlertKey::Summary,
            AlertKey::Settings,
            AlertKey::Fallback,
        ];
        for key in keys {
            assert_eq!(key.to_string().parse::<AlertKey>().unwrap(), key, "{key}");
        }
        assert_eq!(
            AlertKey::Credential(CredentialKey { origin: CredentialOrigin::Env, account: None, expires_at: None })
                .to_string(),
            "credential|env|-|0"
        );
        // Written by versions that called the unknown account "default".
        assert_eq!(
            "default|codex|weekly".parse::<AlertKey>().unwrap(),
            AlertKey::Window { account: AccountKey::default(), limit: LimitId::Codex, kind: WindowKind::Weekly }
        );
        assert!("acct|codex|fortnightly".parse::<AlertKey>().is_err());
        assert!("credential|nowhere|-|0".parse::<AlertKey>().is_err());
    }

    #[test]
    fn as_a_json_map_key_too() {
        let mut map = std::collections::BTreeMap::new();
        map.insert(AlertKey::Summary, 1);
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(json, r#"{"summary":1}"#);
        assert_eq!(serde_json::from_str::<std::collections::BTreeMap<AlertKey, i32>>(&json).unwrap(), map);
    }
}
