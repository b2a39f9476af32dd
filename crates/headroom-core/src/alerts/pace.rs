//! Pace, as alert-rules.md defines it: within a window of length L that started at
//! `resets_at - L`, even pace at time t is `(t - start) / L * 100 %`; use above it is a deficit,
//! below it a reserve. The run-out is where the current rate (from this cycle's samples) reaches
//! 100 %, reported only once 5 % of the window has passed and the cycle has two samples.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::model::UsageWindow;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pace {
    /// Where even use would be now.
    pub expected_percent: f64,
    /// Used minus expected: above 0 a deficit, below 0 a reserve.
    pub deficit_percent: f64,
    /// `None` until there is enough to tell (see `verdict`).
    pub verdict: Option<Verdict>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "at")]
pub enum Verdict {
    LastsUntilReset,
    RunsOutAt(DateTime<Utc>),
}

impl Pace {
    pub fn runs_out_at(&self) -> Option<DateTime<Utc>> {
        match self.verdict {
            Some(Verdict::RunsOutAt(at)) => Some(at),
            _ => None,
        }
    }
}

/// The pace of `window` at `now`, from the samples of its current cycle (oldest first, the
/// current one included or not). `None` for a window without a reset time or length.
pub fn pace(window: &UsageWindow, samples: &[(DateTime<Utc>, f64)], now: DateTime<Utc>) -> Option<Pace> {
    let resets_at = window.resets_at?;
    let length = window.window_seconds.or(window.kind.nominal_seconds()).filter(|l| *l > 0)?;
    // Whatever the service or a log says, time arithmetic stays in range: a window that starts
    // before the representable past has no pace.
    let start = resets_at.checked_sub_signed(Duration::try_seconds(length)?)?;
    let elapsed = (now - start).num_seconds().clamp(0, length);
    let expected_percent = elapsed as f64 / length as f64 * 100.0;
    let used = window.used_clamped();
    let deficit_percent = used - expected_percent;

    // The rate over this cycle: from its first sample to now.
    let first = samples.iter().find(|(at, _)| *at >= start && *at <= now);
    let enough = elapsed as f64 >= 0.05 * length as f64 && samples.iter().filter(|(at, _)| *at >= start).count() >= 2;
    let verdict = match first {
        Some((since, used_then)) if enough && *since < now => {
            let rate = (used - used_then) / (now - *since).num_seconds() as f64; // % per second
            if used >= 100.0 {
                Some(Verdict::RunsOutAt(now))
            } else if rate <= 0.0 {
                Some(Verdict::LastsUntilReset)
            } else {
                let seconds = ((100.0 - used) / rate).min(length as f64);
                match Duration::try_seconds(seconds as i64).and_then(|d| now.checked_add_signed(d)) {
                    Some(out) if out < resets_at => Some(Verdict::RunsOutAt(out)),
                    _ => Some(Verdict::LastsUntilReset),
                }
            }
        }
        _ => None,
    };
    Some(Pace { expected_percent, deficit_percent, verdict })
}

/// "runs out in ~2 h 10 m" or "lasts until reset", once there is enough to tell.
pub fn verdict_phrase(pace: &Pace, now: DateTime<Utc>) -> Option<String> {
    match pace.verdict? {
        Verdict::LastsUntilReset => Some("lasts until reset".into()),
        Verdict::RunsOutAt(at) => Some(format!("runs out in ~{}", short_duration(at - now))),
    }
}

/// "runs out in ~2 h 10 m", "lasts until reset", or how far ahead or behind even pace.
pub fn describe(pace: &Pace, now: DateTime<Utc>) -> String {
    let against = if pace.deficit_percent.abs() < 1.0 {
        "on even pace".to_string()
    } else if pace.deficit_percent > 0.0 {
        format!("{:.0}% ahead of even pace", pace.deficit_percent)
    } else {
        format!("{:.0}% in reserve", -pace.deficit_percent)
    };
    match verdict_phrase(pace, now) {
        Some(verdict) => format!("{against}, {verdict}"),
        None => against,
    }
}

fn short_duration(d: Duration) -> String {
    let minutes = d.num_minutes().max(1);
    match (minutes / 1440, minutes / 60 % 24, minutes % 60) {
        (0, 0, m) => format!("{m} m"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} m"),
        (days, h, _) => format!("{days} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LimitId, WindowKind};

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0).unwrap()
    }

    /// A 5-hour window that started at minute 0.
    fn five_hour(used: f64) -> UsageWindow {
        UsageWindow {
            limit: LimitId::Codex,
            limit_name: None,
            kind: WindowKind::FiveHour,
            window_seconds: Some(18_000),
            used_percent: used,
            resets_at: Some(at(300)),
            reset_since_observed: false,
            credits: None,
            observed: None,
            model: None,
        }
    }

    #[test]
    fn deficit_and_run_out_from_the_cycle_rate() {
        // 60 % used after 2 h, from 10 % at 20 minutes: 50 % in 100 minutes, so the remaining 40 %
        // takes 80 minutes: out at 3 h 20 m, before the reset at 5 h.
        let window = five_hour(60.0);
        let samples = [(at(20), 10.0), (at(120), 60.0)];
        let p = pace(&window, &samples, at(120)).unwrap();
        assert!((p.expected_percent - 40.0).abs() < 1e-9);
        assert!((p.deficit_percent - 20.0).abs() < 1e-9);
        assert_eq!(p.runs_out_at(), Some(at(200)));
        assert_eq!(describe(&p, at(120)), "20% ahead of even pace, runs out in ~1 h 20 m");
    }

    #[test]
    fn a_slow_rate_lasts_until_reset() {
        let p = pace(&five_hour(20.0), &[(at(30), 10.0), (at(150), 20.0)], at(150)).unwrap();
        assert_eq!(p.verdict, Some(Verdict::LastsUntilReset));
        assert_eq!(describe(&p, at(150)), "30% in reserve, lasts until reset");
    }

    #[test]
    fn a_fresh_window_or_a_single_sample_gives_no_verdict() {
        // 10 minutes into 5 hours is under 5 % of the window.
        let fresh = pace(&five_hour(8.0), &[(at(1), 1.0), (at(10), 8.0)], at(10)).unwrap();
        assert_eq!(fresh.verdict, None);
        assert_eq!(describe(&fresh, at(10)), "5% ahead of even pace");
        let single = pace(&five_hour(50.0), &[(at(100), 50.0)], at(100)).unwrap();
        assert_eq!(single.verdict, None);
        // Samples of the previous cycle do not count.
        let old = pace(&five_hour(50.0), &[(at(-200), 90.0), (at(100), 50.0)], at(100)).unwrap();
        assert_eq!(old.verdict, None);
    }

    #[test]
    fn at_the_limit_it_has_run_out_and_windows_without_a_reset_have_no_pace() {
        let p = pace(&five_hour(100.0), &[(at(20), 50.0), (at(100), 100.0)], at(100)).unwrap();
        assert_eq!(p.runs_out_at(), Some(at(100)));
        let mut no_reset = five_hour(10.0);
        no_reset.resets_at = None;
        assert!(pace(&no_reset, &[], at(0)).is_none());
        assert_eq!(short_duration(Duration::minutes(3 * 1440 + 125)), "3 d 2 h");
    }
}
