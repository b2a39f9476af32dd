//! The user's hooks in the running tray: with notifications off, a hook that writes its
//! environment and stdin to a file runs exactly once per crossing (80 % used, then the limit),
//! its files hold the event and never a token or key, a hook that hangs is stopped at 30 s and
//! said once in the menu, and polling goes on meanwhile.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeService};
use zbus::blocking::Connection;

/// The files the recording hook wrote, one `.env` and one `.json` per run, by run.
fn hook_runs(dir: &std::path::Path) -> Vec<(String, serde_json::Value)> {
    let mut envs: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "env")).collect()
        })
        .unwrap_or_default();
    envs.sort();
    envs.iter()
        .filter_map(|env| {
            let json = std::fs::read_to_string(env.with_extension("json")).ok()?;
            Some((std::fs::read_to_string(env).ok()?, serde_json::from_str(json.trim()).ok()?))
        })
        .collect()
}

#[test]
fn hooks_run_once_per_crossing_without_secrets_and_a_hanging_hook_is_stopped() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(50.0, 20.0, 7_920, 388_800));
    let root = tempfile::tempdir().unwrap();
    let (home, codex_home, token) = home_with_codex_login(root.path(), 9 * 86_400);
    let auth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(codex_home.join("auth.json")).unwrap()).unwrap();
    let refresh = auth["tokens"]["refresh_token"].as_str().unwrap().to_string();
    let runs = root.path().join("hook-runs");
    std::fs::create_dir_all(&runs).unwrap();
    // Each run writes <time>-<pid>.env and .json; the second hook hangs.
    let record = format!(
        "sh -c 'f={dir}/$(date +%s%N)-$$; env > $f.env.tmp; cat > $f.json; mv $f.env.tmp $f.env'",
        dir = runs.display()
    );
    let settings = format!(
        "[alerts]\nenabled = false\n\n[display]\npoll_interval_minutes = 1\n\n\
         [[hooks]]\non = [\"threshold\", \"limit_reached\"]\nrun = {record:?}\n\n\
         [[hooks]]\non = [\"threshold\"]\nrun = \"sleep 607\"\n"
    );
    let config = config_with_settings(root.path(), &settings);
    let monitor_log = root.path().join("notify-calls.log");
    let _monitor = start_notification_monitor(&monitor_log);
    let (_watcher, registrations) = start_tray_host(root.path());
    let env = AppEnv { home, codex_home, config, data: root.path().join("data"), extra_path: None };
    let log = root.path().join("headroom-tray.log");
    let api_key = "sk-proj-hook-test-key-never-passed-on";
    let _app = env.launch_with(&fake.base_url(), &log, &[("OPENAI_API_KEY", api_key)]);
    let _show_log = AppLog(log.clone());
    let conn = Connection::session().unwrap();
    let (sender, path) = wait_for("the tray item", Duration::from_secs(20), || registration(&registrations, 1));
    let tray = Tray::connect(&conn, &sender, &path);
    wait_for("the numbers", Duration::from_secs(20), || (tray.label() == "50%").then_some(()));
    assert!(hook_runs(&runs).is_empty(), "the first numbers are the baseline");

    // 80 % crossed: the recording hook runs once, with the event.
    fake.respond(Route::Usage, scenarios::plus(85.0, 20.0, 7_900, 388_700));
    tray.click("Refresh now");
    let first = wait_for("the threshold hook", Duration::from_secs(20), || {
        let runs = hook_runs(&runs);
        (!runs.is_empty()).then_some(runs)
    });
    let (environment, event) = &first[0];
    assert!(environment.contains("HEADROOM_EVENT=threshold\n"), "{environment}");
    assert!(environment.contains("HEADROOM_ACCOUNT=dev@example.com\n"), "{environment}");
    assert!(environment.contains("HEADROOM_WINDOW=5h\n"), "{environment}");
    assert!(environment.contains("HEADROOM_LEFT_PERCENT=15\n"), "{environment}");
    assert!(environment.contains("HEADROOM_RESETS_AT=20"), "{environment}");
    assert_eq!((event["event"].as_str(), event["left_percent"].as_f64()), (Some("threshold"), Some(15.0)));
    assert_eq!(event["test"], false);

    // The same side of 80 % again: nothing runs. Polling goes on while `sleep 607` hangs.
    std::thread::sleep(Duration::from_secs(6));
    fake.respond(Route::Usage, scenarios::plus(88.0, 20.0, 7_880, 388_680));
    tray.click("Refresh now");
    wait_for("numbers while a hook hangs", Duration::from_secs(20), || (tray.label() == "12%").then_some(()));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(hook_runs(&runs).len(), 1, "once per crossing");

    // The hanging hook is stopped at 30 s and said once in the menu.
    let stopped = "⚠ The hook `sleep 607` ran longer than 30 seconds and was stopped: make it quicker, or start its slow part in the background.";
    wait_for("the hanging hook's line", Duration::from_secs(45), || {
        tray.labels().iter().any(|l| l == stopped).then_some(())
    });
    // This test's hook only (its HOME is under `root`): another run's may still be sleeping.
    assert_eq!(processes_of("sleep", root.path()), Vec::<u32>::new(), "the hanging hook was killed");
    assert_eq!(tray.labels().iter().filter(|l| l.starts_with('⚠')).count(), 1, "{:?}", tray.labels());

    // The limit: the recording hook runs once more.
    std::thread::sleep(Duration::from_secs(6));
    fake.respond(Route::Usage, scenarios::plus(100.0, 20.0, 7_860, 388_660));
    tray.click("Refresh now");
    let both = wait_for("the limit hook", Duration::from_secs(20), || {
        let runs = hook_runs(&runs);
        (runs.len() == 2).then_some(runs)
    });
    assert!(both[1].0.contains("HEADROOM_EVENT=limit_reached\n"), "{}", both[1].0);
    assert_eq!(both[1].1["left_percent"], 0.0);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(hook_runs(&runs).len(), 2);

    // No secret in anything a hook received; no notification (they are off).
    for (environment, event) in &both {
        let event = event.to_string();
        for secret in [token.as_str(), refresh.as_str(), api_key] {
            assert!(!environment.contains(secret) && !event.contains(secret), "a secret reached a hook");
        }
    }
    assert_eq!(notifications(&monitor_log), Vec::<String>::new(), "notifications are off");
}
