//! An expired Codex login, healed safely: the tray asks `codex app-server` (a fake `codex` on
//! PATH here) to refresh the login, then uses the new one, without ever sending Codex's refresh
//! token anywhere itself.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};
use headroom_testkit::{fake_codex, scenarios, FakeService};
use zbus::blocking::Connection;

#[test]
fn an_expired_codex_login_is_refreshed_by_codex_itself() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(40.0, 10.0, 7_920, 388_800));
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    let codex_home = home.join(".codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    let expired = make_jwt(&TestClaims::plus("dev@example.com", "acct-1", -3_600));
    std::fs::write(codex_home.join("auth.json"), codex_auth_json(&expired, &expired, Some("acct-1"))).unwrap();
    let fresh = make_jwt(&TestClaims::plus("dev@example.com", "acct-1", 9 * 86_400));
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    fake_codex::write(&bin, &codex_auth_json(&fresh, &fresh, Some("acct-1")), None);

    let (_host, registrations) = start_tray_host(root.path());
    let env = AppEnv {
        home: home.clone(),
        codex_home: codex_home.clone(),
        config: root.path().join("config"),
        data: root.path().join("data"),
        extra_path: Some(bin.clone()),
    };
    let log = root.path().join("headroom-tray.log");
    let _app = env.launch(&fake.base_url(), &log);
    let _log_on_failure = AppLog(log.clone());
    let (sender, path) =
        wait_for("the tray item to register", Duration::from_secs(20), || registration(&registrations, 1));
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &sender, &path);

    // Codex is asked, refreshes its own login, and the new one is used: within the 30 s floor.
    wait_for("a request with Codex's refreshed login", Duration::from_secs(45), || {
        fake.requests()
            .iter()
            .find(|r| r.header("authorization") == Some(format!("Bearer {fresh}").as_str()))
            .map(|_| ())
    });
    wait_for("the numbers", Duration::from_secs(10), || (tray.label() == "60%").then_some(()));
    let calls = std::fs::read_to_string(bin.join("codex-calls.log")).unwrap();
    assert!(calls.contains("\"argv\": [\"app-server\"]") && calls.contains("\"refreshToken\":true"), "{calls}");
    assert!(
        fake.requests().iter().all(|r| r.header("authorization") != Some(format!("Bearer {expired}").as_str())),
        "the expired token was never sent"
    );
    assert!(
        fake.requests().iter().all(|r| !format!("{:?}", r.headers).contains("rt-test-refresh-token-never-used")),
        "Codex's refresh token never left the machine through Headroom"
    );
}
