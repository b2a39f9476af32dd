//! The settings window field by field, in the real webview: a wrong value is named beside its
//! field (aria-invalid, aria-describedby) and every other field is still saved; a cleared
//! "Refresh every" is a problem of that field, not of the whole form; pace alerts and the
//! monthly and other thresholds can be edited; with only session-log numbers the welcome box
//! says so. Before the fix one wrong field stopped every field from saving, its message sat
//! at the bottom of the page, a cleared interval failed the whole save, and the welcome box said
//! "Headroom has not found your Codex numbers yet" beside session-log numbers. Quiet hours'
//! times are two fields, each with its own problem.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use chrono::{SecondsFormat, Utc};
use headroom_core::WindowKind;
use headroom_testkit::FakeService;
use serde_json::json;

/// The thresholds the file says for `kind`, read as Headroom reads it (the file's own spelling
/// of the table, `5h` or `"5h"`, is the writer's business).
fn thresholds(file: &str, kind: WindowKind) -> Vec<u8> {
    headroom_core::settings::parse(file).0.thresholds_for(kind).to_vec()
}

/// One `token_count` line in Codex's session-log shape, with rate limits and no usage.
fn session_log(codex_home: &std::path::Path) {
    let now = Utc::now();
    let day = codex_home.join(format!("sessions/{}", now.format("%Y/%m/%d")));
    std::fs::create_dir_all(&day).unwrap();
    let line = json!({"timestamp": now.to_rfc3339_opts(SecondsFormat::Millis, true), "type": "event_msg", "payload": {
        "type": "token_count", "info": null,
        "rate_limits": {"limit_id": "codex", "limit_name": null,
            "primary": {"used_percent": 35.0, "window_minutes": 300, "resets_at": now.timestamp() + 9_000},
            "secondary": {"used_percent": 12.0, "window_minutes": 10080, "resets_at": now.timestamp() + 400_000},
            "credits": null, "plan_type": "plus", "rate_limit_reached_type": null}}});
    let name = format!("rollout-{}-0199a213-81c0-7800-8aa1-bbab2a035a53.jsonl", now.format("%Y-%m-%dT%H-%M-%S"));
    std::fs::write(day.join(name), format!("{line}\n")).unwrap();
}

#[test]
fn a_wrong_field_is_named_beside_itself_and_the_others_still_save() {
    let Some(_turn) = webdriver_or_skip() else {
        return;
    };
    // No login anywhere, only a session log: the numbers come from it.
    let fake = FakeService::start();
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    let codex_home = home.join(".codex");
    session_log(&codex_home);
    let mut env = app_vars(&home, &codex_home, root.path(), &fake.base_url());
    env.push(("GTK_THEME", "Adwaita".into()));
    let settings_file = root.path().join("config/headroom/settings.toml");
    let (_group, driver) = Driver::start(&env, &["--open", "settings"], &root.path().join("tauri-driver.log"));

    let welcome = wait_for("the welcome box", Duration::from_secs(20), || driver.text("#welcome"));
    assert!(welcome.starts_with("Headroom shows the numbers from Codex's session logs"), "{welcome}");
    assert!(!welcome.contains("has not found"), "{welcome}");

    // One wrong threshold, one good one, a monthly one and the pace toggle, in one go.
    driver.fill("#thresholds-5h", "80, 95,200");
    driver.fill("#thresholds-weekly", "60, 90");
    driver.fill("#thresholds-monthly", "50, 90");
    driver.click("#pace");
    let expected = "5-hour window: Percentages go from 1 to 100.";
    if poll_until(Duration::from_secs(10), || {
        (driver.text("#thresholds-5h-problem").as_deref() == Some(expected)).then_some(())
    })
    .is_none()
    {
        panic!("beside the 5-hour field: {:?}", driver.text("#thresholds-5h-problem"));
    }
    assert_eq!(driver.attribute("#thresholds-5h", "aria-invalid").as_deref(), Some("true"));
    assert_eq!(driver.attribute("#thresholds-5h", "aria-describedby").as_deref(), Some("thresholds-5h-problem"));
    assert_eq!(driver.attribute("#thresholds-weekly", "aria-invalid"), None, "the good field is not marked");
    let field = driver.rect("#thresholds-5h").unwrap();
    let message = driver.rect("#thresholds-5h-problem").unwrap();
    let gap = message.1 - (field.1 + field.3);
    assert!((0.0..40.0).contains(&gap), "the message sits right under its field: field {field:?}, message {message:?}");
    assert_eq!(driver.text("#thresholds-5h").unwrap_or_default(), "", "a text input's text is its value");
    let file = poll_until(Duration::from_secs(10), || {
        std::fs::read_to_string(&settings_file).ok().filter(|f| {
            thresholds(f, WindowKind::Weekly) == [60, 90]
                && thresholds(f, WindowKind::Monthly) == [50, 90]
                && headroom_core::settings::parse(f).0.toggles.pace
        })
    })
    .unwrap_or_else(|| panic!("the good fields were not saved: {:?}", std::fs::read_to_string(&settings_file)));
    assert_eq!(thresholds(&file, WindowKind::FiveHour), [80, 95], "the wrong field kept its old value: {file}");
    assert!(file.starts_with("# Headroom settings."), "a new file opens with what it is: {file}");
    let shot = driver.screenshot("settings-field-problem.png");
    let _ = writeln_stderr(&format!("screenshot: {}", shot.display()));

    // "Refresh every" cleared: that field's problem; the rest is still saved.
    driver.fill("#poll-interval", "");
    driver.fill("#thresholds-5h", "70, 90");
    driver.click("h1"); // the focus moves on: the field's change
    let problem = poll_until(Duration::from_secs(10), || driver.text("#poll-interval-problem")).unwrap_or_else(|| {
        let shot = driver.screenshot("settings-interval-failed.png");
        panic!("no problem beside the interval ({}): {:?}", shot.display(), std::fs::read_to_string(&settings_file))
    });
    assert_eq!(problem, "The poll interval must be from 1 to 60 minutes.");
    assert_eq!(driver.attribute("#poll-interval", "aria-invalid").as_deref(), Some("true"));
    wait_for("the corrected threshold saved", Duration::from_secs(10), || {
        std::fs::read_to_string(&settings_file).ok().filter(|f| thresholds(f, WindowKind::FiveHour) == [70, 90])
    });
    assert!(driver.text("#thresholds-5h-problem").is_none(), "the corrected field's problem is gone");
    let file = std::fs::read_to_string(&settings_file).unwrap();
    assert_eq!(headroom_core::settings::parse(&file).0.poll_interval_minutes, 5, "the interval kept its value: {file}");

    // Quiet hours "22:00" to "25:00": only the end is wrong, and only it is marked. Before the fix
    // both fields were marked with "need two different times".
    driver.fill("#poll-interval", "5");
    driver.fill("#quiet-start", "22:00");
    driver.fill("#quiet-end", "25:00");
    driver.click("h1");
    let problem = wait_for("the quiet hours' problem", Duration::from_secs(10), || driver.text("#quiet-end-problem"));
    assert_eq!(problem, "25:00 is not a time of day: write it as HH:MM, such as 22:00.");
    assert_eq!(driver.attribute("#quiet-end", "aria-invalid").as_deref(), Some("true"));
    assert_eq!(driver.attribute("#quiet-start", "aria-invalid"), None, "22:00 is right");
    assert_eq!(driver.text("#quiet-start-problem"), None);
    driver.quit();
}
