//! The real tray app in the throw-away desktop session (`scripts/test`): Xvfb, a D-Bus session,
//! dunst, and a fake StatusNotifierWatcher standing in for the desktop's tray host. Against the
//! fake usage service it checks what a user would see: the tray item registers, shows the
//! number and the icon for the live numbers, its menu says who and when, crossing 80 % brings
//! exactly one notification, and a rejected login changes the menu's status line.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use headroom_core::present::tray_view::{IconBar, IconState, Level};
use headroom_testkit::fake::Route;
use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};
use headroom_testkit::{scenarios, FakeService};
use zbus::blocking::Connection;

/// The tray process: it also carries the numbers in its tooltip, and links neither GTK nor WebKit.
#[test]
fn the_tray_shows_live_numbers_alerts_once_and_reports_a_rejected_login() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let binary = app_binary();
    let linked = Command::new("ldd").arg(&binary).output().unwrap();
    let linked = String::from_utf8_lossy(&linked.stdout);
    for toolkit in ["libgtk", "libgdk", "libwebkit", "libjavascriptcore", "libsoup", "libayatana"] {
        assert!(!linked.contains(toolkit), "the tray process links {toolkit}:\n{linked}");
    }
    shows_live_numbers_alerts_once_and_reports_a_rejected_login(&binary);
}

fn shows_live_numbers_alerts_once_and_reports_a_rejected_login(binary: &Path) {
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(70.0, 10.0, 7_920, 388_800));
    let root = tempfile::tempdir().unwrap();
    let (home, codex_home, token) = home_with_codex_login(root.path(), 9 * 86_400);
    let config = config_with_settings(root.path(), "[display]\npoll_interval_minutes = 1\n");

    let monitor_log = root.path().join("notify-calls.log");
    let _monitor = start_notification_monitor(&monitor_log);
    let (_watcher, registrations) = start_tray_host(root.path());
    let app_log = root.path().join("headroom-tray.log");
    let env = AppEnv {
        home: home.clone(),
        codex_home: codex_home.clone(),
        config: config.clone(),
        data: root.path().join("data"),
        extra_path: None,
    };
    let launched = Instant::now();
    let mut app = Some(env.launch_binary(binary, &fake.base_url(), &app_log, &[]));
    let (sender, path) =
        wait_for("the tray item to register", Duration::from_secs(20), || registration(&registrations, 1));
    let _ = writeln_stderr(&format!("tray registered {} ms after launch", launched.elapsed().as_millis()));

    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &sender, &path);

    // The live numbers: 30 % of the 5-hour window left, the closest to its limit.
    let log_on_failure = AppLog(app_log.clone());
    wait_for("the label to show 30%", Duration::from_secs(20), || (tray.label() == "30%").then_some(()));
    let plain = IconState {
        bars: vec![IconBar { fill: 30, level: Level::Plenty }, IconBar { fill: 90, level: Level::Plenty }],
        dimmed: false,
        limit_reached: false,
        on_api_key: false,
    };
    assert!(icon_shows(&tray.icon(), &plain), "the icon draws 30 % and 90 % left");
    let labels = tray.labels();
    assert_eq!(labels[0], "Codex · Plus · dev@example.com", "{labels:?}");
    assert!(labels[1].starts_with("Updated "), "{labels:?}");
    assert!(
        labels.iter().any(|l| l.starts_with("5-hour: 30% left · resets ") && l.ends_with("(in 2 h 11 m)")),
        "{labels:?}"
    );
    assert!(labels.iter().any(|l| l.starts_with("Weekly: 90% left · resets ")), "{labels:?}");
    let (title, text) = tray.tooltip();
    assert_eq!(title, "Headroom");
    assert!(text.contains("30% left") && text.contains("90% left"), "the tooltip carries the numbers: {text:?}");
    for item in ["Refresh now", "Open dashboard", "Settings…", "Pause alerts", "Quit Headroom"] {
        assert!(labels.iter().any(|l| l == item), "{item} in {labels:?}");
    }
    assert_eq!(notifications(&monitor_log), Vec::<String>::new(), "the first numbers set the baseline silently");

    // Across 80 %: exactly one notification.
    fake.respond(Route::Usage, scenarios::plus(85.0, 10.0, 7_920, 388_800));
    tray.click("Refresh now");
    wait_for("the label to show 15%", Duration::from_secs(15), || (tray.label() == "15%").then_some(()));
    let sent = wait_for("a notification", Duration::from_secs(10), || {
        Some(notifications(&monitor_log)).filter(|n| !n.is_empty())
    });
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("Codex 5-hour limit 80% used — resets "), "{sent:?}");
    std::thread::sleep(Duration::from_millis(500));
    let shot = screenshot("notification-80-percent.png");
    let low = IconState {
        bars: vec![IconBar { fill: 15, level: Level::GettingLow }, IconBar { fill: 90, level: Level::Plenty }],
        ..plain.clone()
    };
    assert!(icon_shows(&tray.icon(), &low), "the icon turns amber");

    // Polling again changes nothing: no second notification.
    std::thread::sleep(Duration::from_secs(6));
    tray.click("Refresh now");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(notifications(&monitor_log).len(), 1, "no repeat");

    // The service rejects the login: the menu's status line says what to do, numbers stay.
    fake.respond(Route::Usage, scenarios::usage("unauthorized").unwrap());
    std::thread::sleep(Duration::from_secs(6));
    tray.click("Refresh now");
    wait_for("the menu to report the rejected login", Duration::from_secs(15), || {
        tray.labels()
            .get(1)
            .filter(|l| l.starts_with("Login rejected — run `codex` — showing numbers from "))
            .map(|_| ())
    });
    assert!(tray.labels().iter().any(|l| l.starts_with("5-hour: 15% left")), "the last good numbers stay");
    let dimmed = IconState { dimmed: true, ..low };
    wait_for("the icon to dim", Duration::from_secs(5), || icon_shows(&tray.icon(), &dimmed).then_some(()));
    let sent = notifications(&monitor_log);
    assert_eq!(sent.len(), 2, "one alert for the rejected login: {sent:?}");
    assert_eq!(sent[1], "Your Codex login was rejected");
    // Codex refreshes its login: the app notices the new auth.json and asks again by itself.
    let fresh = make_jwt(&TestClaims {
        email_in_profile_claim: true,
        ..TestClaims::plus("dev@example.com", "acct-1", 10 * 86_400)
    });
    fake.respond(Route::Usage, scenarios::plus(86.0, 10.0, 7_900, 388_000));
    std::fs::write(codex_home.join("auth.json"), codex_auth_json(&fresh, &fresh, Some("acct-1"))).unwrap();
    wait_for("a request with the new login, without a click", Duration::from_secs(45), || {
        fake.requests()
            .last()
            .filter(|r| r.header("authorization") == Some(format!("Bearer {fresh}").as_str()))
            .map(|_| ())
    });
    wait_for("the menu to recover", Duration::from_secs(10), || {
        tray.labels().get(1).filter(|l| l.starts_with("Updated ")).map(|_| ())
    });
    assert_eq!(tray.label(), "14%");

    let log = std::fs::read_to_string(&app_log).unwrap();
    assert!(!log.contains(&token[20..60]) && !log.contains(&fresh[20..60]), "no token reaches the log");

    // Restarted offline: the numbers saved on disk come back, with their age and the reason.
    drop(app.take());
    let seen = std::fs::read_to_string(&registrations).unwrap_or_default().lines().count();
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let offline = format!("http://127.0.0.1:{dead_port}/backend-api");
    let mut app2 = env.launch_binary(binary, &offline, &root.path().join("headroom-tray-2.log"), &[]);
    let (sender, path) =
        wait_for("the restarted tray to register", Duration::from_secs(20), || registration(&registrations, seen + 1));
    let tray = Tray::connect(&conn, &sender, &path);
    wait_for("the offline status line", Duration::from_secs(15), || {
        tray.labels().get(1).filter(|l| l.starts_with("Offline — showing numbers from ")).map(|_| ())
    });
    assert_eq!(tray.label(), "14%", "the saved numbers");
    assert!(tray.labels().iter().any(|l| l.starts_with("5-hour: 14% left")), "{:?}", tray.labels());
    tray.click("Quit Headroom");
    let ended = wait_for("Quit to end the tray", Duration::from_secs(5), || app2.0.try_wait().ok().flatten());
    assert!(ended.success(), "{ended:?}");
    let _ = writeln_stderr(&format!("screenshot: {}", shot.display()));
    drop(log_on_failure);
}
