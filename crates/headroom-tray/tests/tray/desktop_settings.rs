//! settings.toml shared by the running tray and everything else: a home added with `headroom
//! accounts add` while the tray runs is in its menu at once (no restart); a save from the
//! Settings window (over the tray's socket, as the window process sends it) changes only what the
//! user changed, keeping that home, a hook written by hand and the file's comments; and a pin
//! made while a Settings save is in flight keeps both. Before, every save started from the tray's
//! start-up copy and erased what the CLI or an editor had written.
#![cfg(target_os = "linux")]

use std::process::Command;
use std::time::Duration;

use crate::common::*;
use headroom_testkit::{scenarios, FakeService};
use serde_json::json;
use zbus::blocking::Connection;

const WRITTEN: &str = "# My Headroom — hooks written by hand, keep them.\n[display]\npoll_interval_minutes = 5\n\n[[hooks]]\non = [\"limit_reached\"]\nrun = \"true\"  # my own hook\n";

/// The `headroom` CLI built beside the tray (the workspace's tests build every binary).
fn cli(env: &AppEnv, base_url: &str, args: &[&str]) -> (i32, String, String) {
    let binary = app_binary().with_file_name("headroom");
    assert!(binary.exists(), "the headroom CLI is built beside the tray: {}", binary.display());
    let out = Command::new(binary)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &env.home)
        .env("CODEX_HOME", &env.codex_home)
        .env("XDG_CONFIG_HOME", &env.config)
        .env("XDG_DATA_HOME", &env.data)
        .env("HEADROOM_CHATGPT_BASE_URL", base_url)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_tray_takes_outside_changes_at_once_and_its_saves_keep_them() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    fake.respond_for_account("acct-1", scenarios::plus(30.0, 10.0, 5_400, 300_000));
    fake.respond_for_account("acct-work", scenarios::plus(40.0, 20.0, 9_000, 300_000));
    let running = start_tray(&fake, Some(WRITTEN));
    let (env, log) = (&running.env, &running.log);
    let work = codex_home_for(running.root.path(), "codex-work", "work@example.com", "acct-work");
    let settings_file = env.config.join("headroom/settings.toml");
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &running.item.0, &running.item.1);
    wait_for("the first numbers", Duration::from_secs(20), || {
        tray.labels().iter().any(|l| l.starts_with("5-hour: 70% left")).then_some(())
    });

    // A home added with the CLI while the tray runs: in the menu at once.
    let (code, stdout, stderr) = cli(env, &fake.base_url(), &["accounts", "add", work.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("A running tray picks it up at once."), "{stdout}");
    let labels = wait_for("the added account in the menu", Duration::from_secs(20), || {
        Some(tray.labels()).filter(|l| l.iter().any(|l| l.starts_with("Codex · Plus · work@example.com")))
    });
    assert!(labels.iter().any(|l| l.starts_with("5-hour: 60% left")), "{labels:?}");

    // A Settings save through the socket, as the window sends it: only the poll interval changed.
    let socket = socket_of(log);
    let mut client = Socket::connect(&socket);
    let form = client.ask(1, json!({"call": "settings"}))["ok"].clone();
    assert!(!form.is_null(), "the settings form");
    let mut changed = form.clone();
    changed["poll_interval_minutes"] = json!(10);
    let saved = client.ask(2, json!({"call": "save_settings", "form": changed}));
    assert_eq!(saved["ok"]["problems"], json!([]), "{saved}");
    let text = std::fs::read_to_string(&settings_file).unwrap();
    assert!(
        text.starts_with("# My Headroom — hooks written by hand, keep them.\n[display]\npoll_interval_minutes = 10\n"),
        "{text}"
    );
    assert!(text.contains("run = \"true\"  # my own hook"), "the hand-written hook stays: {text}");
    assert!(text.contains(&format!("homes = [\"{}\"]", work.display())), "the CLI's home stays: {text}");

    // A pin and a Settings save at once: both land.
    let mut other = Socket::connect(&socket);
    let mut thresholds = form.clone();
    thresholds["poll_interval_minutes"] = json!(10);
    thresholds["thresholds"]["5h"] = json!([60, 90]);
    let saving = std::thread::spawn(move || client.ask(3, json!({"call": "save_settings", "form": thresholds})));
    let pinned = other.ask(4, json!({"call": "pin_account", "account": "acct-work/user-work"}));
    assert!(pinned.get("error").is_none() || pinned["error"].is_null(), "{pinned}");
    let saved = saving.join().unwrap();
    assert_eq!(saved["ok"]["problems"], json!([]), "{saved}");
    let text = std::fs::read_to_string(&settings_file).unwrap();
    assert!(text.contains("pinned = \"acct-work/user-work\""), "{text}");
    assert!(text.contains("5h = [60, 90]"), "{text}");
    assert!(text.contains("run = \"true\"  # my own hook"), "{text}");

    // An editor changes a threshold after the window loaded its form; the window's next save,
    // of another field, sends the form it was shown as its base and does not put the old
    // threshold back.
    let settings_now = |socket: &mut Socket, id: u64| socket.ask(id, json!({"call": "settings"}))["ok"].clone();
    let shown_form = settings_now(&mut other, 5);
    std::fs::write(&settings_file, text.replace("5h = [60, 90]", "5h = [70, 90]")).unwrap();
    wait_for("the editor's threshold taken", Duration::from_secs(10), || {
        (settings_now(&mut other, 6)["thresholds"]["5h"] == json!([70, 90])).then_some(())
    });
    let mut interval = shown_form.clone();
    interval["poll_interval_minutes"] = json!(15);
    let saved = other.ask(7, json!({"call": "save_settings", "form": interval, "base": shown_form}));
    assert_eq!(saved["ok"]["problems"], json!([]), "{saved}");
    let text = std::fs::read_to_string(&settings_file).unwrap();
    assert!(text.contains("5h = [70, 90]"), "the editor's threshold stays: {text}");
    assert!(text.contains("poll_interval_minutes = 15"), "{text}");

    // A file broken by hand: the tray keeps the settings it has (not the defaults) and says so
    // once; fixed, it is taken.
    let monitor_log = running.root.path().join("notifications.log");
    let _monitor = start_notification_monitor(&monitor_log);
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(&settings_file, text.replace("[display]", "[display")).unwrap();
    let told = wait_for("the broken file told", Duration::from_secs(10), || {
        notifications_with_bodies(&monitor_log)
            .into_iter()
            .find(|(summary, _)| summary == "Headroom's settings file has problems")
    });
    assert!(
        told.1.starts_with("The settings file is not valid TOML (line ")
            && told.1.ends_with("; the settings in use are kept until it is fixed."),
        "{told:?}"
    );
    std::thread::sleep(Duration::from_secs(1));
    let kept = settings_now(&mut other, 8);
    assert_eq!(kept["poll_interval_minutes"], json!(15), "{kept}");
    assert_eq!(kept["thresholds"]["5h"], json!([70, 90]), "{kept}");
    let labels = tray.labels();
    assert!(labels.iter().any(|l| l.starts_with("Codex · Plus · work@example.com")), "{labels:?}");
    std::fs::write(&settings_file, text.replace("poll_interval_minutes = 15", "poll_interval_minutes = 20")).unwrap();
    wait_for("the fixed file taken", Duration::from_secs(10), || {
        (settings_now(&mut other, 9)["poll_interval_minutes"] == json!(20)).then_some(())
    });
    let told = || notifications(&monitor_log).into_iter().filter(|n| n.contains("settings file")).count();
    assert_eq!(told(), 1, "told once");

    // Two wrong values, told together; one fixed while the other stays tells nothing new.
    let fixed = text.replace("poll_interval_minutes = 15", "poll_interval_minutes = 20");
    let two_wrong = fixed.replace("[display]\n", "[display]\nmystery = 1\n").replace("5h = [70, 90]", "5h = \"high\"");
    std::fs::write(&settings_file, &two_wrong).unwrap();
    let body = wait_for("both problems told", Duration::from_secs(10), || {
        notifications_with_bodies(&monitor_log)
            .into_iter()
            .filter(|(summary, _)| summary == "Headroom's settings file has problems")
            .nth(1)
            .map(|(_, body)| body)
    });
    assert!(body.contains("display.mystery") && body.contains("5h"), "{body}");
    std::fs::write(&settings_file, two_wrong.replace("mystery = 1\n", "")).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(told(), 2, "the problem that stays is not told again");
}
