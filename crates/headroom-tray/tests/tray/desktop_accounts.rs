//! Several accounts in the real tray: the default Codex home and an added work home, each with
//! its own numbers from the fake service. The menu shows both; a crossing in the second one
//! notifies once, naming it; when the default one is out, the menu points at the sibling with
//! room and copies the command that runs Codex with it; a pinned account draws the icon.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use headroom_core::present::tray_view::{IconBar, IconState, Level};
use headroom_testkit::{scenarios, FakeService};
use zbus::blocking::Connection;

/// dbusmenu labels carry GTK's mnemonic escaping: a literal underscore is doubled.
fn unescaped(labels: Vec<String>) -> Vec<String> {
    labels.into_iter().map(|l| l.replace("__", "_")).collect()
}

#[test]
fn every_account_is_in_the_menu_and_alerts_name_theirs() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    fake.respond_for_account("acct-1", scenarios::plus(30.0, 10.0, 5_400, 300_000));
    fake.respond_for_account("acct-work", scenarios::plus(40.0, 20.0, 9_000, 300_000));
    let root = tempfile::tempdir().unwrap();
    let (home, codex_home, _token) = home_with_codex_login(root.path(), 9 * 86_400);
    let work = codex_home_for(root.path(), "codex-work", "work@example.com", "acct-work");
    let settings = format!("[accounts]\nhomes = [\"{}\"]\n", work.display());
    let monitor_log = root.path().join("notify-calls.log");
    let _monitor = start_notification_monitor(&monitor_log);
    let (_host, registrations) = start_tray_host(root.path());
    let env = AppEnv {
        home,
        codex_home,
        config: config_with_settings(root.path(), &settings),
        data: root.path().join("data"),
        extra_path: None,
    };
    let log = root.path().join("headroom-tray.log");
    let app = env.launch(&fake.base_url(), &log);
    let _log_on_failure = AppLog(log.clone());
    let (sender, path) = wait_for("the tray item", Duration::from_secs(20), || registration(&registrations, 1));
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &sender, &path);

    let labels = wait_for("both accounts in the menu", Duration::from_secs(20), || {
        let labels = tray.labels();
        (labels.iter().any(|l| l.starts_with("5-hour: 70% left"))
            && labels.iter().any(|l| l.starts_with("5-hour: 60% left")))
        .then_some(labels)
    });
    let header = |email: &str| labels.iter().position(|l| *l == format!("Codex · Plus · {email}"));
    assert!(header("dev@example.com") < header("work@example.com"), "the default one first: {labels:?}");
    assert!(header("work@example.com").is_some(), "{labels:?}");
    assert_eq!(tray.label(), "70%", "the icon's title is the default account's");
    // The other account is one line at the top level; its details are in its submenu.
    let top = tray.top_level_labels();
    let work_lines: Vec<&String> = top.iter().filter(|l| l.contains("work@example.com")).collect();
    assert_eq!(work_lines.len(), 1, "one line for the other account: {top:?}");
    assert!(work_lines[0].starts_with("work@example.com: 60% left (5-hour"), "{top:?}");
    assert!(!top.iter().any(|l| l.starts_with("5-hour: 60% left")), "its rows are in the submenu: {top:?}");

    // The work account crosses 80 %: one notification, named for it.
    fake.respond_for_account("acct-work", scenarios::plus(85.0, 20.0, 9_000, 300_000));
    tray.refresh_now();
    let crossed = wait_for("the work account's notification", Duration::from_secs(15), || {
        notifications(&monitor_log).into_iter().find(|t| t.starts_with("work@example.com: Codex 5-hour limit 80% used"))
    });
    tray.refresh_now();
    std::thread::sleep(Duration::from_secs(3));
    let sent = notifications(&monitor_log);
    assert_eq!(sent.iter().filter(|t| **t == crossed).count(), 1, "once per crossing: {sent:?}");
    assert!(!sent.iter().any(|t| t.starts_with("dev@example.com:")), "the other account did not cross: {sent:?}");

    // The default account is out: the menu says the work one has room and copies its command.
    fake.respond_for_account("acct-1", scenarios::plus(100.0, 40.0, 5_400, 300_000));
    tray.refresh_now();
    let command = format!("CODEX_HOME={} codex", work.display());
    let labels = wait_for("the sibling hint", Duration::from_secs(15), || {
        let labels = unescaped(tray.labels());
        labels.iter().any(|l| l.starts_with("dev@example.com is out until ")).then_some(labels)
    });
    let hint = labels.iter().find(|l| l.starts_with("dev@example.com is out until ")).unwrap();
    assert!(hint.ends_with(" — work@example.com has 15% left"), "{hint}");
    let copy = tray.labels().into_iter().find(|l| l.starts_with("Copy “")).expect("the copy item");
    tray.click(&copy);
    let pasted = wait_for("the command on the clipboard", Duration::from_secs(5), || {
        let out = std::process::Command::new("xclip").args(["-o", "-selection", "clipboard"]).output().ok()?;
        Some(String::from_utf8_lossy(&out.stdout).into_owned()).filter(|t| !t.is_empty())
    });
    assert_eq!(pasted, command);
    let shot = screenshot("tray-two-accounts.png");
    let _ = writeln_stderr(&format!("screenshot: {}", shot.display()));
    drop(app);
    // The tray item registers again when it is redrawn: the next launch's is after all of these.
    let seen = std::fs::read_to_string(&registrations).unwrap_or_default().lines().count();

    // Pinned, the work account draws the icon (its 15 % and 80 % left) and its title.
    let settings = format!("[accounts]\nhomes = [\"{}\"]\npinned = \"work@example.com\"\n", work.display());
    config_with_settings(root.path(), &settings);
    let _app = env.launch(&fake.base_url(), &log);
    let (sender, path) =
        wait_for("the tray item again", Duration::from_secs(20), || registration(&registrations, seen + 1));
    let tray = Tray::connect(&conn, &sender, &path);
    let seen = std::cell::RefCell::new(String::new());
    poll_until(Duration::from_secs(20), || {
        *seen.borrow_mut() = format!("{} {:?}", tray.label(), tray.labels());
        (tray.label() == "15%").then_some(())
    })
    .unwrap_or_else(|| panic!("the pinned account's title: {}", seen.borrow()));
    let pinned = IconState {
        bars: vec![IconBar { fill: 15, level: Level::GettingLow }, IconBar { fill: 80, level: Level::Plenty }],
        dimmed: false,
        limit_reached: false,
        on_api_key: false,
    };
    wait_for("the pinned account's icon", Duration::from_secs(10), || icon_shows(&tray.icon(), &pinned).then_some(()));
    let labels = tray.labels();
    assert_eq!(labels.first().map(String::as_str), Some("Codex · Plus · work@example.com"), "pinned first: {labels:?}");
}
