//! The usage history as a user meets it: `status` records every snapshot (the first run backfills
//! from Codex's session logs), the pace shows once a cycle has two samples, and `history` exports.

use crate::common::{iso, now, token_count_line, Sandbox};
use headroom_testkit::fake::Route;
use headroom_testkit::scenarios;

#[test]
fn status_records_history_and_shows_the_pace() {
    let mut sb = Sandbox::new();
    sb.codex_login(86_400);
    let now = now();
    // An hour ago Codex logged 20 % of a 5-hour window that resets in two hours.
    let reset = now + 2 * 3_600;
    sb.write_codex_file(
        "sessions/2026/11/22/rollout-2026-11-22T08-00-00-a.jsonl",
        &token_count_line(&iso(now - 3_600), 20.0, reset, 5.0, now + 4 * 86_400),
    );
    // Now the service says 50 %: 30 points an hour, so the other 50 run out in 1 h 40 m,
    // before the reset.
    sb.fake.respond(Route::Usage, scenarios::plus(50.0, 10.0, 2 * 3_600, 4 * 86_400));

    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    let five = v["windows"].as_array().unwrap().iter().find(|w| w["kind"] == "5h").unwrap().clone();
    let pace = &five["pace"];
    assert!((pace["expected_percent"].as_f64().unwrap() - 60.0).abs() < 0.5, "{pace}");
    assert!((pace["deficit_percent"].as_f64().unwrap() + 10.0).abs() < 0.5, "{pace}");
    let out = chrono::DateTime::parse_from_rfc3339(pace["runs_out_at"].as_str().unwrap()).unwrap().timestamp();
    assert!((out - (now + 6_000)).abs() < 120, "runs out about 1 h 40 m from now: {pace}");
    assert_eq!(pace["lasts_until_reset"], false);

    let text = sb.run(&["status"]).stdout;
    assert!(
        text.contains("10% in reserve, runs out in ~1 h 3") || text.contains("10% in reserve, runs out in ~1 h 4"),
        "{text}"
    );

    // Both samples are in the history, the backfilled one marked as from the session log.
    let csv = sb.run(&["history", "--csv"]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(lines[0], "at,account,limit,window,used_percent,resets_at,source");
    let five_hour: Vec<&&str> = lines.iter().filter(|l| l.contains(",5h,")).collect();
    assert!(five_hour.len() >= 2, "{}", csv.stdout);
    assert!(five_hour[0].ends_with(",session-log") && five_hour[0].contains(",20,"), "{}", five_hour[0]);
    assert!(five_hour.iter().any(|l| l.contains(",50,") && l.ends_with(",api")), "{}", csv.stdout);

    let json = sb.run(&["history", "--json", "--days", "1"]).json();
    let samples = json["samples"].as_array().unwrap();
    assert!(samples.iter().any(|s| s["window"] == "weekly" && s["used_percent"] == 10.0), "{json}");
}

#[test]
fn a_damaged_history_is_set_aside_and_the_numbers_still_show() {
    let mut sb = Sandbox::new();
    sb.codex_login(86_400);
    sb.fake.respond(Route::Usage, scenarios::plus(30.0, 10.0, 3_600, 86_400));
    let data = sb.data_dir();
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("history.sqlite3"), "this is not a database, it is a text file".repeat(200)).unwrap();

    let run = sb.run(&["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("30% used"), "{}", run.stdout);
    assert!(
        run.stderr.contains("The usage history was damaged and has been set aside as")
            && run.stderr.contains("a new one was started"),
        "{}",
        run.stderr
    );
    let aside: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "the damaged file is kept for the user");
    assert!(std::fs::read_to_string(aside[0].path()).unwrap().starts_with("this is not a database"));
    // The new history took the sample; the next run says nothing more.
    let again = sb.run(&["status"]);
    assert!(again.stderr.is_empty(), "{}", again.stderr);
    assert!(sb.run(&["history", "--csv"]).stdout.contains(",30,"));
}

#[test]
fn history_before_any_status_says_what_to_do() {
    let sb = Sandbox::new();
    let run = sb.run(&["history", "--json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no usage history yet") && run.stderr.contains("run `headroom status`"),
        "{}",
        run.stderr
    );
}
