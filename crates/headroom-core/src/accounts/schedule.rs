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
use crate::accounts::roster::WatchedAccount;
use crate::poll::{Outcome, Polled};
use crate::sources::session_log;

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
        if activity == Activity::InUse {
            return true;
        }
        let wait = pace(activity, interval);
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

/// What a tick reads: the accounts due, and whether Codex is at work in another home than the
/// default one (which keeps the poller at its quick pace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    pub due: Vec<WatchedAccount>,
    /// For each account due, how long its answer may be taken by other Headroom processes: until
    /// this schedule reads it again (an idle account's every 15 minutes, not the poll interval's).
    pub promises: Vec<Duration>,
    pub other_home_in_use: bool,
}

/// How long after a read the tray reads an account again, by its activity: what its shared
/// answer is promised for (with the slack a late tick needs).
pub fn next_read_in(activity: Activity, shown: bool, interval: Duration) -> Duration {
    (if shown { interval } else { pace(activity, interval) }) + SLACK
}

/// How often an account that is not shown is read: at the poll interval, an idle one at most
/// every 15 minutes.
fn pace(activity: Activity, interval: Duration) -> Duration {
    match activity {
        Activity::InUse | Activity::Normal => interval,
        Activity::Idle => interval.max(IDLE_INTERVAL),
    }
}

impl AccountSchedule {
    /// The accounts to read on a tick at `now`. The shown account is the poller's own and is
    /// read on every tick (its schedule, its backoff, a changed login at once); every other one
    /// at its own pace, by when Codex last wrote a session log in its home.
    pub fn tick(
        &self,
        accounts: &[WatchedAccount],
        shown: &str,
        interval: Duration,
        forced: bool,
        now: DateTime<Utc>,
    ) -> Tick {
        let mut other_home_in_use = false;
        let mut due = Vec::new();
        let mut promises = Vec::new();
        for account in accounts {
            let activity = Activity::of(account.home().and_then(session_log::last_written), now);
            other_home_in_use |= !account.default && activity == Activity::InUse;
            let is_shown = account.id == shown;
            if is_shown || self.due(&account.id, activity, interval, forced, now) {
                due.push(account.clone());
                promises.push(next_read_in(activity, is_shown, interval));
            }
        }
        Tick { due, promises, other_home_in_use }
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
    use crate::accounts::roster::{HomeOrigin, Place};
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

    /// A Codex home whose newest rollout was written `hours_ago`.
    fn home_written(dir: &std::path::Path, name: &str, hours_ago: u64) -> WatchedAccount {
        let home = dir.join(name);
        let day = home.join("sessions/2026/11/29");
        std::fs::create_dir_all(&day).unwrap();
        let file = day.join("rollout-2026-11-29T10-00-00-0000.jsonl");
        std::fs::write(&file, "{}\n").unwrap();
        let when = SystemTime::now() - std::time::Duration::from_secs(hours_ago * 3600);
        std::fs::File::options().write(true).open(&file).unwrap().set_modified(when).unwrap();
        WatchedAccount {
            id: name.into(),
            email: None,
            places: vec![Place::Home { path: home, origin: HomeOrigin::Added, gone: false }],
            default: false,
            ..WatchedAccount::default()
        }
    }

    #[test]
    fn a_tick_reads_the_shown_account_and_the_others_by_their_homes_logs() {
        let dir = tempfile::tempdir().unwrap();
        let idle = home_written(dir.path(), "idle", 48);
        let busy = home_written(dir.path(), "busy", 0);
        let quiet = home_written(dir.path(), "quiet", 3);
        let shown = WatchedAccount { id: "shown".into(), default: true, ..home_written(dir.path(), "shown", 48) };
        let accounts = [shown, idle, busy, quiet];
        let ids = |tick: &Tick| tick.due.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
        let mut schedule = AccountSchedule::default();
        let now = Utc::now();
        let first = schedule.tick(&accounts, "shown", FIVE, false, now);
        assert_eq!(ids(&first), ["shown", "idle", "busy", "quiet"], "nothing read yet");
        // Each answer is promised until this schedule reads that account again: an idle one's for
        // 15 minutes, not the poll interval's 5.
        let promised: Vec<i64> = first.promises.iter().map(|p| p.num_seconds()).collect();
        assert_eq!(promised, [330, 930, 330, 330]);
        assert!(first.other_home_in_use, "Codex writes to the busy home");
        for account in &accounts {
            schedule.record(&account.id, Outcome::Success, now);
        }
        let later = now + Duration::minutes(1);
        assert_eq!(ids(&schedule.tick(&accounts, "shown", FIVE, false, later)), ["shown", "busy"]);
        let later = now + Duration::minutes(5);
        assert_eq!(ids(&schedule.tick(&accounts, "shown", FIVE, false, later)), ["shown", "busy", "quiet"]);
        let later = now + Duration::minutes(15);
        assert_eq!(ids(&schedule.tick(&accounts, "shown", FIVE, false, later)), ["shown", "idle", "busy", "quiet"]);
        let quiet_only = schedule.tick(&accounts[..2], "shown", FIVE, true, now + Duration::minutes(1));
        assert_eq!(ids(&quiet_only), ["shown", "idle"], "Refresh now reads even the idle one");
        assert!(!quiet_only.other_home_in_use);
    }
}
