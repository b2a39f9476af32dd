//! Banked reset credits: the list (`GET {base}/wham/rate-limit-reset-credits`, the same base
//! and headers as the usage call) and using one (`POST …/consume`), as Codex's own backend
//! client sends them (see the module's tests for the shapes, and docs/cli.md for the source).
//!
//! The list is read only while the usage answer counts a credit, at most once an hour per
//! account (kept in the data folder for every Headroom process), and again after a use. Using
//! one is never done here on Headroom's own: the shells ask the user first (see
//! [`crate::present::reset_credit`]) and give this module the decision, one request id per
//! decision, so a request retried after a lost answer cannot spend a second credit.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::json::{number, string};
use crate::model::{ResetCredit, ResetCreditList};

/// How long a list read from the service is used before it is read again.
pub const LIST_FRESH_FOR: Duration = Duration::hours(1);
/// A list whose length differs from the count the usage answer gives (a credit used or granted
/// elsewhere) is read again after this, not after the hour.
pub const LIST_RECHECK_AFTER: Duration = Duration::minutes(5);
/// A list older than this is not shown when a new read fails: it may name credits long gone.
pub const LIST_KEPT_FOR: Duration = Duration::days(1);
/// An unanswered request to use a credit is retried with the same id within this time.
pub const PENDING_FOR: Duration = Duration::hours(1);

/// The list's body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the list of reset credits could not be read ({0})")]
pub struct ListError(pub String);

/// Parses the list: `{"credits": [{"id", "status", "expires_at", "title", …}], "available_count"}`.
/// Only usable credits are kept (status `available`, or none given), soonest to expire first;
/// dates are ISO 8601 (the app-server's unix seconds are read too).
pub fn parse_list(bytes: &[u8], read_at: DateTime<Utc>) -> Result<ResetCreditList, ListError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ListError(format!("malformed JSON: {e}")))?;
    let credits = match value.get("credits") {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None if value.is_object() => return Ok(ResetCreditList { read_at, credits: Vec::new() }),
        _ => return Err(ListError("no list of credits in the answer".into())),
    };
    let mut list: Vec<ResetCredit> = credits
        .iter()
        .filter_map(|c| {
            let id = string(c.get("id")).filter(|id| !id.trim().is_empty())?;
            let status = string(c.get("status"));
            if status.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case("available")) {
                return None;
            }
            Some(ResetCredit {
                id,
                title: string(c.get("title")).filter(|t| !t.trim().is_empty()),
                expires_at: time(c.get("expires_at").or_else(|| c.get("expiresAt"))),
            })
        })
        .filter(|c| c.expires_at.is_none_or(|at| at > read_at))
        .collect();
    list.sort_by_key(|c| (c.expires_at.is_none(), c.expires_at));
    Ok(ResetCreditList { read_at, credits: list })
}

/// An ISO 8601 date ("2026-07-17T00:00:00Z"), or unix seconds.
fn time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    match value? {
        Value::String(text) => DateTime::parse_from_rfc3339(text.trim()).ok().map(|t| t.with_timezone(&Utc)),
        other => {
            number(Some(other)).filter(|s| *s > 0.0 && *s < 1e11).and_then(|s| DateTime::from_timestamp(s as i64, 0))
        }
    }
}

/// What the service did with a request to use a credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsumeOutcome {
    /// The limits were reset (`windows_reset` of them, when it says).
    Reset { windows_reset: Option<u32> },
    /// Nothing was at a limit, so no credit was spent.
    NothingToReset,
    /// There was no credit to spend.
    NoCredit,
    /// This request id was carried out before: nothing more was spent.
    AlreadyRedeemed,
    /// A code Headroom does not know.
    Other(String),
}

impl ConsumeOutcome {
    /// Whether limits may have been reset, so the numbers are worth reading again.
    pub fn changed_limits(&self) -> bool {
        !matches!(self, ConsumeOutcome::NothingToReset | ConsumeOutcome::NoCredit)
    }
}

/// Parses the answer to a use: `{"code": "reset" | "nothing_to_reset" | "no_credit" |
/// "already_redeemed", "windows_reset": N, "credit": {…}}`.
pub fn parse_outcome(bytes: &[u8]) -> Result<ConsumeOutcome, ListError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ListError(format!("malformed JSON: {e}")))?;
    let code = string(value.get("code")).ok_or_else(|| ListError("no code in the answer".into()))?;
    Ok(match code.as_str() {
        "reset" => ConsumeOutcome::Reset {
            windows_reset: number(value.get("windows_reset").or_else(|| value.get("windowsReset")))
                .filter(|n| *n >= 0.0 && *n < 1000.0)
                .map(|n| n as u32),
        },
        "nothing_to_reset" => ConsumeOutcome::NothingToReset,
        "no_credit" => ConsumeOutcome::NoCredit,
        "already_redeemed" => ConsumeOutcome::AlreadyRedeemed,
        other => ConsumeOutcome::Other(other.to_string()),
    })
}

/// The lists and pending uses kept in the data folder, one file each per account.
#[derive(Debug, Clone)]
pub struct ResetCreditStore {
    dir: PathBuf,
}

/// The list as kept: the last one read, and when it was last asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    pub list: Option<ResetCreditList>,
    pub asked_at: DateTime<Utc>,
    /// The count the usage answer gave when the list was asked for: a list may leave out credits
    /// the count has (spent, expired), so it is the count, not the list, that tells of a change.
    #[serde(default)]
    pub count: u32,
}

/// A decision to use a credit whose answer has not arrived yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUse {
    /// The request id sent (`redeem_request_id`), reused if the same request is sent again.
    pub request_id: String,
    pub credit_id: String,
    pub decided_at: DateTime<Utc>,
}

impl ResetCreditStore {
    pub fn new(dir: PathBuf) -> ResetCreditStore {
        ResetCreditStore { dir }
    }

    /// The one in Headroom's data folder (`~/.local/share/headroom/reset-credits` on Linux).
    pub fn in_data_dir(data_dir: Option<&Path>) -> Option<ResetCreditStore> {
        data_dir.map(|dir| ResetCreditStore::new(dir.join("reset-credits")))
    }

    fn path(&self, account: &str, kind: &str) -> PathBuf {
        // The account's digest names the file: ids and emails may hold anything.
        self.dir.join(format!("{}.{kind}.json", crate::text::short_digest(account.as_bytes())))
    }

    /// The list last read for `account` and when it was last asked for, if ever.
    pub fn entry(&self, account: &str) -> Option<ListEntry> {
        let stored: Stored<ListEntry> = crate::storage::read_json(&self.path(account, "list")).ok().flatten()?;
        (stored.account == account).then_some(stored.value)
    }

    /// The list last read for `account`, if any.
    pub fn list(&self, account: &str) -> Option<ResetCreditList> {
        self.entry(account).and_then(|e| e.list)
    }

    /// Keeps what asking for the list gave: the list, or (`None`) a failure, which keeps the
    /// list read before and counts as an ask, so a failing list is not asked for every minute.
    pub fn save_list(&self, account: &str, list: Option<&ResetCreditList>, count: u32, asked_at: DateTime<Utc>) {
        let list = list.cloned().or_else(|| self.list(account));
        let stored = Stored { account: account.to_string(), value: ListEntry { list, asked_at, count } };
        if let Err(e) = crate::storage::write_json(&self.path(account, "list"), &stored) {
            tracing::warn!("the list of reset credits could not be kept ({e})");
        }
    }

    /// Forgets the list, so the next read asks the service (after a use).
    pub fn forget_list(&self, account: &str) {
        let _ = std::fs::remove_file(self.path(account, "list"));
    }

    /// An earlier decision to use `credit_id` whose answer never came, recent enough to retry.
    pub fn pending(&self, account: &str, credit_id: &str, now: DateTime<Utc>) -> Option<PendingUse> {
        let stored: Stored<PendingUse> = crate::storage::read_json(&self.path(account, "pending")).ok().flatten()?;
        let pending = stored.value;
        (stored.account == account && pending.credit_id == credit_id && now - pending.decided_at < PENDING_FOR)
            .then_some(pending)
    }

    /// Keeps a decision before its request is sent.
    pub fn save_pending(&self, account: &str, pending: &PendingUse) -> std::io::Result<()> {
        crate::storage::write_json(
            &self.path(account, "pending"),
            &Stored { account: account.into(), value: pending.clone() },
        )
    }

    /// The service answered: the decision is settled.
    pub fn settle(&self, account: &str) {
        let _ = std::fs::remove_file(self.path(account, "pending"));
    }
}

/// A file's content with the account it is for (two accounts never share one by accident).
#[derive(Serialize, Deserialize)]
struct Stored<T> {
    account: String,
    value: T,
}

/// Whether the list is due to be asked for: never asked, or asked more than an hour ago (or at a
/// time ahead of the clock, which cannot be trusted), or more than a few minutes ago when the
/// usage answer's `count` changed since (a credit used or granted elsewhere).
pub fn list_due(entry: Option<&ListEntry>, count: u32, now: DateTime<Utc>) -> bool {
    entry.is_none_or(|e| {
        let asked = now - e.asked_at;
        asked >= LIST_FRESH_FOR
            || (e.count != count && asked >= LIST_RECHECK_AFTER)
            || e.asked_at > now + crate::model::CLOCK_SLACK
    })
}

/// The list worth showing from what is kept: one read within a day (an older one may name
/// credits long gone).
pub fn shown_list(entry: Option<ListEntry>, now: DateTime<Utc>) -> Option<ResetCreditList> {
    entry?.list.filter(|l| now - l.read_at < LIST_KEPT_FOR)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 14, 10, 0, 0).unwrap()
    }

    #[test]
    fn the_list_in_the_services_shape() {
        let body = br#"{"credits": [
            {"id": "rc_2", "reset_type": "codex_rate_limits", "status": "available", "granted_at": "2026-06-20T00:00:00Z",
             "expires_at": "2026-07-20T00:00:00Z", "title": "Full reset (Weekly + 5 hr)", "description": "Ready to redeem"},
            {"id": "rc_1", "reset_type": "codex_rate_limits", "status": "available", "granted_at": "2026-06-17T00:00:00Z",
             "expires_at": "2026-07-17T00:00:00Z", "title": "Full reset (Weekly + 5 hr)", "description": "Ready to redeem"},
            {"id": "rc_0", "status": "redeemed", "expires_at": "2026-07-30T00:00:00Z", "title": "Used"},
            {"id": "rc_3", "status": "available", "expires_at": null, "title": ""},
            {"id": "rc_old", "status": "available", "expires_at": "2026-07-01T00:00:00Z"},
            {"title": "no id"}, 7, null],
            "available_count": 2, "total_earned_count": 4}"#;
        let list = parse_list(body, now()).unwrap();
        let ids: Vec<_> = list.credits.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["rc_1", "rc_2", "rc_3"], "usable only, soonest first, never-expiring last");
        assert_eq!(list.next_expires_at(), Some(Utc.with_ymd_and_hms(2026, 7, 17, 0, 0, 0).unwrap()));
        assert_eq!(list.credits[0].title.as_deref(), Some("Full reset (Weekly + 5 hr)"));
        assert_eq!(list.credits[2].title, None);
        assert_eq!(parse_list(br#"{"available_count": 0}"#, now()).unwrap().credits, []);
        assert!(parse_list(b"<html>", now()).is_err());
        assert!(parse_list(br#"{"credits": "none"}"#, now()).is_err());
        assert!(parse_list(b"[]", now()).is_err());
        // The app-server's unix seconds are read too.
        let unix = parse_list(br#"{"credits":[{"id":"x","expiresAt":1784246400}]}"#, now()).unwrap();
        assert_eq!(unix.credits[0].expires_at, DateTime::from_timestamp(1_784_246_400, 0));
    }

    #[test]
    fn each_answer_code() {
        let outcome = |body: &str| parse_outcome(body.as_bytes()).unwrap();
        assert_eq!(
            outcome(r#"{"code":"reset","windows_reset":2,"credit":{"id":"rc_1"}}"#),
            ConsumeOutcome::Reset { windows_reset: Some(2) }
        );
        assert_eq!(outcome(r#"{"code":"nothing_to_reset"}"#), ConsumeOutcome::NothingToReset);
        assert_eq!(outcome(r#"{"code":"no_credit"}"#), ConsumeOutcome::NoCredit);
        assert_eq!(outcome(r#"{"code":"already_redeemed"}"#), ConsumeOutcome::AlreadyRedeemed);
        assert_eq!(outcome(r#"{"code":"later"}"#), ConsumeOutcome::Other("later".into()));
        assert!(parse_outcome(b"{}").is_err() && parse_outcome(b"oops").is_err());
    }

    #[test]
    fn lists_and_pending_uses_are_kept_per_account() {
        let dir = tempfile::tempdir().unwrap();
        let store = ResetCreditStore::new(dir.path().join("reset-credits"));
        let list = parse_list(br#"{"credits":[{"id":"a","expires_at":"2026-07-17T00:00:00Z"}]}"#, now()).unwrap();
        assert!(list_due(store.entry("acct-1").as_ref(), 1, now()));
        store.save_list("acct-1", Some(&list), 1, now());
        assert_eq!(store.list("acct-1"), Some(list.clone()));
        assert_eq!(store.list("acct-2"), None);
        assert!(!list_due(store.entry("acct-1").as_ref(), 1, now() + Duration::minutes(59)));
        assert!(list_due(store.entry("acct-1").as_ref(), 1, now() + Duration::minutes(60)));
        // A failed ask keeps the list read before, and waits its hour too.
        store.save_list("acct-1", None, 1, now() + Duration::minutes(60));
        assert_eq!(store.list("acct-1"), Some(list.clone()));
        assert!(!list_due(store.entry("acct-1").as_ref(), 1, now() + Duration::minutes(61)));
        assert_eq!(shown_list(store.entry("acct-1"), now() + Duration::hours(23)), Some(list.clone()));
        assert_eq!(shown_list(store.entry("acct-1"), now() + Duration::hours(25)), None, "a day-old list is not shown");
        // A credit used or granted elsewhere: the count and the list differ, read again soon.
        let entry = store.entry("acct-1");
        assert!(!list_due(entry.as_ref(), 2, now() + Duration::minutes(64)));
        assert!(list_due(entry.as_ref(), 2, now() + Duration::minutes(65)));
        assert!(list_due(entry.as_ref(), 0, now() + Duration::minutes(65)));
        assert!(!list_due(entry.as_ref(), 1, now() + Duration::minutes(65)));
        // A count the list never matches (it leaves out spent or expired credits) is no change.
        store.save_list("acct-1", None, 3, now() + Duration::minutes(70));
        assert!(!list_due(store.entry("acct-1").as_ref(), 3, now() + Duration::minutes(80)));
        store.forget_list("acct-1");
        assert_eq!(store.list("acct-1"), None);

        let pending = PendingUse { request_id: "req-1".into(), credit_id: "a".into(), decided_at: now() };
        store.save_pending("acct-1", &pending).unwrap();
        assert_eq!(store.pending("acct-1", "a", now() + Duration::minutes(5)), Some(pending));
        assert_eq!(store.pending("acct-1", "b", now()), None, "another credit is another decision");
        assert_eq!(store.pending("acct-2", "a", now()), None);
        assert_eq!(store.pending("acct-1", "a", now() + Duration::hours(2)), None);
        store.settle("acct-1");
        assert_eq!(store.pending("acct-1", "a", now()), None);
    }
}
