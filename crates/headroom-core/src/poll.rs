//! Polling politely: every 5 minutes by default, every minute while Codex is in use, never more
//! than once per 30 s on its own; a click on "Refresh now" fetches at once (clicks within 5 s
//! are one); failures back off exponentially with jitter and honour `Retry-After`; waking from
//! sleep and a change of credentials fetch at once (within the 30 s floor).
//!
//! [`PollClock`] is the pure schedule; [`run`] drives it on tokio.

use std::future::Future;
use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::mpsc;

use crate::settings::Settings;
use crate::status::StatusReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollPlan {
    pub interval: Duration,
    pub active_interval: Duration,
    pub min_gap: Duration,
    pub merge_clicks: Duration,
    pub max_backoff: Duration,
}

impl PollPlan {
    pub fn from_settings(settings: &Settings) -> PollPlan {
        let interval = Duration::minutes(i64::from(settings.poll_interval_minutes.clamp(1, 60)));
        PollPlan {
            interval,
            active_interval: Duration::minutes(1).min(interval),
            min_gap: Duration::seconds(30),
            merge_clicks: Duration::seconds(5),
            max_backoff: Duration::minutes(15).max(interval),
        }
    }
}

/// How a fetch went, for scheduling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Worth retrying soon: network, 429, 5xx, an invalid answer.
    Temporary {
        retry_after: Option<Duration>,
    },
    /// Needs the user (expired or rejected login, no login): retrying sooner will not help.
    NeedsUser,
}

impl Outcome {
    pub fn of(report: &StatusReport) -> Outcome {
        match &report.error {
            None => Outcome::Success,
            Some(e) if e.kind().is_temporary() => {
                let longest = crate::error::MAX_RETRY_AFTER_SECONDS;
                Outcome::Temporary {
                    retry_after: e.retry_after_seconds().map(|s| Duration::seconds(s.min(longest) as i64)),
                }
            }
            Some(_) => Outcome::NeedsUser,
        }
    }
}

/// What a fetch returns, as far as the schedule cares: how it went.
pub trait Polled {
    fn outcome(&self) -> Outcome;
}

impl Polled for StatusReport {
    fn outcome(&self) -> Outcome {
        Outcome::of(self)
    }
}

#[derive(Debug, Clone, Default)]
pub struct PollClock {
    last_fetch: Option<DateTime<Utc>>,
    last_click: Option<DateTime<Utc>>,
    failures: u32,
    not_before: Option<DateTime<Utc>>,
    last_outcome: Option<Outcome>,
}

impl PollClock {
    /// `jitter` in 0–1 spreads retries of many clients.
    /// When the next fetch is due; `now` when nothing was fetched yet.
    pub fn next_due(&self, plan: &PollPlan, codex_active: bool, jitter: f64, now: DateTime<Utc>) -> DateTime<Utc> {
        let Some(last) = self.last_fetch else { return now };
        let wait = match self.last_outcome {
            Some(Outcome::Temporary { .. }) => {
                let base = Duration::seconds(30) * 2i32.pow(self.failures.saturating_sub(1).min(10));
                let base = base.min(plan.max_backoff);
                // ±20 %
                base + Duration::milliseconds((base.num_milliseconds() as f64 * 0.4 * (jitter - 0.5)) as i64)
            }
            _ if codex_active => plan.active_interval,
            _ => plan.interval,
        };
        let due = last + wait.max(plan.min_gap);
        match self.not_before {
            Some(not_before) if not_before > due => not_before,
            _ => due,
        }
    }

    /// The earliest an automatic trigger (wake, credentials changed) may fetch.
    pub fn earliest_automatic(&self, plan: &PollPlan, now: DateTime<Utc>) -> DateTime<Utc> {
        let floor = self.last_fetch.map(|l| l + plan.min_gap).unwrap_or(now).max(now);
        self.not_before.map(|n| n.max(floor)).unwrap_or(floor)
    }

    /// When to fetch after the credentials changed. After a failure that needed the user (no or
    /// an expired login: no request reached the service) the change is the user's answer, so
    /// at once; otherwise as any automatic trigger.
    pub fn after_credentials_change(&self, plan: &PollPlan, now: DateTime<Utc>) -> DateTime<Utc> {
        match self.last_outcome {
            Some(Outcome::NeedsUser) => now,
            _ => self.earliest_automatic(plan, now),
        }
    }

    /// A click on "Refresh now": true when it should fetch, false when it merges with a click
    /// less than 5 s before.
    pub fn click(&mut self, plan: &PollPlan, now: DateTime<Utc>) -> bool {
        let merged = self.last_click.is_some_and(|c| now - c < plan.merge_clicks);
        self.last_click = Some(now);
        !merged
    }

    pub fn record(&mut self, outcome: Outcome, at: DateTime<Utc>) {
        self.last_fetch = Some(at);
        self.last_outcome = Some(outcome);
        match outcome {
            Outcome::Success | Outcome::NeedsUser => {
                self.failures = 0;
                self.not_before = None;
            }
            Outcome::Temporary { retry_after } => {
                self.failures += 1;
                self.not_before = retry_after.and_then(|r| at.checked_add_signed(r));
            }
        }
    }
}

/// What can make the poller fetch outside its schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// "Refresh now".
    Click,
    CredentialsChanged,
    /// The settings changed (the interval, say): reschedule.
    Reschedule(PollPlan),
}

/// The poller's own timeline: the monotonic clock, written as dates from when it started. A wall
/// clock set back or forward while Headroom runs (NTP after a dual boot, the user) moves nothing
/// on it, so clicks still merge for 5 s and no poll waits for the old time to come round again.
/// It stands still while the machine sleeps, which the wake check catches.
struct Timeline {
    started_at: DateTime<Utc>,
    started: tokio::time::Instant,
}

impl Timeline {
    fn start() -> Timeline {
        Timeline { started_at: Utc::now(), started: tokio::time::Instant::now() }
    }

    fn now(&self) -> DateTime<Utc> {
        let elapsed = Duration::from_std(self.started.elapsed()).unwrap_or(Duration::MAX);
        self.started_at.checked_add_signed(elapsed).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// Runs the schedule until the trigger channel closes. `fetch` asks for numbers; `report`
/// receives every answer; `codex_active` says whether Codex wrote a session log lately.
pub async fn run<F, Fut, R>(
    plan: PollPlan,
    triggers: mpsc::UnboundedReceiver<Trigger>,
    fetch: F,
    codex_active: impl Fn() -> bool,
    report: impl FnMut(R),
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = R>,
    R: Polled,
{
    run_with_wall_clock(plan, triggers, fetch, codex_active, report, SystemTime::now).await
}

/// [`run`] with the wall clock given, which only the wake check reads.
async fn run_with_wall_clock<F, Fut, R>(
    mut plan: PollPlan,
    mut triggers: mpsc::UnboundedReceiver<Trigger>,
    mut fetch: F,
    codex_active: impl Fn() -> bool,
    mut report: impl FnMut(R),
    wall_clock: impl Fn() -> SystemTime,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = R>,
    R: Polled,
{
    let timeline = Timeline::start();
    let mut clock = PollClock::default();
    let mut due = timeline.now();
    // Wall-clock time runs on while the machine sleeps; the monotonic clock does not. A wall
    // clock that ran ahead of the monotonic one is a wake-up (one set back is not).
    let mut wall = wall_clock();
    let mut mono = tokio::time::Instant::now();
    let mut wake_check = tokio::time::interval(std::time::Duration::from_secs(30));
    wake_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let wait = (due - timeline.now()).to_std().unwrap_or_default();
        let fetch_now = tokio::select! {
            _ = tokio::time::sleep(wait) => true,
            trigger = triggers.recv() => match trigger {
                None => return,
                Some(Trigger::Click) => clock.click(&plan, timeline.now()),
                Some(Trigger::CredentialsChanged) => {
                    due = clock.after_credentials_change(&plan, timeline.now());
                    false
                }
                Some(Trigger::Reschedule(new_plan)) => {
                    plan = new_plan;
                    due = clock.next_due(&plan, codex_active(), jitter(), timeline.now());
                    false
                }
            },
            _ = wake_check.tick() => {
                let wall_passed = wall_clock().duration_since(wall).unwrap_or_default();
                let mono_passed = mono.elapsed();
                wall = wall_clock();
                mono = tokio::time::Instant::now();
                if wall_passed > mono_passed + std::time::Duration::from_secs(60) {
                    tracing::info!(slept_seconds = (wall_passed - mono_passed).as_secs(), "woke from sleep");
                    due = clock.earliest_automatic(&plan, timeline.now());
                }
                false
            }
        };
        if fetch_now {
            let answer = fetch().await;
            clock.record(answer.outcome(), timeline.now());
            report(answer);
            due = clock.next_due(&plan, codex_active(), jitter(), timeline.now());
        }
    }
}

/// A number in 0–1 that differs from run to run, for spreading retries.
fn jitter() -> f64 {
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    f64::from(nanos % 1000) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap() + Duration::seconds(s)
    }

    fn plan() -> PollPlan {
        PollPlan::from_settings(&Settings::default())
    }

    #[test]
    fn every_five_minutes_or_every_minute_while_codex_is_in_use() {
        let mut clock = PollClock::default();
        clock.record(Outcome::Success, t(0));
        assert_eq!(clock.next_due(&plan(), false, 0.5, t(0)), t(300));
        assert_eq!(clock.next_due(&plan(), true, 0.5, t(0)), t(60));
        let settings = Settings { poll_interval_minutes: 1, ..Settings::default() };
        assert_eq!(clock.next_due(&PollPlan::from_settings(&settings), false, 0.5, t(0)), t(60));
    }

    #[test]
    fn failures_back_off_exponentially_with_jitter_and_a_30_second_floor() {
        let mut clock = PollClock::default();
        let mut waits = Vec::new();
        let mut at = t(0);
        for _ in 0..8 {
            clock.record(Outcome::Temporary { retry_after: None }, at);
            let due = clock.next_due(&plan(), false, 0.5, t(0));
            waits.push((due - at).num_seconds());
            at = due;
        }
        assert_eq!(waits, vec![30, 60, 120, 240, 480, 900, 900, 900]);
        clock.record(Outcome::Temporary { retry_after: None }, t(0));
        let early = clock.next_due(&plan(), false, 0.0, t(0)) - t(0);
        let late = clock.next_due(&plan(), false, 1.0, t(0)) - t(0);
        assert_eq!((early.num_seconds(), late.num_seconds()), (720, 1080), "±20 % jitter");
        clock.record(Outcome::Success, t(5000));
        assert_eq!(clock.next_due(&plan(), false, 0.5, t(0)), t(5300), "success resets the backoff");
    }

    #[test]
    fn retry_after_is_honoured() {
        let mut clock = PollClock::default();
        clock.record(Outcome::Temporary { retry_after: Some(Duration::seconds(600)) }, t(0));
        assert_eq!(clock.next_due(&plan(), false, 0.5, t(0)), t(600));
        assert_eq!(clock.earliest_automatic(&plan(), t(10)), t(600), "not even on wake");
    }

    #[test]
    fn a_login_that_needs_the_user_is_not_retried_faster() {
        let mut clock = PollClock::default();
        clock.record(Outcome::NeedsUser, t(0));
        assert_eq!(clock.next_due(&plan(), true, 0.5, t(0)), t(60));
        assert_eq!(clock.next_due(&plan(), false, 0.5, t(0)), t(300));
    }

    #[test]
    fn new_credentials_after_a_missing_login_fetch_at_once() {
        let mut clock = PollClock::default();
        clock.record(Outcome::NeedsUser, t(0));
        assert_eq!(clock.after_credentials_change(&plan(), t(5)), t(5));
        clock.record(Outcome::Success, t(10));
        assert_eq!(clock.after_credentials_change(&plan(), t(15)), t(40), "the floor holds after a success");
    }

    #[test]
    fn automatic_triggers_respect_the_floor_and_clicks_merge() {
        let mut clock = PollClock::default();
        assert_eq!(clock.earliest_automatic(&plan(), t(0)), t(0));
        clock.record(Outcome::Success, t(0));
        assert_eq!(clock.earliest_automatic(&plan(), t(10)), t(30));
        assert_eq!(clock.earliest_automatic(&plan(), t(45)), t(45));
        assert!(clock.click(&plan(), t(1)));
        assert!(!clock.click(&plan(), t(3)), "within 5 s of the last click");
        assert!(!clock.click(&plan(), t(7)), "within 5 s of the click before");
        assert!(clock.click(&plan(), t(13)));
    }

    #[tokio::test]
    async fn the_runner_fetches_at_start_then_on_schedule_and_on_clicks() {
        let (tx, rx) = mpsc::unbounded_channel();
        let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = fetches.clone();
        let runner = tokio::spawn(run(
            plan(),
            rx,
            move || {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async {
                    StatusReport { snapshot: None, credential: None, error: None, log_file: None, paces: Vec::new() }
                }
            },
            || false,
            |_| {},
        ));
        let count = || fetches.load(std::sync::atomic::Ordering::SeqCst);
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        assert_eq!(count(), 1, "fetches at start");
        tx.send(Trigger::Click).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        assert_eq!(count(), 2, "a click fetches at once");
        tx.send(Trigger::Click).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        assert_eq!(count(), 2, "a second click within 5 s merges");
        drop(tx);
        runner.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_wall_clock_set_back_while_running_stops_neither_clicks_nor_polls() {
        use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
        use std::sync::Arc;
        let (tx, rx) = mpsc::unbounded_channel();
        let fetches = Arc::new(AtomicUsize::new(0));
        let counter = fetches.clone();
        // The wall clock, set back by this many seconds.
        let set_back = Arc::new(AtomicI64::new(0));
        let wall = {
            let set_back = set_back.clone();
            move || SystemTime::now() - std::time::Duration::from_secs(set_back.load(Ordering::SeqCst) as u64)
        };
        let runner = tokio::spawn(run_with_wall_clock(
            plan(),
            rx,
            move || {
                counter.fetch_add(1, Ordering::SeqCst);
                async {
                    StatusReport { snapshot: None, credential: None, error: None, log_file: None, paces: Vec::new() }
                }
            },
            || false,
            |_| {},
            wall,
        ));
        let count = || fetches.load(Ordering::SeqCst);
        let pass = |seconds: u64| tokio::time::sleep(std::time::Duration::from_secs(seconds));
        pass(1).await;
        assert_eq!(count(), 1, "fetches at start");
        tx.send(Trigger::Click).unwrap();
        pass(1).await;
        assert_eq!(count(), 2, "a click fetches at once");
        set_back.store(3 * 3600, Ordering::SeqCst);
        pass(10).await;
        tx.send(Trigger::Click).unwrap();
        pass(1).await;
        assert_eq!(count(), 3, "a click 10 s later fetches, though the wall clock went back 3 h");
        tx.send(Trigger::Click).unwrap();
        pass(1).await;
        assert_eq!(count(), 3, "a click within 5 s still merges");
        pass(300).await;
        assert_eq!(count(), 4, "the next poll comes 5 minutes later, not 3 hours");
        drop(tx);
        runner.await.unwrap();
    }
}
