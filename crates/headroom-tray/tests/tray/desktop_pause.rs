//! "Pause alerts → Until the limit resets" over dbusmenu: the item names the reset it waits for
//! (with nothing blocked, the soonest: the 5-hour window's, not the weekly one 4 days away), and
//! the pause survives a restart. Before the fix the item said "Until the limit resets", paused
//! until the weekly reset (the window closest to its limit), and a restart ended the pause.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeService};
use zbus::blocking::Connection;

#[test]
fn pause_until_reset_names_the_soonest_reset_and_survives_a_restart() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    // 5-hour: 30 % used, resets in 2 h 12 min; weekly: 90 % used (closest to its limit), resets in 4.5 days.
    fake.respond(Route::Usage, scenarios::plus(30.0, 90.0, 7_920, 388_800));
    let root = tempfile::tempdir().unwrap();
    let (home, codex_home, _token) = home_with_codex_login(root.path(), 9 * 86_400);
    let config = config_with_settings(root.path(), "[display]\npoll_interval_minutes = 1\n");
    let monitor_log = root.path().join("notify-calls.log");
    let _monitor = start_notification_monitor(&monitor_log);
    let (_watcher, registrations) = start_tray_host(root.path());
    let env = AppEnv { home, codex_home, config, data: root.path().join("data"), extra_path: None };
    let log = root.path().join("headroom-tray.log");
    let app = env.launch(&fake.base_url(), &log);
    let _show_log = AppLog(log.clone());
    let conn = Connection::session().unwrap();
    let (sender, path) = wait_for("the tray item", Duration::from_secs(20), || registration(&registrations, 1));
    let tray = Tray::connect(&conn, &sender, &path);
    wait_for("the numbers", Duration::from_secs(20), || (tray.label() == "10%").then_some(()));

    let labels = tray.labels();
    let five_hour_reset = labels
        .iter()
        .find_map(|l| l.strip_prefix("5-hour: 70% left · resets "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("the 5-hour row: {labels:?}"))
        .to_string();
    let item = format!("Until the 5-hour limit resets ({five_hour_reset})");
    assert!(labels.contains(&item), "{item:?} in {labels:?}");
    assert!(labels.iter().any(|l| l == "For 1 hour"), "{labels:?}");
    tray.click(&item);
    let paused = format!("Alerts paused until {five_hour_reset}");
    wait_for("the pause line", Duration::from_secs(10), || tray.labels().contains(&paused).then_some(()));
    assert!(tray.labels().iter().any(|l| l == "Resume alerts"), "{:?}", tray.labels());

    // Restarted: still paused, until the same time.
    drop(app);
    let seen = std::fs::read_to_string(&registrations).unwrap_or_default().lines().count();
    let log2 = root.path().join("headroom-tray-2.log");
    let _app = env.launch(&fake.base_url(), &log2);
    let _show_log2 = AppLog(log2.clone());
    let (sender, path) =
        wait_for("the restarted tray item", Duration::from_secs(20), || registration(&registrations, seen + 1));
    let tray = Tray::connect(&conn, &sender, &path);
    wait_for("the pause after the restart", Duration::from_secs(20), || tray.labels().contains(&paused).then_some(()));

    // Paused: crossing 95 % on the weekly window says nothing.
    fake.respond(Route::Usage, scenarios::plus(30.0, 96.0, 7_900, 388_700));
    tray.click("Refresh now");
    wait_for("the new numbers", Duration::from_secs(20), || (tray.label() == "4%").then_some(()));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(notifications(&monitor_log), Vec::<String>::new(), "paused");

    // Resumed: the saved pause is gone, and a restart does not bring it back.
    tray.click("Resume alerts");
    wait_for("the pause to end", Duration::from_secs(10), || (!tray.labels().contains(&paused)).then_some(()));
    assert!(!env.data.join("headroom/alert-pause.json").exists(), "the saved pause is removed");
}
