//! Every rule of alert-rules.md as a scenario: a sequence of samples and the alerts each one
//! must (and must not) produce.

use chrono::{DateTime, Duration, Local, NaiveTime, TimeZone, Timelike, Utc};
use headroom_core::alerts::engine::{merge, AlertEngine, AlertKind, AlertState, UserPause};
use headroom_core::alerts::key::CredentialKey;
use headroom_core::model::{AccountKey, CredentialOrigin};
use headroom_core::model::{
    Credits, LimitId, PoolCredits, SourceKind, SpendControl, UsageSnapshot, UsageWindow, WindowKind,
};
use headroom_core::settings::{QuietHours, Settings};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

fn minutes(m: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(m)
}

fn window(kind: WindowKind, used: f64, resets_at: DateTime<Utc>) -> UsageWindow {
    UsageWindow::main(kind, used, Some(resets_at))
}

/// A Plus sample at minute `at`: the 5-hour window (used, reset minute) and the weekly one.
fn sample(at: i64, five: (f64, i64), weekly: (f64, i64)) -> UsageSnapshot {
    let windows = vec![
        window(WindowKind::FiveHour, five.0, minutes(five.1)),
        window(WindowKind::Weekly, weekly.0, minutes(weekly.1)),
    ];
    headroom_testkit::snapshot::snapshot("plus", None, windows, minutes(at))
}

const WEEK: i64 = 7 * 24 * 60;

fn acct() -> AccountKey {
    AccountKey::from_stored("acct")
}

fn credential(account: &str, origin: CredentialOrigin) -> CredentialKey {
    CredentialKey { origin, account: Some(account.into()), expires_at: None }
}

/// Feeds samples and returns, per sample, the alert kinds that came out. The clock reads the
/// latest sample's time so far: an older sample arrives late, not from the future.
fn run(engine: &mut AlertEngine, settings: &Settings, samples: &[UsageSnapshot]) -> Vec<Vec<AlertKind>> {
    let mut now = samples.first().map(|s| s.observed_at).unwrap_or_else(t0);
    samples
        .iter()
        .map(|s| {
            now = now.max(s.observed_at);
            engine.observe(s, &acct(), settings, UserPause::default(), now).into_iter().map(|a| a.kind).collect()
        })
        .collect()
}

fn threshold(kind: WindowKind, percent: u8) -> AlertKind {
    AlertKind::Threshold { window: kind, percent }
}

use WindowKind::{FiveHour, Weekly};

#[test]
fn the_first_sample_sets_the_baseline_silently_then_crossings_fire() {
    let mut engine = AlertEngine::new(AlertState::default());
    let got = run(
        &mut engine,
        &Settings::default(),
        &[
            sample(0, (85.0, 120), (10.0, WEEK)), // baseline: already past 80, silent
            sample(5, (86.0, 120), (10.0, WEEK)),
            sample(10, (96.0, 120), (10.0, WEEK)), // crosses 95
            sample(15, (97.0, 120), (10.0, WEEK)), // still above: nothing (edge-triggered)
        ],
    );
    assert_eq!(got, vec![vec![], vec![], vec![threshold(FiveHour, 95)], vec![]]);
}

#[test]
fn a_window_already_at_its_limit_at_start_up_gives_one_limit_reached() {
    let mut engine = AlertEngine::new(AlertState::default());
    let got = run(
        &mut engine,
        &Settings::default(),
        &[sample(0, (100.0, 120), (40.0, WEEK)), sample(5, (100.0, 120), (40.0, WEEK))],
    );
    assert_eq!(got, vec![vec![AlertKind::LimitReached { window: FiveHour }], vec![]]);
}

#[test]
fn several_thresholds_in_one_jump_fire_only_the_highest() {
    let mut engine = AlertEngine::new(AlertState::default());
    let got = run(
        &mut engine,
        &Settings::default(),
        &[
            sample(0, (50.0, 120), (10.0, WEEK)),
            sample(5, (97.0, 120), (10.0, WEEK)), // over 80 and 95 at once
            sample(10, (98.0, 120), (10.0, WEEK)),
            sample(15, (100.0, 120), (10.0, WEEK)),
            sample(20, (100.0, 120), (10.0, WEEK)),
        ],
    );
    assert_eq!(
        got,
        vec![vec![], vec![threshold(FiveHour, 95)], vec![], vec![AlertKind::LimitReached { window: FiveHour }], vec![]]
    );
}

#[test]
fn a_jump_straight_to_the_limit_is_one_limit_reached() {
    let mut engine = AlertEngine::new(AlertState::default());
    let got = run(
        &mut engine,
        &Settings::default(),
        &[sample(0, (50.0, 120), (10.0, WEEK)), sample(5, (100.0, 120), (10.0, WEEK))],
    );
    assert_eq!(got, vec![vec![], vec![AlertKind::LimitReached { window: FiveHour }]]);
}

#[test]
fn jittering_reset_times_are_one_cycle() {
    let mut engine = AlertEngine::new(AlertState::default());
    let mut samples = vec![sample(0, (70.0, 120), (10.0, WEEK))];
    for (i, jitter_seconds) in [17, -40, 95, -3, 61, 0].iter().enumerate() {
        let mut s = sample(5 * (i as i64 + 1), (81.0, 120), (10.0, WEEK));
        s.windows[0].resets_at = Some(minutes(120) + Duration::seconds(*jitter_seconds));
        samples.push(s);
    }
    let got = run(&mut engine, &Settings::default(), &samples);
    assert_eq!(got.concat(), vec![threshold(FiveHour, 80)], "{got:?}");
}

#[test]
fn a_new_cycle_re_arms_and_a_drop_below_re_arms() {
    let mut engine = AlertEngine::new(AlertState::default());
    let got = run(
        &mut engine,
        &Settings::default(),
        &[
            sample(0, (70.0, 120), (10.0, WEEK)),
            sample(5, (81.0, 120), (10.0, WEEK)),   // fires 80
            sample(125, (5.0, 420), (12.0, WEEK)),  // the window reset: new cycle
            sample(300, (82.0, 420), (15.0, WEEK)), // fires 80 again, in the new cycle
            sample(305, (60.0, 420), (15.0, WEEK)), // dropped below: re-armed
            sample(310, (80.0, 420), (15.0, WEEK)), // crosses again
        ],
    );
    assert_eq!(
        got,
        vec![
            vec![],
            vec![threshold(FiveHour, 80)],
            vec![],
            vec![threshold(FiveHour, 80)],
            vec![],
            vec![threshold(FiveHour, 80)]
        ]
    );
}

#[test]
fn a_passed_reset_still_reported_is_the_old_cycle() {
    // The service sometimes keeps sending the old reset time for a poll or two after it passed.
    let mut engine = AlertEngine::new(AlertState::default());
    let got = run(
        &mut engine,
        &Settings::default(),
        &[
            sample(0, (70.0, 120), (10.0, WEEK)),
            sample(5, (81.0, 120), (10.0, WEEK)),
            sample(121, (81.0, 120), (10.0, WEEK)),
            sample(122, (81.0, 120), (10.0, WEEK)),
        ],
    );
    assert_eq!(got.concat(), vec![threshold(FiveHour, 80)]);
}

#[test]
fn memory_saved_while_the_clock_was_ahead_does_not_silence_alerts() {
    let settings = Settings::default();
    // A run with the clock 3 hours ahead (minutes 180–185), then a restart on the right time.
    let mut ahead = AlertEngine::new(AlertState::default());
    let got = run(&mut ahead, &settings, &[sample(180, (70.0, 300), (10.0, WEEK))]);
    assert_eq!(got.concat(), vec![]);
    let mut engine = AlertEngine::new(serde_json::from_str(&serde_json::to_string(ahead.state()).unwrap()).unwrap());
    let got =
        run(&mut engine, &settings, &[sample(0, (75.0, 300), (10.0, WEEK)), sample(5, (85.0, 300), (10.0, WEEK))]);
    assert_eq!(got.concat(), vec![threshold(FiveHour, 80)], "samples on the right time are not dropped as older");

    // A window at its limit with no reset time, seen while the clock was ahead: room again on
    // the right time is good news, not held back for 3 hours.
    let mut ahead = AlertEngine::new(AlertState::default());
    let no_reset = |at: i64, used: f64| {
        let mut s = sample(at, (used, 300), (10.0, WEEK));
        s.windows[0].resets_at = None;
        s
    };
    let got = run(&mut ahead, &settings, &[no_reset(180, 70.0), no_reset(185, 100.0)]);
    assert_eq!(got.concat(), vec![AlertKind::LimitReached { window: FiveHour }]);
    let mut engine = AlertEngine::new(serde_json::from_str(&serde_json::to_string(ahead.state()).unwrap()).unwrap());
    let got = run(&mut engine, &settings, &[no_reset(10, 30.0)]);
    assert_eq!(got.concat(), vec![AlertKind::AvailableAgain { window: FiveHour }]);
}

#[test]
fn a_restart_mid_cycle_remembers_what_fired() {
    let settings = Settings::default();
    let mut first = AlertEngine::new(AlertState::default());
    let got = run(&mut first, &settings, &[sample(0, (70.0, 120), (10.0, WEEK)), sample(5, (85.0, 120), (10.0, WEEK))]);
    assert_eq!(got.concat(), vec![threshold(FiveHour, 80)]);
    // Persisted and read back, as the app does across a restart.
    let saved = serde_json::to_string(first.state()).unwrap();
    let mut second = AlertEngine::new(serde_json::from_str(&saved).unwrap());
    let got =
        run(&mut second, &settings, &[sample(20, (88.0, 120), (10.0, WEEK)), sample(25, (96.0, 120), (10.0, WEEK))]);
    assert_eq!(got, vec![vec![], vec![threshold(FiveHour, 95)]], "no repeat of 80; 95 still fires");

    // At the limit across a restart: "limit reached" is not said twice in one cycle.
    let mut third = AlertEngine::new(second.state().clone());
    let got = run(&mut third, &settings, &[sample(30, (100.0, 120), (10.0, WEEK))]);
    assert_eq!(got.concat(), vec![AlertKind::LimitReached { window: FiveHour }]);
    let mut fourth = AlertEngine::new(third.state().clone());
    let got = run(&mut fourth, &settings, &[sample(35, (100.0, 120), (10.0, WEEK))]);
    assert_eq!(got.concat(), vec![]);
}

#[test]
fn the_weekly_limit_still_blocks_after_the_five_hour_reset() {
    let mut engine = AlertEngine::new(AlertState::default());
    let got = run(
        &mut engine,
        &Settings::default(),
        &[
            sample(0, (90.0, 60), (99.0, 3 * 24 * 60)),
            sample(10, (100.0, 60), (100.0, 3 * 24 * 60)), // both at the limit
            sample(61, (0.0, 360), (100.0, 3 * 24 * 60)),  // the 5-hour window reset, weekly still out
            sample(66, (0.0, 360), (100.0, 3 * 24 * 60)),
            sample(3 * 24 * 60 + 1, (0.0, 3 * 24 * 60 + 300), (0.0, 10 * 24 * 60)), // the weekly reset
            sample(3 * 24 * 60 + 6, (1.0, 3 * 24 * 60 + 300), (0.0, 10 * 24 * 60)),
        ],
    );
    assert_eq!(
        got,
        vec![
            vec![],
            vec![AlertKind::LimitReached { window: FiveHour }, AlertKind::LimitReached { window: Weekly }],
            vec![AlertKind::StillBlocked { window: FiveHour, blocked_by: Weekly }],
            vec![],
            vec![AlertKind::AvailableAgain { window: Weekly }],
            vec![],
        ]
    );
}

#[test]
fn good_news_waits_for_the_reset_and_a_fresh_sample() {
    let mut engine = AlertEngine::new(AlertState::default());
    let got = run(
        &mut engine,
        &Settings::default(),
        &[
            sample(0, (100.0, 60), (50.0, WEEK)),
            sample(30, (97.0, 60), (50.0, WEEK)), // the service corrects itself before the reset: not yet
            sample(45, (100.0, 60), (50.0, WEEK)),
            sample(61, (2.0, 360), (50.0, WEEK)), // after the reset, with room
        ],
    );
    assert_eq!(
        got,
        vec![
            vec![AlertKind::LimitReached { window: FiveHour }],
            vec![],
            vec![],
            vec![AlertKind::AvailableAgain { window: FiveHour }]
        ]
    );
}

#[test]
fn a_session_log_snapshot_showing_the_reset_is_not_a_fresh_sample() {
    let mut engine = AlertEngine::new(AlertState::default());
    let settings = Settings::default();
    run(&mut engine, &settings, &[sample(0, (100.0, 60), (50.0, WEEK))]);
    // Codex's log from before the reset, with the passed reset applied: used 0, reset unknown.
    let mut log = sample(0, (100.0, 60), (50.0, WEEK));
    log.source = SourceKind::SessionLog;
    let log = log.with_resets_applied(minutes(70));
    assert_eq!(engine.observe(&log, &acct(), &settings, UserPause::default(), minutes(70)), vec![]);
    let got = run(&mut engine, &settings, &[sample(71, (0.0, 360), (50.0, WEEK))]);
    assert_eq!(got.concat(), vec![AlertKind::AvailableAgain { window: FiveHour }], "said once, by the live sample");
}

#[test]
fn out_of_order_and_stale_samples_change_nothing() {
    let mut engine = AlertEngine::new(AlertState::default());
    let got = run(
        &mut engine,
        &Settings::default(),
        &[
            sample(0, (70.0, 120), (10.0, WEEK)),
            sample(10, (81.0, 120), (10.0, WEEK)),
            sample(5, (96.0, 120), (10.0, WEEK)), // older than the last: ignored
            sample(4, (100.0, 120), (10.0, WEEK)),
            sample(15, (82.0, 120), (10.0, WEEK)),
        ],
    );
    assert_eq!(got, vec![vec![], vec![threshold(FiveHour, 80)], vec![], vec![], vec![]]);
}

#[test]
fn thresholds_per_window_kind_and_toggles() {
    let mut settings = Settings::default();
    settings.thresholds.insert(Weekly, vec![50]);
    settings.toggles.limit_reached = false;
    let mut engine = AlertEngine::new(AlertState::default());
    let got = run(
        &mut engine,
        &settings,
        &[
            sample(0, (10.0, 120), (40.0, WEEK)),
            sample(5, (10.0, 120), (55.0, WEEK)),
            sample(10, (100.0, 120), (55.0, WEEK)),
        ],
    );
    assert_eq!(got, vec![vec![], vec![threshold(Weekly, 50)], vec![]], "limit reached is switched off");

    let off = Settings { alerts_enabled: false, ..Settings::default() };
    let mut engine = AlertEngine::new(AlertState::default());
    let got = run(&mut engine, &off, &[sample(0, (10.0, 120), (40.0, WEEK)), sample(5, (100.0, 120), (95.0, WEEK))]);
    assert_eq!(got.concat(), vec![]);
}

#[test]
fn quiet_hours_hold_alerts_and_sum_them_up_after() {
    // Quiet hours around the test's own "now", in local time whatever the machine's zone.
    let now_local = minutes(5).with_timezone(&Local).time();
    let hour = now_local.hour();
    let settings = Settings {
        quiet_hours: Some(QuietHours {
            start: NaiveTime::from_hms_opt(hour, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt((hour + 1) % 24, 0, 0).unwrap(),
        }),
        ..Settings::default()
    };
    let mut engine = AlertEngine::new(AlertState::default());
    let got = run(
        &mut engine,
        &settings,
        &[
            sample(0, (70.0, 120), (10.0, WEEK)),
            sample(5, (85.0, 120), (10.0, WEEK)),
            sample(6, (100.0, 120), (10.0, WEEK)),
        ],
    );
    assert_eq!(got.concat(), vec![], "held during quiet hours");
    assert!(engine.release_held(&settings, minutes(7)).is_none(), "still quiet");
    let after = minutes(5) + Duration::hours(1) + Duration::minutes(1) - Duration::minutes(now_local.minute() as i64);
    let summary = engine.release_held(&settings, after).expect("a summary after quiet hours");
    assert_eq!(summary.kind, AlertKind::Summary { count: 2 });
    assert!(
        summary.body.contains("Codex 5-hour limit 80% used") && summary.body.contains("Codex 5-hour limit reached"),
        "{}",
        summary.body
    );
    assert!(engine.release_held(&settings, after).is_none(), "summarised once");
}

#[test]
fn snooze_until_reset_and_pause() {
    let settings = Settings::default();
    let mut engine = AlertEngine::new(AlertState::default());
    let first = sample(0, (70.0, 120), (10.0, WEEK));
    run(&mut engine, &settings, std::slice::from_ref(&first));
    engine.snooze_until_reset(&acct(), &first.windows[0]);
    let got = run(
        &mut engine,
        &settings,
        &[
            sample(5, (85.0, 120), (10.0, WEEK)),
            sample(125, (5.0, 420), (10.0, WEEK)),
            sample(130, (81.0, 420), (10.0, WEEK)),
        ],
    );
    assert_eq!(got, vec![vec![], vec![], vec![threshold(FiveHour, 80)]], "silent until the reset, then armed again");

    let mut engine = AlertEngine::new(AlertState::default());
    run(&mut engine, &settings, &[sample(0, (70.0, 120), (10.0, WEEK))]);
    let pause = UserPause { until: Some(minutes(60)) };
    let s = sample(5, (85.0, 120), (10.0, WEEK));
    assert_eq!(engine.observe(&s, &acct(), &settings, pause, minutes(5)), vec![], "paused");
    let s = sample(65, (96.0, 120), (10.0, WEEK));
    let kinds: Vec<_> =
        engine.observe(&s, &acct(), &settings, pause, minutes(65)).into_iter().map(|a| a.kind).collect();
    assert_eq!(kinds, vec![threshold(FiveHour, 95)], "the pause is over");
}

#[test]
fn token_expiry_warns_within_three_days_then_within_one() {
    let settings = Settings::default();
    let mut engine = AlertEngine::new(AlertState::default());
    let expires = minutes(0) + Duration::days(4);
    let mut at = |now: DateTime<Utc>| -> Vec<AlertKind> {
        engine
            .token_expiry(
                &credential("acct", CredentialOrigin::CodexAuthFile),
                CredentialOrigin::CodexAuthFile,
                expires,
                &settings,
                UserPause::default(),
                now,
            )
            .into_iter()
            .map(|a| a.kind)
            .collect()
    };
    assert_eq!(at(minutes(0)), vec![]);
    assert_eq!(at(minutes(0) + Duration::hours(30)), vec![AlertKind::TokenExpiring { within_days: 3 }]);
    assert_eq!(at(minutes(0) + Duration::hours(40)), vec![]);
    assert_eq!(at(minutes(0) + Duration::hours(80)), vec![AlertKind::TokenExpiring { within_days: 1 }]);
    assert_eq!(at(minutes(0) + Duration::hours(90)), vec![]);
    assert_eq!(at(minutes(0) + Duration::hours(100)), vec![], "expired: nothing");

    // First seen with less than a day left: one alert, the urgent one.
    let mut engine = AlertEngine::new(AlertState::default());
    let alerts = engine.token_expiry(
        &credential("k2", CredentialOrigin::Keychain),
        CredentialOrigin::Keychain,
        minutes(600),
        &settings,
        UserPause::default(),
        minutes(0),
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].kind, AlertKind::TokenExpiring { within_days: 1 });
    assert_eq!(alerts[0].title, "The token pasted into Headroom expires in 10 hours");
}

#[test]
fn credentials_rejected_once_per_credential() {
    let settings = Settings::default();
    let mut engine = AlertEngine::new(AlertState::default());
    let mut rejected = |key: &str| {
        engine
            .credentials_rejected(
                &credential(key, CredentialOrigin::CodexAuthFile),
                CredentialOrigin::CodexAuthFile,
                &settings,
                UserPause::default(),
                minutes(0),
            )
            .len()
    };
    assert_eq!((rejected("a"), rejected("a"), rejected("b")), (1, 0, 1));
}

#[test]
fn titles_read_at_a_glance_and_one_poll_is_one_notification() {
    let mut engine = AlertEngine::new(AlertState::default());
    let settings = Settings::default();
    run(&mut engine, &settings, &[sample(0, (50.0, 133), (70.0, WEEK))]);
    let s = sample(1, (81.0, 133), (100.0, WEEK));
    let alerts = engine.observe(&s, &acct(), &settings, UserPause::default(), minutes(1));
    assert_eq!(alerts.len(), 2);
    let expected_clock = headroom_core::humanize::clock(minutes(133), minutes(1));
    assert_eq!(alerts[0].title, format!("Codex 5-hour limit 80% used — resets {expected_clock}"));
    assert_eq!(alerts[0].body, format!("19% left until {expected_clock} (in 2 h 12 m)."));
    assert_eq!(alerts[1].title, "Codex weekly limit reached");
    assert!(alerts[1].body.starts_with("Codex is blocked until "), "{}", alerts[1].body);
    assert_ne!(alerts[0].identity, alerts[1].identity, "one identity per window");
    let merged = merge(alerts).unwrap();
    assert_eq!(merged.title, "2 Codex alerts");
    assert_eq!(merged.body.lines().count(), 2);
}

/// The pace alert (opt-in): once per cycle when the rate runs the window out before its reset,
/// re-armed by a new cycle; never when it lasts, when off, or when the window is already out.
#[test]
fn pace_alert_fires_once_per_cycle_when_the_window_will_run_out_first() {
    use headroom_core::alerts::pace::pace;
    let mut settings = Settings::default();
    settings.toggles.pace = true;
    let mut engine = AlertEngine::new(AlertState::default());
    // The 5-hour window started at minute -60 (resets at 240): 10 % then, 50 % at minute 60.
    let history: Vec<(DateTime<Utc>, f64)> = vec![(minutes(0), 10.0), (minutes(60), 50.0)];
    let paced = |s: &UsageSnapshot, samples: &[(DateTime<Utc>, f64)]| -> Vec<_> {
        s.windows
            .iter()
            .map(|w| if w.kind == WindowKind::FiveHour { pace(w, samples, s.observed_at) } else { None })
            .collect()
    };
    let pace_alerts =
        |engine: &mut AlertEngine, s: &UsageSnapshot, samples: &[(DateTime<Utc>, f64)], settings: &Settings| {
            engine.observe(s, &acct(), settings, UserPause::default(), s.observed_at);
            engine.pace(s, &paced(s, samples), &acct(), settings, UserPause::default(), s.observed_at)
        };

    let now = sample(60, (50.0, 240), (20.0, WEEK));
    let alerts = pace_alerts(&mut engine, &now, &history, &settings);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].kind, AlertKind::Pace { window: WindowKind::FiveHour });
    assert!(alerts[0].title.starts_with("Codex 5-hour limit runs out in ~1 h 15 m"), "{}", alerts[0].title);
    let body = &alerts[0].body;
    assert!(body.starts_with("At this rate it lasts until ") && body.contains(", before it resets at "), "{body}");

    // Still on the same course ten minutes later: nothing more this cycle.
    let later = sample(70, (57.0, 240), (20.0, WEEK));
    assert!(pace_alerts(&mut engine, &later, &[(minutes(0), 10.0), (minutes(70), 57.0)], &settings).is_empty());

    // The next cycle re-arms it.
    let next = sample(400, (70.0, 540), (25.0, WEEK));
    let alerts = pace_alerts(&mut engine, &next, &[(minutes(300), 5.0), (minutes(400), 70.0)], &settings);
    assert_eq!(alerts.len(), 1);

    // A rate that lasts until the reset, or the toggle off, says nothing.
    let mut calm = AlertEngine::new(AlertState::default());
    assert!(pace_alerts(
        &mut calm,
        &sample(60, (20.0, 240), (20.0, WEEK)),
        &[(minutes(0), 15.0), (minutes(60), 20.0)],
        &settings
    )
    .is_empty());
    let mut off = AlertEngine::new(AlertState::default());
    assert!(pace_alerts(&mut off, &now, &history, &Settings::default()).is_empty());
}

/// A sample with the account's credits.
fn with_credits(mut snapshot: UsageSnapshot, balance: f64) -> UsageSnapshot {
    snapshot.credits = Some(Credits { has_credits: true, balance: Some(balance), ..Default::default() });
    snapshot
}

#[test]
fn a_limit_reached_with_credits_says_codex_now_spends_them_once_per_cycle() {
    let mut engine = AlertEngine::new(AlertState::default());
    let settings = Settings::default();
    let samples = [
        with_credits(sample(0, (60.0, 120), (10.0, WEEK)), 9.99),
        with_credits(sample(5, (100.0, 120), (10.0, WEEK)), 9.99),
        with_credits(sample(10, (100.0, 120), (10.0, WEEK)), 9.50),
        // The next cycle reaches it again: told again.
        with_credits(sample(130, (100.0, 420), (11.0, WEEK)), 9.00),
    ];
    let alerts: Vec<_> =
        samples.iter().map(|s| engine.observe(s, &acct(), &settings, UserPause::default(), s.observed_at)).collect();
    assert_eq!(alerts[1].len(), 1);
    assert_eq!(alerts[1][0].kind, AlertKind::CreditsInUse { window: FiveHour });
    assert_eq!(alerts[1][0].title, "Codex 5-hour limit reached — now using your credits (balance 9.99)");
    assert!(alerts[1][0].body.starts_with("Codex spends your credits until "), "{}", alerts[1][0].body);
    assert!(alerts[2].is_empty(), "once per cycle");
    assert_eq!(
        alerts[3].iter().map(|a| a.kind.clone()).collect::<Vec<_>>(),
        [AlertKind::CreditsInUse { window: FiveHour }]
    );

    // Opted out: the plain limit alert, which says Codex goes on with the credits.
    let mut engine = AlertEngine::new(AlertState::default());
    let mut settings = Settings::default();
    settings.toggles.credits_in_use = false;
    engine.observe(&samples[0], &acct(), &settings, UserPause::default(), samples[0].observed_at);
    let alerts = engine.observe(&samples[1], &acct(), &settings, UserPause::default(), samples[1].observed_at);
    assert_eq!(alerts[0].kind, AlertKind::LimitReached { window: FiveHour });
    assert!(alerts[0].body.starts_with("Codex goes on with your credits until "), "{}", alerts[0].body);

    // No credits, or past the workspace's overage cap: Codex is blocked, and the alert says so.
    let mut engine = AlertEngine::new(AlertState::default());
    let mut capped = with_credits(sample(5, (100.0, 120), (10.0, WEEK)), 3.0);
    capped.credits.as_mut().unwrap().overage_limit_reached = true;
    engine.observe(
        &sample(0, (60.0, 120), (10.0, WEEK)),
        &acct(),
        &Settings::default(),
        UserPause::default(),
        minutes(0),
    );
    let alerts = engine.observe(&capped, &acct(), &Settings::default(), UserPause::default(), minutes(5));
    assert_eq!(alerts[0].kind, AlertKind::LimitReached { window: FiveHour });
    assert!(alerts[0].body.starts_with("Codex is blocked until "), "{}", alerts[0].body);
}

#[test]
fn low_credits_alert_once_per_crossing_and_only_when_asked_for() {
    let balances = [12.0, 6.0, 4.0, 3.0, 7.0, 2.0];
    let feed = |settings: &Settings| {
        let mut engine = AlertEngine::new(AlertState::default());
        balances
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let s = with_credits(sample(i as i64 * 5, (10.0, 120), (10.0, WEEK)), *b);
                engine.observe(&s, &acct(), settings, UserPause::default(), s.observed_at)
            })
            .collect::<Vec<_>>()
    };
    assert!(feed(&Settings::default()).iter().all(Vec::is_empty), "off by default");
    let mut settings = Settings { credits_low_below: Some(5.0), ..Settings::default() };
    let got = feed(&settings);
    let fired: Vec<usize> = got.iter().enumerate().filter(|(_, a)| !a.is_empty()).map(|(i, _)| i).collect();
    assert_eq!(fired, [2, 5], "below 5 at 4.00, re-armed at 7.00, again at 2.00");
    assert_eq!(got[2][0].kind, AlertKind::CreditsLow { below: 5.0 });
    assert_eq!(got[2][0].title, "Codex credits are running low: 4.00 left");

    // Quiet hours hold it like any alert.
    let now = Local::now();
    let start = NaiveTime::from_hms_opt(now.hour(), 0, 0).unwrap();
    settings.quiet_hours = Some(QuietHours { start, end: start + Duration::hours(2) });
    let mut engine = AlertEngine::new(AlertState::default());
    let t = Utc::now();
    for (i, b) in [8.0, 3.0].iter().enumerate() {
        let mut s = with_credits(sample(0, (10.0, 120), (10.0, WEEK)), *b);
        s.observed_at = t + Duration::minutes(i as i64);
        assert!(engine.observe(&s, &acct(), &settings, UserPause::default(), s.observed_at).is_empty());
    }
    settings.quiet_hours = None;
    let summary = engine.release_held(&settings, t + Duration::minutes(3)).unwrap();
    assert!(summary.body.contains("Codex credits are running low: 3.00 left"), "{}", summary.body);
}

/// A Business sample with the workspace's monthly pool at `used` %.
fn pool_sample(at: i64, used: f64, reached: bool) -> UsageSnapshot {
    let mut pool = UsageWindow::main(WindowKind::Monthly, used, Some(minutes(40 * 24 * 60)));
    pool.limit = LimitId::CreditPool;
    pool.window_seconds = None;
    pool.credits = Some(PoolCredits { used: Some(used * 10.0), limit: Some(1000.0) });
    let mut s = sample(at, (10.0, 120), (10.0, WEEK));
    s.windows.push(pool);
    s.spend_control = Some(SpendControl { reached });
    s.limit_reached = reached;
    s
}

#[test]
fn the_monthly_credit_pool_alerts_at_thresholds_and_when_reached() {
    let mut engine = AlertEngine::new(AlertState::default());
    let settings = Settings::default();
    let samples = [pool_sample(0, 50.0, false), pool_sample(5, 82.0, false), pool_sample(10, 97.0, true)];
    let got: Vec<_> =
        samples.iter().map(|s| engine.observe(s, &acct(), &settings, UserPause::default(), s.observed_at)).collect();
    assert!(got[0].is_empty());
    assert_eq!(got[1][0].kind, threshold(WindowKind::Monthly, 80));
    assert!(got[1][0].title.starts_with("Codex monthly credit limit 80% used"), "{}", got[1][0].title);
    // `spend_control.reached` blocks like a reached limit, at whatever percentage.
    assert_eq!(got[2][0].kind, AlertKind::LimitReached { window: WindowKind::Monthly });
    assert_eq!(got[2][0].title, "Codex monthly credit limit reached");
    assert!(
        got[2][0].body.starts_with("Your workspace's monthly credit limit is reached until "),
        "{}",
        got[2][0].body
    );
}

#[test]
fn a_window_that_could_not_be_read_fires_nothing_and_re_arms_nothing() {
    let mut engine = AlertEngine::new(AlertState::default());
    let settings = Settings::default();
    let before = sample(0, (85.0, 120), (10.0, WEEK));
    // The 5-hour window came without a readable percentage: it is simply not there.
    let mut unreadable = sample(5, (0.0, 120), (10.0, WEEK));
    unreadable.windows.remove(0);
    unreadable.unreadable = vec!["rate_limit.primary_window".into()];
    let after = sample(10, (86.0, 120), (10.0, WEEK));
    let got = run(&mut engine, &settings, &[before, unreadable, after]);
    assert_eq!(got, vec![vec![], vec![], vec![]], "80 % stays fired across the unreadable sample");
}
