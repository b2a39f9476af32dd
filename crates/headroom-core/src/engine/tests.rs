//! Every [`Command`], the schedule and the "Codex is in use" rule, without a desktop.

use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;
use crate::accounts::roster::WatchedAccount;
use crate::model::{UsageSnapshot, UsageWindow, WindowKind};
use crate::session::SavedState;
use crate::status::StatusReport;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap()
}

fn engine(demo: bool) -> Engine {
    Engine::new(Session::restore(Settings::default(), SavedState::default(), !demo, now()), demo)
}

fn account(id: &str, default: bool) -> WatchedAccount {
    WatchedAccount { id: id.into(), email: Some(format!("{id}@example.org")), default, ..WatchedAccount::default() }
}

fn ids(tick: &Tick) -> Vec<&str> {
    tick.due.iter().map(|a| a.id.as_str()).collect()
}

/// Two accounts, both read once at `now()`.
fn two_accounts_read() -> Engine {
    let mut engine = engine(false);
    let found = [account("me", true), account("work", false)];
    let tick = engine.plan_tick(&found, "me", now());
    assert_eq!(ids(&tick), ["me", "work"], "each is read the first time");
    for id in ["me", "work"] {
        engine.record(id, Outcome::Success, now());
    }
    engine
}

#[test]
fn the_shown_account_is_read_every_tick_and_another_at_the_poll_interval() {
    let mut engine = two_accounts_read();
    let found = [account("me", true), account("work", false)];
    let tick = engine.plan_tick(&found, "me", now() + Duration::minutes(1));
    assert_eq!(ids(&tick), ["me"], "a minute on, only the shown one");
    let tick = engine.plan_tick(&found, "me", now() + Duration::minutes(5));
    assert_eq!(ids(&tick), ["me", "work"], "five minutes on (the default interval), both");
}

#[test]
fn refresh_reads_every_account_once_and_asks_the_keychain_again() {
    let mut engine = two_accounts_read();
    let effects = engine.handle(Command::Refresh, now());
    assert_eq!(
        effects,
        Effects { ask_keychain_again: true, poll: vec![Trigger::Click], ..Effects::default() },
        "the poller reads at once; the tick redraws"
    );
    let found = [account("me", true), account("work", false)];
    let tick = engine.plan_tick(&found, "me", now() + Duration::seconds(30));
    assert_eq!(ids(&tick), ["me", "work"], "every account, however recently read");
    let tick = engine.plan_tick(&found, "me", now() + Duration::seconds(60));
    assert_eq!(ids(&tick), ["me"], "only the once");
}

#[test]
fn an_account_the_service_asked_to_wait_waits_alone() {
    let mut engine = two_accounts_read();
    engine.record("work", Outcome::Temporary { retry_after: Some(Duration::minutes(20)) }, now());
    engine.handle(Command::Refresh, now());
    let found = [account("me", true), account("work", false)];
    let tick = engine.plan_tick(&found, "me", now() + Duration::minutes(10));
    assert_eq!(ids(&tick), ["me"], "not even Refresh reads it before the service's time");
    let tick = engine.plan_tick(&found, "me", now() + Duration::minutes(21));
    assert_eq!(ids(&tick), ["me", "work"]);
}

#[test]
fn codex_is_in_use_for_ten_minutes_after_it_last_wrote() {
    let engine = engine(false);
    assert!(!engine.codex_in_use(None, now()), "never seen writing");
    assert!(engine.codex_in_use(Some(now() - Duration::minutes(9)), now()));
    assert!(!engine.codex_in_use(Some(now() - Duration::minutes(11)), now()));
}

#[test]
fn codex_at_work_in_another_accounts_home_keeps_the_quick_pace() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("codex-work");
    let today = home.join("sessions/2026/12/07");
    std::fs::create_dir_all(&today).unwrap();
    std::fs::write(today.join("rollout-2026-12-07T11-59-00-x.jsonl"), "{}\n").unwrap();
    let mut engine = engine(false);
    let work = WatchedAccount {
        places: vec![crate::accounts::roster::Place::Home {
            path: home,
            origin: crate::accounts::roster::HomeOrigin::Added,
            gone: false,
        }],
        ..account("work", false)
    };
    // The log was written just now (the file's own time): the tick sees it.
    engine.plan_tick(&[account("me", true), work], "me", Utc::now());
    assert!(engine.codex_in_use(None, Utc::now()));
}

#[test]
fn pausing_for_an_hour_is_kept_on_disk_and_redraws_the_tray() {
    let mut engine = engine(false);
    let effects = engine.handle(Command::PauseAlerts { until_reset: false }, now());
    let until = now() + Duration::hours(1);
    assert_eq!(engine.session().paused_until(), Some(until));
    assert_eq!(effects, Effects { save_pause: Some(SavedPause { until }), redraw: Redraw::Tray, ..Effects::default() });
}

#[test]
fn pausing_until_the_reset_needs_a_known_reset() {
    let mut engine = engine(false);
    let effects = engine.handle(Command::PauseAlerts { until_reset: true }, now());
    assert_eq!(engine.session().paused_until(), None, "no numbers, no reset to wait for");
    assert_eq!(effects.save_pause, None);

    let resets = now() + Duration::hours(2);
    let numbers =
        UsageSnapshot::plus_for_tests(vec![UsageWindow::main(WindowKind::FiveHour, 100.0, Some(resets))], now());
    let shown = engine.session().shown().watched.id.clone();
    let report = StatusReport { snapshot: Some(numbers), credential: None, error: None, log_file: None, paces: vec![] };
    engine.apply_reading(&shown, &report, now());
    let effects = engine.handle(Command::PauseAlerts { until_reset: true }, now());
    assert_eq!(engine.session().paused_until(), Some(resets), "until the blocking window resets");
    assert_eq!(effects.save_pause, Some(SavedPause { until: resets }));
}

#[test]
fn the_demo_pauses_without_writing() {
    let mut engine = engine(true);
    let effects = engine.handle(Command::PauseAlerts { until_reset: false }, now());
    assert!(engine.session().paused_until().is_some());
    assert_eq!(effects.save_pause, None);
}

#[test]
fn resuming_ends_the_pause_and_its_file() {
    let mut engine = engine(false);
    engine.handle(Command::PauseAlerts { until_reset: false }, now());
    let effects = engine.handle(Command::ResumeAlerts, now());
    assert_eq!(engine.session().paused_until(), None);
    assert_eq!(effects, Effects { remove_pause: true, redraw: Redraw::Tray, ..Effects::default() });
}

#[test]
fn a_pin_shows_that_account_at_once_and_unpinning_the_default_again() {
    let mut engine = two_accounts_read();
    let pinned = Settings { pinned_account: Some("work".into()), ..Settings::default() };
    engine.handle(Command::UseSettings(Box::new(pinned)), now());
    let effects = engine.handle(Command::ShowPinned, now());
    assert_eq!(engine.session().shown().watched.id, "work");
    assert_eq!(effects, Effects { redraw: Redraw::Everything, ..Effects::default() });

    engine.handle(Command::UseSettings(Box::default()), now());
    engine.handle(Command::ShowPinned, now());
    assert_eq!(engine.session().shown().watched.id, "me");
}

#[test]
fn new_settings_reschedule_the_poller_and_set_launch_at_login() {
    let mut engine = engine(false);
    let settings = Settings { poll_interval_minutes: 2, autostart: true, ..Settings::default() };
    let effects = engine.handle(Command::UseSettings(Box::new(settings.clone())), now());
    assert_eq!(engine.settings(), &settings);
    assert_eq!(
        effects,
        Effects {
            redraw: Redraw::Everything,
            poll: vec![Trigger::Reschedule(PollPlan::from_settings(&settings))],
            set_autostart: Some(true),
            ..Effects::default()
        }
    );
}

#[test]
fn another_codex_folder_is_watched_and_read_at_once() {
    let mut engine = engine(false);
    let settings = Settings { codex_home: Some(PathBuf::from("/home/me/.codex-work")), ..Settings::default() };
    let effects = engine.handle(Command::UseSettings(Box::new(settings.clone())), now());
    assert!(effects.follow_codex_home);
    assert_eq!(effects.poll, vec![Trigger::Reschedule(PollPlan::from_settings(&settings)), Trigger::Click]);
    assert_eq!(engine.codex_home(), PathBuf::from("/home/me/.codex-work"));
}

#[test]
fn the_demo_takes_new_settings_but_leaves_the_machine_alone() {
    let mut engine = engine(true);
    let settings = Settings { autostart: true, poll_interval_minutes: 1, ..Settings::default() };
    let effects = engine.handle(Command::UseSettings(Box::new(settings)), now());
    assert_eq!(effects, Effects { redraw: Redraw::Everything, ..Effects::default() });
    assert_eq!(engine.poll_plan().interval, Duration::seconds(5), "the demo's numbers move every 5 s");
}

#[test]
fn switching_codex_is_carried_out_by_the_shell() {
    let mut engine = engine(false);
    for direction in [SwitchCodex::ToApiKey, SwitchCodex::ToPlan] {
        let effects = engine.handle(Command::SwitchCodex(direction), now());
        assert_eq!(effects, Effects { switch_codex: Some(direction), ..Effects::default() });
    }
}
