//! The tray process and the window process together, as a user meets them: a click on the icon
//! starts the window process and its dashboard paints; a second launch of the tray opens the
//! dashboard in the running one; the window process going away (closed, killed mid-call) leaves
//! the tray working; a killed tray's socket does not block the next start; the socket answers
//! only well-formed messages from this user; through WebDriver, the window process (started
//! alone, so it starts the tray) shows the tray's numbers and ends when its window closes.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeService};
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use zbus::blocking::Connection;

const FIVE_HOUR: &str = "section[aria-label='5-hour window'] .amount";

fn first_paints(log: &Path) -> usize {
    std::fs::read_to_string(log).unwrap_or_default().matches("first paint").count()
}

struct Pair {
    fake: FakeService,
    root: tempfile::TempDir,
    env: AppEnv,
    registrations: PathBuf,
    _host: Killed,
}

fn pair() -> Pair {
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(70.0, 10.0, 7_920, 388_800));
    let root = tempfile::tempdir().unwrap();
    let (home, codex_home, _token) = home_with_codex_login(root.path(), 9 * 86_400);
    let config = config_with_settings(root.path(), "[display]\npoll_interval_minutes = 1\n");
    let (host, registrations) = start_tray_host(root.path());
    let env = AppEnv { home, codex_home, config, data: root.path().join("data"), extra_path: None };
    Pair { fake, root, env, registrations, _host: host }
}

impl Pair {
    /// Starts the tray (its log in `tray.log`) and waits for its item: the tray, the item's
    /// (bus name, path), and the guard that prints the log if the test fails.
    fn start_tray(&self) -> (Killed, (String, String), AppLog) {
        let tray_log = self.root.path().join("tray.log");
        let tray = self.env.launch_binary(&app_binary(), &self.fake.base_url(), &tray_log, &[]);
        let item =
            wait_for("the tray item to register", Duration::from_secs(20), || registration(&self.registrations, 1));
        (tray, item, AppLog(tray_log))
    }
}

#[test]
fn a_click_starts_the_window_process_and_the_tray_outlives_it() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let pair = pair();
    let root = pair.root.path();
    let (mut tray, (sender, path), log) = pair.start_tray();
    let tray_log = log.0.clone();
    let conn = Connection::session().unwrap();
    let item = Tray::connect(&conn, &sender, &path);
    wait_for("the numbers", Duration::from_secs(20), || (item.label() == "30%").then_some(()));
    let socket = socket_of(&tray_log);
    assert!(processes_of("headroom-window", root).is_empty(), "no window process while no window is open");

    // A left click (Activate): a window process starts and paints the dashboard.
    let clicked = Instant::now();
    item.item.call_method("Activate", &(0i32, 0i32)).unwrap();
    wait_for("the dashboard's first paint", Duration::from_secs(30), || (first_paints(&tray_log) == 1).then_some(()));
    let _ = writeln_stderr(&format!("click → dashboard painted in {} ms (debug build)", clicked.elapsed().as_millis()));
    let windows = processes_of("headroom-window", root);
    assert_eq!(windows.len(), 1, "one window process: {windows:?}");
    std::thread::sleep(Duration::from_millis(500));
    let shot = screenshot("two-processes-dashboard.png");

    // A second click while it runs: the same process shows it, no second one.
    item.item.call_method("Activate", &(0i32, 0i32)).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(processes_of("headroom-window", root), windows, "still the one window process");

    // The window process killed in the middle of calls: the tray goes on.
    let mut stranger = Socket::connect(&socket);
    stranger.send(b"{\"id\":1,\"call\":\"token_usage\"}\n{\"id\":2,\"call\":\"accounts\"}\n");
    drop(stranger);
    for pid in &windows {
        Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    }
    wait_for("the window process to go", Duration::from_secs(10), || {
        processes_of("headroom-window", root).is_empty().then_some(())
    });
    pair.fake.respond(Route::Usage, scenarios::plus(85.0, 10.0, 7_920, 388_800));
    item.click("Refresh now");
    wait_for("the tray to show new numbers", Duration::from_secs(20), || (item.label() == "15%").then_some(()));
    let mut client = Socket::connect(&socket);
    let answer = client.ask(3, json!({"call": "dashboard"}));
    assert_eq!(answer["ok"]["windows"][0]["left_percent"], 15, "{answer}");

    // A second launch of the tray: it asks the running one, which opens the dashboard, and ends.
    let launch_again = |args: &[&str]| {
        Command::new(app_binary())
            .args(args)
            .env("HOME", &pair.env.home)
            .env("CODEX_HOME", &pair.env.codex_home)
            .env("XDG_CONFIG_HOME", &pair.env.config)
            .env("XDG_DATA_HOME", &pair.env.data)
            .env("HEADROOM_CHATGPT_BASE_URL", pair.fake.base_url())
            .output()
            .unwrap()
    };
    let second = launch_again(&[]);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert!(String::from_utf8_lossy(&second.stderr).contains("Headroom is running already"));
    wait_for("the dashboard again", Duration::from_secs(30), || (first_paints(&tray_log) == 2).then_some(()));
    assert_eq!(std::fs::read_to_string(&pair.registrations).unwrap().lines().count(), 1, "one tray item, still");
    // Started at login while it runs: nothing opens.
    for pid in processes_of("headroom-window", root) {
        Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    }
    wait_for("the window process to end", Duration::from_secs(10), || {
        processes_of("headroom-window", root).is_empty().then_some(())
    });
    assert!(launch_again(&["--autostart"]).status.success());
    std::thread::sleep(Duration::from_secs(2));
    assert!(processes_of("headroom-window", root).is_empty(), "a start at login opened a window");

    // Killed, the tray leaves its socket file behind; the next start replaces it.
    for pid in processes_of("headroom-window", root) {
        Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    }
    Command::new("kill").args(["-KILL", &tray.0.id().to_string()]).status().unwrap();
    let _ = tray.0.wait();
    assert!(socket.exists(), "a crash leaves the socket file");
    let restarted_log = root.join("tray-2.log");
    let _restarted = pair.env.launch_binary(&app_binary(), &pair.fake.base_url(), &restarted_log, &[]);
    wait_for("the restarted tray to register", Duration::from_secs(20), || registration(&pair.registrations, 2));
    assert_eq!(socket_of(&restarted_log), socket);
    let mut client = Socket::connect(&socket);
    let answer = client.ask(1, json!({"call": "settings"}));
    assert_eq!(answer["ok"]["poll_interval_minutes"], 1, "{answer}");
    let _ = writeln_stderr(&format!("screenshot: {}", shot.display()));
}

#[test]
fn the_socket_answers_only_well_formed_messages_from_this_user() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let pair = pair();
    let (_tray, _item, log) = pair.start_tray();
    let tray_log = log.0.clone();
    let socket = socket_of(&tray_log);

    // The socket and its folder are the user's alone.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(socket.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);

    // Garbage, a call that does not exist, a field of the wrong type, a line longer than any
    // message: each refused (with an answer when it had an id), and the tray goes on.
    let mut client = Socket::connect(&socket);
    client.send(b"not json at all\n\xff\xfe\n[]\n");
    let unknown = client.ask(7, json!({"call": "format_disk"}));
    assert!(unknown["err"]["sentence"].as_str().unwrap().contains("did not understand"), "{unknown}");
    assert_eq!(unknown["err"]["kind"], "unreachable", "{unknown}");
    let wrong = client.ask(8, json!({"call": "pause_alerts", "until_reset": "yes"}));
    assert!(wrong["err"]["sentence"].is_string(), "{wrong}");
    let fine = client.ask(9, json!({"call": "alert_pause"}));
    assert_eq!(fine["ok"], Value::Null, "{fine}");
    let mut flood = Socket::connect(&socket);
    // The tray may close it before all is written: that is the refusal.
    let _ = flood.stream.write_all(&vec![b'x'; 600 * 1024]);
    let mut rest = String::new();
    assert_eq!(flood.reader.read_line(&mut rest).unwrap_or(0), 0, "a line too long ends that connection");
    let after = client.ask(10, json!({"call": "dashboard"}));
    assert!(after["ok"]["windows"].is_array(), "the tray still answers: {after}");
    let log = std::fs::read_to_string(&tray_log).unwrap();
    assert!(log.matches("ignored a malformed message").count() >= 5, "{log}");
    assert!(log.contains("longer than any Headroom sends"), "{log}");

    // Another user cannot even reach it: the runtime folder and the socket are this user's.
    // (The tray's own check of the peer's user, which stops root, cannot be tried here: the tests
    // run as root, and a tray run as another user could not join this session's bus.)
    let nobody = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c"])
        .arg(format!(
            "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n  s.connect({:?})\nexcept PermissionError:\n  sys.exit(3)\nsys.exit(0)",
            socket.display().to_string()
        ))
        .status()
        .unwrap();
    assert_eq!(nobody.code(), Some(3), "another user's connection is refused");
}

#[test]
fn the_window_process_alone_starts_the_tray_shows_its_numbers_and_ends_with_its_window() {
    let Some(_turn) = webdriver_or_skip() else {
        return;
    };
    let pair = pair();
    let root = pair.root.path();
    let env = app_vars(&pair.env.home, &pair.env.codex_home, root, &pair.fake.base_url());
    let (_group, driver) = Driver::start(&env, &["--open", "dashboard"], &root.join("tauri-driver.log"));
    wait_for("the tray it started to register", Duration::from_secs(30), || registration(&pair.registrations, 1));
    let trays = processes_of(TRAY_PROGRAM, root);
    assert_eq!(trays.len(), 1, "the window process started one tray: {trays:?}");
    wait_for("the dashboard's numbers", Duration::from_secs(20), || driver.text(FIVE_HOUR).filter(|t| t == "30% left"));
    let shot = driver.screenshot("window-process-dashboard.png");

    // New numbers reach the open window without it asking (pushed over the socket).
    pair.fake.respond(Route::Usage, scenarios::plus(85.0, 10.0, 7_920, 388_800));
    let conn = Connection::session().unwrap();
    let (sender, path) = registration(&pair.registrations, 1).unwrap();
    Tray::connect(&conn, &sender, &path).click("Refresh now");
    wait_for("the pushed numbers", Duration::from_secs(20), || driver.text(FIVE_HOUR).filter(|t| t == "15% left"));

    // Closing its last window ends the window process; the tray runs on.
    let window = processes_of("headroom-window", root);
    assert_eq!(window.len(), 1, "{window:?}");
    driver.call(reqwest::Method::DELETE, &format!("/session/{}/window", driver.session), None);
    wait_for("the window process to end", Duration::from_secs(10), || {
        processes_of("headroom-window", root).is_empty().then_some(())
    });
    assert_eq!(processes_of(TRAY_PROGRAM, root), trays, "the tray runs on");
    for pid in trays {
        Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    }
    let _ = writeln_stderr(&format!("screenshot: {}", shot.display()));
}

/// First run, no login anywhere: the tray opens Settings by itself, in a window process it starts
/// for it (and only that window).
#[test]
fn on_first_run_the_tray_opens_settings_in_a_window_process_by_itself() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let _vault = PastedTokensCleared::now();
    let fake = FakeService::start();
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    std::fs::create_dir_all(home.join(".codex")).unwrap();
    let (_host, registrations) = start_tray_host(root.path());
    let env = AppEnv {
        codex_home: home.join(".codex"),
        home,
        config: root.path().join("config"),
        data: root.path().join("data"),
        extra_path: None,
    };
    let log = root.path().join("tray.log");
    let _log_on_failure = AppLog(log.clone());
    let _tray = env.launch(&fake.base_url(), &log);
    wait_for("the tray item to register", Duration::from_secs(20), || registration(&registrations, 1));
    let windows = wait_for("a window process", Duration::from_secs(20), || {
        Some(processes_of("headroom-window", root.path())).filter(|w| !w.is_empty())
    });
    assert_eq!(windows.len(), 1, "{windows:?}");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", windows[0])).unwrap();
    let args: Vec<String> =
        cmdline.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    assert!(args.ends_with(&["--open".to_string(), "settings".to_string()]), "{args:?}");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(processes_of("headroom-window", root.path()), windows, "one window process, no second one");
    for pid in windows {
        Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    }
}
