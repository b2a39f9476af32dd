//! Codex as it is in autumn 2026, end to end through the real `headroom` binary and the fake
//! service: windows the service switched off, reset times that cannot be true, Luna Reserve,
//! reserve lines in rollouts, banked reset credits (listed, and used only on purpose), and the
//! logins and words Codex added. Bodies and lines in the shapes of section 4d of the data-sources
//! doc (testdata/usage, testdata/session-logs).

use crate::common::Sandbox;
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeResponse};
use serde_json::{json, Value};

fn with(scenario: &str) -> Sandbox {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    sb.fake.respond(Route::Usage, scenarios::usage(scenario).unwrap());
    sb
}

fn titles(v: &Value) -> Vec<(String, f64)> {
    v["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["title"].as_str().unwrap().to_string(), w["used_percent"].as_f64().unwrap()))
        .collect()
}

fn requests_to(sb: &Sandbox, suffix: &str) -> Vec<headroom_testkit::fake::RecordedRequest> {
    sb.fake.requests().into_iter().filter(|r| r.path.ends_with(suffix)).collect()
}

#[test]
fn a_switched_off_window_is_never_shown_as_full() {
    let sb = with("switched-off-windows");
    let v = sb.run(&["status", "--json"]).json();
    assert_eq!(titles(&v), [("Weekly".to_string(), 31.0), ("GPT-5.3-Codex-Spark weekly".to_string(), 12.0)]);
    assert_eq!(v["reset_credits"], json!(null), "`{{}}` is unknown, never 0");
    let text = sb.run(&["status"]).stdout;
    assert!(!text.contains("Other") && !text.contains("100% left"), "{text}");
    // Every status-bar format: no 5-hour and no "other" window to speak of.
    let bar = sb.run(&["status", "--format", "{5h.left}|{other.left}|{tightest.kind}|{tightest.left}"]);
    assert_eq!(bar.stdout.trim(), "-|-|weekly|69");
    let waybar: Value = serde_json::from_str(&sb.run(&["status", "--format", "waybar"]).stdout).unwrap();
    assert_eq!((waybar["text"].clone(), waybar["alt"].clone()), (json!("69%"), json!("weekly")));
    assert!(!waybar["tooltip"].as_str().unwrap().contains("Other"), "{waybar}");
}

#[test]
fn a_body_whose_every_window_is_switched_off_says_so() {
    let sb = with("all-windows-off");
    let run = sb.run(&["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("The service reported no active usage windows for this account."), "{}", run.stdout);
    let v = sb.run(&["status", "--json"]).json();
    assert_eq!(v["windows"], json!([]));
    assert_eq!(v["reset_credits"], json!({"available": 0, "next_expires_at": null, "credits": []}));
    assert_eq!(sb.run(&["status", "--format", "{tightest.left}"]).stdout.trim(), "-");
}

#[test]
fn reset_times_from_2001_or_0_are_never_shown_and_unusable_values_are_named() {
    let sb = with("absurd-reset-times");
    let run = sb.run(&["status", "--json"]);
    let v = run.json();
    let five = &v["windows"][0];
    assert_eq!(five["kind"], "5h");
    let resets = chrono::DateTime::parse_from_rfc3339(five["resets_at"].as_str().unwrap()).unwrap().timestamp();
    assert!((resets - (crate::common::now() + 6120)).abs() < 30, "the relative field: {five}");
    assert_eq!(v["windows"][1]["resets_at"], json!(null), "neither field usable: unknown");
    assert_eq!(v["windows"][2]["title"], "GPT-5.3-Codex-Spark 3-day");
    assert_eq!(v["windows"].as_array().unwrap().len(), 3, "the code review's 150 % is no percentage");
    let text = sb.run(&["status"]);
    assert!(
        !text.stdout.contains("2001") && !text.stdout.contains("Sep") && !text.stdout.contains("1970"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("reset time unknown"), "{}", text.stdout);
    assert!(
        text.stderr.starts_with("Parts of the usage service's answer could not be read, so they are not shown (")
            && text.stderr.contains("rate_limit.primary_window.reset_at (2001-09-09")
            && text.stderr.contains("code_review_rate_limit.primary_window (used_percent 150 is outside 0–100)"),
        "{}",
        text.stderr
    );
}

#[test]
fn luna_reserve_is_named_never_the_plan_and_said_when_the_plan_blocks() {
    let sb = with("luna-reserve-blocked");
    let v = sb.run(&["status", "--json"]).json();
    assert_eq!(
        titles(&v),
        [("5-hour".to_string(), 41.0), ("Weekly".to_string(), 100.0), ("Luna Reserve".to_string(), 24.0)]
    );
    let reserve = &v["windows"][2];
    assert_eq!(
        (reserve["limit"].clone(), reserve["model"].clone()),
        (json!("base_model_inference"), json!("gpt-6-luna"))
    );
    assert_eq!((v["limit_reached"].clone(), v["blocked_by"].clone()), (json!(true), json!("weekly")));
    let text = sb.run(&["status"]).stdout;
    assert!(!text.contains("gpt-reserve"), "{text}");
    assert!(text.contains("Luna Reserve") && text.contains("76% left · Luna only"), "{text}");
    let blocked =
        text.lines().find(|l| l.starts_with("Blocked by the weekly limit until ")).unwrap_or_else(|| panic!("{text}"));
    assert!(
        blocked.contains(
            " — Codex can go on with Luna Reserve (Luna only, 76% left); 2 reset credits available: using one resets this limit now."
        ),
        "{blocked}"
    );
    // The bars: the reserve by its own name, the tightest window the plan's.
    let bar = sb.run(&["status", "--format", "{reserve.left} {tightest.kind} {tightest.left} {class}"]);
    assert_eq!(bar.stdout.trim(), "76 weekly 0 blocked");
    // The reserve never ends the plan's block: guard says the plan is blocked.
    let guard = sb.run(&["guard", "--min-left", "10"]);
    assert_eq!(guard.code, 1, "{}", guard.stdout);
}

#[test]
fn reset_credits_are_listed_with_their_expiry_and_read_at_most_hourly() {
    let sb = with("luna-reserve-blocked");
    let run = sb.run(&["status", "--json", "--max-age", "0"]);
    let v = run.json();
    let credits = &v["reset_credits"];
    assert_eq!(credits["available"], 2);
    let ids: Vec<&str> = credits["credits"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["rc_soon", "rc_later"], "usable ones only, soonest first");
    assert_eq!(credits["credits"][0]["title"], "Full reset (Weekly + 5 hr)");
    assert_eq!(credits["next_expires_at"], credits["credits"][0]["expires_at"]);
    let list = requests_to(&sb, "/wham/rate-limit-reset-credits");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].method, "GET");
    assert_eq!(list[0].header("chatgpt-account-id"), Some("acct-1"));
    assert!(list[0].header("authorization").is_some_and(|a| a.starts_with("Bearer ")));

    let text = sb.run(&["status", "--max-age", "0"]).stdout;
    let soon = chrono::DateTime::parse_from_rfc3339(credits["next_expires_at"].as_str().unwrap()).unwrap();
    let day = format!("{} {}", soon.format("%-d"), soon.format("%b"));
    assert!(text.contains(&format!("2 reset credits available — the next expires {day}")), "{text}");
    assert!(text.contains("Full reset (Weekly + 5 hr) · expires"), "{text}");
    assert!(text.contains("Use one now: `headroom reset-credit use` (it asks first)."), "{text}");
    assert_eq!(requests_to(&sb, "/wham/rate-limit-reset-credits").len(), 1, "asked once an hour, not every run");
    assert_eq!(requests_to(&sb, "/wham/usage").len(), 2);
}

#[test]
fn a_list_that_cannot_be_read_is_null_and_the_count_stays() {
    let sb = with("luna-reserve-blocked");
    sb.fake.respond(Route::ResetCredits, FakeResponse::html(403, scenarios::CDN_CHALLENGE));
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["reset_credits"], json!({"available": 2, "next_expires_at": null, "credits": null}));
}

/// A blocked account with two banked credits, and the fake's record of what it was sent.
fn blocked_with_credits() -> Sandbox {
    with("luna-reserve-blocked")
}

fn consumes(sb: &Sandbox) -> Vec<Value> {
    requests_to(sb, "/rate-limit-reset-credits/consume")
        .iter()
        .map(|r| {
            assert_eq!(r.method, "POST");
            assert_eq!(r.header("content-type"), Some("application/json"));
            assert_eq!(r.header("chatgpt-account-id"), Some("acct-1"));
            serde_json::from_str(&r.body).unwrap()
        })
        .collect()
}

#[test]
fn a_credit_is_never_used_without_a_typed_yes() {
    let sb = blocked_with_credits();
    for answer in [None, Some(""), Some("no\n"), Some("yess\n"), Some("\n")] {
        let run = sb.run_with_input(&["reset-credit", "use"], answer);
        assert_eq!(run.code, 1, "{answer:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("Use the reset credit “Full reset (Weekly + 5 hr)” (expires ")
                && run.stderr.contains("cannot be undone"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.trim_end().ends_with("Nothing was used."), "{}", run.stderr);
    }
    assert!(consumes(&sb).is_empty(), "no request without the confirmation");
}

#[test]
fn yes_uses_the_soonest_credit_once_says_so_and_reads_the_numbers_again() {
    let sb = blocked_with_credits();
    sb.fake.clear_requests();
    let run = sb.run_with_input(&["reset-credit", "use"], Some("yes\n"));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let sent = consumes(&sb);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["credit_id"], "rc_soon");
    let id = sent[0]["redeem_request_id"].as_str().unwrap();
    assert!(uuid_v4(id), "{id}");
    assert_eq!(sent[0].as_object().unwrap().len(), 2, "exactly Codex's fields: {}", sent[0]);
    assert!(
        run.stdout.starts_with("Done: the reset credit “Full reset (Weekly + 5 hr)” was used and reset 2 usage limits; your numbers are read again."),
        "{}",
        run.stdout
    );
    // The numbers were read again after the use (and the list too, being out of date now).
    let paths: Vec<String> = sb.fake.requests().iter().map(|r| r.path.clone()).collect();
    let consumed = paths.iter().position(|p| p.ends_with("/consume")).unwrap();
    assert!(paths[consumed + 1..].iter().any(|p| p.ends_with("/wham/usage")), "{paths:?}");
    assert!(paths[consumed + 1..].iter().any(|p| p.ends_with("/wham/rate-limit-reset-credits")), "{paths:?}");
    // A credit named by id is that one.
    let run = sb.run_with_input(&["reset-credit", "use", "--id", "rc_later"], Some("y\n"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(consumes(&sb)[1]["credit_id"], "rc_later");
    assert_ne!(consumes(&sb)[1]["redeem_request_id"], consumes(&sb)[0]["redeem_request_id"], "a new decision");
    let unknown = sb.run_with_input(&["reset-credit", "use", "--id", "rc_nope"], Some("y\n"));
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("No reset credit has the id rc_nope"), "{}", unknown.stderr);
}

#[test]
fn a_request_without_an_answer_is_sent_again_with_the_same_id() {
    let sb = blocked_with_credits();
    sb.fake.respond(Route::ConsumeResetCredit, FakeResponse::json(502, r#"{"detail":"bad gateway"}"#));
    let run = sb.run_with_input(&["reset-credit", "use"], Some("yes\n"));
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "No usable answer came (the usage service failed (HTTP 502)), so the credit may or may not have been used"
        ) && run.stderr.contains("resends the same request, so at most one credit is ever used"),
        "{}",
        run.stderr
    );
    let sent = consumes(&sb);
    assert_eq!(sent.len(), 3, "retried twice within the decision");
    assert!(sent.iter().all(|s| s == &sent[0]), "one id for the decision: {sent:?}");

    // The user tries again: the same request id, so the service spends at most one credit.
    sb.fake.respond(Route::ConsumeResetCredit, FakeResponse::json(200, r#"{"code":"already_redeemed"}"#));
    let again = sb.run_with_input(&["reset-credit", "use"], Some("yes\n"));
    assert_eq!(again.code, 0, "{}", again.stderr);
    let sent = consumes(&sb);
    assert_eq!(sent.len(), 4);
    assert_eq!(sent[3], sent[0], "the same request, sent again");
    assert!(again.stdout.contains("was used once, not twice"), "{}", again.stdout);
    // Settled: the next decision is a new request.
    sb.fake.respond(Route::ConsumeResetCredit, FakeResponse::json(200, r#"{"code":"reset","windows_reset":1}"#));
    assert_eq!(sb.run_with_input(&["reset-credit", "use"], Some("yes\n")).code, 0);
    assert_ne!(consumes(&sb)[4]["redeem_request_id"], sent[0]["redeem_request_id"]);
}

#[test]
fn each_answer_code_is_one_sentence() {
    let cases = [
        (r#"{"code":"nothing_to_reset"}"#, 1, "Nothing needed resetting, so the service kept the reset credit"),
        (r#"{"code":"no_credit"}"#, 1, "The service found no reset credit to use"),
        (r#"{"code":"already_redeemed","windows_reset":0}"#, 0, "The service had already carried out this request"),
        (r#"{"code":"reset","windows_reset":1,"credit":{"id":"rc_soon"}}"#, 0, "and reset 1 usage limit;"),
        (r#"{"code":"brand_new"}"#, 1, "The service answered “brand_new”, which Headroom does not know"),
    ];
    for (body, code, says) in cases {
        let sb = blocked_with_credits();
        sb.fake.respond(Route::ConsumeResetCredit, FakeResponse::json(200, body));
        let run = sb.run_with_input(&["reset-credit", "use"], Some("yes\n"));
        assert_eq!(run.code, code, "{body}: {}", run.stderr);
        let first = run.stdout.lines().next().unwrap_or_default();
        assert!(first.contains(says) && first.ends_with('.'), "{body}: {first}");
    }
}

#[test]
fn nothing_is_offered_while_nothing_blocks() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    let body = scenarios::live(
        r#"{"plan_type":"plus","rate_limit":{"allowed":true,"primary_window":{"used_percent":30,"limit_window_seconds":18000,"reset_after_seconds":600,"reset_at":1795340000}},"rate_limit_reset_credits":{"available_count":2}}"#,
    );
    sb.fake.respond(Route::Usage, FakeResponse::json(200, body));
    let run = sb.run_with_input(&["reset-credit", "use"], Some("yes\n"));
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("Nothing blocks Codex now (the tightest limit has 70% left)"), "{}", run.stderr);
    assert!(consumes(&sb).is_empty());
    assert!(!sb.run(&["status"]).stdout.contains("reset-credit use"));
}

#[test]
fn the_reserves_lines_in_a_rollout_are_never_the_plans() {
    let mut sb = Sandbox::new();
    // The rollout's resets moved after now, so no window has reset since it was written.
    let day = 86_400;
    let text = include_str!("../../../../testdata/session-logs/reserve-tagged-codex.jsonl")
        .replace("1795174000", &(crate::common::now() + day).to_string())
        .replace("1795600000", &(crate::common::now() + 3 * day).to_string())
        .replace("1795700000", &(crate::common::now() + 4 * day).to_string());
    sb.write_codex_file("sessions/2026/11/20/rollout-2026-11-20T09-00-00-reserve.jsonl", &text);
    sb.set("HEADROOM_CHATGPT_BASE_URL", "http://127.0.0.1:9/backend-api");
    let v = sb.run(&["status", "--json", "--source", "logs"]).json();
    assert_eq!(
        titles(&v),
        [("5-hour".to_string(), 62.0), ("Weekly".to_string(), 100.0), ("Luna Reserve".to_string(), 12.0)]
    );
    assert_eq!(v["observed_at"], "2026-11-20T09:00:05Z");
}

#[test]
fn logs_that_hold_no_usage_limits_say_so() {
    let sb = Sandbox::new();
    sb.write_codex_file(
        "sessions/2026/11/20/rollout-2026-11-20T09-00-00-x.jsonl",
        "{\"timestamp\":\"2026-11-20T09:00:00Z\",\"type\":\"session_meta\",\"payload\":{}}\n",
    );
    let run = sb.run(&["status"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.starts_with("Codex's session logs hold no usage limits yet"), "{}", run.stderr);
    assert!(!run.stderr.contains("No Codex session logs were found"), "{}", run.stderr);
}

#[test]
fn new_logins_are_named_and_their_secrets_never_printed() {
    let key = "-----BEGIN PRIVATE KEY-----MC4CAQAwBQYDK2VwBCIEIAgentKeyNeverPrinted-----END PRIVATE KEY-----";
    let mut sb = Sandbox::new();
    sb.secrets.push(key.into());
    sb.secrets.push("AgentKeyNeverPrinted".into());
    sb.write_codex_file(
        "auth.json",
        &format!(
            r#"{{"agent_identity":{{"workspace_id":"ws-1","chatgpt_user_id":"user-a","agent_runtime_id":"rt-1","agent_private_key":"{key}","registered_at":"2026-10-01T00:00:00Z"}}}}"#
        ),
    );
    for args in [&["status"][..], &["status", "--json"], &["doctor"], &["accounts", "list"]] {
        let run = sb.run(args);
        assert!(!run.stdout.contains("BEGIN PRIVATE") && !run.stderr.contains("BEGIN PRIVATE"), "{args:?}");
    }
    let run = sb.run(&["status", "--source", "api"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.starts_with("Codex is signed in with an agent identity"), "{}", run.stderr);
    assert!(sb.fake.requests().is_empty(), "nothing is sent for an agent identity");

    // Signed in with ChatGPT, but the tokens are blank: no usable login, not an expired one.
    sb.write_codex_file(
        "auth.json",
        r#"{"auth_mode":"chatgpt","tokens":{"id_token":"","access_token":"","refresh_token":"","account_id":""}}"#,
    );
    let run = sb.run(&["status", "--source", "api"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("holds no usable login"), "{}", run.stderr);
    assert!(!run.stderr.contains("expired"), "{}", run.stderr);
}

#[test]
fn asking_who_owns_an_access_token_names_the_host_that_failed() {
    let token = "at-test-0123456789abcdefghijklmnop";
    let mut sb = Sandbox::new();
    sb.secrets.push(token.into());
    sb.set("HEADROOM_ACCESS_TOKEN", token);
    let host = sb.fake.addr().to_string();
    sb.fake.respond(Route::Whoami, FakeResponse::json(401, r#"{"detail":"invalid token"}"#));
    let run = sb.run(&["status", "--source", "api"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stderr.trim(),
        format!("The account service at {host} refused the Codex access token in the HEADROOM_ACCESS_TOKEN variable (HTTP 401): create a new Codex access token and put it in HEADROOM_ACCESS_TOKEN.")
    );
    sb.fake.respond(Route::Whoami, FakeResponse::json(503, r#"{"detail":"down"}"#));
    let run = sb.run(&["status", "--source", "api"]);
    assert_eq!(run.code, 4);
    assert!(
        run.stderr.starts_with(&format!(
            "The account service at {host} could not say whose the Codex access token is (HTTP 503)"
        )),
        "{}",
        run.stderr
    );
    // An account service that cannot be reached is named, not the usage host.
    sb.set("CODEX_AUTHAPI_BASE_URL", "http://127.0.0.1:9/api/accounts");
    let run = sb.run(&["status", "--source", "api"]);
    assert!(run.stderr.starts_with("Could not reach 127.0.0.1:9 "), "{}", run.stderr);
}

#[test]
fn plan_names_are_codexs() {
    for (plan, name) in [
        ("prolite", "Pro Lite"),
        ("self_serve_business_prolite", "Business Premium"),
        ("enterprise_cbp_automation", "Enterprise (Automation)"),
        ("ent26", "Enterprise"),
        ("hc", "Enterprise"),
    ] {
        let mut sb = Sandbox::new();
        sb.codex_login(3_600);
        sb.fake.respond(Route::Usage, FakeResponse::json(200, format!(r#"{{"plan_type":"{plan}"}}"#)));
        let run = sb.run(&["status"]);
        assert!(run.stdout.starts_with(&format!("Codex · {name} · dev@example.com")), "{plan}: {}", run.stdout);
        assert_eq!(sb.run(&["status", "--format", "{plan}"]).stdout.trim(), name);
    }
}

fn uuid_v4(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && text.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && parts[2].starts_with('4')
}
