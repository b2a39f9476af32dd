//! A clock that was ahead: the app ran once with the clock 3 hours fast (a dual boot, a laptop
//! that autostarted before NTP; here libfaketime, for that process alone) and saved its numbers
//! and alert memory dated 3 hours ahead. Started again on the right time, the live numbers must
//! replace the saved ones at once and crossing 80 % must still notify. Before the fix the tray
//! showed the saved numbers for good (a live answer had to be newer than them) and the alert
//! engine dropped every sample as out of order.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::time::Duration;

use crate::common::*;
use chrono::{DateTime, Utc};
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeService};
use zbus::blocking::Connection;

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

fn saved_at(path: &Path, field: &str) -> Option<DateTime<Utc>> {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json.get(field)?.as_str()?.parse().ok()
}

#[test]
fn numbers_and_alert_memory_saved_while_the_clock_was_ahead_give_way_to_live_numbers() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    if !Path::new(LIBFAKETIME).exists() {
        assert!(
            std::env::var_os("HEADROOM_REQUIRE_KEYRING").is_none(),
            "libfaketime is not installed (scripts/install-deps)"
        );
        let _ = writeln_stderr("SKIPPED: libfaketime is not installed");
        return;
    }
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(40.0, 10.0, 7_920, 388_800));
    let root = tempfile::tempdir().unwrap();
    let (home, codex_home, _token) = home_with_codex_login(root.path(), 9 * 86_400);
    let config = config_with_settings(root.path(), "[display]\npoll_interval_minutes = 1\n");
    let monitor_log = root.path().join("notify-calls.log");
    let _monitor = start_notification_monitor(&monitor_log);
    let (_watcher, registrations) = start_tray_host(root.path());
    let env = AppEnv { home, codex_home, config, data: root.path().join("data"), extra_path: None };
    let conn = Connection::session().unwrap();

    // The run with the clock 3 hours ahead: it saves 60 % left, dated then.
    let first_log = root.path().join("headroom-tray-ahead.log");
    let seen = std::fs::read_to_string(&registrations).unwrap_or_default().lines().count();
    let ahead = env.launch_with(&fake.base_url(), &first_log, &[("LD_PRELOAD", LIBFAKETIME), ("FAKETIME", "+3h")]);
    let (sender, path) = wait_for("the tray item", Duration::from_secs(30), || registration(&registrations, seen + 1));
    let tray = Tray::connect(&conn, &sender, &path);
    wait_for("the first numbers", Duration::from_secs(20), || (tray.label() == "60%").then_some(()));
    let snapshot_file = env.data.join("headroom/last-snapshot.json");
    let alerts_file = env.data.join("headroom/alerts.json");
    let saved = wait_for("the saved numbers and alert memory", Duration::from_secs(10), || {
        Some((saved_at(&snapshot_file, "observed_at")?, saved_at(&alerts_file, "last_observed_at")?))
    });
    drop(ahead);
    let seen = std::fs::read_to_string(&registrations).unwrap_or_default().lines().count();
    let ahead_by = saved.0 - Utc::now();
    assert!(ahead_by > chrono::Duration::minutes(170), "saved {ahead_by} ahead: {saved:?}");
    assert!(saved.1 - Utc::now() > chrono::Duration::minutes(170), "{saved:?}");

    // On the right time: the live answer replaces the saved numbers at once.
    fake.respond(Route::Usage, scenarios::plus(50.0, 10.0, 7_920, 388_800));
    let log = root.path().join("headroom-tray.log");
    let _app = env.launch(&fake.base_url(), &log);
    let _show_log = AppLog(log.clone());
    let (sender, path) =
        wait_for("the tray item again", Duration::from_secs(30), || registration(&registrations, seen + 1));
    let tray = Tray::connect(&conn, &sender, &path);
    if poll_until(Duration::from_secs(20), || (tray.label() == "50%").then_some(())).is_none() {
        panic!("the live numbers are not shown: {:?} {:?}", tray.label(), tray.labels());
    }
    assert!(tray.labels().get(1).is_some_and(|l| l.starts_with("Updated just now")), "{:?}", tray.labels());
    assert_eq!(notifications(&monitor_log), Vec::<String>::new(), "the first numbers set the baseline silently");

    // Crossing 80 % notifies, once.
    fake.respond(Route::Usage, scenarios::plus(85.0, 10.0, 7_920, 388_800));
    tray.click("Refresh now");
    wait_for("the new numbers", Duration::from_secs(20), || (tray.label() == "15%").then_some(()));
    let sent = wait_for("a notification", Duration::from_secs(10), || {
        Some(notifications(&monitor_log)).filter(|n| !n.is_empty())
    });
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("Codex 5-hour limit 80% used"), "{sent:?}");
    // What it saves now is dated now.
    let resaved = wait_for("the numbers saved again", Duration::from_secs(10), || {
        saved_at(&snapshot_file, "observed_at").filter(|at| *at < Utc::now() + chrono::Duration::minutes(1))
    });
    assert!(Utc::now() - resaved < chrono::Duration::minutes(1), "{resaved}");
}
