//! Numbers shared between every Headroom process on the machine: the tray and each `headroom`
//! run save the service's answer per account, and the next run answers from it while it is
//! fresh enough instead of asking again. A status bar calling `headroom status` every 5 seconds
//! then costs no more requests than the tray alone.
//!
//! One file per account (`<data folder>/numbers/<account>.json`, replaced atomically) and one
//! lock file beside it: whoever asks the service holds the lock, and whoever waited for it
//! takes the answer that arrived meanwhile, so processes started together make one request.
//! Only what the service said is kept: the numbers, or why it refused (never a token; a refusal
//! is tied to the login's expiry so a fresh `codex login` is asked about at once).

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{UsageError, CHECK_BASE_URL, TRY_LATER};
use crate::login::credentials::Credential;
use crate::model::{CredentialOrigin, UsageSnapshot, CLOCK_SLACK};
use crate::storage;

/// How long an answer stays fresh for other processes when nothing else is said (`--max-age`'s
/// default), and how long a `headroom` run promises its own answer.
pub const DEFAULT_MAX_AGE: Duration = Duration::seconds(60);

/// The longest wait for another process's request before asking anyway: longer than a request
/// can take, so only a hung process is overtaken.
const LOCK_WAIT: StdDuration = StdDuration::from_secs(40);

/// How old an answer a reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxAge {
    /// Younger than 60 s, or younger than its writer promised (the tray promises its poll
    /// interval): numbers as fresh as the tray's own.
    Default,
    /// Younger than this; zero always asks.
    At(Duration),
}

/// The shared numbers folder, with this process's rules for reading and writing it.
#[derive(Debug, Clone)]
pub struct SharedNumbers {
    dir: PathBuf,
    max_age: MaxAge,
    /// How long this process's answers may be used by others before they ask themselves.
    promise: Duration,
}

/// One account's file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    account: String,
    /// Numbers from another service (a test's, a proxy's) are not this one's. Kept with any
    /// password in it masked (`https://***@proxy…`): this file is no place for a secret.
    base_url: String,
    snapshot: Option<UsageSnapshot>,
    /// When the snapshot's writer itself will ask again.
    fresh_until: Option<DateTime<Utc>>,
    failure: Option<Failure>,
}

/// The service's refusal, kept as it was said.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Failure {
    at: DateTime<Utc>,
    /// The login refused, by its expiry: a new login is a new question.
    login_expires_at: Option<DateTime<Utc>>,
    error: SharedError,
    /// When its writer will ask again (later when the service asked for a pause).
    fresh_until: DateTime<Utc>,
    /// Failures in a row: a passing failure (a 5xx, the network) is asked about again after a
    /// few seconds, then a little longer each time, never held for a whole poll interval.
    #[serde(default)]
    in_a_row: u32,
}

/// The first wait after a passing failure; it doubles with each failure in a row.
const FIRST_RETRY: Duration = Duration::seconds(5);

/// The failures that came from asking (a local problem such as an expired token is found again
/// for free, and must be, since the user may have fixed it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum SharedError {
    Unauthorized { origin: String, status: u16 },
    RateLimited { retry_after_seconds: Option<u64> },
    ServerError { status: u16 },
    InvalidResponse { problem: String, check_base_url: bool },
    Network { host: String, cause: String },
}

impl SharedError {
    fn of(error: &UsageError) -> Option<SharedError> {
        Some(match error {
            UsageError::Unauthorized { origin, status } => {
                SharedError::Unauthorized { origin: origin.id().into(), status: *status }
            }
            UsageError::RateLimited { retry_after_seconds } => {
                SharedError::RateLimited { retry_after_seconds: *retry_after_seconds }
            }
            UsageError::ServerError { status } => SharedError::ServerError { status: *status },
            UsageError::InvalidResponse { problem, advice } => {
                SharedError::InvalidResponse { problem: problem.clone(), check_base_url: *advice == CHECK_BASE_URL }
            }
            UsageError::Network { host, cause } => SharedError::Network { host: host.clone(), cause: cause.clone() },
            _ => return None,
        })
    }

    /// The error again, `now`: a wait the service asked for is what is left of it.
    fn error(&self, fresh_until: DateTime<Utc>, now: DateTime<Utc>) -> Option<UsageError> {
        Some(match self.clone() {
            SharedError::Unauthorized { origin, status } => {
                UsageError::Unauthorized { origin: CredentialOrigin::from_id(&origin)?, status }
            }
            SharedError::RateLimited { retry_after_seconds } => UsageError::RateLimited {
                retry_after_seconds: retry_after_seconds.map(|_| (fresh_until - now).num_seconds().max(1) as u64),
            },
            SharedError::ServerError { status } => UsageError::ServerError { status },
            SharedError::InvalidResponse { problem, check_base_url } => {
                UsageError::InvalidResponse { problem, advice: if check_base_url { CHECK_BASE_URL } else { TRY_LATER } }
            }
            SharedError::Network { host, cause } => UsageError::Network { host, cause },
        })
    }
}

/// What a credential's account is known by before asking: the workspace and the person in it
/// ([`Credential::identity`]). A token that names neither (a bare Codex access token) is asked
/// about every time.
pub fn account_key(credential: &Credential) -> Option<String> {
    credential.identity()
}

impl SharedNumbers {
    pub fn new(dir: PathBuf, max_age: MaxAge, promise: Duration) -> SharedNumbers {
        SharedNumbers { dir, max_age, promise }
    }

    /// The platform's folder (`~/.local/share/headroom/numbers` on Linux).
    pub fn at_default(max_age: MaxAge, promise: Duration) -> Option<SharedNumbers> {
        storage::data_dir().map(|dir| SharedNumbers::new(dir.join(storage::SHARED_NUMBERS), max_age, promise))
    }

    fn path(&self, account: &str, extension: &str) -> PathBuf {
        // Account ids and emails are short and mostly safe; anything else becomes '_'. The
        // account is written inside too, so two names sharing a file never share numbers.
        let name: String = account
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || "@.-_+".contains(c) { c } else { '_' })
            .take(120)
            .collect();
        self.dir.join(format!("{name}.{extension}"))
    }

    fn entry(&self, account: &str, base_url: &str) -> Option<Entry> {
        let entry: Entry = storage::read_json(&self.path(account, "json")).ok().flatten()?;
        (entry.account == account && entry.base_url == crate::text::mask_userinfo(base_url)).then_some(entry)
    }

    /// The answer another process (or an earlier run) got, when it is fresh enough by this
    /// process's rule, or arrived after `since` (it was asked for while this one waited).
    fn answer(
        &self,
        account: &str,
        base_url: &str,
        credential: &Credential,
        now: DateTime<Utc>,
        since: Option<DateTime<Utc>>,
    ) -> Option<Result<UsageSnapshot, UsageError>> {
        let entry = self.entry(account, base_url)?;
        let fresh = |at: DateTime<Utc>, until: Option<DateTime<Utc>>| {
            // Dated ahead of this clock (written while a clock was fast): how old it is cannot
            // be said, so it is never taken (the slack the tray allows its own saved numbers).
            if at > now + CLOCK_SLACK {
                return false;
            }
            since.is_some_and(|since| at >= since)
                || match self.max_age {
                    MaxAge::At(age) => age > Duration::zero() && now - at < age,
                    MaxAge::Default => now - at < DEFAULT_MAX_AGE || until.is_some_and(|until| now < until),
                }
        };
        let snapshot_at = entry.snapshot.as_ref().map(|s| s.observed_at);
        match &entry.failure {
            Some(failure)
                if snapshot_at.is_none_or(|at| failure.at > at)
                    && failure.login_expires_at == credential.claims.expires_at =>
            {
                // A failure is passed on only until its writer asks again: never longer because
                // the reader would take numbers that old.
                let still = failure.at <= now + CLOCK_SLACK
                    && (since.is_some_and(|since| failure.at >= since)
                        || (now < failure.fresh_until
                            && !matches!(self.max_age, MaxAge::At(age) if age <= Duration::zero())));
                still.then(|| failure.error.error(failure.fresh_until, now)).flatten().map(Err)
            }
            _ => {
                let snapshot = entry.snapshot?;
                fresh(snapshot.observed_at, entry.fresh_until).then(|| Ok(snapshot.with_resets_applied(now)))
            }
        }
    }

    /// The account's numbers: a fresh enough shared answer, else `ask()`'s, saved for the
    /// others. While one process asks, the others wait for its answer instead of asking too.
    pub async fn answer_or_ask<F>(
        &self,
        account: &str,
        base_url: &str,
        credential: &Credential,
        now: DateTime<Utc>,
        ask: F,
    ) -> Result<UsageSnapshot, UsageError>
    where
        F: std::future::Future<Output = Result<UsageSnapshot, UsageError>>,
    {
        if let Some(answer) = self.answer(account, base_url, credential, now, None) {
            tracing::debug!(account, "answered from the shared numbers");
            return answer;
        }
        let started = Utc::now();
        let lock = self.lock(account).await;
        if let Some(answer) = self.answer(account, base_url, credential, Utc::now(), Some(started)) {
            tracing::debug!(account, "answered by the request another process made");
            return answer;
        }
        let result = ask.await;
        self.save(account, base_url, credential, &result);
        drop(lock);
        result
    }

    /// Holds the account's lock file, waiting (without blocking the runtime) while another
    /// process holds it; `None` when the folder cannot hold one or the wait ran out, and then
    /// the request is made anyway: sharing saves requests, it never stops one.
    async fn lock(&self, account: &str) -> Option<File> {
        std::fs::create_dir_all(&self.dir).ok()?;
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(self.path(account, "lock")).ok()?;
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Some(file),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(StdDuration::from_millis(50)).await;
                }
                Err(_) => return None,
            }
        }
    }

    /// Saves an answer for the others; the last good numbers stay beside a newer refusal.
    pub fn save(
        &self,
        account: &str,
        base_url: &str,
        credential: &Credential,
        result: &Result<UsageSnapshot, UsageError>,
    ) {
        let now = Utc::now();
        let old = self.entry(account, base_url);
        let entry = match result {
            Ok(snapshot) => Entry {
                account: account.into(),
                base_url: crate::text::mask_userinfo(base_url),
                snapshot: Some(snapshot.clone()),
                fresh_until: Some(snapshot.observed_at + self.promise),
                failure: None,
            },
            Err(error) => {
                let Some(shared) = SharedError::of(error) else { return };
                let retry_after = error
                    .retry_after_seconds()
                    .map(|s| Duration::seconds(s.min(crate::error::MAX_RETRY_AFTER_SECONDS) as i64))
                    .unwrap_or_default();
                let in_a_row = old.as_ref().and_then(|e| e.failure.as_ref()).map_or(0, |f| f.in_a_row) + 1;
                let (snapshot, fresh_until) = old.map(|e| (e.snapshot, e.fresh_until)).unwrap_or_default();
                // A refused login stays refused until it changes (a new login is asked about at
                // once anyway); the service's own pause is kept; anything else passes, and is
                // asked about again after seconds, growing, never after a whole interval.
                let wait = match error {
                    UsageError::Unauthorized { .. } => self.promise,
                    _ if retry_after > Duration::zero() => retry_after,
                    _ => {
                        let doubled = FIRST_RETRY * 2i32.saturating_pow(in_a_row.saturating_sub(1).min(10));
                        doubled.min(self.promise)
                    }
                };
                let failure = Failure {
                    at: now,
                    login_expires_at: credential.claims.expires_at,
                    error: shared,
                    fresh_until: now + wait,
                    in_a_row,
                };
                Entry {
                    account: account.into(),
                    base_url: crate::text::mask_userinfo(base_url),
                    snapshot,
                    fresh_until,
                    failure: Some(failure),
                }
            }
        };
        if let Err(e) = storage::write_json(&self.path(account, "json"), &entry) {
            // Sharing is a saving, not a duty: the answer itself is unharmed.
            tracing::warn!("the shared numbers in {} could not be saved ({e})", self.dir.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{UsageWindow, WindowKind};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn credential(expires: Option<DateTime<Utc>>) -> Credential {
        Credential::auth_file_for_tests(expires)
    }

    fn snapshot(used: f64, at: DateTime<Utc>) -> UsageSnapshot {
        UsageSnapshot::plus_for_tests(
            vec![UsageWindow::main(WindowKind::FiveHour, used, Some(at + Duration::hours(2)))],
            at,
        )
    }

    fn shared(dir: &std::path::Path, max_age: MaxAge) -> SharedNumbers {
        SharedNumbers::new(dir.to_path_buf(), max_age, DEFAULT_MAX_AGE)
    }

    /// Asks through `numbers`, counting how often the service would have been asked.
    fn ask(
        numbers: &SharedNumbers,
        asked: &AtomicUsize,
        answer: Result<UsageSnapshot, UsageError>,
    ) -> Result<UsageSnapshot, UsageError> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        runtime.block_on(numbers.answer_or_ask("acct-1", "http://127.0.0.1:1", &credential(None), Utc::now(), async {
            asked.fetch_add(1, Ordering::SeqCst);
            answer
        }))
    }

    #[test]
    fn a_fresh_answer_is_shared_and_max_age_zero_always_asks() {
        let dir = tempfile::tempdir().unwrap();
        let asked = AtomicUsize::new(0);
        let first = ask(&shared(dir.path(), MaxAge::Default), &asked, Ok(snapshot(10.0, Utc::now()))).unwrap();
        let again = ask(&shared(dir.path(), MaxAge::Default), &asked, Ok(snapshot(99.0, Utc::now()))).unwrap();
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        assert_eq!(again.windows[0].used_percent, first.windows[0].used_percent);
        let fresh =
            ask(&shared(dir.path(), MaxAge::At(Duration::zero())), &asked, Ok(snapshot(99.0, Utc::now()))).unwrap();
        assert_eq!((asked.load(Ordering::SeqCst), fresh.windows[0].used_percent), (2, 99.0));
    }

    #[test]
    fn old_numbers_are_asked_again_unless_their_writer_promised_them() {
        let dir = tempfile::tempdir().unwrap();
        let asked = AtomicUsize::new(0);
        let long_ago = Utc::now() - Duration::seconds(90);
        // Written by a run that promised 60 s: 90 s later it is asked again.
        ask(&shared(dir.path(), MaxAge::At(Duration::zero())), &asked, Ok(snapshot(10.0, long_ago))).unwrap();
        ask(&shared(dir.path(), MaxAge::Default), &asked, Ok(snapshot(20.0, Utc::now()))).unwrap();
        assert_eq!(asked.load(Ordering::SeqCst), 2);
        // Written by a tray polling every 5 minutes: good for its 5 minutes.
        let tray = SharedNumbers::new(dir.path().into(), MaxAge::At(Duration::zero()), Duration::minutes(5));
        ask(&tray, &asked, Ok(snapshot(30.0, long_ago))).unwrap();
        let read = ask(&shared(dir.path(), MaxAge::Default), &asked, Ok(snapshot(40.0, Utc::now()))).unwrap();
        assert_eq!((asked.load(Ordering::SeqCst), read.windows[0].used_percent), (3, 30.0));
        // Unless the reader wants younger numbers.
        ask(&shared(dir.path(), MaxAge::At(Duration::seconds(30))), &asked, Ok(snapshot(50.0, Utc::now()))).unwrap();
        assert_eq!(asked.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn a_refusal_is_shared_for_the_same_login_only_and_keeps_the_last_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let numbers = shared(dir.path(), MaxAge::Default);
        let asked = AtomicUsize::new(0);
        ask(&numbers, &asked, Ok(snapshot(10.0, Utc::now() - Duration::minutes(5)))).unwrap();
        let rejected = UsageError::Unauthorized { origin: CredentialOrigin::CodexAuthFile, status: 401 };
        assert_eq!(ask(&numbers, &asked, Err(rejected.clone())).unwrap_err(), rejected);
        assert_eq!(ask(&numbers, &asked, Ok(snapshot(1.0, Utc::now()))).unwrap_err(), rejected, "shared, not asked");
        assert_eq!(asked.load(Ordering::SeqCst), 2);
        let entry = numbers.entry("acct-1", "http://127.0.0.1:1").unwrap();
        assert_eq!(entry.snapshot.unwrap().windows[0].used_percent, 10.0, "the last good numbers stay");
        // A new login (another expiry) is asked about at once.
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let relogged = credential(Some(Utc::now() + Duration::days(10)));
        let answer = runtime
            .block_on(numbers.answer_or_ask("acct-1", "http://127.0.0.1:1", &relogged, Utc::now(), async {
                Ok(snapshot(5.0, Utc::now()))
            }))
            .unwrap();
        assert_eq!(answer.windows[0].used_percent, 5.0);
    }

    #[test]
    fn a_passing_failure_is_asked_about_again_after_seconds_growing_and_retry_after_wins() {
        let dir = tempfile::tempdir().unwrap();
        let numbers = shared(dir.path(), MaxAge::Default);
        let failed = UsageError::ServerError { status: 500 };
        let cred = credential(None);
        numbers.save("acct-1", "http://127.0.0.1:1", &cred, &Err(failed.clone()));
        let entry = numbers.entry("acct-1", "http://127.0.0.1:1").unwrap();
        let failure = entry.failure.unwrap();
        assert_eq!(failure.fresh_until - failure.at, Duration::seconds(5), "seconds, not the interval");
        numbers.save("acct-1", "http://127.0.0.1:1", &cred, &Err(failed.clone()));
        numbers.save("acct-1", "http://127.0.0.1:1", &cred, &Err(failed));
        let failure = numbers.entry("acct-1", "http://127.0.0.1:1").unwrap().failure.unwrap();
        assert_eq!((failure.in_a_row, failure.fresh_until - failure.at), (3, Duration::seconds(20)), "growing");
        // Past its wait, the next reader asks.
        let later = failure.at + Duration::seconds(21);
        assert!(numbers.answer("acct-1", "http://127.0.0.1:1", &cred, later, None).is_none());
        // The service's own pause wins.
        let paused = UsageError::RateLimited { retry_after_seconds: Some(120) };
        numbers.save("acct-1", "http://127.0.0.1:1", &cred, &Err(paused));
        let failure = numbers.entry("acct-1", "http://127.0.0.1:1").unwrap().failure.unwrap();
        assert_eq!(failure.fresh_until - failure.at, Duration::seconds(120));
        // An answer ends the run of failures.
        numbers.save("acct-1", "http://127.0.0.1:1", &cred, &Ok(snapshot(1.0, Utc::now())));
        numbers.save("acct-1", "http://127.0.0.1:1", &cred, &Err(UsageError::ServerError { status: 502 }));
        assert_eq!(numbers.entry("acct-1", "http://127.0.0.1:1").unwrap().failure.unwrap().in_a_row, 1);
    }

    #[test]
    fn local_failures_and_other_services_are_not_shared() {
        let dir = tempfile::tempdir().unwrap();
        let numbers = shared(dir.path(), MaxAge::Default);
        let asked = AtomicUsize::new(0);
        let expired = UsageError::Expired { origin: CredentialOrigin::CodexAuthFile, at: Utc::now() };
        assert!(ask(&numbers, &asked, Err(expired)).is_err());
        assert!(ask(&numbers, &asked, Ok(snapshot(1.0, Utc::now()))).is_ok());
        assert_eq!(asked.load(Ordering::SeqCst), 2);
        assert!(numbers.entry("acct-1", "http://127.0.0.1:2").is_none());
    }

    #[test]
    fn numbers_dated_ahead_of_the_clock_are_never_taken() {
        let dir = tempfile::tempdir().unwrap();
        let asked = AtomicUsize::new(0);
        // Written by a run whose clock was 3 hours fast.
        let ahead = Utc::now() + Duration::hours(3);
        ask(&shared(dir.path(), MaxAge::At(Duration::zero())), &asked, Ok(snapshot(40.0, ahead))).unwrap();
        let read = ask(&shared(dir.path(), MaxAge::Default), &asked, Ok(snapshot(50.0, Utc::now()))).unwrap();
        assert_eq!((asked.load(Ordering::SeqCst), read.windows[0].used_percent), (2, 50.0));
        // Nor by one that waited for the lock while they were written.
        ask(&shared(dir.path(), MaxAge::At(Duration::zero())), &asked, Ok(snapshot(40.0, ahead))).unwrap();
        let numbers = shared(dir.path(), MaxAge::At(Duration::zero()));
        let since = Utc::now();
        assert!(numbers.answer("acct-1", "http://127.0.0.1:1", &credential(None), Utc::now(), Some(since)).is_none());
    }

    #[test]
    fn a_damaged_file_is_asked_past_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let numbers = shared(dir.path(), MaxAge::Default);
        std::fs::write(dir.path().join("acct-1.json"), "{ not json").unwrap();
        let asked = AtomicUsize::new(0);
        assert_eq!(ask(&numbers, &asked, Ok(snapshot(7.0, Utc::now()))).unwrap().windows[0].used_percent, 7.0);
        assert!(numbers.entry("acct-1", "http://127.0.0.1:1").is_some());
    }

    #[test]
    fn one_request_while_another_process_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let numbers = shared(dir.path(), MaxAge::At(Duration::zero()));
        // Another process is asking: it holds the lock, then saves its answer and lets go.
        let held = numbers.path("acct-1", "lock");
        std::fs::create_dir_all(dir.path()).unwrap();
        let other = File::create(&held).unwrap();
        other.lock().unwrap();
        let writer = numbers.clone();
        let release = std::thread::spawn(move || {
            std::thread::sleep(StdDuration::from_millis(300));
            writer.save("acct-1", "http://127.0.0.1:1", &credential(None), &Ok(snapshot(42.0, Utc::now())));
            drop(other);
        });
        let asked = AtomicUsize::new(0);
        let answer = ask(&numbers, &asked, Ok(snapshot(1.0, Utc::now()))).unwrap();
        release.join().unwrap();
        assert_eq!((asked.load(Ordering::SeqCst), answer.windows[0].used_percent), (0, 42.0));
    }
}
