//! Scripted numbers that move over time, for `headroom-tray --demo`: no network, no
//! credentials. A ten-minute loop walks through plenty, getting low, nearly out, the weekly
//! limit blocking, and the reset.

use chrono::{DateTime, Duration, Utc};

use crate::model::{Account, Credits, SourceKind, UsageSnapshot, UsageWindow, WindowKind};

const LOOP_SECONDS: i64 = 600;

/// The demo's numbers at `now`.
pub fn snapshot(now: DateTime<Utc>) -> UsageSnapshot {
    let phase = now.timestamp().rem_euclid(LOOP_SECONDS) as f64 / LOOP_SECONDS as f64;
    // The 5-hour window fills over the first 80 % of the loop, then resets.
    let five = if phase < 0.8 { (phase / 0.8 * 104.0).min(100.0) } else { 4.0 };
    // The weekly window creeps up and sits at its limit between 60 % and 80 % of the loop.
    let weekly = match phase {
        p if p < 0.6 => 55.0 + p / 0.6 * 40.0,
        p if p < 0.8 => 100.0,
        _ => 2.0,
    };
    let loop_start = now - Duration::seconds(now.timestamp().rem_euclid(LOOP_SECONDS));
    let window = |kind: WindowKind, used: f64, resets_at: DateTime<Utc>| {
        UsageWindow::main(kind, (used * 10.0).round() / 10.0, Some(resets_at))
    };
    let windows = vec![
        window(WindowKind::FiveHour, five, loop_start + Duration::seconds(LOOP_SECONDS * 8 / 10) + Duration::hours(1)),
        window(WindowKind::Weekly, weekly, loop_start + Duration::seconds(LOOP_SECONDS * 8 / 10) + Duration::days(2)),
    ];
    let limit_reached = windows.iter().any(UsageWindow::is_exhausted);
    UsageSnapshot {
        plan: Some("plus".into()),
        account: Account { email: Some("demo@headroom.app".into()), account_id: Some("demo".into()), user_id: None },
        windows,
        credits: Some(Credits { has_credits: true, balance: Some(4.2), ..Default::default() }),
        limit_reached,
        limit_reached_reason: limit_reached.then(|| "rate_limit_reached".into()),
        spend_control: None,
        reset_credits: Some(1),
        unreadable: Vec::new(),
        switched_off: Vec::new(),
        reset_credit_list: None,
        observed_at: now,
        source: SourceKind::Api,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_loop_visits_every_state() {
        let start = Utc.timestamp_opt(1_795_000_200, 0).unwrap(); // a loop boundary
        let at = |s: i64| snapshot(start + Duration::seconds(s));
        assert!(at(0).windows[0].used_percent < 5.0);
        assert!(at(400).windows[0].used_percent > 80.0 && !at(100).limit_reached);
        let blocked = at(420);
        assert!(blocked.limit_reached);
        assert_eq!(blocked.blocking_window().unwrap().kind, WindowKind::Weekly);
        assert!(!at(500).limit_reached, "reset near the end of the loop");
    }
}
