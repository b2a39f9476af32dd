//! `headroom usage` against `ccusage codex` (npm `ccusage` 20.0.24, the newest 20.x whose native
//! binary is on npm, pinned in package.json) on the same generated CODEX_HOME — repeated events,
//! cache writes and archived sessions included: the numbers must be equal.
//!
//! One deliberate difference, documented in docs/cli.md: ccusage's `inputTokens` leaves the cached
//! input and the cache writes out (they are `cacheReadTokens` and `cacheCreationTokens`), while
//! Headroom's `input_tokens` includes them, as OpenAI counts input. So Headroom's input =
//! ccusage's inputTokens + cacheReadTokens + cacheCreationTokens.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Map, Value};

fn ccusage() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/.bin/ccusage");
    assert!(path.exists(), "ccusage is not installed: run `npm ci` in the repository root (scripts/test does)");
    path
}

/// ccusage's counts in Headroom's shape.
fn counts(c: &Value) -> Value {
    let input = c["inputTokens"].as_u64().unwrap();
    let cached = c["cacheReadTokens"].as_u64().unwrap();
    let written = c["cacheCreationTokens"].as_u64().unwrap_or(0);
    json!({
        "input_tokens": input + cached + written,
        "cached_input_tokens": cached,
        "cache_write_input_tokens": written,
        "output_tokens": c["outputTokens"],
        "reasoning_output_tokens": c["reasoningOutputTokens"],
        "total_tokens": c["totalTokens"],
    })
}

fn row(c: &Value, key: (&str, &str)) -> Value {
    let mut out = Map::new();
    out.insert(key.1.into(), c[key.0].clone());
    if let Some(last) = c.get("lastActivity") {
        out.insert("last_activity".into(), last.clone());
    }
    for (k, v) in counts(c).as_object().unwrap() {
        out.insert(k.clone(), v.clone());
    }
    let models: Map<String, Value> =
        c["models"].as_object().unwrap().iter().map(|(name, m)| (name.clone(), counts(m))).collect();
    out.insert("models".into(), Value::Object(models));
    Value::Object(out)
}

fn translate(report: &Value, list: &str) -> Value {
    let key = match list {
        "daily" => ("date", "date"),
        "monthly" => ("month", "month"),
        _ => ("sessionId", "session_id"),
    };
    let rows: Vec<Value> = report[list].as_array().unwrap().iter().map(|r| row(r, key)).collect();
    json!({ list: rows, "totals": counts(&report["totals"]) })
}

fn run_json(mut command: Command, what: &str) -> Value {
    let output = command.output().unwrap();
    assert!(output.status.success(), "{what} failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{what} printed no JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)))
}

fn compare(home: &Path, cache: &Path, args: &[&str]) {
    let mut theirs = Command::new(ccusage());
    theirs.arg("codex").args(args).args(["--json", "--offline"]);
    theirs.env("CODEX_HOME", home).env("TZ", "UTC").env("NO_COLOR", "1").env("HOME", cache);
    let theirs = run_json(theirs, &format!("ccusage codex {}", args.join(" ")));

    let ours = || {
        let mut ours = Command::new(env!("CARGO_BIN_EXE_headroom"));
        ours.arg("usage").args(args).arg("--json");
        ours.env("CODEX_HOME", home).env("TZ", "UTC").env("HOME", cache).env("XDG_CACHE_HOME", cache);
        run_json(ours, &format!("headroom usage {}", args.join(" ")))
    };
    let list = if args[0] == "session" { "sessions" } else { args[0] };
    let expected = translate(&theirs, list);
    if args.len() == 1 {
        assert!(expected["totals"]["cache_write_input_tokens"].as_u64().unwrap() > 0, "the history has cache writes");
    }
    assert!(!expected[list].as_array().unwrap().is_empty(), "the history produced no {list}");
    let first = ours();
    if first != expected {
        let (a, b) = (first[list].as_array().unwrap(), expected[list].as_array().unwrap());
        let at = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i));
        panic!(
            "headroom usage {} differs from ccusage ({} rows vs {}); first difference at row {at:?}:\nheadroom: {}\nccusage:  {}",
            args.join(" "),
            a.len(),
            b.len(),
            at.and_then(|i| a.get(i)).map(|v| v.to_string()).unwrap_or_default(),
            at.and_then(|i| b.get(i)).map(|v| v.to_string()).unwrap_or_default(),
        );
    }
    // Again from the per-file cache: the same numbers.
    assert_eq!(ours(), expected, "headroom usage {} (cached) differs", args.join(" "));
}

fn check_history(seed: u64, start: &str, days: i64, sessions: usize) {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("codex");
    let start = chrono::DateTime::parse_from_rfc3339(start).unwrap().timestamp();
    headroom_testkit::token_history::generate(&home.join("sessions"), seed, start, days, sessions).unwrap();
    let archived = std::fs::read_dir(home.join("archived_sessions")).map(|d| d.count()).unwrap_or(0);
    assert!(archived > 0, "the history has archived sessions");
    let cache = dir.path().join("cache");
    compare(&home, &cache, &["daily"]);
    compare(&home, &cache, &["daily", "--timezone", "America/Los_Angeles"]);
    // +05:45: days that begin at a quarter past, the edge of Headroom's 15-minute buckets.
    compare(&home, &cache, &["daily", "--timezone", "Asia/Kathmandu"]);
    compare(&home, &cache, &["monthly", "--timezone", "Europe/Berlin"]);
    compare(&home, &cache, &["monthly"]);
    compare(&home, &cache, &["session"]);
    let day = |offset: i64| {
        chrono::DateTime::from_timestamp(start + offset * 86_400, 0).unwrap().format("%Y-%m-%d").to_string()
    };
    let (since, until) = (day(2), day(5));
    compare(&home, &cache, &["daily", "--since", &since, "--until", &until]);
    compare(&home, &cache, &["monthly", "--since", &since]);
    compare(&home, &cache, &["session", "--since", &since, "--until", &until]);
}

#[test]
#[cfg_attr(windows, ignore = "ccusage runs on Node.js for Linux, which a Windows program under Wine cannot start")]
fn agrees_with_ccusage_across_a_month_boundary() {
    check_history(1, "2026-10-27T00:00:00Z", 9, 40);
}

#[test]
#[cfg_attr(windows, ignore = "ccusage runs on Node.js for Linux, which a Windows program under Wine cannot start")]
fn agrees_with_ccusage_across_a_year_boundary() {
    check_history(2, "2025-12-26T00:00:00Z", 12, 60);
}

#[test]
#[cfg_attr(windows, ignore = "ccusage runs on Node.js for Linux, which a Windows program under Wine cannot start")]
fn agrees_with_ccusage_over_two_months_of_heavy_use() {
    check_history(3, "2026-09-01T00:00:00Z", 61, 240);
}
