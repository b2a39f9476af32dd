//! Status bars that cost no extra requests: `headroom status` answers from the numbers the tray
//! or an earlier run got while they are fresh enough, processes started together make one
//! request between them, and `--watch` prints a line only when the numbers change.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::Sandbox;
use chrono::Utc;
use headroom_core::login::credentials::Credential;
use headroom_core::model::CredentialOrigin;
use headroom_core::sources::shared_numbers::{MaxAge, SharedNumbers};
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeResponse};

fn signed_in() -> (Sandbox, String) {
    let mut sb = Sandbox::new();
    let token = sb.codex_login(86_400);
    sb.fake.respond(Route::Usage, scenarios::plus(42.0, 17.0, 7_920, 388_800));
    (sb, token)
}

fn usage_requests(sb: &Sandbox) -> usize {
    sb.fake.requests().iter().filter(|r| r.path.ends_with("/usage")).count()
}

fn left_5h(run: &crate::common::Run) -> f64 {
    let v = run.json();
    let windows = v["windows"].as_array().unwrap().clone();
    windows.iter().find(|w| w["kind"] == "5h").unwrap()["remaining_percent"].as_f64().unwrap()
}

#[test]
fn fifty_bar_refreshes_in_ten_seconds_make_one_request() {
    let (sb, _) = signed_in();
    // A bar refreshing five times a second, for ten seconds.
    for n in 0..50 {
        let run = sb.run(&["status", "--format", "waybar"]);
        assert_eq!(run.code, 0, "call {n}: {}", run.stderr);
        assert_eq!(run.json()["text"], "58%");
        std::thread::sleep(Duration::from_millis(150));
    }
    assert_eq!(usage_requests(&sb), 1, "one request for fifty calls");

    // The human line says how old the shared numbers are, as for the tray's.
    let text = sb.run(&["status"]).stdout;
    assert!(text.contains("updated "), "{text}");
}

#[test]
fn max_age_zero_asks_each_time_and_a_bad_max_age_is_refused() {
    let (sb, _) = signed_in();
    for _ in 0..3 {
        assert_eq!(sb.run(&["status", "--json", "--max-age", "0"]).code, 0);
    }
    assert_eq!(usage_requests(&sb), 3);
    // A younger limit than the numbers' age asks again; an older one does not.
    std::thread::sleep(Duration::from_millis(1_100));
    assert_eq!(sb.run(&["status", "--json", "--max-age", "30"]).code, 0);
    assert_eq!(usage_requests(&sb), 3);
    assert_eq!(sb.run(&["status", "--json", "--max-age", "1"]).code, 0);
    assert_eq!(usage_requests(&sb), 4);

    for bad in ["soon", "-5", "1.5"] {
        let run = sb.run(&["status", "--max-age", bad]);
        assert_eq!(run.code, 2, "{bad}");
        assert!(
            run.stderr.contains("--max-age takes a whole number of seconds, such as 60 (0 always asks the service)"),
            "{bad}: {}",
            run.stderr
        );
    }
    assert_eq!(usage_requests(&sb), 4, "nothing asked for a refused call");
}

#[test]
fn numbers_the_tray_got_thirty_seconds_ago_are_used_until_its_next_poll() {
    let (sb, token) = signed_in();
    // What the tray saves after a poll (every 5 minutes by default): its numbers, promised
    // until its next poll.
    let tray = SharedNumbers::new(
        sb.data_dir().join("numbers"),
        MaxAge::At(chrono::Duration::zero()),
        chrono::Duration::minutes(5) + chrono::Duration::seconds(30),
    );
    let credential =
        Credential::new(CredentialOrigin::CodexAuthFile, "auth.json".into(), token.into(), None, Some("acct-1".into()));
    let mut snapshot = headroom_core::sources::usage_body::parse_usage_body(
        scenarios::plus(80.0, 30.0, 7_920, 388_800).body.as_bytes(),
        Utc::now() - chrono::Duration::seconds(30),
    )
    .unwrap();
    snapshot.account.account_id = Some("acct-1".into());
    // Kept under the person the login names, as every Headroom process keys it.
    let key = headroom_core::sources::shared_numbers::account_key(&credential).unwrap();
    assert_eq!(key, "acct-1/user-dev");
    tray.save(&key, &sb.fake.base_url(), &credential, &Ok(snapshot));

    let run = sb.run(&["status", "--json"]);
    assert_eq!((run.code, left_5h(&run)), (0, 20.0), "the tray's numbers: {}", run.stderr);
    let observed = chrono::DateTime::parse_from_rfc3339(run.json()["observed_at"].as_str().unwrap()).unwrap();
    assert!(Utc::now() - observed.with_timezone(&Utc) >= chrono::Duration::seconds(30), "their own time");
    assert_eq!(usage_requests(&sb), 0, "nothing asked");
    // Asking for younger numbers than that asks.
    let fresh = sb.run(&["status", "--json", "--max-age", "10"]);
    assert_eq!((fresh.code, left_5h(&fresh), usage_requests(&sb)), (0, 58.0, 1));
}

#[test]
fn two_runs_started_together_make_one_request() {
    let (sb, _) = signed_in();
    // A slow service: the second run starts while the first is still waiting for its answer.
    sb.fake.respond(Route::Usage, scenarios::plus(42.0, 17.0, 7_920, 388_800).with_delay(Duration::from_millis(800)));
    let children: Vec<_> = (0..2)
        .map(|_| sb.command(&["status", "--json"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap())
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["windows"][0]["remaining_percent"], 58.0);
    }
    assert_eq!(usage_requests(&sb), 1, "one request between them");
}

#[test]
fn a_refusal_is_shared_too_and_a_new_login_is_asked_about_at_once() {
    let (mut sb, _) = signed_in();
    sb.fake.respond(Route::Usage, FakeResponse::json(401, r#"{"detail":"token expired"}"#));
    for _ in 0..5 {
        let run = sb.run(&["status", "--format", "waybar"]);
        assert_eq!((run.code, run.json()["class"].as_str()), (3, Some("error")));
    }
    assert_eq!(usage_requests(&sb), 1, "a bar on a refused login does not hammer the service");
    // `codex login` again: a new login is a new question.
    sb.fake.respond(Route::Usage, scenarios::plus(42.0, 17.0, 7_920, 388_800));
    sb.codex_login(172_800);
    let run = sb.run(&["status", "--format", "waybar"]);
    assert_eq!((run.code, run.json()["text"].as_str()), (0, Some("58%")), "{}", run.stderr);
    assert_eq!(usage_requests(&sb), 2);
}

#[test]
fn watch_prints_a_line_only_when_the_numbers_change() {
    let (sb, _) = signed_in();
    let mut child = sb
        .command(&["status", "--watch", "--format", "{5h.left}% left"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (lines, seen) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    let first = seen.recv_timeout(Duration::from_secs(10)).unwrap().1;
    assert_eq!(first, "58% left");

    // The same numbers again (another run asks): no new line.
    assert_eq!(sb.run(&["status", "--max-age", "0", "--json"]).code, 0);
    assert!(seen.recv_timeout(Duration::from_secs(5)).is_err(), "no line for unchanged numbers");

    // Through the warning threshold: another run gets the new numbers, the watch prints them
    // within moments, without asking itself.
    sb.fake.respond(Route::Usage, scenarios::plus(85.0, 17.0, 7_920, 388_800));
    let asked_at = Instant::now();
    assert_eq!(sb.run(&["status", "--max-age", "0", "--json"]).code, 0);
    let (at, line) = seen.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(line, "15% left");
    assert!(at - asked_at < Duration::from_secs(5), "{:?}", at - asked_at);
    assert_eq!(usage_requests(&sb), 3, "the watch asked once, at its start");
    assert!(seen.recv_timeout(Duration::from_secs(3)).is_err(), "one line per change");
    child.kill().unwrap();
    let _ = child.wait();

    let plain = sb.run(&["status", "--watch"]);
    assert_eq!(plain.code, 2);
    assert!(plain.stderr.contains("add --format waybar, --format TEMPLATE or --json"), "{}", plain.stderr);
}

#[test]
fn one_failed_request_is_retried_after_seconds_not_held_for_the_interval() {
    let (sb, _) = signed_in();
    sb.fake.respond(Route::Usage, FakeResponse::json(500, r#"{"detail":"down"}"#));
    assert_eq!(sb.run(&["status"]).code, 4);
    // The service is back a moment later.
    sb.fake.respond(Route::Usage, scenarios::plus(42.0, 17.0, 7_920, 388_800));
    let shared = sb.run(&["guard", "--min-left", "10"]);
    assert_eq!((shared.code, usage_requests(&sb)), (4, 1), "within seconds the failure is shared: {}", shared.stderr);
    std::thread::sleep(Duration::from_millis(5_500));
    let run = sb.run(&["status", "--json"]);
    assert_eq!((run.code, usage_requests(&sb)), (0, 2), "asked again after seconds: {}", run.stderr);
    assert_eq!(left_5h(&run), 58.0);
}

#[test]
fn a_codex_access_token_is_shared_once_its_owner_is_known() {
    let mut sb = Sandbox::new();
    let token = "at-test-0123456789abcdefghijklmnop";
    sb.secrets.push(token.into());
    sb.set("HEADROOM_ACCESS_TOKEN", token);
    sb.fake.respond(Route::Usage, scenarios::plus(42.0, 17.0, 7_920, 388_800));
    for _ in 0..10 {
        assert_eq!(sb.run(&["status", "--format", "{5h.left}"]).code, 0);
    }
    let requests = sb.fake.requests();
    let whoami = requests.iter().filter(|r| r.path.ends_with("/whoami")).count();
    assert_eq!((whoami, usage_requests(&sb)), (1, 1), "one whoami, one usage request for ten runs");
    // Its owner is remembered by the token's digest, never the token.
    for entry in walk(&sb.data_dir()) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(!text.contains(token), "{} holds the token", entry.display());
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_home_signed_in_with_a_codex_access_token_is_listed_as_its_owner_once_asked() {
    let mut sb = Sandbox::new();
    let token = "at-test-home-0123456789abcdefghijklmnop";
    sb.secrets.push(token.into());
    sb.write_codex_file(
        "auth.json",
        &format!(r#"{{"auth_mode":"personalAccessToken","personal_access_token":"{token}"}}"#),
    );
    sb.fake.respond(Route::Usage, scenarios::plus(42.0, 17.0, 7_920, 388_800));
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Listed (and keyed) as the person its numbers were kept under, with nothing more sent.
    let asked = sb.fake.requests().len();
    let list = sb.run(&["accounts", "list"]).stdout;
    assert!(list.contains("automation@corp.example"), "{list}");
    assert!(list.contains("acct-pat/user-pat"), "{list}");
    assert_eq!(sb.fake.requests().len(), asked, "listing sends nothing");
    let all = sb.run(&["status", "--all", "--json"]).json();
    assert_eq!(all["accounts"][0]["id"], "acct-pat/user-pat", "{all}");
}
