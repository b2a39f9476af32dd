//! When each account is read. The poller ticks on its one schedule (every 5 minutes, every
//! minute while Codex is in use in any home, sooner after a failure or a changed login), which is
//! the shown account's: it is read on every tick. On each tick every other account is read when
//! its own pace says so: every tick while Codex writes to its home, at the poll interval otherwise, and at
//! most every 15 minutes when its home has not had a session log for a day. An account the
//! service asked to wait (`Retry-After`) waits, alone. "Refresh now" reads every account.

use std::collections::HashMap;
use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};

use crate::accounts::read::AccountReport;
use crate::poll::{Outcome, Polled};

/// The longest an idle account waits between reads.
pub const IDLE_INTERVAL: Duration = Duration::minutes(15);
/// How long without a session log makes a home idle.
pub const IDLE_AFTER: Duration = Duration::hours(24);
/// How long after Codex last wrote a session log its home counts as in use.
pub const IN_USE_FOR: Duration = Duration::minutes(10);

/// How busy an account's Codex home is, by when Codex last wrote a session log there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Written to in the last 10 minutes: read on every tick (every minute).
    InUse,
    /// Read at the poll interval. Also an account without a home, or a home without logs:
    /// nothing says it is left alone.
    Normal,
    /// No session log for a day: read every 15 minutes at most.
    Idle,
}

impl Activity {
    pub fn of(last_written: Option<SystemTime>, now: DateTime<Utc>) -> Activity {
        match last_written.map(|t| now - DateTime::<Utc>::from(t)) {
            Some(age) if age < IN_USE_FOR => Activity::InUse,
            Some(age) if age > IDLE_AFTER => Activity::Idle,
            _ => Activity::Normal,
        }
    }
}
/// A poll a little early still counts as 15 minutes on (timers and polls are not exact).
const SLACK: Duration = Duration::seconds(30);

/// Each account's last read and how long the service asked it to wait.
#[derive(Debug, Clone, Default)]
pub struct AccountSchedule {
    last_read: HashMap<String, DateTime<Utc>>,
    not_before: HashMap<String, DateTime<Utc>>,
}

impl AccountSchedule {
    /// Whether the account `id` is read on a tick at `now`, with `interval` the poll interval.
    /// `forced` is "Refresh now".
    pub fn due(&self, id: &str, activity: Activity, interval: Duration, forced: bool, now: DateTime<Utc>) -> bool {
        if self.not_before.get(id).is_some_and(|t| *t > now) {
            return false;
        }
        let wait = match activity {
            Activity::InUse => return true,
            Activity::Normal => interval,
            Activity::Idle => interval.max(IDLE_INTERVAL),
        };
        forced || self.last_read.get(id).is_none_or(|last| now - *last >= wait - SLACK)
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

    const FIVE: Duration = Duration::minutes(5);

    /// The minutes at which an account of this activity is read on ticks every `tick` minutes.
    fn reads(activity: Activity, tick: usize) -> Vec<i64> {
        let mut schedule = AccountSchedule::default();
        let mut read = Vec::new();
        for minute in (0..=60).step_by(tick) {
            if schedule.due("a", activity, FIVE, false, t(minute)) {
                schedule.record("a", Outcome::Success, t(minute));
                read.push(minute);
            }
        }
        read
    }

    #[test]
    fn each_account_keeps_its_own_pace_on_the_shared_ticks() {
        // Codex in use in another home makes the poller tick every minute.
        assert_eq!(reads(Activity::InUse, 1).len(), 61, "in use: every tick");
        assert_eq!(reads(Activity::Normal, 1), (0..=60).step_by(5).collect::<Vec<_>>(), "every 5 minutes");
        assert_eq!(reads(Activity::Idle, 1), [0, 15, 30, 45, 60], "idle: every 15 minutes");
        assert_eq!(reads(Activity::Idle, 5), [0, 15, 30, 45, 60]);
        let mut schedule = AccountSchedule::default();
        schedule.record("a", Outcome::Success, t(0));
        assert!(schedule.due("a", Activity::Idle, FIVE, true, t(1)), "Refresh now reads it anyway");
        assert!(!schedule.due("a", Activity::Idle, Duration::minutes(30), false, t(20)), "a longer interval holds");
    }

    #[test]
    fn retry_after_holds_back_that_account_alone() {
        let mut schedule = AccountSchedule::default();
        schedule.record("limited", Outcome::Temporary { retry_after: Some(Duration::minutes(10)) }, t(0));
        schedule.record("fine", Outcome::Success, t(0));
        assert!(!schedule.due("limited", Activity::InUse, FIVE, true, t(5)), "not even on Refresh now");
        assert!(schedule.due("fine", Activity::Normal, FIVE, false, t(5)));
        assert!(schedule.due("limited", Activity::Normal, FIVE, false, t(10)));
    }

    #[test]
    fn activity_is_read_off_the_newest_session_log() {
        let now = t(0);
        let ago = |minutes: i64| Some(SystemTime::from(now - Duration::minutes(minutes)));
        assert_eq!(Activity::of(ago(3), now), Activity::InUse);
        assert_eq!(Activity::of(ago(60), now), Activity::Normal);
        assert_eq!(Activity::of(ago(25 * 60), now), Activity::Idle);
        assert_eq!(Activity::of(None, now), Activity::Normal, "no log says nothing");
    }
}
