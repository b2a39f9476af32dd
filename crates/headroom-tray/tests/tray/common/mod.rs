//! Shared by the desktop tests: the app under test, the fake tray host, reading the tray item
//! and its menu over D-Bus, notifications seen on the bus, screenshots.
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use headroom_core::present::tray_view::IconState;
use serde_json::{json, Value as Json};
use zbus::blocking::{Connection, Proxy};
use zbus::zvariant::{OwnedValue, Value};

pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The desktop session's turn: `None` (said, or a failure under `scripts/test`) when there is no
/// session. Hold it for the whole test: one test at a time uses the session, which has room for
/// one tray host, one Secret Service and one panel.
pub fn desktop_or_skip() -> Option<std::sync::MutexGuard<'static, ()>> {
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
        return None;
    }
    static DESKTOP: std::sync::Mutex<()> = std::sync::Mutex::new(());
    Some(DESKTOP.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
}

pub fn wait_for<T>(what: &str, timeout: Duration, probe: impl FnMut() -> Option<T>) -> T {
    poll_until(timeout, probe).unwrap_or_else(|| panic!("timed out waiting for {what}"))
}

/// Asks `probe` every 100 ms until it answers or `timeout` passes.
pub fn poll_until<T>(timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(value) = probe() {
            return Some(value);
        }
        if start.elapsed() >= timeout {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A config folder holding Headroom's settings file with `toml` in it.
pub fn config_with_settings(root: &Path, toml: &str) -> PathBuf {
    let config = root.join("config");
    std::fs::create_dir_all(config.join("headroom")).unwrap();
    std::fs::write(config.join("headroom/settings.toml"), toml).unwrap();
    config
}

/// A menu entry as the tray host sees it over com.canonical.dbusmenu.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i32,
    pub label: String,
}

pub fn flatten(value: &Value, out: &mut Vec<Entry>) {
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
        if let Ok(Some(Value::Str(s))) = props.get::<&str, Value>(&"label") {
            label = s.to_string();
        }
    }
    out.push(Entry { id, label: label.replace('_', "") });
    if let Some(Value::Array(children)) = fields.get(2) {
        for child in children.iter() {
            flatten(child, out);
        }
    }
}

pub struct Tray<'a> {
    pub item: Proxy<'a>,
    pub menu: Proxy<'a>,
}

impl<'a> Tray<'a> {
    pub fn connect(conn: &'a Connection, sender: &str, path: &str) -> Tray<'a> {
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

    pub fn label(&self) -> String {
        self.item.get_property::<String>("XAyatanaLabel").unwrap_or_default()
    }

    /// The icon as (size, straight RGBA): libappindicator names a PNG file in `IconName`, the
    /// lean tray sends pixels in `IconPixmap` (ARGB, the largest size first).
    pub fn icon(&self) -> (u32, Vec<u8>) {
        let name = self.item.get_property::<String>("IconName").unwrap_or_default();
        if !name.is_empty() {
            return decode(Path::new(&name));
        }
        let pixmaps = self.item.get_property::<Vec<(i32, i32, Vec<u8>)>>("IconPixmap").unwrap();
        let (size, _, argb) = pixmaps.into_iter().max_by_key(|p| p.0).expect("the item has an icon");
        (size as u32, argb.chunks_exact(4).flat_map(|p| [p[1], p[2], p[3], p[0]]).collect())
    }

    /// The tooltip's title and text.
    pub fn tooltip(&self) -> (String, String) {
        type ToolTip = (String, Vec<(i32, i32, Vec<u8>)>, String, String);
        let (_, _, title, text) = self.item.get_property::<ToolTip>("ToolTip").unwrap();
        (title, text)
    }

    pub fn entries(&self) -> Vec<Entry> {
        let reply = self.menu.call_method("GetLayout", &(0i32, -1i32, vec!["label"])).unwrap();
        type Layout = (u32, (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>));
        let (_revision, (_root, _props, children)): Layout = reply.body().deserialize().unwrap();
        let mut all = Vec::new();
        for child in &children {
            flatten(child, &mut all);
        }
        all
    }

    pub fn labels(&self) -> Vec<String> {
        self.entries().into_iter().map(|e| e.label).collect()
    }

    /// The labels of the menu's top level only (submenus closed).
    pub fn top_level_labels(&self) -> Vec<String> {
        let reply = self.menu.call_method("GetLayout", &(0i32, 1i32, vec!["label"])).unwrap();
        type Layout = (u32, (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>));
        let (_revision, (_root, _props, children)): Layout = reply.body().deserialize().unwrap();
        let mut all = Vec::new();
        for child in &children {
            flatten(child, &mut all);
        }
        all.into_iter().map(|e| e.label).collect()
    }

    /// Clicks the entry with this label. The menu is rebuilt whenever what it shows changes (a
    /// poll's answer), so an entry just seen may be between two layouts for a moment: it is
    /// looked for again for up to 3 s, as a person would look again.
    pub fn click(&self, label: &str) {
        let started = Instant::now();
        let entry = loop {
            let entries = self.entries();
            if let Some(entry) = entries.iter().find(|e| e.label == label) {
                break entry.clone();
            }
            if started.elapsed() > Duration::from_secs(3) {
                let labels: Vec<&str> = entries.iter().map(|e| e.label.as_str()).collect();
                panic!("no menu entry {label:?} in {labels:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        self.menu.call_method("Event", &(entry.id, "clicked", Value::from(""), 0u32)).unwrap();
    }

    /// "Refresh now", once the 5 s in which clicks count as one have passed since the last.
    pub fn refresh_now(&self) {
        std::thread::sleep(Duration::from_millis(5_200));
        self.click("Refresh now");
    }
}

/// Decodes a PNG to straight RGBA.
pub fn decode(path: &Path) -> (u32, Vec<u8>) {
    let pixmap = tiny_skia::Pixmap::decode_png(&std::fs::read(path).unwrap()).unwrap();
    let rgba = pixmap.pixels().iter().flat_map(|p| {
        let c = p.demultiply();
        [c.red(), c.green(), c.blue(), c.alpha()]
    });
    (pixmap.width(), rgba.collect())
}

pub fn icon_shows((size, rgba): &(u32, Vec<u8>), state: &IconState) -> bool {
    let size = *size;
    let expected = headroom_icon::render(state, size, headroom_icon::Style::Colour);
    rgba.len() == expected.rgba.len() && rgba.iter().zip(&expected.rgba).all(|(a, b)| a.abs_diff(*b) <= 2)
}

pub fn notifications(log: &Path) -> Vec<String> {
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

/// Each Notify call's (summary, body), in order.
pub fn notifications_with_bodies(log: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.split("member=Notify")
        .skip(1)
        .map(|call| {
            // A body may run over several lines: its string starts on one and ends on another.
            let strings: Vec<String> = call
                .split("\n   string \"")
                .skip(1)
                .map(|s| s.split("\"\n").next().unwrap_or_default().trim_end_matches('"').to_string())
                .collect();
            (strings.get(2).cloned().unwrap_or_default(), strings.get(3).cloned().unwrap_or_default())
        })
        .collect()
}

pub fn screenshot(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let status = Command::new("import").args(["-window", "root"]).arg(&path).status().unwrap();
    assert!(status.success(), "imagemagick's import took the screenshot");
    path
}

/// The tray process under test: this build's, or the one HEADROOM_APP_BINARY names (the soak
/// runs the release build). Its window process is [`window_binary`], beside it.
pub fn app_binary() -> PathBuf {
    let tray: PathBuf = std::env::var_os("HEADROOM_APP_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_headroom-tray").into());
    static CHECKED: std::sync::Once = std::sync::Once::new();
    CHECKED.call_once(|| window_process_is_built(&tray.with_file_name("headroom-window")));
    tray
}

/// The tray starts the window process from its own folder, but cargo builds it only when asked
/// (it is another package): a missing or older one would test yesterday's window. Cargo's
/// dep-info file beside it lists every file it was built from (its sources, the core's and the
/// protocol's, the UI it embeds, tauri.conf.json): one changed since, or gone, is the sign.
fn window_process_is_built(window: &Path) {
    let rebuild = "run `cargo build -p headroom-window` (scripts/test does)";
    let built = std::fs::metadata(window)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| panic!("{} is not built: {rebuild}", window.display()));
    let Ok(dep_info) = std::fs::read_to_string(window.with_extension("d")) else { return };
    let Some((_, inputs)) = dep_info.split_once(": ") else { return };
    let inputs = inputs.replace("\\ ", "\u{0}");
    for input in inputs.split_whitespace().map(|i| PathBuf::from(i.replace('\u{0}', " "))) {
        match std::fs::metadata(&input).and_then(|m| m.modified()) {
            Ok(changed) if changed <= built => {}
            Ok(_) => panic!("{} is older than {}: {rebuild}", window.display(), input.display()),
            Err(_) => panic!("{} was built from {}, which is gone: {rebuild}", window.display(), input.display()),
        }
    }
}

/// The environment of an app under test driven through WebDriver: Codex's login in `home` and
/// `codex_home`, its own config, data and cache folders under `root`, the fake service at
/// `base_url`.
pub fn app_vars(
    home: &Path,
    codex_home: &Path,
    root: &Path,
    base_url: &str,
) -> Vec<(&'static str, std::ffi::OsString)> {
    vec![
        ("HOME", home.into()),
        ("CODEX_HOME", codex_home.into()),
        ("XDG_CONFIG_HOME", root.join("config").into()),
        ("XDG_DATA_HOME", root.join("data").into()),
        ("XDG_CACHE_HOME", root.join("cache").into()),
        ("HEADROOM_CHATGPT_BASE_URL", base_url.into()),
        ("CODEX_AUTHAPI_BASE_URL", authapi_url(base_url).into()),
    ]
}

/// The fake's account service beside its usage endpoint, so a Codex access token's owner is
/// asked of the fake too (never of the real service).
pub fn authapi_url(base_url: &str) -> String {
    format!("{}/api/accounts", base_url.trim_end_matches('/').trim_end_matches("/backend-api"))
}

/// Puts the real Codex CLI (npm `@openai/codex`, pinned in package.json) in `bin` as `codex`,
/// behind a wrapper that records only its arguments (to `bin/codex-argv.log`).
pub fn install_real_codex(bin: &Path) {
    let codex = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/.bin/codex");
    assert!(codex.exists(), "the Codex CLI is not installed: run `npm install` (scripts/test does)");
    std::fs::create_dir_all(bin).unwrap();
    let wrapper = bin.join("codex");
    let log = bin.join("codex-argv.log");
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n", log.display(), codex.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Where the app under test keeps its files.
pub struct AppEnv {
    pub home: PathBuf,
    pub codex_home: PathBuf,
    pub config: PathBuf,
    pub data: PathBuf,
    /// Put first on the app's PATH (a fake `codex`).
    pub extra_path: Option<PathBuf>,
}

impl AppEnv {
    pub fn launch(&self, base_url: &str, log: &Path) -> Killed {
        self.launch_with(base_url, log, &[])
    }

    /// [`AppEnv::launch`] with more environment variables.
    pub fn launch_with(&self, base_url: &str, log: &Path, vars: &[(&str, &str)]) -> Killed {
        self.launch_binary(&app_binary(), base_url, log, vars)
    }

    /// [`AppEnv::launch_with`] for another of the app's binaries.
    pub fn launch_binary(&self, binary: &Path, base_url: &str, log: &Path, vars: &[(&str, &str)]) -> Killed {
        let path = match &self.extra_path {
            Some(dir) => format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default()),
            None => std::env::var("PATH").unwrap_or_default(),
        };
        Killed(
            Command::new(binary)
                .env("PATH", path)
                .env("HOME", &self.home)
                .env("CODEX_HOME", &self.codex_home)
                .env("XDG_CONFIG_HOME", &self.config)
                .env("XDG_DATA_HOME", &self.data)
                .env("HEADROOM_CHATGPT_BASE_URL", base_url)
                .env("CODEX_AUTHAPI_BASE_URL", authapi_url(base_url))
                .env(
                    "HEADROOM_LOG",
                    "headroom_tray=info,headroom_window=info,headroom_protocol=info,headroom_core=info",
                )
                .env_remove("HEADROOM_ACCESS_TOKEN")
                .envs(vars.iter().copied())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(log).unwrap())
                .spawn()
                .unwrap(),
        )
    }
}

/// The `n`th registration the fake tray host recorded: (bus name, object path).
pub fn registration(record: &Path, n: usize) -> Option<(String, String)> {
    let text = std::fs::read_to_string(record).ok()?;
    let line = text.lines().nth(n - 1)?;
    let (sender, path) = line.split_once(' ')?;
    Some((sender.to_string(), path.to_string()))
}

/// Prints the app's log when the test fails, to say why.
pub struct AppLog(pub PathBuf);

impl Drop for AppLog {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ =
                writeln_stderr(&format!("the app's log:\n{}", std::fs::read_to_string(&self.0).unwrap_or_default()));
        }
    }
}

pub fn writeln_stderr(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    writeln!(std::io::stderr(), "{text}")
}

/// Starts the fake tray host; returns it and the file its registrations go to.
pub fn start_tray_host(dir: &Path) -> (Killed, PathBuf) {
    let registrations = dir.join("registrations");
    let mut watcher = Command::new("/usr/bin/python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/desktop/fake_sni_watcher.py"))
        .arg(&registrations)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(watcher.stdout.take().unwrap()).read_line(&mut ready).unwrap();
    assert_eq!(ready.trim(), "ready", "the fake tray host started");
    (Killed(watcher), registrations)
}

pub fn tauri_driver() -> Option<PathBuf> {
    let home = std::env::var("HOME").ok()?;
    [PathBuf::from(home).join(".cache/headroom/tools/bin/tauri-driver")]
        .into_iter()
        .chain(
            std::env::var_os("PATH")
                .into_iter()
                .flat_map(|p| std::env::split_paths(&p).map(|d| d.join("tauri-driver")).collect::<Vec<_>>()),
        )
        .find(|p| p.is_file())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Timing(std::time::Instant, String);
impl Drop for Timing {
    fn drop(&mut self) {
        if self.0.elapsed() > Duration::from_secs(2) {
            let _ = writeln_stderr(&format!("slow: {} took {:?}", self.1, self.0.elapsed()));
        }
    }
}

/// Just enough of W3C WebDriver.
pub struct Driver {
    pub http: reqwest::Client,
    pub base: String,
    pub session: String,
    pub runtime: tokio::runtime::Runtime,
    /// The HOME the app was started with: the tray the window process started (in a process
    /// group of its own, as for a user) is found by it and ended with the session.
    home: Option<PathBuf>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.end_tray();
    }
}

impl Driver {
    pub fn call(&self, method: reqwest::Method, path: &str, body: Option<Json>) -> Json {
        self.try_call(method, path, body).expect("tauri-driver answers")
    }

    /// [`Driver::call`], with a request tauri-driver dropped (no answer at all) as an error.
    fn try_call(&self, method: reqwest::Method, path: &str, body: Option<Json>) -> Result<Json, reqwest::Error> {
        let started = Instant::now();
        let _guard = Timing(started, format!("{method} {path}"));
        let url = format!("{}{path}", self.base);
        self.runtime.block_on(async {
            let mut request = self.http.request(method, url);
            if let Some(body) = body {
                request = request.header("Content-Type", "application/json").body(body.to_string());
            }
            let text = request.send().await?.text().await?;
            Ok(serde_json::from_str::<Json>(&text).unwrap_or(Json::Null)["value"].clone())
        })
    }

    pub fn find(&self, css: &str) -> Option<String> {
        let value = self.call(
            reqwest::Method::POST,
            &format!("/session/{}/element", self.session),
            Some(json!({"using": "css selector", "value": css})),
        );
        // An element reference, not an error ("no such element") read as one.
        value.get("element-6066-11e4-a52e-4f735466cecf")?.as_str().map(String::from)
    }

    pub fn text(&self, css: &str) -> Option<String> {
        let element = self.find(css)?;
        self.call(reqwest::Method::GET, &format!("/session/{}/element/{element}/text", self.session), None)
            .as_str()
            .map(String::from)
    }

    /// An attribute of the first element matching `css`.
    pub fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let element = self.find(css)?;
        self.call(reqwest::Method::GET, &format!("/session/{}/element/{element}/attribute/{name}", self.session), None)
            .as_str()
            .map(String::from)
    }

    pub fn click(&self, css: &str) {
        let element = self.find(css).unwrap_or_else(|| panic!("no element {css}"));
        let answer = self.call(
            reqwest::Method::POST,
            &format!("/session/{}/element/{element}/click", self.session),
            Some(json!({})),
        );
        if answer.get("error").is_some() {
            let shot = self.screenshot("click-failed.png");
            panic!("click {css}: {answer} (the window: {})", shot.display());
        }
    }

    /// Runs `script` in the page (its `arguments` are `args`) and returns what it returns.
    pub fn execute(&self, script: &str, args: Json) -> Json {
        self.call(
            reqwest::Method::POST,
            &format!("/session/{}/execute/sync", self.session),
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// The text of every element matching `css`, in document order.
    pub fn texts(&self, css: &str) -> Vec<String> {
        let script = "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText);";
        let value = self.execute(script, json!([css]));
        value.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect()).unwrap_or_default()
    }

    /// Where an element is on the page: (x, y, width, height) in CSS pixels.
    pub fn rect(&self, css: &str) -> Option<(f64, f64, f64, f64)> {
        let element = self.find(css)?;
        let r = self.call(reqwest::Method::GET, &format!("/session/{}/element/{element}/rect", self.session), None);
        Some((r["x"].as_f64()?, r["y"].as_f64()?, r["width"].as_f64()?, r["height"].as_f64()?))
    }

    /// Replaces a text field's content with `text`, typed: clicked into, cleared, typed. An
    /// empty `text` is a Backspace, so that the field counts as edited by the user. The field's
    /// change event fires when the focus moves on (end `text` with "\n", or click elsewhere).
    pub fn fill(&self, css: &str, text: &str) {
        self.click(css);
        let element = self.find(css).unwrap_or_else(|| panic!("no {css}"));
        let at = format!("/session/{}/element/{element}", self.session);
        let keys = if text.is_empty() { "\u{E003}" } else { text };
        for (action, body) in [("clear", json!({})), ("value", json!({ "text": keys }))] {
            let answer = self.call(reqwest::Method::POST, &format!("{at}/{action}"), Some(body));
            assert!(answer.get("error").is_none(), "{action} {css}: {answer}");
        }
    }

    /// The window as the X server shows it. (WebKitWebDriver's own screenshot waits about a
    /// minute for a frame under Xvfb; ImageMagick reads the screen at once.)
    pub fn screenshot(&self, name: &str) -> PathBuf {
        // The DOM can be ahead of what is on screen: let a frame or two reach the X server.
        std::thread::sleep(Duration::from_millis(400));
        let rect = self.call(reqwest::Method::GET, &format!("/session/{}/window/rect", self.session), None);
        let number = |key: &str| rect[key].as_f64().unwrap_or(0.0).round() as i64;
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let crop = format!("{}x{}+{}+{}", number("width"), number("height"), number("x").max(0), number("y").max(0));
        let status =
            Command::new("import").args(["-window", "root", "-crop", &crop, "+repage"]).arg(&path).status().unwrap();
        assert!(status.success(), "imagemagick's import took the screenshot");
        path
    }
}

impl Driver {
    /// Starts tauri-driver (in its own process group, so its WebKitWebDriver goes with it) with
    /// the app's environment, and opens a session on the window process with `args` (it starts
    /// the tray process).
    pub fn start(env: &[(&str, std::ffi::OsString)], args: &[&str], log: &Path) -> (KilledGroup, Driver) {
        Driver::start_binary(&window_binary(), env, args, log)
    }

    /// [`Driver::start`] for a window process built elsewhere (the release build's, for the soak).
    ///
    /// Once in a long while (seen once in a whole CI run, right after the minute-long storm)
    /// tauri-driver drops the request for a session without an answer, its WebKitWebDriver gone:
    /// what the driver and the app said is printed, and a fresh driver is asked once more.
    pub fn start_binary(
        binary: &Path,
        env: &[(&str, std::ffi::OsString)],
        args: &[&str],
        log: &Path,
    ) -> (KilledGroup, Driver) {
        match Driver::try_start_binary(binary, env, args, log) {
            Ok(started) => started,
            Err(dropped) => {
                let said = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = said.lines().rev().take(40).collect();
                let _ = writeln_stderr(&format!(
                    "tauri-driver dropped the session request ({dropped}); asking a fresh one once more. It said:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                ));
                Driver::try_start_binary(binary, env, args, log).expect("tauri-driver answers")
            }
        }
    }

    fn try_start_binary(
        binary: &Path,
        env: &[(&str, std::ffi::OsString)],
        args: &[&str],
        log: &Path,
    ) -> Result<(KilledGroup, Driver), reqwest::Error> {
        use std::os::unix::process::CommandExt;
        let bin = tauri_driver().expect("tauri-driver is installed");
        let port = free_port();
        let native_port = free_port();
        let mut command = Command::new(bin);
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
                "--native-driver",
                "/usr/bin/WebKitWebDriver",
            ])
            .env_remove("HEADROOM_ACCESS_TOKEN")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .process_group(0);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = KilledGroup(command.spawn().unwrap());
        // tauri-driver listens before the WebKitWebDriver it starts does, and drops a request it
        // cannot pass on without an answer; so both must be listening before the session is asked.
        for (what, port) in [("tauri-driver to listen", port), ("WebKitWebDriver to listen", native_port)] {
            wait_for(what, Duration::from_secs(10), || {
                std::net::TcpStream::connect(("127.0.0.1", port)).ok().map(|_| ())
            });
        }
        let mut driver = Driver {
            http: reqwest::Client::new(),
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
            home: env.iter().find(|(key, _)| *key == "HOME").map(|(_, home)| PathBuf::from(home)),
        };
        let created = driver.try_call(
            reqwest::Method::POST,
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {"browserName": "wry", "tauri:options": {
                "application": binary, "args": args}}}})),
        );
        let created = match created {
            Ok(created) => created,
            Err(dropped) => {
                // The driver, and whatever window process or tray its attempt started, go first.
                drop(driver);
                drop(child);
                return Err(dropped);
            }
        };
        driver.session = created["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}")).to_string();
        Ok((child, driver))
    }

    /// Ends the session (the window process quits with it) and the tray the window process
    /// started: Headroom has quit, and the next start is a fresh one.
    pub fn quit(&self) {
        self.call(reqwest::Method::DELETE, &format!("/session/{}", self.session), None);
        self.end_tray();
    }

    /// Ends the tray process the window process started, and waits for it to be gone.
    fn end_tray(&self) {
        let Some(home) = &self.home else { return };
        for pid in processes_of(TRAY_PROGRAM, home) {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        }
        poll_until(Duration::from_secs(5), || processes_of(TRAY_PROGRAM, home).is_empty().then_some(()));
    }
}

/// A process group, killed whole when dropped.
pub struct KilledGroup(pub Child);

impl Drop for KilledGroup {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", "--", &format!("-{}", self.0.id())]).status();
        let _ = self.0.wait();
    }
}

/// Whether tauri-driver is here; skipped (or, under scripts/test, failed) when not.
/// The desktop session's turn (see [`desktop_or_skip`]) when tauri-driver is there too.
pub fn webdriver_or_skip() -> Option<std::sync::MutexGuard<'static, ()>> {
    let turn = desktop_or_skip()?;
    if tauri_driver().is_some() {
        return Some(turn);
    }
    let why = "tauri-driver is not installed (scripts/install-deps installs it)";
    if std::env::var("HEADROOM_REQUIRE_KEYRING").as_deref() == Ok("1") {
        panic!("{why}");
    }
    let _ = writeln_stderr(&format!("SKIPPED webview test: {why}"));
    None
}

/// A Codex home `root/name` signed in to ChatGPT as `email` in workspace `account`, valid for 9
/// days (an added home of another account).
pub fn codex_home_for(root: &Path, name: &str, email: &str, account: &str) -> PathBuf {
    use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};
    let home = root.join(name);
    std::fs::create_dir_all(&home).unwrap();
    let token = make_jwt(&TestClaims { email_in_profile_claim: true, ..TestClaims::plus(email, account, 9 * 86_400) });
    std::fs::write(home.join("auth.json"), codex_auth_json(&token, &token, Some(account))).unwrap();
    home
}

/// A temporary HOME whose `.codex/auth.json` holds a ChatGPT login for dev@example.com valid for
/// `valid_for_seconds` (negative: already expired). Returns (home, codex home, access token).
pub fn home_with_codex_login(root: &Path, valid_for_seconds: i64) -> (PathBuf, PathBuf, String) {
    use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};
    let home = root.join("home");
    let codex_home = home.join(".codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    let token = make_jwt(&TestClaims {
        email_in_profile_claim: true,
        ..TestClaims::plus("dev@example.com", "acct-1", valid_for_seconds)
    });
    std::fs::write(codex_home.join("auth.json"), codex_auth_json(&token, &token, Some("acct-1"))).unwrap();
    (home, codex_home, token)
}

/// Where the dashboard's webview tests start: the fake service answering with a Plus account's
/// numbers (42 % of the 5-hour window and 17 % of the week used) and a HOME under `root` whose
/// Codex login is valid for 9 more days.
pub struct SignedInPlus {
    pub fake: headroom_testkit::FakeService,
    pub root: tempfile::TempDir,
    pub home: PathBuf,
    pub codex_home: PathBuf,
}

pub fn signed_in_plus() -> SignedInPlus {
    use headroom_testkit::{fake::Route, scenarios, FakeService};
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(42.0, 17.0, 7_920, 388_800));
    let root = tempfile::tempdir().unwrap();
    let (home, codex_home, _token) = home_with_codex_login(root.path(), 9 * 86_400);
    SignedInPlus { fake, root, home, codex_home }
}

/// Records every Notify call on the session bus into `log` (read it with [`notifications`]).
pub fn start_notification_monitor(log: &Path) -> Killed {
    Killed(
        Command::new("dbus-monitor")
            .args(["--session", "interface='org.freedesktop.Notifications',member='Notify'"])
            .stdout(std::fs::File::create(log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Menu clicks over dbusmenu as fast as the app answers them, on a thread of its own: "Pause
/// alerts → For 1 hour" and "Resume alerts" in turn (or "Refresh now" every 5.1 s, just past the
/// 5 s in which clicks count as one). `answered_ms` is when the app last answered, for a watchdog.
pub struct ClickStorm {
    pub answered_ms: std::sync::Arc<std::sync::atomic::AtomicU64>,
    pub clicks: std::sync::Arc<std::sync::atomic::AtomicU64>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

#[derive(Clone, Copy, PartialEq)]
pub enum Clicking {
    PauseResume,
    RefreshNow,
}

impl ClickStorm {
    pub fn start(sender: &str, path: &str, clicking: Clicking) -> ClickStorm {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        use std::sync::Arc;
        let answered_ms = Arc::new(AtomicU64::new(now_ms()));
        let clicks = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (sender, path) = (sender.to_string(), path.to_string());
        let thread = {
            let (answered_ms, clicks, stop) = (answered_ms.clone(), clicks.clone(), stop.clone());
            std::thread::spawn(move || {
                let conn = Connection::session().unwrap();
                let tray = Tray::connect(&conn, &sender, &path);
                while !stop.load(Ordering::Relaxed) {
                    let entries = tray.entries();
                    answered_ms.store(now_ms(), Ordering::Relaxed);
                    let id_of = |label: &str| entries.iter().find(|e| e.label == label).map(|e| e.id);
                    let target = match clicking {
                        Clicking::PauseResume => id_of("Resume alerts").or_else(|| id_of("For 1 hour")),
                        Clicking::RefreshNow => {
                            std::thread::sleep(Duration::from_millis(5_100));
                            id_of("Refresh now")
                        }
                    };
                    if let Some(id) = target {
                        // The menu may have been rebuilt since it was read: a stale id is
                        // refused, which is an answer too.
                        let _ = tray.menu.call_method("Event", &(id, "clicked", Value::from(""), 0u32));
                        clicks.fetch_add(1, Ordering::Relaxed);
                        answered_ms.store(now_ms(), Ordering::Relaxed);
                    }
                }
                // Alerts end as they began: not paused.
                if clicking == Clicking::PauseResume && tray.labels().iter().any(|l| l == "Resume alerts") {
                    tray.click("Resume alerts");
                }
            })
        };
        ClickStorm { answered_ms, clicks, stop, thread: Some(thread) }
    }

    /// How long since the app last answered a click or a menu read.
    pub fn silent_ms(&self) -> u64 {
        now_ms().saturating_sub(self.answered_ms.load(std::sync::atomic::Ordering::Relaxed))
    }

    pub fn clicks(&self) -> u64 {
        self.clicks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Stops clicking and waits for the last click's answer.
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
        self.clicks()
    }
}

/// The processes of `program` running with `root` in their environment (a test's own folders),
/// as process ids.
pub fn processes_of(program: &str, root: &Path) -> Vec<u32> {
    let needle = root.as_os_str().as_encoded_bytes();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
            let named = exe.file_name().is_some_and(|n| n == program);
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            named && environ.windows(needle.len()).any(|w| w == needle)
        })
        .collect()
}

/// The tray process's program name, to find it among the processes.
pub const TRAY_PROGRAM: &str = "headroom-tray";

/// The window process beside the tray under test.
pub fn window_binary() -> PathBuf {
    app_binary().with_file_name("headroom-window")
}

/// The socket the tray says it listens on (its log's line).
pub fn socket_of(tray_log: &Path) -> PathBuf {
    wait_for("the tray to listen on its socket", Duration::from_secs(20), || {
        let log = std::fs::read_to_string(tray_log).ok()?;
        let line = log.lines().find(|l| l.contains("listening for Headroom's windows on "))?;
        Some(PathBuf::from(line.rsplit("listening for Headroom's windows on ").next()?.trim()))
    })
}

/// Headroom's entries in the session's keychain (the pasted tokens), cleared when made and again
/// when dropped — a failing test's pasted token would otherwise be an extra account in every test
/// after it.
pub struct PastedTokensCleared;

impl PastedTokensCleared {
    pub fn now() -> PastedTokensCleared {
        clear_pasted_tokens();
        PastedTokensCleared
    }
}

impl Drop for PastedTokensCleared {
    fn drop(&mut self) {
        clear_pasted_tokens();
    }
}

fn clear_pasted_tokens() {
    for name in ["access-token", "pasted-tokens"] {
        let _ = Command::new("secret-tool")
            .args(["clear", "service", "Headroom", "username", name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A client on the tray's socket, as the window process would be (or as a stranger might).
pub struct Socket {
    pub stream: std::os::unix::net::UnixStream,
    pub reader: std::io::BufReader<std::os::unix::net::UnixStream>,
}

impl Socket {
    pub fn connect(path: &Path) -> Socket {
        let stream = std::os::unix::net::UnixStream::connect(path)
            .unwrap_or_else(|e| panic!("connect to {}: {e}", path.display()));
        stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let reader = std::io::BufReader::new(stream.try_clone().unwrap());
        Socket { stream, reader }
    }

    pub fn send(&mut self, text: &[u8]) {
        std::io::Write::write_all(&mut self.stream, text).unwrap();
    }

    /// The next message with `"kind": "answer"` for request `id` (pushes are skipped).
    pub fn answer(&mut self, id: u64) -> Json {
        loop {
            let mut line = String::new();
            let read = std::io::BufRead::read_line(&mut self.reader, &mut line).expect("the tray answers within 15 s");
            assert!(read > 0, "the tray closed the connection");
            let message: Json = serde_json::from_str(&line).unwrap();
            if message["kind"] == "answer" && message["id"] == id {
                return message;
            }
        }
    }

    pub fn ask(&mut self, id: u64, call: Json) -> Json {
        let mut request = call;
        request["id"] = json!(id);
        self.send(format!("{request}\n").as_bytes());
        self.answer(id)
    }
}

/// The tray process running on the real tray host with dev@example.com's Codex login (valid 9
/// more days) against `fake`, its notifications recorded: what most tray tests start from.
pub struct RunningTray {
    pub root: tempfile::TempDir,
    pub env: AppEnv,
    /// The tray's log (its socket is named there).
    pub log: PathBuf,
    /// Every Notify call (read it with [`notifications`]).
    pub monitor_log: PathBuf,
    /// The tray item's bus name and path (connect with [`Tray::connect`]).
    pub item: (String, String),
    _app: Killed,
    _host: Killed,
    _monitor: Killed,
    _log_on_failure: AppLog,
}

/// Starts [`RunningTray`] with `settings` as settings.toml (none: no file).
pub fn start_tray(fake: &headroom_testkit::FakeService, settings: Option<&str>) -> RunningTray {
    let root = tempfile::tempdir().unwrap();
    let (home, codex_home, _token) = home_with_codex_login(root.path(), 9 * 86_400);
    let monitor_log = root.path().join("notify-calls.log");
    let monitor = start_notification_monitor(&monitor_log);
    let (host, registrations) = start_tray_host(root.path());
    let config = match settings {
        Some(toml) => config_with_settings(root.path(), toml),
        None => root.path().join("config"),
    };
    let env = AppEnv { home, codex_home, config, data: root.path().join("data"), extra_path: None };
    let log = root.path().join("headroom-tray.log");
    let app = env.launch(&fake.base_url(), &log);
    let item = wait_for("the tray item", Duration::from_secs(20), || registration(&registrations, 1));
    RunningTray {
        root,
        env,
        log: log.clone(),
        monitor_log,
        item,
        _app: app,
        _host: host,
        _monitor: monitor,
        _log_on_failure: AppLog(log),
    }
}

/// Whether process `pid` has ended. A zombie has ended too: its parent (the test) has not
/// waited for it yet.
pub fn ended(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
        .unwrap_or(true)
}

/// An X window's (width, height, x, y) on the screen, as `xwininfo` tells it; `args` picks the
/// window (`["-id", id]`, `["-name", title]`).
pub fn window_geometry(args: &[&str]) -> Option<(i64, i64, i64, i64)> {
    let info = Command::new("xwininfo").args(args).output().ok()?;
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    let field = |name: &str| -> Option<i64> {
        info.lines().find_map(|l| l.trim().strip_prefix(name)).and_then(|v| v.trim().parse().ok())
    };
    Some((field("Width:")?, field("Height:")?, field("Absolute upper-left X:")?, field("Absolute upper-left Y:")?))
}
