//! The dashboard in the real webview (WebKitGTK), driven through tauri-driver and
//! WebKitWebDriver against the fake usage service: the live numbers show, a rejected login
//! brings the error banner with its fix, and screenshots of both are saved.
#![cfg(target_os = "linux")]

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};
use headroom_testkit::{scenarios, FakeService};
use serde_json::{json, Value};

fn tauri_driver() -> Option<PathBuf> {
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

fn free_port() -> u16 {
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
struct Driver {
    http: reqwest::Client,
    base: String,
    session: String,
    runtime: tokio::runtime::Runtime,
}

impl Driver {
    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let started = std::time::Instant::now();
        let _guard = Timing(started, format!("{method} {path}"));
        let url = format!("{}{path}", self.base);
        self.runtime.block_on(async {
            let mut request = self.http.request(method, url);
            if let Some(body) = body {
                request = request.header("Content-Type", "application/json").body(body.to_string());
            }
            let response = request.send().await.expect("tauri-driver answers");
            let text = response.text().await.unwrap();
            serde_json::from_str::<Value>(&text).unwrap_or(Value::Null)["value"].clone()
        })
    }

    fn find(&self, css: &str) -> Option<String> {
        let value = self.call(
            reqwest::Method::POST,
            &format!("/session/{}/element", self.session),
            Some(json!({"using": "css selector", "value": css})),
        );
        value.as_object()?.values().next()?.as_str().map(String::from)
    }

    fn text(&self, css: &str) -> Option<String> {
        let element = self.find(css)?;
        self.call(reqwest::Method::GET, &format!("/session/{}/element/{element}/text", self.session), None)
            .as_str()
            .map(String::from)
    }

    fn click(&self, css: &str) {
        let element = self.find(css).unwrap_or_else(|| panic!("no element {css}"));
        self.call(
            reqwest::Method::POST,
            &format!("/session/{}/element/{element}/click", self.session),
            Some(json!({})),
        );
    }

    /// The window as the X server shows it. (WebKitWebDriver's own screenshot waits about a
    /// minute for a frame under Xvfb; ImageMagick reads the screen at once.)
    fn screenshot(&self, name: &str) -> PathBuf {
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

#[test]
fn the_dashboard_shows_live_numbers_and_the_fix_for_a_rejected_login() {
    if !desktop_or_skip() {
        return;
    }
    let Some(driver_bin) = tauri_driver() else {
        let why = "tauri-driver is not installed (scripts/install-deps installs it)";
        if std::env::var("HEADROOM_REQUIRE_KEYRING").as_deref() == Ok("1") {
            panic!("{why}");
        }
        let _ = writeln_stderr(&format!("SKIPPED dashboard e2e: {why}"));
        return;
    };
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(42.0, 17.0, 7_920, 388_800));
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    let codex_home = home.join(".codex");
    std::fs::create_dir_all(&codex_home).unwrap();
    let token = make_jwt(&TestClaims {
        email_in_profile_claim: true,
        ..TestClaims::plus("dev@example.com", "acct-1", 9 * 86_400)
    });
    std::fs::write(codex_home.join("auth.json"), codex_auth_json(&token, &token, Some("acct-1"))).unwrap();

    for (theme, gtk_theme) in [("light", "Adwaita"), ("dark", "Adwaita:dark")] {
        fake.respond(Route::Usage, scenarios::plus(42.0, 17.0, 7_920, 388_800));
        let port = free_port();
        let _driver = Killed(
            Command::new(&driver_bin)
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &free_port().to_string(),
                    "--native-driver",
                    "/usr/bin/WebKitWebDriver",
                ])
                .env("HOME", &home)
                .env("CODEX_HOME", &codex_home)
                .env("XDG_CONFIG_HOME", root.path().join("config"))
                .env("XDG_DATA_HOME", root.path().join("data"))
                .env("HEADROOM_CHATGPT_BASE_URL", fake.base_url())
                .env("GTK_THEME", gtk_theme)
                .env_remove("HEADROOM_ACCESS_TOKEN")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(root.path().join(format!("tauri-driver-{theme}.log"))).unwrap())
                .spawn()
                .unwrap(),
        );
        wait_for("tauri-driver to listen", Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok().map(|_| ())
        });
        let mut driver = Driver {
            http: reqwest::Client::new(),
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
        };
        let created = driver.call(
            reqwest::Method::POST,
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {"browserName": "wry", "tauri:options": {
                "application": env!("CARGO_BIN_EXE_headroom-tray"), "args": ["--open", "dashboard"]}}}})),
        );
        driver.session = created["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}")).to_string();

        // Normal numbers.
        let five_hour = "section[aria-label='5-hour window'] .amount";
        wait_for("the 5-hour numbers", Duration::from_secs(20), || driver.text(five_hour).filter(|t| t == "58% left"));
        assert_eq!(driver.text("section[aria-label='Weekly window'] .amount").as_deref(), Some("83% left"));
        assert_eq!(driver.text("header h1").as_deref(), Some("Codex · Plus"));
        assert_eq!(driver.text("header .account").as_deref(), Some("dev@example.com"));
        let countdown = driver.text("section[aria-label='5-hour window'] .countdown").unwrap();
        assert!(countdown.starts_with("in 2 h 1"), "{countdown}");
        let footer = driver.text("footer span").unwrap();
        assert!(footer.starts_with("Updated just now") && footer.ends_with("live"), "{footer}");
        let body = driver.find("body").unwrap();
        let background = driver.call(
            reqwest::Method::GET,
            &format!("/session/{}/element/{body}/css/background-color", driver.session),
            None,
        );
        let expected_background = if theme == "dark" { "rgb(13, 17, 23)" } else { "rgb(255, 255, 255)" };
        assert_eq!(background.as_str(), Some(expected_background), "follows the system's {theme} theme");
        driver.screenshot(&format!("dashboard-normal-{theme}.png"));

        // Clicks within 5 s of each other count as one, as in the tray: space them out.
        let refresh_to = |response, what: &str, css: &str, expected: &str| {
            fake.respond(Route::Usage, response);
            std::thread::sleep(Duration::from_millis(5_200));
            driver.click("footer button");
            wait_for(what, Duration::from_secs(15), || driver.text(css).filter(|t| t.starts_with(expected)));
        };
        refresh_to(scenarios::plus(97.0, 60.0, 3_000, 388_800), "nearly out", five_hour, "3% left");
        driver.screenshot(&format!("dashboard-nearly-out-{theme}.png"));
        refresh_to(
            scenarios::usage("plus-weekly-exhausted").unwrap(),
            "blocked",
            ".banner.blocked",
            "Blocked by the weekly limit until ",
        );
        driver.screenshot(&format!("dashboard-blocked-{theme}.png"));

        // The service rejects the login: the banner names the fix, the numbers stay.
        refresh_to(
            scenarios::usage("unauthorized").unwrap(),
            "the error banner",
            ".banner.error strong",
            "Login rejected — run `codex`",
        );
        assert_eq!(
            driver.text(".banner.error .action").as_deref(),
            Some("Run `codex` in a terminal to refresh your login")
        );
        assert_eq!(
            driver.text("section[aria-label='Weekly window'] .amount").as_deref(),
            Some("0% left"),
            "the last good numbers stay"
        );
        let shot = driver.screenshot(&format!("dashboard-error-{theme}.png"));
        let _ = writeln_stderr(&format!("screenshot: {}", shot.display()));
        driver.call(reqwest::Method::DELETE, &format!("/session/{}", driver.session), None);
    }
}
