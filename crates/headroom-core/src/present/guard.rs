//! `headroom guard --min-left N [--window 5h|weekly|any]`: whether there is room to start a long
//! Codex job, as an exit code a script can test, and one line that says why. 0 room; 1 the
//! chosen window has less left than asked, or a limit blocks; 2, 3, 4 as `status` when the
//! numbers cannot be had (no login, a refused login, a temporary failure) — and 4 too when all
//! that is left after a failed live read is numbers too old to go by, or a window whose room is
//! only inferred from a reset that has passed since. Numbers that are not live are said with
//! their age on every line.

use chrono::{DateTime, Duration, Utc};

use crate::humanize::{age, blocked_sentence, used_and_left};
use crate::model::{SourceKind, WindowKind};
use crate::status::StatusReport;

/// Which windows the guard looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardWindow {
    /// Every window that can stop Codex.
    Any,
    Kind(WindowKind),
}

/// The guard's answer: its exit code and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardVerdict {
    pub code: u8,
    pub line: String,
}

/// `stale_after`: how old numbers may be and still be gone by (the tray's own rule).
pub fn guard(
    report: &StatusReport,
    min_left: u32,
    window: GuardWindow,
    stale_after: Duration,
    now: DateTime<Utc>,
) -> GuardVerdict {
    let Some(snapshot) = &report.snapshot else {
        let line = report.error.as_ref().map(|e| e.to_string()).unwrap_or_else(|| "No numbers to go by.".into());
        return GuardVerdict { code: report.exit_code().max(1), line };
    };
    let live = snapshot.source == SourceKind::Api && report.error.is_none();
    // Not live: what the numbers are, said on every line.
    let provenance = match snapshot.source {
        _ if live => String::new(),
        SourceKind::SessionLog => format!(" (numbers from Codex's session log, {})", age(snapshot.observed_at, now)),
        SourceKind::Api => format!(" (numbers from {}, not live)", age(snapshot.observed_at, now)),
    };
    let chosen: Vec<_> = snapshot
        .quota_windows()
        .filter(|w| match window {
            GuardWindow::Any => true,
            GuardWindow::Kind(kind) => w.kind == kind,
        })
        .collect();
    if !live {
        // What went wrong with the live read ends the sentence: it carries its own next step.
        let why = match &report.error {
            Some(e) => format!(", and {}", crate::text::decapitalise(&e.to_string())),
            None => "; run `codex login` so Headroom can ask the service.".to_string(),
        };
        let stale = snapshot.is_stale(stale_after, now);
        let inferred = chosen.iter().find(|w| w.reset_since_observed);
        let reason = match (stale, inferred) {
            (true, _) => {
                Some(format!("the numbers left are from {}, too old to go by", age(snapshot.observed_at, now)))
            }
            (false, Some(w)) => Some(format!(
                "the {} window's room is only inferred from a reset that has passed since the numbers were read",
                w.title()
            )),
            (false, None) => None,
        };
        if let Some(reason) = reason {
            return GuardVerdict { code: 4, line: format!("Cannot tell whether there is room: {reason}{why}") };
        }
    }
    if let Some(blocked) = blocked_sentence(snapshot, now, true) {
        return GuardVerdict { code: 1, line: format!("{blocked}{provenance}.") };
    }
    let Some(tightest) = chosen.into_iter().max_by(|a, b| a.used_percent.total_cmp(&b.used_percent)) else {
        let what = match window {
            GuardWindow::Any => "no usage windows".to_string(),
            GuardWindow::Kind(kind) => format!("no {} window", kind.label()),
        };
        return GuardVerdict {
            code: 2,
            line: format!(
                "The numbers have {what}, so there is nothing to hold the job against: choose another --window."
            ),
        };
    };
    let left = used_and_left(tightest.used_percent).1;
    let title = tightest.title();
    if left < min_left {
        GuardVerdict {
            code: 1,
            line: format!("Not enough room: the {title} window has {left}% left ({min_left}% asked){provenance}."),
        }
    } else {
        GuardVerdict {
            code: 0,
            line: format!("Room: the {title} window has {left}% left ({min_left}% asked){provenance}."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::UsageError;
    use crate::model::{CredentialOrigin, UsageSnapshot, UsageWindow};
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
    }

    fn report(five: f64, weekly: f64) -> StatusReport {
        let windows = vec![
            UsageWindow::main(WindowKind::FiveHour, five, Some(now() + Duration::minutes(90))),
            UsageWindow::main(WindowKind::Weekly, weekly, Some(now() + Duration::days(3))),
        ];
        let snapshot = UsageSnapshot::plus_for_tests(windows, now());
        StatusReport { snapshot: Some(snapshot), credential: None, error: None, log_file: None, paces: Vec::new() }
    }

    fn stale() -> Duration {
        Duration::minutes(15)
    }

    fn guard(report: &StatusReport, min_left: u32, window: GuardWindow, now: DateTime<Utc>) -> GuardVerdict {
        super::guard(report, min_left, window, stale(), now)
    }

    #[test]
    fn old_or_inferred_numbers_after_a_failed_live_read_cannot_tell() {
        let failed = UsageError::ServerError { status: 500 };
        // A 9-day-old log, the 5-hour window "100 % left" only because its reset passed.
        let mut old = report(100.0, 40.0);
        let snapshot = old.snapshot.as_mut().unwrap();
        snapshot.source = crate::model::SourceKind::SessionLog;
        snapshot.observed_at = now() - Duration::days(9);
        snapshot.windows[0].reset_since_observed = true;
        snapshot.windows[0].used_percent = 0.0;
        snapshot.limit_reached = false;
        old.error = Some(failed.clone());
        let verdict = guard(&old, 20, GuardWindow::Any, now());
        assert_eq!(verdict.code, 4, "{}", verdict.line);
        assert_eq!(
            verdict.line,
            "Cannot tell whether there is room: the numbers left are from 9 days ago, too old to go by, and the usage service failed (HTTP 500): try again in a few minutes."
        );
        // No live read was tried (no login to ask with): the way to get one.
        let mut unasked = old.clone();
        unasked.error = None;
        assert_eq!(
            guard(&unasked, 20, GuardWindow::Any, now()).line,
            "Cannot tell whether there is room: the numbers left are from 9 days ago, too old to go by; run `codex login` so Headroom can ask the service."
        );
        // Fresh enough, but the room inferred from a reset that passed: still cannot tell.
        let snapshot = old.snapshot.as_mut().unwrap();
        snapshot.observed_at = now() - Duration::minutes(5);
        let verdict = guard(&old, 20, GuardWindow::Any, now());
        assert_eq!(verdict.code, 4);
        assert!(verdict.line.contains("the 5-hour window's room is only inferred from a reset"), "{}", verdict.line);
        // Recent log numbers without an inferred window: an answer, with their age.
        let snapshot = old.snapshot.as_mut().unwrap();
        snapshot.windows[0].reset_since_observed = false;
        snapshot.windows[0].used_percent = 30.0;
        let verdict = guard(&old, 20, GuardWindow::Any, now());
        assert_eq!(verdict.code, 0);
        assert_eq!(
            verdict.line,
            "Room: the Weekly window has 60% left (20% asked) (numbers from Codex's session log, 5 min ago)."
        );
    }

    #[test]
    fn room_not_enough_blocked_and_cannot_tell() {
        let ok = guard(&report(42.0, 17.0), 20, GuardWindow::Any, now());
        assert_eq!(ok, GuardVerdict { code: 0, line: "Room: the 5-hour window has 58% left (20% asked).".into() });
        let low = guard(&report(42.0, 95.0), 10, GuardWindow::Any, now());
        assert_eq!(
            low,
            GuardVerdict { code: 1, line: "Not enough room: the Weekly window has 5% left (10% asked).".into() }
        );
        assert_eq!(
            guard(&report(42.0, 95.0), 10, GuardWindow::Kind(WindowKind::FiveHour), now()).code,
            0,
            "only the 5-hour window"
        );
        let blocked = guard(&report(100.0, 17.0), 0, GuardWindow::Kind(WindowKind::Weekly), now());
        assert_eq!(blocked.code, 1, "a limit blocks whatever window was chosen");
        assert!(blocked.line.starts_with("Blocked by the 5-hour limit until "), "{}", blocked.line);
        let none = guard(&report(42.0, 17.0), 10, GuardWindow::Kind(WindowKind::Monthly), now());
        assert_eq!(none.code, 2);
        let cannot = |error: UsageError| {
            guard(&StatusReport { snapshot: None, error: Some(error), ..report(0.0, 0.0) }, 10, GuardWindow::Any, now())
                .code
        };
        assert_eq!(cannot(UsageError::NoCredentials { detail: None }), 2);
        assert_eq!(cannot(UsageError::Unauthorized { origin: CredentialOrigin::CodexAuthFile, status: 401 }), 3);
        assert_eq!(cannot(UsageError::ServerError { status: 502 }), 4);
    }
}
