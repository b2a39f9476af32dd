//! When each account is read. Every account rides on the poller's one schedule (every 5 minutes,
//! every minute while Codex is in use), with two exceptions of its own: an account whose Codex
//! home has not written a session log for a day is read at most every 15 minutes, and an account
//! the service asked to wait (`Retry-After`) waits, alone. "Refresh now" reads every account.

use std::collections::HashMap;
use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};

use crate::accounts::read::AccountReport;
use crate::poll::{Outcome, Polled};

/// The longest an idle account waits between reads.
pub const IDLE_INTERVAL: Duration = Duration::minutes(15);
/// How long without a session log makes a home idle.
pub const IDLE_AFTER: Duration = Duration::hours(24);
/// A poll a little early still counts as 15 minutes on (timers and polls are not exact).
const SLACK: Duration = Duration::seconds(30);

/// Whether a home Codex last wrote to at `last_written` counts as idle now. A home without any
/// session log is not: nothing says it is left alone (a fresh login, a pasted token's home).
pub fn is_idle(last_written: Option<SystemTime>, now: DateTime<Utc>) -> bool {
    last_written.is_some_and(|t| now - DateTime::<Utc>::from(t) > IDLE_AFTER)
}

/// Each account's last read and how long the service asked it to wait.
#[derive(Debug, Clone, Default)]
pub struct AccountSchedule {
    last_read: HashMap<String, DateTime<Utc>>,
    not_before: HashMap<String, DateTime<Utc>>,
}

impl AccountSchedule {
    /// Whether the account `id` is read on a poll at `now`. `forced` is "Refresh now".
    pub fn due(&self, id: &str, idle: bool, forced: bool, now: DateTime<Utc>) -> bool {
        if self.not_before.get(id).is_some_and(|t| *t > now) {
            return false;
        }
        forced || !idle || self.last_read.get(id).is_none_or(|last| now - *last >= IDLE_INTERVAL - SLACK)
    }

    pub fn record(&mut self, id: &str, outcome: Outcome, now: DateTime<Utc>) {
        self.last_read.insert(id.to_string(), now);
        match outcome {
            Outcome::Temporary { retry_after: Some(wait) } => {
                self.not_before.insert(id.to_string(), now + wait);
            }
            _ => {
                self.not_before.remove(id);
            }
        }
    }
}

/// One poll's answers, the shown account's first when it was read.
#[derive(Debug, Clone, Default)]
pub struct Readings {
    pub reports: Vec<AccountReport>,
    /// The id of the account the icon shows: its outcome sets the poller's pace.
    pub shown: String,
}

impl Polled for Readings {
    /// The shown account's outcome: another account's failure never slows the shown one, and
    /// waits on its own (see [`AccountSchedule`]).
    fn outcome(&self) -> Outcome {
        self.reports.iter().find(|r| r.account.id == self.shown).map(|r| r.report.outcome()).unwrap_or(Outcome::Success)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn an_idle_home_is_read_every_15_minutes_a_busy_one_every_poll() {
        let mut schedule = AccountSchedule::default();
        let polls: Vec<i64> = (0..=60).step_by(5).collect();
        let mut idle_reads = Vec::new();
        let mut busy_reads = 0;
        for minute in polls {
            if schedule.due("idle", true, false, t(minute)) {
                schedule.record("idle", Outcome::Success, t(minute));
                idle_reads.push(minute);
            }
            if schedule.due("busy", false, false, t(minute)) {
                schedule.record("busy", Outcome::Success, t(minute));
                busy_reads += 1;
            }
        }
        assert_eq!(idle_reads, [0, 15, 30, 45, 60]);
        assert_eq!(busy_reads, 13);
        assert!(schedule.due("idle", true, true, t(61)), "Refresh now reads it anyway");
    }

    #[test]
    fn retry_after_holds_back_that_account_alone() {
        let mut schedule = AccountSchedule::default();
        schedule.record("limited", Outcome::Temporary { retry_after: Some(Duration::minutes(10)) }, t(0));
        schedule.record("fine", Outcome::Success, t(0));
        assert!(!schedule.due("limited", false, true, t(5)), "not even on Refresh now");
        assert!(schedule.due("fine", false, false, t(5)));
        assert!(schedule.due("limited", false, false, t(10)));
    }

    #[test]
    fn idle_means_a_log_older_than_a_day_and_no_log_is_not_idle() {
        let now = t(0);
        let hours_ago = |h: i64| Some(SystemTime::from(now - Duration::hours(h)));
        assert!(is_idle(hours_ago(25), now));
        assert!(!is_idle(hours_ago(23), now));
        assert!(!is_idle(None, now));
    }
}
