//! Codex's login changed account while Headroom was not running, and the tray starts offline:
//! the numbers it saved at its last exit are old@'s, and the login is now new@'s. The tray (the
//! real process, asked over its socket as the dashboard asks, and its menu on the real tray
//! host) never shows old@'s numbers under new@'s name: it says it cannot read new@'s yet. Before,
//! the saved snapshot went to whichever account was shown ("new@ · Plus · default — 17 % left").
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};
use serde_json::json;
use zbus::blocking::Connection;

#[test]
fn an_old_accounts_saved_numbers_are_never_shown_under_the_new_login() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let (home, codex_home, _) = home_with_codex_login(root.path(), 9 * 86_400);
    // The login is now new@'s.
    let new = make_jwt(&TestClaims {
        email_in_profile_claim: true,
        ..TestClaims::plus("new@example.com", "acct-new", 9 * 86_400)
    });
    std::fs::write(codex_home.join("auth.json"), codex_auth_json(&new, &new, Some("acct-new"))).unwrap();
    // The numbers saved at the last exit: old@'s, 83 % used on the 5-hour window.
    let data = root.path().join("data");
    std::fs::create_dir_all(data.join("headroom")).unwrap();
    let observed = chrono::Utc::now() - chrono::Duration::minutes(20);
    let saved = json!({
        "plan": "plus", "account": {"email": "old@example.com", "account_id": "acct-old", "user_id": "user-old"},
        "windows": [{"limit": "codex", "limit_name": null, "kind": "5h", "window_seconds": 18000, "used_percent": 83.0,
                     "resets_at": (observed + chrono::Duration::hours(2)).to_rfc3339(), "reset_since_observed": false}],
        "credits": null, "limit_reached": false, "limit_reached_reason": null, "spend_control": null,
        "observed_at": observed.to_rfc3339(), "source": "api"
    });
    std::fs::write(data.join("headroom/last-snapshot.json"), saved.to_string()).unwrap();
    let (_host, registrations) = start_tray_host(root.path());
    let env = AppEnv { home, codex_home, config: root.path().join("config"), data, extra_path: None };
    let log = root.path().join("headroom-tray.log");
    // Offline: nothing answers at this address.
    let _app = env.launch("http://127.0.0.1:9/backend-api", &log);
    let _log_on_failure = AppLog(log.clone());
    let (sender, path) = wait_for("the tray item", Duration::from_secs(20), || registration(&registrations, 1));
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &sender, &path);
    let labels = wait_for("the offline menu", Duration::from_secs(30), || {
        Some(tray.labels()).filter(|l| l.iter().any(|l| l.starts_with("Offline") || l.starts_with("Could not")))
    });
    assert!(!labels.iter().any(|l| l.contains("17% left")), "old@'s numbers under new@: {labels:?}");
    assert!(!labels.iter().any(|l| l.contains("old@example.com")), "{labels:?}");

    let mut client = Socket::connect(&socket_of(&log));
    let view = client.ask(1, json!({"call": "dashboard"}))["ok"].clone();
    assert_eq!(view["windows"], json!([]), "no numbers for new@ yet: {view}");
    assert_ne!(view["email"], "old@example.com", "{view}");
    assert!(view["error"]["short"].as_str().is_some_and(|s| s.starts_with("Offline")), "it says why: {view}");
}
