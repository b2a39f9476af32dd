//! The numbers most tests start from: a live answer of the usage service, built once here instead
//! of written out field by field in every test. Change what a test is about after.

use chrono::{DateTime, Utc};
use headroom_core::model::{Account, UsageSnapshot, UsageWindow};

/// A live answer on `plan` for the account `account_id` (none: the answer named no account),
/// with these windows, observed at `at`; the limit is reached when a window is exhausted.
pub fn snapshot(plan: &str, account_id: Option<&str>, windows: Vec<UsageWindow>, at: DateTime<Utc>) -> UsageSnapshot {
    UsageSnapshot::live(plan, Account { account_id: account_id.map(String::from), ..Account::default() }, windows, at)
}

/// A Plus answer for acct-1 with these windows, observed at `at`.
pub fn plus(windows: Vec<UsageWindow>, at: DateTime<Utc>) -> UsageSnapshot {
    snapshot("plus", Some("acct-1"), windows, at)
}
