//! The numbers most tests start from: a live answer of the usage service, built once here instead
//! of written out field by field in every test. Change what a test is about after.

use chrono::{DateTime, Utc};
use headroom_core::model::{Account, SourceKind, UsageSnapshot, UsageWindow};

/// A live answer on `plan` for the account `account_id` (none: the answer named no account),
/// with these windows, observed at `at`; the limit is reached when a window is exhausted.
pub fn snapshot(plan: &str, account_id: Option<&str>, windows: Vec<UsageWindow>, at: DateTime<Utc>) -> UsageSnapshot {
    UsageSnapshot {
        plan: Some(plan.into()),
        account: Account { account_id: account_id.map(String::from), ..Account::default() },
        limit_reached: windows.iter().any(UsageWindow::is_exhausted),
        windows,
        credits: None,
        limit_reached_reason: None,
        spend_control: None,
        reset_credits: None,
        unreadable: Vec::new(),
        switched_off: Vec::new(),
        reset_credit_list: None,
        observed_at: at,
        source: SourceKind::Api,
    }
}

/// A Plus answer for acct-1 with these windows, observed at `at`.
pub fn plus(windows: Vec<UsageWindow>, at: DateTime<Utc>) -> UsageSnapshot {
    snapshot("plus", Some("acct-1"), windows, at)
}
