//! `headroom status` end to end: the real binary against the fake service.

use crate::common::{iso, now, token_count_line, Sandbox};
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, Behaviour, FakeResponse};
use serde_json::json;

#[test]
fn live_numbers_from_codex_login_file() {
    let mut sb = Sandbox::new();
    sb.codex_login(9 * 86_400);
    let run = sb.run(&["status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = &run.stdout;
    assert!(text.starts_with("Codex · Plus · dev@example.com\n"), "{text}");
    assert!(text.contains("5-hour") && text.contains("42% used") && text.contains(" 58% left"), "{text}");
    assert!(text.contains("Weekly") && text.contains("17% used") && text.contains(" 83% left"), "{text}");
    assert!(text.contains("resets ") && text.contains("(in 2 h 1"), "countdown to the 5-hour reset: {text}");
    assert!(text.contains("Live numbers, updated just now · login: Codex's login file, expires in 8 days."), "{text}");
    assert!(!text.contains("Blocked"), "{text}");
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn json_contract_schema_1() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["source"], "api");
    assert_eq!(v["credential"], "codex-auth-file");
    assert_eq!(v["account"], json!({"email": "dev@example.com", "account_id": "acct-1", "plan": "plus"}));
    assert_eq!(v["limit_reached"], false);
    assert_eq!(v["blocked_by"], json!(null));
    assert_eq!(v["error"], json!(null));
    assert_eq!(v["credits"], json!({"has_credits": false, "unlimited": false, "balance": null}));
    let windows = v["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 2);
    assert_eq!(windows[0]["limit"], "codex");
    assert_eq!(windows[0]["kind"], "5h");
    assert_eq!(windows[0]["window_seconds"], 18000);
    assert_eq!(windows[0]["used_percent"], 42.0);
    assert_eq!(windows[0]["remaining_percent"], 58.0);
    assert_eq!(windows[1]["kind"], "weekly");
    // RFC 3339 UTC, and about 7920 s from now as the fake's body says.
    let reset = chrono::DateTime::parse_from_rfc3339(windows[0]["resets_at"].as_str().unwrap()).unwrap();
    assert!(windows[0]["resets_at"].as_str().unwrap().ends_with('Z'));
    assert!((reset.timestamp() - (now() + 7_920)).abs() < 30);
    let observed = chrono::DateTime::parse_from_rfc3339(v["observed_at"].as_str().unwrap()).unwrap();
    assert!((observed.timestamp() - now()).abs() < 30);
}

#[test]
fn sends_the_documented_headers_to_the_backend_api_path() {
    let mut sb = Sandbox::new();
    let token = sb.codex_login(3_600);
    assert_eq!(sb.run(&["status"]).code, 0);
    let requests = sb.fake.requests();
    assert_eq!(requests.len(), 1, "one request per status");
    let r = &requests[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/backend-api/wham/usage"));
    assert_eq!(r.header("authorization"), Some(format!("Bearer {token}").as_str()));
    assert_eq!(r.header("chatgpt-account-id"), Some("acct-1"));
    assert_eq!(r.header("accept"), Some("application/json"));
    assert!(r.header("user-agent").unwrap().starts_with("Headroom/"));
}

#[test]
fn base_url_from_codex_config_uses_the_codex_usage_path() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    sb.unset("HEADROOM_CHATGPT_BASE_URL");
    sb.write_codex_file(
        "config.toml",
        &format!("model = \"gpt-5-codex\"\nchatgpt_base_url = \"{}/\"\n", sb.fake.root_url()),
    );
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(sb.fake.requests()[0].path, "/api/codex/usage");

    // The environment variable wins over config.toml.
    sb.set("HEADROOM_CHATGPT_BASE_URL", &sb.fake.base_url());
    sb.fake.clear_requests();
    assert_eq!(sb.run(&["status"]).code, 0);
    assert_eq!(sb.fake.requests()[0].path, "/backend-api/wham/usage");
}

#[test]
fn env_token_wins_and_may_carry_a_bearer_prefix() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    let env_token =
        headroom_testkit::jwt::make_jwt(&headroom_testkit::jwt::TestClaims::plus("env@example.com", "acct-env", 3_600));
    sb.secrets.push(env_token.clone());
    sb.set("HEADROOM_ACCESS_TOKEN", &format!("  Bearer {env_token}\n"));
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["credential"], "env");
    assert_eq!(v["account"]["email"], "env@example.com");
    let r = &sb.fake.requests()[0];
    assert_eq!(r.header("authorization"), Some(format!("Bearer {env_token}").as_str()));
    assert_eq!(r.header("chatgpt-account-id"), Some("acct-env"));
}

/// Runs `status --source api --json` against one fake answer; returns (exit code, error kind, message).
fn failure(response: FakeResponse) -> (i32, String, String, Sandbox) {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    sb.fake.respond(Route::Usage, response);
    let run = sb.run(&["status", "--source", "api", "--json"]);
    let v = run.json();
    assert_eq!(v["windows"], json!([]), "no numbers on failure");
    assert_eq!(v["source"], json!(null));
    let kind = v["error"]["kind"].as_str().unwrap_or_default().to_string();
    let message = v["error"]["message"].as_str().unwrap_or_default().to_string();
    assert_eq!(run.stderr.trim(), message, "the same sentence on stderr");
    assert!(!message.contains('\n') && message.ends_with('.'), "one sentence: {message}");
    (run.code, kind, message, sb)
}

#[test]
fn unauthorized_401_and_403() {
    let (code, kind, message, _) = failure(scenarios::usage("unauthorized").unwrap());
    assert_eq!((code, kind.as_str()), (3, "unauthorized"));
    assert_eq!(message, "The usage service rejected Codex's login file (HTTP 401): run `codex` to refresh your login.");
    let (code, kind, _, _) = failure(scenarios::usage("forbidden").unwrap());
    assert_eq!((code, kind.as_str()), (3, "unauthorized"));
}

#[test]
fn cdn_challenge_page_is_an_invalid_response_not_a_rejected_login() {
    let (code, kind, message, _) = failure(scenarios::usage("cdn-challenge").unwrap());
    assert_eq!((code, kind.as_str()), (4, "invalid_response"));
    assert!(message.contains("HTML page") && message.contains("try again"), "{message}");
    let (code, kind, _, _) = failure(FakeResponse::html(200, scenarios::CDN_CHALLENGE));
    assert_eq!((code, kind.as_str()), (4, "invalid_response"));
}

#[test]
fn rate_limited_keeps_retry_after() {
    let (code, kind, message, _) = failure(scenarios::usage("rate-limited").unwrap());
    assert_eq!((code, kind.as_str()), (4, "rate_limited"));
    assert!(message.contains("try again in 2 min."), "{message}");
}

#[test]
fn server_errors() {
    for status in [500, 502, 503] {
        let (code, kind, message, _) = failure(FakeResponse::json(status, "{}"));
        assert_eq!((code, kind.as_str()), (4, "server_error"));
        assert!(message.contains(&format!("HTTP {status}")));
    }
}

#[test]
fn malformed_garbled_truncated_incomplete_and_oversized_bodies() {
    let cases = [
        FakeResponse::json(200, "{\"plan_type\": \"plus\", \"rate_limit\": {"),
        scenarios::usage("garbled").unwrap(),
        // Not a JSON object: an array, a bare string.
        FakeResponse::json(200, r#"[{"plan_type":"plus"}]"#),
        FakeResponse::json(200, r#""plus""#),
        FakeResponse::json(200, format!("{{\"pad\":\"{}\",\"rate_limit\":null}}", "x".repeat(1_100_000))),
        FakeResponse::json(404, r#"{"detail":"Not Found"}"#),
    ];
    for response in cases {
        let (code, kind, message, _) = failure(response);
        assert_eq!((code, kind.as_str()), (4, "invalid_response"), "{message}");
    }
    // A connection cut mid-body is a network failure, also temporary.
    let (code, kind, message, _) =
        failure(FakeResponse::json(200, scenarios::PLUS_TWO_WINDOWS).with_behaviour(Behaviour::CutAfter(40)));
    assert_eq!(code, 4, "{message}");
    assert!(kind == "network" || kind == "invalid_response", "{kind}: {message}");
}

#[test]
fn a_service_that_never_answers_times_out_after_15_seconds() {
    let started = std::time::Instant::now();
    let (code, kind, message, _) = failure(scenarios::usage("hang").unwrap());
    assert_eq!((code, kind.as_str()), (4, "network"));
    assert!(message.contains("no answer within 15 s") && message.contains("check your network"), "{message}");
    assert!(started.elapsed().as_secs() < 30);
}

#[test]
fn nothing_listening_is_a_network_error() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    sb.set("HEADROOM_CHATGPT_BASE_URL", &format!("http://127.0.0.1:{port}/backend-api"));
    let run = sb.run(&["status", "--source", "api"]);
    assert_eq!(run.code, 4);
    assert!(run.stderr.starts_with(&format!("Could not reach 127.0.0.1:{port} (connection failed")), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn an_expired_login_is_reported_before_any_request() {
    let mut sb = Sandbox::new();
    sb.codex_login(-2 * 86_400);
    let run = sb.run(&["status", "--source", "api", "--json"]);
    assert_eq!(run.code, 3);
    let v = run.json();
    assert_eq!(v["error"]["kind"], "expired");
    assert_eq!(v["credential"], "codex-auth-file");
    assert_eq!(v["account"]["email"], "dev@example.com", "who the login was for is still known");
    assert_eq!(v["error"]["message"], "Codex's login file expired 2 days ago: run `codex` to refresh your login.");
    assert!(sb.fake.requests().is_empty(), "no request with an expired token");
}

#[test]
fn api_key_login_has_no_plan_quota() {
    let sb = Sandbox::new();
    sb.write_codex_file("auth.json", r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-test-0000"}"#);
    let run = sb.run(&["status"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("API keys have no plan quota to show"), "{}", run.stderr);
    assert!(!run.stderr.contains("sk-test-0000"));
    assert!(sb.fake.requests().is_empty());
}

#[test]
fn no_source_at_all() {
    let sb = Sandbox::new();
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 2);
    let v = run.json();
    assert_eq!(v["error"]["kind"], "no_credentials");
    assert_eq!(v["credential"], json!(null));
    assert_eq!(v["windows"], json!([]));
    assert!(run.stderr.contains("run `codex login`"), "{}", run.stderr);
    let run = sb.run(&["status", "--source", "logs"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.starts_with("No Codex session logs were found under "), "{}", run.stderr);
}

#[test]
fn a_damaged_auth_file_is_named_with_its_fix() {
    let sb = Sandbox::new();
    sb.write_codex_file("auth.json", "<html>oops</html>");
    let run = sb.run(&["status", "--source", "api"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("Codex's login file ") && run.stderr.contains("auth.json could not be understood"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("run `codex login`"));
}

fn write_log(sb: &Sandbox, primary_used: f64, primary_reset_in: i64, weekly_used: f64, at: i64) {
    let line = token_count_line(&iso(at), primary_used, at + primary_reset_in, weekly_used, at + 5 * 86_400);
    sb.write_codex_file("sessions/2026/11/22/rollout-2026-11-22T08-00-00-abc.jsonl", &line);
}

#[test]
fn session_logs_fill_in_when_the_api_fails_with_the_error_attached() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    write_log(&sb, 64.0, 3_000, 20.0, now() - 600);
    sb.fake.respond(Route::Usage, scenarios::usage("unauthorized").unwrap());
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "numbers are shown");
    let v = run.json();
    assert_eq!(v["source"], "session-log");
    assert_eq!(v["credential"], "codex-auth-file");
    assert_eq!(v["error"]["kind"], "unauthorized");
    assert_eq!(v["windows"][0]["used_percent"], 64.0);
    assert_eq!(v["account"]["plan"], "plus");
    let text = sb.run(&["status"]).stdout;
    assert!(
        text.contains("From Codex's session log (rollout-2026-11-22T08-00-00-abc.jsonl), as of 10 min ago."),
        "{text}"
    );
    assert!(text.contains("Live numbers unavailable: The usage service rejected"), "{text}");
}

#[test]
fn logs_only_source_needs_no_network_and_applies_resets_since() {
    let sb = Sandbox::new();
    // Observed 2 hours ago; the 5-hour window reset an hour ago.
    write_log(&sb, 97.0, 3_600, 30.0, now() - 7_200);
    let run = sb.run(&["status", "--source", "logs", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["source"], "session-log");
    assert_eq!(v["credential"], json!(null));
    assert_eq!(v["windows"][0]["used_percent"], 0.0);
    assert_eq!(v["windows"][0]["resets_at"], json!(null));
    assert_eq!(v["windows"][1]["used_percent"], 30.0);
    assert!(sb.fake.requests().is_empty());
    let text = sb.run(&["status", "--source", "logs"]).stdout;
    assert!(text.contains("has reset since") && text.contains("(stale)"), "{text}");
}

#[test]
fn without_credentials_auto_uses_the_logs() {
    let sb = Sandbox::new();
    write_log(&sb, 12.0, 9_000, 3.0, now() - 60);
    let v = sb.run(&["status", "--json"]).json();
    assert_eq!(v["source"], "session-log");
    assert_eq!(v["error"], json!(null));
}

#[test]
fn blocked_by_the_weekly_limit_names_it_and_when_it_frees() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    sb.fake.respond(Route::Usage, scenarios::usage("plus-weekly-exhausted").unwrap());
    let run = sb.run(&["status"]);
    assert_eq!(run.code, 0);
    // reset_after_seconds 210000 = 2 d 10 h 20 m from now.
    assert!(run.stdout.contains("Blocked by the weekly limit until "), "{}", run.stdout);
    assert!(run.stdout.contains("(in 2 d 10 h)."), "{}", run.stdout);
    let v = sb.run(&["status", "--json"]).json();
    assert_eq!((v["limit_reached"].clone(), v["blocked_by"].clone()), (json!(true), json!("weekly")));
}

#[test]
fn free_plan_with_only_a_weekly_window() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    sb.fake.respond(Route::Usage, scenarios::usage("free-weekly-only").unwrap());
    let v = sb.run(&["status", "--json"]).json();
    assert_eq!(v["account"]["plan"], "free");
    let kinds: Vec<_> =
        v["windows"].as_array().unwrap().iter().map(|w| w["kind"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["weekly"]);
}

#[test]
fn every_limit_of_a_team_plan() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    sb.fake.respond(Route::Usage, scenarios::usage("team-all-fields").unwrap());
    let v = sb.run(&["status", "--json"]).json();
    let limits: Vec<_> = v["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["limit"].as_str().unwrap().to_string(), w["kind"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        limits,
        [("codex", "5h"), ("codex", "weekly"), ("code_review", "weekly"), ("gpt_5_3_codex_spark", "5h")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(v["credits"]["balance"], 12.4);
    assert_eq!(v["account"]["account_id"], "acct-team-1");
    let text = sb.run(&["status"]).stdout;
    assert!(
        text.contains("Code review weekly") && text.contains("GPT-5.3-Codex-Spark 5-hour") && text.contains("12.40"),
        "{text}"
    );
}

#[test]
fn an_unreadable_ca_bundle_is_a_clear_setup_error() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    sb.set("CODEX_CA_CERTIFICATE", "/nonexistent/corp-ca.pem");
    let run = sb.run(&["status", "--source", "api"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("The CA bundle named by CODEX_CA_CERTIFICATE (/nonexistent/corp-ca.pem) could not be read"),
        "{}",
        run.stderr
    );
    let not_pem = sb.dir.path().join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    sb.set("CODEX_CA_CERTIFICATE", not_pem.to_str().unwrap());
    let run = sb.run(&["status", "--source", "api"]);
    assert!(run.stderr.contains("holds no PEM certificates"), "{}", run.stderr);
}

#[test]
fn verbose_logging_never_shows_the_token() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    sb.set("HEADROOM_LOG", "trace");
    let run = sb.run(&["-v", "status"]);
    assert_eq!(run.code, 0);
    // The secret check in Sandbox::run covers the trace output on stderr.
    assert!(!run.stderr.is_empty(), "trace logging produced output");
}

#[test]
fn numbers_are_stale_by_the_same_rule_as_the_tray() {
    // Numbers 20 minutes old: stale at the default 5-minute polling (past 15 minutes), fresh
    // for someone who polls every 30 minutes (stale only past twice that), as the tray says.
    let sb = Sandbox::new();
    let line = token_count_line(&iso(now() - 20 * 60), 20.0, now() + 3_600, 5.0, now() + 86_400);
    sb.write_codex_file("sessions/2026/11/20/rollout-x.jsonl", &line);
    let run = sb.run(&["status", "--source", "logs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("(stale)"), "{}", run.stdout);

    let config = sb.config_dir();
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("settings.toml"), "[display]\npoll_interval_minutes = 30\n").unwrap();
    let run = sb.run(&["status", "--source", "logs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("(stale)"), "{}", run.stdout);
}
