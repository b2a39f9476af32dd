//! The fallback key from the tray: blocked by the weekly limit with a key stored, the menu
//! offers the switch; it saves the ChatGPT login, hands Codex the key (the real Codex CLI, which
//! writes its own login), marks the icon and the menu, says what open sessions keep using, keeps
//! reading the plan with the saved login, and switches back to the original login byte for byte.
#![cfg(target_os = "linux")]

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;
use headroom_core::present::tray_view::{IconBar, IconState, Level};
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeService};
use zbus::blocking::Connection;

const KEY: &str = "sk-test-tray-fallback-0123456789abcdefghijkl";

fn secret_tool(args: &[&str], input: Option<&str>) -> bool {
    use std::io::Write;
    let mut child = Command::new("secret-tool").args(args).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    if let Some(input) = input {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait().unwrap().success()
}

#[test]
fn blocked_with_a_key_the_tray_switches_codex_and_back() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::usage("plus-weekly-exhausted").unwrap());
    let root = tempfile::tempdir().unwrap();
    let (home, codex_home, token) = home_with_codex_login(root.path(), 9 * 86_400);
    let original = std::fs::read_to_string(codex_home.join("auth.json")).unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    install_real_codex(&bin);
    // The key as the keyring crate stores it (its `target` attribute included).
    assert!(secret_tool(
        &[
            "store",
            "--label=Headroom fallback key",
            "target",
            "default",
            "service",
            "Headroom",
            "username",
            "fallback-api-key"
        ],
        Some(KEY)
    ));
    let _cleanup = Cleanup;

    let monitor_log = root.path().join("notify-calls.log");
    let _monitor = start_notification_monitor(&monitor_log);
    let (_host, registrations) = start_tray_host(root.path());
    let env = AppEnv {
        home,
        codex_home: codex_home.clone(),
        config: root.path().join("config"),
        data: root.path().join("data"),
        extra_path: Some(bin.clone()),
    };
    let log = root.path().join("headroom-tray.log");
    let _app = env.launch(&fake.base_url(), &log);
    let _log_on_failure = AppLog(log.clone());
    let (sender, path) = wait_for("the tray item", Duration::from_secs(20), || registration(&registrations, 1));
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &sender, &path);

    let offer = "Switch Codex to API key (billed at API rates)";
    wait_for("the offer in the menu", Duration::from_secs(20), || {
        tray.labels().iter().any(|l| l == offer).then_some(())
    });
    tray.click(offer);
    // A click that lands while the menu is being rebuilt (the poll's answer redraws it) names an
    // entry that is gone and is refused: as a person would, click again while Codex was not asked.
    let argv_log = bin.join("codex-argv.log");
    let mut clicked = std::time::Instant::now();
    wait_for("the switch", Duration::from_secs(25), || {
        if !argv_log.exists() && clicked.elapsed() > Duration::from_secs(5) && tray.labels().iter().any(|l| l == offer)
        {
            tray.click(offer);
            clicked = std::time::Instant::now();
        }
        std::fs::read_to_string(codex_home.join("auth.json")).ok().filter(|a| a.contains("apikey")).map(|_| ())
    });
    // Codex took the key on stdin (never in its arguments) and wrote its own login.
    let argv = std::fs::read_to_string(bin.join("codex-argv.log")).unwrap();
    assert_eq!(argv.trim(), "login --with-api-key");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(codex_home.join("auth.json")).unwrap()).unwrap();
    assert_eq!(written, serde_json::json!({"auth_mode": "apikey", "OPENAI_API_KEY": KEY}));
    let keep_plan = "Codex sessions that are already open keep using your ChatGPT plan until you restart them or run `codex resume`.";
    wait_for("the menu to say so", Duration::from_secs(10), || {
        let labels = tray.labels();
        (labels.iter().any(|l| l == "Codex is using your API key (billed at API rates)")
            && labels.iter().any(|l| l == keep_plan)
            && labels.iter().any(|l| l == "Switch Codex back to your ChatGPT plan"))
        .then_some(())
    });
    let marked = IconState {
        bars: vec![IconBar { fill: 97, level: Level::Plenty }, IconBar { fill: 0, level: Level::Blocked }],
        dimmed: false,
        limit_reached: true,
        on_api_key: true,
    };
    wait_for("the icon's API-key mark", Duration::from_secs(10), || icon_shows(&tray.icon(), &marked).then_some(()));
    let sent = wait_for("the notification", Duration::from_secs(10), || {
        Some(notifications(&monitor_log)).filter(|n| n.iter().any(|t| t == "Codex switched to your API key"))
    });
    assert!(sent.iter().any(|t| t == "Codex weekly limit reached"), "{sent:?}");
    let calls_on_the_bus = std::fs::read_to_string(&monitor_log).unwrap();
    assert!(
        calls_on_the_bus.contains("Your fallback API key can keep Codex going"),
        "the offer rides on the limit alert"
    );
    assert!(calls_on_the_bus.contains(keep_plan), "the switch's notification says what open sessions keep");

    // The plan is still read, with the saved ChatGPT login.
    fake.clear_requests();
    tray.refresh_now();
    wait_for("a request with the saved login", Duration::from_secs(10), || {
        fake.requests()
            .iter()
            .find(|r| r.header("authorization") == Some(format!("Bearer {token}").as_str()))
            .map(|_| ())
    });

    tray.click("Switch Codex back to your ChatGPT plan");
    wait_for("the original login back", Duration::from_secs(15), || {
        (std::fs::read_to_string(codex_home.join("auth.json")).ok().as_deref() == Some(original.as_str())).then_some(())
    });
    wait_for("the notification", Duration::from_secs(10), || {
        notifications(&monitor_log).iter().any(|t| t == "Codex is back on your ChatGPT plan").then_some(())
    });
    let keep_key = "Codex sessions that are already open keep using the API key (billed at API rates) until you restart them or run `codex resume`.";
    assert!(std::fs::read_to_string(&monitor_log).unwrap().contains(keep_key));
    wait_for("the menu's word on open sessions", Duration::from_secs(10), || {
        tray.labels().iter().any(|l| l == keep_key).then_some(())
    });
    let app_log = std::fs::read_to_string(&log).unwrap();
    assert!(!app_log.contains(KEY), "the key never reaches the log");

    // Opted in: a fresh start at the limit switches by itself, without a click.
    drop(_app);
    let seen = std::fs::read_to_string(&registrations).unwrap_or_default().lines().count();
    std::fs::create_dir_all(root.path().join("config-auto/headroom")).unwrap();
    std::fs::write(root.path().join("config-auto/headroom/settings.toml"), "[fallback]\nautomatic = true\n").unwrap();
    let auto = AppEnv { config: root.path().join("config-auto"), data: root.path().join("data-auto"), ..env };
    let _app = auto.launch(&fake.base_url(), &root.path().join("headroom-tray-auto.log"));
    let (sender, path) =
        wait_for("the restarted tray", Duration::from_secs(20), || registration(&registrations, seen + 1));
    let tray = Tray::connect(&conn, &sender, &path);
    wait_for("the automatic switch", Duration::from_secs(20), || {
        std::fs::read_to_string(codex_home.join("auth.json")).ok().filter(|a| a.contains("apikey")).map(|_| ())
    });
    tray.click("Switch Codex back to your ChatGPT plan");
    wait_for("the original login back", Duration::from_secs(15), || {
        (std::fs::read_to_string(codex_home.join("auth.json")).ok().as_deref() == Some(original.as_str())).then_some(())
    });
}

/// Removes the test's keychain entries.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        for account in ["fallback-api-key", "saved-codex-login"] {
            let _ = Command::new("secret-tool").args(["clear", "service", "Headroom", "username", account]).status();
        }
    }
}
