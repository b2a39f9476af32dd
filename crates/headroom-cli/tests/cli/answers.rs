//! `headroom status` against every kind of answer the usage service gives today (bodies in the
//! shapes the data-sources doc describes, the odd ones included): exactly the windows a careful
//! reader of the body would expect, no invented 0 %, nothing the body carries left out.

use crate::common::Sandbox;
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeResponse};
use serde_json::{json, Value};

/// `status --json` and `status` for one scenario, with a Codex login in auth.json.
fn answer(scenario: &str) -> (Value, crate::common::Run, Sandbox) {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    sb.fake.respond(Route::Usage, scenarios::usage(scenario).unwrap());
    let json = sb.run(&["status", "--json"]);
    assert_eq!(json.code, 0, "{scenario}: {}", json.stderr);
    let text = sb.run(&["status"]);
    assert_eq!(text.code, 0, "{scenario}: {}", text.stderr);
    (json.json(), text, sb)
}

/// (limit, kind, used %) of each window, in order.
fn windows(v: &Value) -> Vec<(String, String, f64)> {
    v["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["limit"].as_str().unwrap().into(),
                w["kind"].as_str().unwrap().into(),
                w["used_percent"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn w(limit: &str, kind: &str, used: f64) -> (String, String, f64) {
    (limit.into(), kind.into(), used)
}

#[test]
fn an_enterprise_monthly_credit_pool_is_a_window_of_its_own() {
    let (v, text, _) = answer("enterprise-credit-pool");
    assert_eq!(windows(&v), [w("credit_pool", "monthly", 75.0)]);
    let pool = &v["windows"][0];
    assert_eq!(pool["remaining_percent"], 25.0);
    assert_eq!(pool["credits"], json!({"used": 3750.0, "limit": 5000.0}));
    assert_eq!(pool["resets_at"], "2027-12-28T13:20:00Z");
    assert_eq!(v["reset_credits"]["available"], 2);
    assert_eq!(v["reset_credits"]["credits"].as_array().unwrap().len(), 2);
    assert_eq!(v["account"]["plan"], "enterprise");
    assert_eq!((v["limit_reached"].clone(), v["blocked_by"].clone()), (json!(false), json!(null)));
    let out = &text.stdout;
    assert!(
        out.contains("Monthly credit limit") && out.contains("75% used ·  25% left · 3750 of 5000 credits used"),
        "{out}"
    );
    assert!(out.contains("2 reset credits available — the next expires "), "{out}");
    assert!(!out.contains("Credits"), "a zero balance (0E-10) without credits is not shown: {out}");
}

#[test]
fn a_reached_workspace_limit_blocks_and_lengths_with_slack_are_classified() {
    let (v, text, _) = answer("business-pool-reached");
    assert_eq!(windows(&v), [w("codex", "5h", 12.0), w("codex", "weekly", 40.0), w("credit_pool", "monthly", 100.0)]);
    assert_eq!(v["limit_reached"], true);
    assert_eq!(v["blocked_by"], "monthly");
    assert!(
        text.stdout.contains("Your workspace's monthly credit limit is reached until ")
            && text.stdout.contains("(in 13 d 21 h)."),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("Blocked by"), "{}", text.stdout);
}

#[test]
fn unreadable_windows_are_left_out_and_said_so() {
    let (v, text, _) = answer("unreadable-windows");
    // The 5-hour window's "bad", the code-review `{}`, a model's "oops": none becomes 0 % used.
    assert_eq!(
        windows(&v),
        [w("codex", "weekly", 17.0), w("codex_spark", "5h", 30.0), w("codex_spark", "weekly", 77.61)]
    );
    assert_eq!(v["credits"], json!({"has_credits": true, "unlimited": false, "balance": null}));
    assert_eq!(v["reset_credits"], json!(null));
    for run in [&text, &text] {
        assert!(
            run.stderr.contains("Parts of the usage service's answer could not be read, so they are not shown (rate_limit.primary_window (no readable percentage); code_review_rate_limit.primary_window (no readable percentage); additional_rate_limits[3] (codex_bengalfox).primary_window (no readable percentage))"),
            "{}",
            run.stderr
        );
    }
    assert!(!text.stdout.lines().any(|l| l.trim_start().starts_with("5-hour")), "{}", text.stdout);
    assert!(text.stdout.contains("Codex Spark weekly") && text.stdout.contains(" 78% used"), "{}", text.stdout);
}

#[test]
fn an_answer_with_only_a_plan_says_there_are_no_windows() {
    let (v, text, _) = answer("plan-only");
    assert_eq!(v["windows"], json!([]));
    assert_eq!(v["account"]["plan"], "prolite");
    assert_eq!(v["error"], json!(null));
    assert!(text.stdout.starts_with("Codex · Pro Lite · dev@example.com\n"), "{}", text.stdout);
    assert!(text.stdout.contains("The service reported no usage windows for this account."), "{}", text.stdout);
}

#[test]
fn windows_of_the_same_kind_and_other_lengths_are_all_shown() {
    let (v, _, _) = answer("other-windows");
    assert_eq!(windows(&v), [w("codex", "other", 42.0), w("codex", "other", 5.0)]);
    let lengths: Vec<_> = v["windows"].as_array().unwrap().iter().map(|w| w["window_seconds"].clone()).collect();
    assert_eq!(lengths, [json!(3600), json!(86400)]);
}

#[test]
fn a_reached_limit_with_credits_says_codex_is_spending_them() {
    let (v, text, _) = answer("plus-credits-in-use");
    assert_eq!(v["blocked_by"], "5h");
    assert_eq!(v["credits"]["balance"], 9.99);
    assert_eq!(v["reset_credits"]["available"], 1);
    assert_eq!(v["reset_credits"]["credits"][0]["id"], "rc_soon", "the list, read beside the count");
    let out = &text.stdout;
    assert!(out.contains("The 5-hour limit is reached: Codex is using your credits (balance 9.99) until "), "{out}");
    assert!(out.contains("Credits") && out.contains("9.99 (about 20–30 local messages)"), "{out}");
    assert!(out.contains("1 reset credit available"), "{out}");
}

#[test]
fn a_body_with_no_rate_limit_but_credits_is_still_an_answer() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    sb.fake.respond(Route::Usage, FakeResponse::json(200, r#"{"credits":{"has_credits":true,"balance":"14.5"}}"#));
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["windows"], json!([]));
    assert_eq!(v["credits"]["balance"], 14.5);
    assert_eq!(v["account"]["plan"], "plus", "the plan from the login fills in");
}

#[test]
fn doctor_names_what_the_trays_last_answer_could_not_read() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    let snapshot = json!({
        "plan": "pro", "account": {"email": null, "account_id": null, "user_id": null}, "windows": [],
        "credits": null, "limit_reached": false, "limit_reached_reason": null, "spend_control": null,
        "unreadable": ["rate_limit.primary_window (no readable percentage)"], "observed_at": chrono::Utc::now().to_rfc3339(), "source": "api"
    });
    let data = sb.data_dir();
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("last-snapshot.json"), snapshot.to_string()).unwrap();
    let run = sb.run(&["doctor"]);
    assert!(
        run.stdout.contains("Last answer     the tray's, just now: A part of the usage service's answer could not be read, so it is not shown (rate_limit.primary_window (no readable percentage))"),
        "{}",
        run.stdout
    );
}
