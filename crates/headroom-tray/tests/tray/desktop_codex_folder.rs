//! The Codex folder the settings name is the one watched and read: changed in the settings
//! window, it is read at once and its login changes are noticed; missing at start, it is read as
//! soon as Codex creates it. Before the fix the watcher kept watching the folder of the start
//! (none at all when it was missing) and nothing was fetched after the change until the next
//! scheduled poll, 5 minutes later.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::time::Duration;

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};
use headroom_testkit::{scenarios, FakeService};
use zbus::blocking::Connection;

fn login(codex_home: &Path, email: &str, account: &str) -> String {
    std::fs::create_dir_all(codex_home).unwrap();
    let token = make_jwt(&TestClaims { email_in_profile_claim: true, ..TestClaims::plus(email, account, 9 * 86_400) });
    std::fs::write(codex_home.join("auth.json"), codex_auth_json(&token, &token, Some(account))).unwrap();
    token
}

fn asked_with(fake: &FakeService, token: &str) -> Option<()> {
    let bearer = format!("Bearer {token}");
    fake.requests().iter().any(|r| r.header("authorization") == Some(bearer.as_str())).then_some(())
}

#[test]
fn a_codex_folder_chosen_in_settings_is_read_at_once_and_watched() {
    let Some(_turn) = webdriver_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(40.0, 10.0, 7_920, 388_800));
    let root = tempfile::tempdir().unwrap();
    let (home, codex_home, first) = home_with_codex_login(root.path(), 9 * 86_400);
    let other = root.path().join("work-codex");
    let second = login(&other, "work@example.com", "acct-2");
    let (_host, registrations) = start_tray_host(root.path());
    // Polls every 5 minutes (the default): within this test only a change can fetch.
    let env = app_vars(&home, &codex_home, root.path(), &fake.base_url());
    let (_driver, driver) = Driver::start(&env, &["--open", "settings"], &root.path().join("tauri-driver.log"));
    let (sender, path) = wait_for("the tray item", Duration::from_secs(20), || registration(&registrations, 1));
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &sender, &path);
    wait_for("the first login's numbers", Duration::from_secs(20), || (tray.label() == "60%").then_some(()));
    asked_with(&fake, &first).expect("asked with the first login");

    fake.respond(Route::Usage, scenarios::plus(70.0, 10.0, 7_920, 388_800));
    wait_for("the settings window", Duration::from_secs(20), || driver.find("#codex-home"));
    driver.fill("#codex-home", &format!("{}\n", other.display()));
    driver.click("#poll-interval"); // moves the focus, which commits the field
    if poll_until(Duration::from_secs(10), || driver.text("#saved")).is_none() {
        let shot = driver.screenshot("codex-folder-not-saved.png");
        let log = std::fs::read_to_string(root.path().join("tauri-driver.log")).unwrap_or_default();
        let settings = std::fs::read_to_string(root.path().join("config/headroom/settings.toml")).unwrap_or_default();
        panic!("the settings did not save ({}): {settings}\n{log}", shot.display());
    }
    wait_for("a request with the other folder's login", Duration::from_secs(10), || asked_with(&fake, &second));
    wait_for("its numbers on the tray", Duration::from_secs(10), || (tray.label() == "30%").then_some(()));
    assert!(tray.labels()[0].contains("work@example.com"), "{:?}", tray.labels());

    // Codex refreshes the other folder's login: noticed without a click (after the 30 s that
    // keep automatic fetches apart).
    let third = login(&other, "work@example.com", "acct-2");
    wait_for("a request with the refreshed login", Duration::from_secs(40), || asked_with(&fake, &third));
    driver.quit();
}

#[test]
fn a_codex_folder_missing_at_start_is_read_once_codex_creates_it() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(25.0, 10.0, 7_920, 388_800));
    let root = tempfile::tempdir().unwrap();
    let later = root.path().join("not-yet/codex");
    let config =
        config_with_settings(root.path(), &format!("[general]\ncodex_home = {:?}\n", later.display().to_string()));
    let (_watcher, registrations) = start_tray_host(root.path());
    let env = AppEnv {
        home: root.path().join("home"),
        codex_home: root.path().join("home/.codex"),
        config,
        data: root.path().join("data"),
        extra_path: None,
    };
    std::fs::create_dir_all(&env.home).unwrap();
    let log = root.path().join("headroom-tray.log");
    let _app = env.launch(&fake.base_url(), &log);
    let _show_log = AppLog(log.clone());
    let (sender, path) = wait_for("the tray item", Duration::from_secs(20), || registration(&registrations, 1));
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &sender, &path);
    wait_for("the menu to say there is no login", Duration::from_secs(20), || {
        tray.labels().get(1).filter(|l| l.contains("codex")).map(|_| ())
    });
    assert!(fake.requests().is_empty());

    // Codex is installed and logs in: the folders appear, then the login.
    std::thread::sleep(Duration::from_secs(2));
    let token = login(&later, "dev@example.com", "acct-1");
    wait_for("a request with the new login", Duration::from_secs(15), || asked_with(&fake, &token));
    wait_for("the numbers on the tray", Duration::from_secs(10), || (tray.label() == "75%").then_some(()));
}
