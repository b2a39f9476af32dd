//! The real tray app in the throw-away desktop session (`scripts/test`): Xvfb, a D-Bus session,
//! dunst, and a fake StatusNotifierWatcher standing in for the desktop's tray host. Against the
//! fake usage service it checks what a user would see: the tray item registers, shows the
//! number and the icon for the live numbers, its menu says who and when, crossing 80 % brings
//! exactly one notification, and a rejected login changes the menu's status line.
#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use headroom_core::tray_view::{IconBar, IconState, Level};
use headroom_testkit::fake::Route;
use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};
use headroom_testkit::{scenarios, FakeService};
use zbus::blocking::{Connection, Proxy};
use zbus::zvariant::{OwnedValue, Value};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn desktop_or_skip() -> bool {
    let ready = std::env::var("DISPLAY").is_ok()
        && std::env::var("DBUS_SESSION_BUS_ADDRESS").is_ok()
        && Command::new("dunstctl")
            .arg("count")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !ready {
        let why = "no desktop session (DISPLAY, D-Bus, dunst): run the tests through scripts/test";
        if std::env::var("HEADROOM_REQUIRE_KEYRING").as_deref() == Ok("1") {
            panic!("{why}");
        }
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED desktop test: {why}");
    }
    ready
}

fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A menu entry as the tray host sees it over com.canonical.dbusmenu.
#[derive(Debug)]
struct Entry {
    id: i32,
    label: String,
}

fn flatten(value: &Value, out: &mut Vec<Entry>) {
    let value = match value {
        Value::Value(inner) => inner.as_ref(),
        other => other,
    };
    let Value::Structure(structure) = value else { return };
    let fields = structure.fields();
    let id = match fields.first() {
        Some(Value::I32(id)) => *id,
        _ => return,
    };
    let mut label = String::new();
    if let Some(Value::Dict(props)) = fields.get(1) {
        if let Ok(Some(text)) = props.get::<&str, Value>(&"label") {
            if let Value::Str(s) = text {
                label = s.to_string();
            }
        }
    }
    out.push(Entry { id, label: label.replace('_', "") });
    if let Some(Value::Array(children)) = fields.get(2) {
        for child in children.iter() {
            flatten(child, out);
        }
    }
}

struct Tray<'a> {
    item: Proxy<'a>,
    menu: Proxy<'a>,
}

impl<'a> Tray<'a> {
    fn connect(conn: &'a Connection, sender: &str, path: &str) -> Tray<'a> {
        // No property cache: libappindicator announces label changes with its own signal, not
        // PropertiesChanged, so a cached value would go stale.
        let proxy = |path: String, interface: &'static str| {
            zbus::blocking::proxy::Builder::<Proxy>::new(conn)
                .destination(sender.to_string())
                .unwrap()
                .path(path)
                .unwrap()
                .interface(interface)
                .unwrap()
                .cache_properties(zbus::proxy::CacheProperties::No)
                .build()
                .unwrap()
        };
        Tray {
            item: proxy(path.to_string(), "org.kde.StatusNotifierItem"),
            menu: proxy(format!("{path}/Menu"), "com.canonical.dbusmenu"),
        }
    }

    fn label(&self) -> String {
        self.item.get_property::<String>("XAyatanaLabel").unwrap_or_default()
    }

    fn icon_path(&self) -> PathBuf {
        PathBuf::from(self.item.get_property::<String>("IconName").unwrap())
    }

    fn entries(&self) -> Vec<Entry> {
        let reply = self.menu.call_method("GetLayout", &(0i32, -1i32, vec!["label"])).unwrap();
        type Layout = (u32, (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>));
        let (_revision, (_root, _props, children)): Layout = reply.body().deserialize().unwrap();
        let mut all = Vec::new();
        for child in &children {
            flatten(child, &mut all);
        }
        all
    }

    fn labels(&self) -> Vec<String> {
        self.entries().into_iter().map(|e| e.label).collect()
    }

    fn click(&self, label: &str) {
        let entry =
            self.entries().into_iter().find(|e| e.label == label).unwrap_or_else(|| panic!("no menu entry {label:?}"));
        self.menu.call_method("Event", &(entry.id, "clicked", Value::from(""), 0u32)).unwrap();
    }
}

/// Decodes a PNG to straight RGBA.
fn decode(path: &Path) -> (u32, Vec<u8>) {
    let pixmap = tiny_skia::Pixmap::decode_png(&std::fs::read(path).unwrap()).unwrap();
    let rgba = pixmap.pixels().iter().flat_map(|p| {
        let c = p.demultiply();
        [c.red(), c.green(), c.blue(), c.alpha()]
    });
    (pixmap.width(), rgba.collect())
}

fn icon_shows(path: &Path, state: &IconState) -> bool {
    let (size, rgba) = decode(path);
    let expected = headroom_icon::render(state, size, headroom_icon::Style::Colour);
    rgba.len() == expected.rgba.len() && rgba.iter().zip(&expected.rgba).all(|(a, b)| a.abs_diff(*b) <= 2)
}

fn notifications(log: &Path) -> Vec<String> {
    // dbus-monitor prints each Notify call with its strings: app name, icon, summary, body.
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.split("member=Notify")
        .skip(1)
        .map(|call| {
            call.lines()
                .filter_map(|l| l.trim().strip_prefix("string \""))
                .map(|s| s.trim_end_matches('"').to_string())
                .collect::<Vec<_>>()
        })
        .map(|strings| strings.get(2).cloned().unwrap_or_default())
        .collect()
}

fn screenshot(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let status = Command::new("import").args(["-window", "root"]).arg(&path).status().unwrap();
    assert!(status.success(), "imagemagick's import took the screenshot");
    path
}

#[test]
fn the_tray_shows_live_numbers_alerts_once_and_reports_a_rejected_login() {
    if !desktop_or_skip() {
        return;
    }
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(70.0, 10.0, 7_920, 388_800));
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    let codex_home = home.join(".codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    let token = make_jwt(&TestClaims {
        email_in_profile_claim: true,
        ..TestClaims::plus("dev@example.com", "acct-1", 9 * 86_400)
    });
    std::fs::write(codex_home.join("auth.json"), codex_auth_json(&token, &token, Some("acct-1"))).unwrap();
    let config = root.path().join("config");
    std::fs::create_dir_all(config.join("headroom")).unwrap();
    std::fs::write(config.join("headroom/settings.toml"), "[display]\npoll_interval_minutes = 1\n").unwrap();

    let monitor_log = root.path().join("notify-calls.log");
    let _monitor = Killed(
        Command::new("dbus-monitor")
            .args(["--session", "interface='org.freedesktop.Notifications',member='Notify'"])
            .stdout(std::fs::File::create(&monitor_log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let registrations = root.path().join("registrations");
    let mut watcher = Command::new("/usr/bin/python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/desktop/fake_sni_watcher.py"))
        .arg(&registrations)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(watcher.stdout.take().unwrap()).read_line(&mut ready).unwrap();
    assert_eq!(ready.trim(), "ready", "the fake tray host started");
    let _watcher = Killed(watcher);

    let app_log = root.path().join("headroom-tray.log");
    let env = AppEnv {
        home: home.clone(),
        codex_home: codex_home.clone(),
        config: config.clone(),
        data: root.path().join("data"),
    };
    let launched = Instant::now();
    let mut app = Some(env.launch(&fake.base_url(), &app_log));
    let (sender, path) =
        wait_for("the tray item to register", Duration::from_secs(20), || registration(&registrations, 1));
    let _ = writeln_stderr(&format!("tray registered {} ms after launch", launched.elapsed().as_millis()));

    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &sender, &path);

    // The live numbers: 30 % of the 5-hour window left, the closest to its limit.
    let log_on_failure = AppLog(app_log.clone());
    wait_for("the label to show 30%", Duration::from_secs(20), || (tray.label() == "30%").then_some(()));
    let plain = IconState {
        bars: vec![IconBar { fill: 30, level: Level::Plenty }, IconBar { fill: 90, level: Level::Plenty }],
        dimmed: false,
        limit_reached: false,
        on_api_key: false,
    };
    assert!(icon_shows(&tray.icon_path(), &plain), "the icon draws 30 % and 90 % left");
    let labels = tray.labels();
    assert_eq!(labels[0], "Codex · Plus · dev@example.com", "{labels:?}");
    assert!(labels[1].starts_with("Updated "), "{labels:?}");
    assert!(
        labels.iter().any(|l| l.starts_with("5-hour   30% left · resets ") && l.ends_with("(in 2 h 11 m)")),
        "{labels:?}"
    );
    assert!(labels.iter().any(|l| l.starts_with("Weekly   90% left · resets ")), "{labels:?}");
    for item in ["Refresh now", "Open dashboard", "Settings…", "Pause alerts", "Quit Headroom"] {
        assert!(labels.iter().any(|l| l == item), "{item} in {labels:?}");
    }
    assert_eq!(notifications(&monitor_log), Vec::<String>::new(), "the first numbers set the baseline silently");

    // Across 80 %: exactly one notification.
    fake.respond(Route::Usage, scenarios::plus(85.0, 10.0, 7_920, 388_800));
    tray.click("Refresh now");
    wait_for("the label to show 15%", Duration::from_secs(15), || (tray.label() == "15%").then_some(()));
    let sent = wait_for("a notification", Duration::from_secs(10), || {
        Some(notifications(&monitor_log)).filter(|n| !n.is_empty())
    });
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("Codex 5-hour limit 80% used — resets "), "{sent:?}");
    std::thread::sleep(Duration::from_millis(500));
    let shot = screenshot("notification-80-percent.png");
    let low = IconState {
        bars: vec![IconBar { fill: 15, level: Level::GettingLow }, IconBar { fill: 90, level: Level::Plenty }],
        ..plain.clone()
    };
    assert!(icon_shows(&tray.icon_path(), &low), "the icon turns amber");

    // Polling again changes nothing: no second notification.
    std::thread::sleep(Duration::from_secs(6));
    tray.click("Refresh now");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(notifications(&monitor_log).len(), 1, "no repeat");

    // The service rejects the login: the menu's status line says what to do, numbers stay.
    fake.respond(Route::Usage, scenarios::usage("unauthorized").unwrap());
    std::thread::sleep(Duration::from_secs(6));
    tray.click("Refresh now");
    wait_for("the menu to report the rejected login", Duration::from_secs(15), || {
        tray.labels()
            .get(1)
            .filter(|l| l.starts_with("Login rejected — run `codex` — showing numbers from "))
            .map(|_| ())
    });
    assert!(tray.labels().iter().any(|l| l.starts_with("5-hour   15% left")), "the last good numbers stay");
    let dimmed = IconState { dimmed: true, ..low };
    wait_for("the icon to dim", Duration::from_secs(5), || icon_shows(&tray.icon_path(), &dimmed).then_some(()));
    let sent = notifications(&monitor_log);
    assert_eq!(sent.len(), 2, "one alert for the rejected login: {sent:?}");
    assert_eq!(sent[1], "Your Codex login was rejected");
    // Codex refreshes its login: the app notices the new auth.json and asks again by itself.
    let fresh = make_jwt(&TestClaims {
        email_in_profile_claim: true,
        ..TestClaims::plus("dev@example.com", "acct-1", 10 * 86_400)
    });
    fake.respond(Route::Usage, scenarios::plus(86.0, 10.0, 7_900, 388_000));
    std::fs::write(codex_home.join("auth.json"), codex_auth_json(&fresh, &fresh, Some("acct-1"))).unwrap();
    wait_for("a request with the new login, without a click", Duration::from_secs(45), || {
        fake.requests()
            .last()
            .filter(|r| r.header("authorization") == Some(format!("Bearer {fresh}").as_str()))
            .map(|_| ())
    });
    wait_for("the menu to recover", Duration::from_secs(10), || {
        tray.labels().get(1).filter(|l| l.starts_with("Updated ")).map(|_| ())
    });
    assert_eq!(tray.label(), "14%");

    let log = std::fs::read_to_string(&app_log).unwrap();
    assert!(!log.contains(&token[20..60]) && !log.contains(&fresh[20..60]), "no token reaches the log");

    // Restarted offline: the numbers saved on disk come back, with their age and the reason.
    drop(app.take());
    let seen = std::fs::read_to_string(&registrations).unwrap_or_default().lines().count();
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _app2 =
        env.launch(&format!("http://127.0.0.1:{dead_port}/backend-api"), &root.path().join("headroom-tray-2.log"));
    let (sender, path) =
        wait_for("the restarted tray to register", Duration::from_secs(20), || registration(&registrations, seen + 1));
    let tray = Tray::connect(&conn, &sender, &path);
    wait_for("the offline status line", Duration::from_secs(15), || {
        tray.labels().get(1).filter(|l| l.starts_with("Offline — showing numbers from ")).map(|_| ())
    });
    assert_eq!(tray.label(), "14%", "the saved numbers");
    assert!(tray.labels().iter().any(|l| l.starts_with("5-hour   14% left")), "{:?}", tray.labels());
    let _ = writeln_stderr(&format!("screenshot: {}", shot.display()));
    drop(log_on_failure);
}

/// Where the app under test keeps its files.
struct AppEnv {
    home: PathBuf,
    codex_home: PathBuf,
    config: PathBuf,
    data: PathBuf,
}

impl AppEnv {
    fn launch(&self, base_url: &str, log: &Path) -> Killed {
        Killed(
            Command::new(env!("CARGO_BIN_EXE_headroom-tray"))
                .env("HOME", &self.home)
                .env("CODEX_HOME", &self.codex_home)
                .env("XDG_CONFIG_HOME", &self.config)
                .env("XDG_DATA_HOME", &self.data)
                .env("HEADROOM_CHATGPT_BASE_URL", base_url)
                .env("HEADROOM_LOG", "headroom_tray=info,headroom_core=info")
                .env_remove("HEADROOM_ACCESS_TOKEN")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(log).unwrap())
                .spawn()
                .unwrap(),
        )
    }
}

/// The `n`th registration the fake tray host recorded: (bus name, object path).
fn registration(record: &Path, n: usize) -> Option<(String, String)> {
    let text = std::fs::read_to_string(record).ok()?;
    let line = text.lines().nth(n - 1)?;
    let (sender, path) = line.split_once(' ')?;
    Some((sender.to_string(), path.to_string()))
}

/// Prints the app's log when the test fails, to say why.
struct AppLog(PathBuf);

impl Drop for AppLog {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = writeln_stderr(&format!(
                "headroom-tray's log:\n{}",
                std::fs::read_to_string(&self.0).unwrap_or_default()
            ));
        }
    }
}

fn writeln_stderr(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(std::io::stderr(), "{text}")
}
