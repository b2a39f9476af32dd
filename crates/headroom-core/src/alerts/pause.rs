//! Pausing alerts: for an hour, or until a limit resets, and kept on disk so a restart does not
//! end it. "Until the limit resets" is offered with the reset it means: the window that blocks
//! Codex, or with none blocking the soonest reset of a window that can; never the furthest.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::humanize::clock;
use crate::model::{LimitId, UsageSnapshot};

/// The file in the data folder that keeps a pause across restarts.
pub const PAUSE_FILE: &str = "alert-pause.json";

/// A pause as saved: alerts are dropped until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedPause {
    pub until: DateTime<Utc>,
}

impl SavedPause {
    /// The saved pause, if it still runs.
    pub fn still_running(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (self.until > now).then_some(self.until)
    }
}

/// "Until the limit resets", said before it is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetPause {
    pub until: DateTime<Utc>,
    /// "Until the 5-hour limit resets (15:34)".
    pub label: String,
}

/// The reset a "pause until the limit resets" waits for; `None` when no window that can block
/// Codex says when it resets.
pub fn until_reset(snapshot: Option<&UsageSnapshot>, now: DateTime<Utc>) -> Option<ResetPause> {
    let snapshot = snapshot?;
    let ahead = |at: &Option<DateTime<Utc>>| at.filter(|at| *at > now);
    let window = match snapshot.blocking_window().filter(|w| ahead(&w.resets_at).is_some()) {
        Some(blocking) => blocking,
        None => snapshot.quota_windows().filter(|w| ahead(&w.resets_at).is_some()).min_by_key(|w| w.resets_at)?,
    };
    let until = window.resets_at?;
    let name = match window.limit {
        LimitId::CreditPool => "monthly credit".to_string(),
        _ => window.length_label(),
    };
    Some(ResetPause { until, label: format!("Until the {name} limit resets ({})", clock(until, now)) })
}

/// "Pause alerts for 1 hour".
pub fn for_an_hour(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::hours(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{UsageWindow, WindowKind};

    fn snapshot(windows: Vec<UsageWindow>) -> UsageSnapshot {
        UsageSnapshot::plus_for_tests(windows, Utc::now())
    }

    #[test]
    fn with_nothing_blocked_the_soonest_reset_not_the_furthest() {
        let now = Utc::now();
        let five = now + Duration::hours(2);
        let week = now + Duration::days(4) + Duration::hours(15);
        let s = snapshot(vec![
            UsageWindow::main(WindowKind::FiveHour, 30.0, Some(five)),
            UsageWindow::main(WindowKind::Weekly, 90.0, Some(week)),
        ]);
        let pause = until_reset(Some(&s), now).unwrap();
        assert_eq!(pause.until, five);
        assert_eq!(pause.label, format!("Until the 5-hour limit resets ({})", clock(five, now)));
    }

    #[test]
    fn the_window_that_blocks_wins() {
        let now = Utc::now();
        let week = now + Duration::days(2);
        let s = snapshot(vec![
            UsageWindow::main(WindowKind::FiveHour, 30.0, Some(now + Duration::hours(2))),
            UsageWindow::main(WindowKind::Weekly, 100.0, Some(week)),
        ]);
        let pause = until_reset(Some(&s), now).unwrap();
        assert_eq!(pause.until, week);
        assert!(pause.label.starts_with("Until the weekly limit resets ("), "{}", pause.label);
    }

    #[test]
    fn no_reset_time_ahead_no_offer() {
        let now = Utc::now();
        assert_eq!(until_reset(None, now), None);
        let s = snapshot(vec![
            UsageWindow::main(WindowKind::FiveHour, 30.0, None),
            UsageWindow::main(WindowKind::Weekly, 40.0, Some(now - Duration::minutes(1))),
        ]);
        assert_eq!(until_reset(Some(&s), now), None);
    }

    #[test]
    fn a_saved_pause_ends_when_its_time_passes() {
        let now = Utc::now();
        assert_eq!(
            SavedPause { until: now + Duration::minutes(5) }.still_running(now),
            Some(now + Duration::minutes(5))
        );
        assert_eq!(SavedPause { until: now - Duration::minutes(5) }.still_running(now), None);
    }
}
