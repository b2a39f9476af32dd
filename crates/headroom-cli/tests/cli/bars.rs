//! Status bars and scripts without jq: `status --format waybar`, `--format TEMPLATE` and
//! `guard`, against the fake service in its normal, low, blocked and failing shapes.

use crate::common::Sandbox;
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeResponse};

fn signed_in() -> Sandbox {
    let mut sb = Sandbox::new();
    sb.codex_login(86_400);
    sb
}

/// Each state is a new answer from the fake, so each run asks (`--max-age 0`).
fn waybar(sb: &Sandbox) -> (i32, serde_json::Value) {
    let run = sb.run(&["status", "--format", "waybar", "--max-age", "0"]);
    assert_eq!(run.stdout.lines().count(), 1, "one line: {}", run.stdout);
    (run.code, run.json())
}

#[test]
fn waybar_says_each_state_in_one_json_line() {
    let sb = signed_in();
    sb.fake.respond(Route::Usage, scenarios::plus(42.0, 17.0, 7_920, 388_800));
    let (code, v) = waybar(&sb);
    assert_eq!(code, 0);
    assert_eq!(
        (v["text"].as_str(), v["percentage"].as_u64(), v["class"].as_str()),
        (Some("58%"), Some(58), Some("ok"))
    );
    assert_eq!(v["alt"], "5h");
    let tooltip = v["tooltip"].as_str().unwrap();
    assert!(tooltip.starts_with("Codex · Plus · dev@example.com\n5-hour: 58% left (42% used) · resets "), "{tooltip}");
    assert!(tooltip.contains("\nWeekly: 83% left (17% used) · resets "), "{tooltip}");

    for (body, class) in [
        (scenarios::plus(85.0, 17.0, 7_920, 388_800), "low"),
        (scenarios::plus(97.0, 17.0, 7_920, 388_800), "critical"),
        (scenarios::usage("plus-weekly-exhausted").unwrap(), "blocked"),
    ] {
        sb.fake.respond(Route::Usage, body);
        assert_eq!(waybar(&sb).1["class"], class);
    }
    sb.fake.respond(Route::Usage, FakeResponse::json(502, "{}"));
    let (code, v) = waybar(&sb);
    assert_eq!(code, 4, "the status exit code");
    assert_eq!((v["class"].as_str(), v["text"].as_str()), (Some("error"), Some("-")), "no invented number");
    assert!(v["percentage"].is_null());
}

#[test]
fn a_template_fills_in_whole_percents_and_an_unknown_name_is_refused_before_asking() {
    let sb = signed_in();
    sb.fake.respond(Route::Usage, scenarios::plus(42.4, 17.0, 7_920, 388_800));
    let run = sb.run(&["status", "--format", "{5h.left}% · W {weekly.left}% · {tightest.kind} · {plan}"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "58% · W 83% · 5h · Plus\n"), "{}", run.stderr);
    sb.fake.clear_requests();
    let run = sb.run(&["status", "--format", "{5h.lft}"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("The format names {5h.lft}, which Headroom does not know: use {5h.left}, "),
        "{}",
        run.stderr
    );
    assert!(sb.fake.requests().is_empty(), "nothing was asked");
    let run = sb.run(&["status", "--format", "{5h.left}", "--json"]);
    assert_eq!(run.code, 2, "--format and --json are one or the other");
}

#[test]
fn guard_exits_by_the_room_left() {
    // Each case is a new answer from the fake, asked for at once.
    let guard = |sb: &Sandbox, args: &[&str]| sb.run(&[&["guard", "--max-age", "0"], args].concat());
    let sb = signed_in();
    sb.fake.respond(Route::Usage, scenarios::plus(42.0, 95.0, 7_920, 388_800));
    let room = guard(&sb, &["--min-left", "20", "--window", "5h"]);
    assert_eq!((room.code, room.stdout.trim()), (0, "Room: the 5-hour window has 58% left (20% asked)."));
    let low = guard(&sb, &["--min-left", "10"]);
    assert_eq!((low.code, low.stdout.trim()), (1, "Not enough room: the Weekly window has 5% left (10% asked)."));
    sb.fake.respond(Route::Usage, scenarios::usage("plus-weekly-exhausted").unwrap());
    let blocked = guard(&sb, &["--min-left", "0", "--window", "5h"]);
    assert_eq!(blocked.code, 1);
    assert!(blocked.stdout.starts_with("Blocked by the weekly limit until "), "{}", blocked.stdout);
    sb.fake.respond(Route::Usage, FakeResponse::json(401, r#"{"detail":"expired"}"#));
    let rejected = guard(&sb, &["--min-left", "10"]);
    assert_eq!(rejected.code, 3);
    assert!(rejected.stderr.contains("rejected"), "{}", rejected.stderr);
    sb.fake.respond(Route::Usage, FakeResponse::json(503, "{}"));
    assert_eq!(guard(&sb, &["--min-left", "10"]).code, 4);
    let bad = guard(&sb, &["--min-left", "150"]);
    assert_eq!(bad.code, 2, "not a percentage: {}", bad.stderr);

    let mut nobody = Sandbox::new();
    nobody.unset("HEADROOM_ACCESS_TOKEN");
    let none = guard(&nobody, &["--min-left", "10"]);
    assert_eq!(none.code, 2, "{}", none.stderr);
}
