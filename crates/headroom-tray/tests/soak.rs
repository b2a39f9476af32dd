//! Soak with faults: the release tray process runs for a set time (HEADROOM_SOAK_SECONDS, default
//! 600) in the throw-away desktop session with its dashboard open in the window process, polling
//! at its fastest (every minute), while the fake service answers each request with the next step of a cycle of normal
//! numbers and faults: slow answers past the timeout, connections cut mid-body, a 10 MB body,
//! the CDN's HTML challenge, 429 with Retry-After, a burst of 5xx, 401 then recovery, a limit
//! reached and its window resetting, a plan that drops its 5-hour window.
//!
//! It checks, and exits non-zero naming each failed check:
//! - the app answers a 30 s storm of menu clicks (pause / resume as fast as it answers);
//! - the app is alive at the end;
//! - the tray process's memory at the end is within 10 % of after the first minute (the window
//!   process's is reported beside it);
//! - no request came sooner than the polling rules allow after the answer before it;
//! - exactly the notifications the alert rules call for, counted on the notification bus, and
//!   a hook on every event run exactly as often, for the same events, without the token;
//! - while failing, the menu and the dashboard show the last good numbers and their age;
//! - nothing the app logged (at debug level, every crate) contains the access token.
//!
//! Not part of `cargo test` (`test = false`): `bench/soak.sh [SECONDS]` builds the release app
//! and runs this with HEADROOM_APP_BINARY pointing at it.
#![cfg(target_os = "linux")]

#[allow(dead_code)] // The tray tests' helpers; the soak uses a few.
#[path = "tray/common/mod.rs"]
mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::jwt::now_unix;
use headroom_testkit::{scenarios, FakeService};
use headroom_testkit::{Behaviour, FakeResponse};
use zbus::blocking::Connection;

/// One step of the fault cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// Both windows, the 5-hour one at this used % in the loop's first cycle.
    Numbers(f64),
    /// The 5-hour window at 85 %: "80 % used" once.
    CrossEighty,
    /// Past the client's 15 s timeout.
    Slow,
    CutMidBody,
    /// A new 5-hour cycle already at its limit, resetting in 100 s: "limit reached" once.
    LimitReached,
    /// 401: "login rejected" once for this credential; the next answer is good again.
    Unauthorized,
    /// A new cycle after the limit's reset passed, with room: "available again" once.
    Reset,
    TenMegabytes,
    CdnChallenge,
    RetryAfter(i64),
    ServerError(u16),
    /// The plan answers with its weekly window only.
    WeeklyOnly,
}

// Ordered so that even the 2-minute CI run meets a failure (the menu and dashboard keeping the
// last good numbers) and an alert.
const CYCLE: [Step; 16] = [
    Step::Numbers(40.0),
    Step::CutMidBody,
    Step::CrossEighty,
    Step::Slow,
    Step::Numbers(86.0),
    Step::LimitReached,
    Step::Unauthorized,
    Step::Reset,
    Step::TenMegabytes,
    Step::CdnChallenge,
    Step::Numbers(10.0),
    Step::RetryAfter(45),
    Step::ServerError(500),
    Step::ServerError(502),
    Step::Numbers(12.0),
    Step::WeeklyOnly,
];

const WEEKLY_USED: f64 = 30.0;

impl Step {
    fn fails(self) -> bool {
        !matches!(self, Step::Numbers(_) | Step::CrossEighty | Step::LimitReached | Step::Reset | Step::WeeklyOnly)
    }

    /// The 5-hour window's % left it shows, when it is a good answer with that window.
    fn five_hour_left(self) -> Option<f64> {
        match self {
            Step::Numbers(used) => Some(100.0 - used),
            Step::CrossEighty => Some(15.0),
            Step::LimitReached => Some(0.0),
            Step::Reset => Some(95.0),
            _ => None,
        }
    }
}

/// The script's state: which 5-hour cycle is current (its reset time), per loop.
struct Script {
    weekly_reset: i64,
    five_hour_reset: i64,
}

fn answer(step: Step, script: &mut Script, loop_index: usize) -> FakeResponse {
    let now = now_unix();
    let numbers = |used: f64, reset: i64| scenarios::plus(used, WEEKLY_USED, reset - now, script.weekly_reset - now);
    match step {
        Step::Numbers(used) => {
            if used == 40.0 {
                // Each loop starts a 5-hour cycle of its own, so its alerts are due again.
                script.five_hour_reset = now + 4 * 3600 + loop_index as i64 * 60;
            }
            numbers(used, script.five_hour_reset)
        }
        Step::CrossEighty => numbers(85.0, script.five_hour_reset),
        Step::Slow => numbers(86.0, script.five_hour_reset).with_delay(Duration::from_secs(20)),
        Step::CutMidBody => numbers(86.0, script.five_hour_reset).with_behaviour(Behaviour::CutAfter(60)),
        Step::LimitReached => {
            script.five_hour_reset = now + 100;
            numbers(100.0, script.five_hour_reset)
        }
        Step::Unauthorized => scenarios::usage("unauthorized").unwrap(),
        Step::Reset => {
            script.five_hour_reset = now + 5 * 3600;
            numbers(5.0, script.five_hour_reset)
        }
        Step::TenMegabytes => {
            FakeResponse::json(200, format!(r#"{{"plan_type":"plus","padding":"{}"}}"#, "x".repeat(10_000_000)))
        }
        Step::CdnChallenge => scenarios::usage("cdn-challenge").unwrap(),
        Step::RetryAfter(seconds) => FakeResponse::json(429, r#"{"detail":"Too many requests"}"#)
            .with_header("Retry-After", &seconds.to_string()),
        Step::ServerError(status) => FakeResponse::json(status, r#"{"detail":"upstream error"}"#),
        Step::WeeklyOnly => FakeResponse::json(
            200,
            serde_json::json!({"plan_type": "plus", "rate_limit": {"allowed": true, "limit_reached": false,
                "primary_window": {"used_percent": WEEKLY_USED, "limit_window_seconds": 604800,
                                   "reset_after_seconds": script.weekly_reset - now, "reset_at": script.weekly_reset},
                "secondary_window": null}})
            .to_string(),
        ),
    }
}

/// The notifications the alert rules call for once `served` steps have been answered, as the
/// start of each one's summary.
fn expected_notifications(served: usize) -> Vec<&'static str> {
    let mut expected = Vec::new();
    for n in 0..served {
        match CYCLE[n % CYCLE.len()] {
            Step::CrossEighty => expected.push("Codex 5-hour limit 80% used"),
            Step::LimitReached => expected.push("Codex 5-hour limit reached"),
            // Once per credential, however often the service rejects it.
            Step::Unauthorized if n < CYCLE.len() => expected.push("Your Codex login was rejected"),
            Step::Reset => expected.push("Codex is available again"),
            _ => {}
        }
    }
    expected
}

/// The hook events those notifications are, in order.
fn expected_hook_events(served: usize) -> Vec<&'static str> {
    expected_notifications(served)
        .into_iter()
        .map(|summary| match summary {
            "Codex 5-hour limit 80% used" => "threshold",
            "Codex 5-hour limit reached" => "limit_reached",
            "Your Codex login was rejected" => "login_rejected",
            _ => "available_again",
        })
        .collect()
}

/// The events the recording hook saw, in the order it ran, and whether any file it wrote holds
/// `secret`.
fn hook_events(dir: &std::path::Path, secret: &str) -> (Vec<String>, bool) {
    let mut files: Vec<_> =
        std::fs::read_dir(dir).map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect()).unwrap_or_default();
    files.sort();
    let mut events = Vec::new();
    let mut leaked = false;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        leaked |= text.contains(secret);
        if file.extension().is_some_and(|x| x == "env") {
            events.extend(text.lines().find_map(|l| l.strip_prefix("HEADROOM_EVENT=")).map(String::from));
        }
    }
    (events, leaked)
}

/// The least time the polling rules allow between answer `i` (at index `i` of the cycle, after
/// `failures` failures in a row including it) and the next request.
fn least_gap(step: Step, failures: u32) -> Duration {
    let backoff = |k: u32| 30.0 * 2f64.powi(k.saturating_sub(1).min(10) as i32) * 0.8;
    let seconds = match step {
        Step::RetryAfter(after) => (after as f64).max(backoff(failures)),
        // Needs the user: no quicker than the interval.
        Step::Unauthorized => 60.0,
        s if s.fails() => backoff(failures),
        _ => 60.0,
    };
    // The slow answer's clock starts when the client gives up, 15 s after asking.
    let seconds = if step == Step::Slow { seconds + 15.0 } else { seconds };
    Duration::from_secs_f64(seconds - 1.5)
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
}

/// The app's process: started by WebKitWebDriver, found by its executable.
fn find_app(binary: &std::path::Path) -> Option<u32> {
    let binary = binary.canonicalize().ok()?;
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        (std::fs::read_link(entry.path().join("exe")).ok()? == binary).then_some(pid)
    })
}

fn main() {
    let seconds: u64 = std::env::var("HEADROOM_SOAK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(600);
    let binary = std::path::PathBuf::from(std::env::var("HEADROOM_APP_BINARY").unwrap_or_else(|_| {
        eprintln!("soak: set HEADROOM_APP_BINARY to the release headroom-tray, its headroom-window beside it (bench/soak.sh does)");
        std::process::exit(2)
    }));
    let _turn = webdriver_or_skip().expect("soak: run inside scripts/with-desktop-session with tauri-driver");

    let fake = FakeService::start();
    let script = Arc::new(Mutex::new(Script { weekly_reset: now_unix() + 5 * 86_400, five_hour_reset: 0 }));
    {
        let script = script.clone();
        fake.respond_with(Route::Usage, move |n| {
            let step = CYCLE[n % CYCLE.len()];
            answer(step, &mut script.lock().unwrap(), n / CYCLE.len())
        });
    }
    let root = tempfile::tempdir().unwrap();
    let (home, codex_home, token) = home_with_codex_login(root.path(), 30 * 86_400);
    // Polling at its fastest: root/config, which app_vars points the app at. A hook on every
    // event records its environment and stdin.
    let hook_runs = root.path().join("hook-runs");
    std::fs::create_dir_all(&hook_runs).unwrap();
    let record = format!("sh -c 'f={}/$(date +%s%N)-$$; cat > $f.json; env > $f.env'", hook_runs.display());
    config_with_settings(
        root.path(),
        &format!(
            "[display]\npoll_interval_minutes = 1\n\n[[hooks]]\non = [\"threshold\", \"limit_reached\", \"available_again\", \"credits_in_use\", \"login_rejected\", \"login_expiring\"]\nrun = {record:?}\n"
        ),
    );
    let monitor_log = root.path().join("notify-calls.log");
    let _monitor = start_notification_monitor(&monitor_log);
    let (_watcher, registrations) = start_tray_host(root.path());
    let app_log = root.path().join("tauri-driver.log");
    let mut env = app_vars(&home, &codex_home, root.path(), &fake.base_url());
    // Everything every crate logs, to be searched for the token at the end.
    env.push(("HEADROOM_LOG", "debug".into()));
    let started = Instant::now();
    let (_driver_process, driver) = Driver::start(&env, &["--open", "dashboard"], &app_log);
    let (sender, path) =
        wait_for("the tray item to register", Duration::from_secs(30), || registration(&registrations, 1));
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &sender, &path);
    let pid = wait_for("the tray process", Duration::from_secs(10), || find_app(&binary));
    let window_pid =
        wait_for("the window process", Duration::from_secs(10), || find_app(&binary.with_file_name("headroom-window")));
    println!("soak: {seconds} s, tray pid {pid}, window pid {window_pid}, fake at {}", fake.base_url());

    // The menu-click storm that once froze the tray for good: "Pause alerts → For 1 hour" and
    // "Resume alerts" as fast as the app answers, for 30 s while the first numbers are shown;
    // alerts end unpaused, long before the first alert is due.
    let storm = ClickStorm::start(&sender, &path, Clicking::PauseResume);
    let storm_started = Instant::now();
    while storm_started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(500));
        if storm.silent_ms() > 10_000 {
            println!(
                "soak: FAILED: the app stopped answering the menu after {} clicks in {} s",
                storm.clicks(),
                storm_started.elapsed().as_secs()
            );
            println!("test result: FAILED. 0 passed; 1 failed; 0 ignored (soak)");
            std::process::exit(1);
        }
    }
    let storm_clicks = storm.finish();

    let mut failures: Vec<String> = Vec::new();
    let mut rss_after_first_minute = None;
    let mut peak_rss = 0;
    // The window process's, while the dashboard is open (reported; WebKit's caches are its own).
    let (mut window_first_minute, mut window_peak, mut window_end) = (None, 0, 0);
    let mut checked_failures = 0usize;
    let mut failing_shown = 0usize;
    let mut last_checked = usize::MAX;
    let deadline = started + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(1));
        let Some(rss) = rss_kb(pid) else {
            failures.push(format!("the app died after {} s", started.elapsed().as_secs()));
            break;
        };
        peak_rss = peak_rss.max(rss);
        let window_rss = rss_kb(window_pid).unwrap_or(0);
        window_peak = window_peak.max(window_rss);
        window_end = window_rss;
        if rss_after_first_minute.is_none() && started.elapsed() >= Duration::from_secs(60) {
            rss_after_first_minute = Some(rss);
            window_first_minute = Some(window_rss);
        }
        // While the newest answer is a failure: the menu and the dashboard keep the last good
        // numbers and say how old they are.
        let served = fake.requests().len();
        if served == 0 || served == last_checked {
            continue;
        }
        let newest = served - 1;
        let step = CYCLE[newest % CYCLE.len()];
        if !step.fails() {
            last_checked = served;
            continue;
        }
        let good = (0..newest).rev().map(|n| CYCLE[n % CYCLE.len()]).find(|s| !s.fails());
        let Some(good) = good else { continue };
        let menu_line = match good.five_hour_left() {
            Some(left) => format!("5-hour: {left}% left"),
            None => format!("Weekly: {}% left", 100.0 - WEEKLY_USED),
        };
        let labels = tray.labels();
        let status = labels.get(1).cloned().unwrap_or_default();
        if !status.contains("showing numbers from") {
            // The answer may still be on its way (the slow one takes 15 s to fail).
            continue;
        }
        last_checked = served;
        checked_failures += 1;
        let menu_ok = labels.iter().any(|l| l.starts_with(&menu_line));
        let amount_css = match good.five_hour_left() {
            Some(_) => "section[aria-label='5-hour window'] .amount",
            None => "section[aria-label='Weekly window'] .amount",
        };
        let expected_amount = format!("{}% left", good.five_hour_left().unwrap_or(100.0 - WEEKLY_USED));
        let dashboard_ok = poll_until(Duration::from_secs(5), || {
            let banner = driver.text(".banner.error strong");
            let amount = driver.text(amount_css);
            let footer = driver.text("footer span").unwrap_or_default();
            (banner.is_some() && amount.as_deref() == Some(expected_amount.as_str()) && footer.starts_with("Updated "))
                .then_some(())
        });
        if menu_ok && dashboard_ok.is_some() {
            failing_shown += 1;
        } else {
            failures.push(format!(
                "while failing ({step:?}) the last good numbers were not shown: menu {labels:?}, dashboard banner {:?}, {amount_css} {:?}",
                driver.text(".banner.error strong"),
                driver.text(amount_css)
            ));
        }
        if checked_failures == 1 {
            driver.screenshot("soak-failing-dashboard.png");
        }
    }
    // Let the last answer's notification arrive.
    std::thread::sleep(Duration::from_secs(5));

    let alive = rss_kb(pid);
    if alive.is_none() && !failures.iter().any(|f| f.starts_with("the app died")) {
        failures.push("the app is not running at the end".into());
    }
    let rss_end = alive.unwrap_or(0);
    let rss_first = rss_after_first_minute.unwrap_or(rss_end);
    let growth = (rss_end as f64 - rss_first as f64) / rss_first.max(1) as f64 * 100.0;
    if growth.abs() > 10.0 {
        failures.push(format!(
            "memory went from {} MB after the first minute to {} MB (>10 %)",
            rss_first / 1024,
            rss_end / 1024
        ));
    }

    let requests = fake.requests();
    let mut in_a_row = 0;
    let mut closest = f64::MAX;
    for (i, pair) in requests.windows(2).enumerate() {
        let step = CYCLE[i % CYCLE.len()];
        in_a_row = if step.fails() && step != Step::Unauthorized { in_a_row + 1 } else { 0 };
        let gap = Duration::from_millis(pair[1].at_ms.saturating_sub(pair[0].at_ms));
        let least = least_gap(step, in_a_row);
        closest = closest.min(gap.as_secs_f64() / least.as_secs_f64());
        if gap < least {
            failures.push(format!(
                "request {} came {:.1} s after {step:?}; the rules allow no sooner than {:.1} s",
                i + 2,
                gap.as_secs_f64(),
                least.as_secs_f64()
            ));
        }
    }

    let sent = notifications(&monitor_log);
    let expected = expected_notifications(requests.len());
    let matches = sent.len() == expected.len() && sent.iter().zip(&expected).all(|(s, e)| s.starts_with(e));
    if !matches {
        failures.push(format!("notifications: expected {expected:?}, got {sent:?}"));
    }

    let (hooked, hook_leaked) = hook_events(&hook_runs, &token);
    let expected_hooks = expected_hook_events(requests.len());
    if hooked != expected_hooks {
        failures.push(format!("hook events: expected {expected_hooks:?}, got {hooked:?}"));
    }
    if hook_leaked {
        failures.push("a hook received the access token".into());
    }

    driver.quit();
    std::thread::sleep(Duration::from_secs(1));
    let log = std::fs::read_to_string(&app_log).unwrap_or_default();
    let signature = token.rsplit('.').next().unwrap_or(&token);
    if log.contains(&token) || log.contains(signature) {
        failures.push("the app's log contains the access token".into());
    }

    println!("soak: ran {} s with the dashboard open", started.elapsed().as_secs());
    println!(
        "  requests: {} ({} fault-cycle steps of {}; {:.2}× the least gap the rules allow at the closest)",
        requests.len(),
        requests.len(),
        CYCLE.len(),
        closest
    );
    println!("  menu-click storm: {storm_clicks} pause/resume clicks in 30 s, answered throughout");
    println!("  failures answered: {checked_failures}; last good numbers and their age shown in menu and dashboard: {failing_shown}");
    println!("  notifications: {} sent, {} called for: {sent:?}", sent.len(), expected.len());
    println!("  hook runs: {} ({hooked:?}), token in none: {}", hooked.len(), !hook_leaked);
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "  tray process memory (RSS): {:.1} MB after the first minute, {:.1} MB at the end ({growth:+.1} %), peak {:.1} MB",
        mb(rss_first),
        mb(rss_end),
        mb(peak_rss)
    );
    println!(
        "  window process memory (RSS, dashboard open): {:.1} MB after the first minute, {:.1} MB at the end, peak {:.1} MB",
        mb(window_first_minute.unwrap_or(window_end)),
        mb(window_end),
        mb(window_peak)
    );
    println!(
        "  log: {} lines at debug level, token absent: {}",
        log.lines().count(),
        !failures.iter().any(|f| f.contains("token"))
    );
    // cargo's summary line, so scripts/test counts the soak with the tests.
    if failures.is_empty() {
        println!("test result: ok. 1 passed; 0 failed; 0 ignored (soak)");
    } else {
        for f in &failures {
            println!("soak: FAILED: {f}");
        }
        println!("test result: FAILED. 0 passed; 1 failed; 0 ignored (soak)");
        std::process::exit(1);
    }
}
