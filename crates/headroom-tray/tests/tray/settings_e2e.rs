//! Settings in the real webview, end to end: the first run opens the settings window by itself,
//! a token pasted there lands in the real keychain (and nowhere else) and brings the fake's
//! numbers, a changed threshold survives a restart, and when the service then rejects the token
//! the dashboard's error banner names the fix.
#![cfg(target_os = "linux")]

use std::process::Command;
use std::time::Duration;

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::jwt::{make_jwt, TestClaims};
use headroom_testkit::{scenarios, FakeService};
use serde_json::json;

fn secret_tool_lookup() -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "Headroom", "username", "access-token"])
        .output()
        .ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_pasted_token_and_a_changed_threshold_persist_and_a_rejection_shows_its_fix() {
    let Some(_turn) = webdriver_or_skip() else {
        return;
    };
    let _vault = PastedTokensCleared::now();
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(42.0, 17.0, 7_920, 388_800));
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    std::fs::create_dir_all(home.join(".codex")).unwrap();
    let mut env = app_vars(&home, &home.join(".codex"), root.path(), &fake.base_url());
    env.push(("GTK_THEME", "Adwaita".into()));

    // First run, no login anywhere: the settings window explains the ways in. (That the tray
    // opens it by itself on first run is desktop_two_processes' test: WebDriver can only drive
    // a window process it started.)
    let (group, driver) = Driver::start(&env, &["--open", "settings"], &root.path().join("tauri-driver-1.log"));
    let welcome = wait_for("the first-run explanation", Duration::from_secs(20), || driver.text("#welcome"));
    assert!(
        welcome.contains("codex login") && welcome.contains("paste a token") && welcome.contains("session logs"),
        "{welcome}"
    );
    driver.screenshot("settings-first-run-light.png");

    // Paste a token (with its "Bearer " prefix, as copied from the browser).
    let token = make_jwt(&TestClaims {
        email_in_profile_claim: true,
        ..TestClaims::plus("paste@example.com", "acct-p", 9 * 86_400)
    });
    let field = driver.find("#token-paste").unwrap();
    driver.call(
        reqwest::Method::POST,
        &format!("/session/{}/element/{field}/value", driver.session),
        Some(json!({"text": format!("Bearer {token}")})),
    );
    driver.click("#token-save");
    let message = wait_for("the saved message", Duration::from_secs(10), || driver.text("#token-message"));
    assert_eq!(message, "Saved in the OS keychain for paste@example.com.");
    assert_eq!(secret_tool_lookup().as_deref(), Some(token.as_str()), "the token is in the Secret Service");
    let mask = wait_for("the token's mask", Duration::from_secs(10), || driver.text(".token-mask"));
    assert_eq!(mask, format!("{}…{}", &token[..6], &token[token.len() - 4..]), "only the mask comes back");
    assert!(driver.text("#token-paste").unwrap_or_default().is_empty(), "the field is emptied");
    wait_for("a request with the pasted token", Duration::from_secs(10), || {
        fake.requests()
            .iter()
            .find(|r| r.header("authorization") == Some(format!("Bearer {token}").as_str()))
            .map(|_| ())
    });

    // With numbers, the snooze names the reset it would wait for.
    let until_reset = wait_for("the until-reset snooze", Duration::from_secs(10), || driver.text("#pause-reset"));
    assert!(until_reset.starts_with("Until the 5-hour limit resets ("), "{until_reset}");

    // Change a threshold: saved at once.
    driver.fill("#thresholds-5h", "70, 90\n");
    driver.click("#poll-interval"); // moves the focus, which commits the field
    wait_for("the settings to save", Duration::from_secs(10), || driver.text("#saved"));
    // "Saved." may still be showing from an earlier save for a moment: the file is what counts.
    let settings_file = root.path().join("config/headroom/settings.toml");
    let read = || std::fs::read_to_string(&settings_file).unwrap_or_default();
    let saved = poll_until(Duration::from_secs(10), || Some(read()).filter(|f| f.contains("5h = [70, 90]")));
    let file = saved.unwrap_or_else(|| panic!("the new thresholds in settings.toml:\n{}", read()));
    assert!(!file.contains(&token[20..60]), "no token in the settings file");
    driver.screenshot("settings-light.png");

    // Snooze from the settings window: paused for an hour, then resumed.
    driver.click("#pause button");
    wait_for("the pause to show", Duration::from_secs(5), || {
        driver.text("#pause span").filter(|t| t.starts_with("Alerts paused until "))
    });
    driver.click("#pause button");
    wait_for("the pause to end", Duration::from_secs(5), || driver.text("#pause span").filter(|t| t == "Snooze:"));
    driver.quit();
    drop(group);

    // Restarted: the threshold is still set, and the pasted token still gives numbers.
    let (group, driver) = Driver::start(&env, &["--open", "settings"], &root.path().join("tauri-driver-2.log"));
    wait_for("the threshold as saved before the restart", Duration::from_secs(20), || {
        let field = driver.find("#thresholds-5h")?;
        let value = driver.call(
            reqwest::Method::GET,
            &format!("/session/{}/element/{field}/property/value", driver.session),
            None,
        );
        (value.as_str() == Some("70, 90")).then_some(())
    });
    driver.quit();
    drop(group);

    // The service rejects the token: the dashboard names the fix.
    fake.respond(Route::Usage, scenarios::usage("unauthorized").unwrap());
    let (_group, driver) = Driver::start(&env, &["--open", "dashboard"], &root.path().join("tauri-driver-3.log"));
    let banner = wait_for("the error banner", Duration::from_secs(20), || driver.text(".banner.error strong"));
    assert_eq!(banner, "Pasted token rejected — paste a new one in Settings");
    assert_eq!(driver.text(".banner.error .action").as_deref(), Some("Paste a fresh token in Settings"));
    driver.screenshot("dashboard-pasted-token-rejected-light.png");
    driver.quit();
    drop(_group);

    // The settings window in the dark theme, for a person to look at.
    let mut dark = env.clone();
    dark[5] = ("GTK_THEME", "Adwaita:dark".into());
    let (_group, driver) = Driver::start(&dark, &["--open", "settings"], &root.path().join("tauri-driver-4.log"));
    wait_for("the settings page", Duration::from_secs(20), || driver.find(".token-mask"));
    driver.screenshot("settings-dark.png");
    driver.quit();
}
