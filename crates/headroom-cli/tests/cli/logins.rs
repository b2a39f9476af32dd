//! Every login Codex can have is either used or named with what to do: Codex access tokens
//! (presented as Codex presents them), old camelCase files, and the kinds that carry no plan
//! quota. The shapes come from the real Codex CLI where it can write them offline.

use crate::common::Sandbox;
use headroom_testkit::fake::Route;
use headroom_testkit::jwt::{make_jwt, TestClaims};
use headroom_testkit::FakeResponse;
use serde_json::json;

const ACCESS_TOKEN: &str = "at-test-0123456789abcdefghijklmnop";

#[test]
fn a_codex_access_token_is_presented_as_codex_presents_it() {
    let mut sb = Sandbox::new();
    sb.codex_signs_in_with_access_token(ACCESS_TOKEN);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.codex_home().join("auth.json")).unwrap()).unwrap();
    assert_eq!(written["personal_access_token"], ACCESS_TOKEN, "what Codex 0.171.0 writes: {written}");
    sb.fake.clear_requests();

    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["credential"], "codex-auth-file");
    assert_eq!(v["account"], json!({"email": "automation@corp.example", "account_id": "acct-pat", "plan": "plus"}));
    let requests = sb.fake.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/api/accounts/v1/user-auth-credential/whoami", "/backend-api/wham/usage"]);
    for request in &requests {
        assert_eq!(request.header("authorization"), Some(format!("Bearer {ACCESS_TOKEN}").as_str()));
    }
    assert_eq!(requests[0].header("chatgpt-account-id"), None);
    assert_eq!(requests[1].header("chatgpt-account-id"), Some("acct-pat"));
}

#[test]
fn a_rejected_access_token_is_a_login_problem_and_nothing_else_is_asked() {
    let mut sb = Sandbox::new();
    sb.secrets.push(ACCESS_TOKEN.into());
    sb.set("HEADROOM_ACCESS_TOKEN", ACCESS_TOKEN);
    sb.fake.respond(Route::Whoami, FakeResponse::json(401, r#"{"detail":"invalid token"}"#));
    let run = sb.run(&["status", "--source", "api"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim(),
        format!("The account service at {} refused the Codex access token in the HEADROOM_ACCESS_TOKEN variable (HTTP 401): create a new Codex access token and put it in HEADROOM_ACCESS_TOKEN.", sb.fake.addr())
    );
    assert_eq!(sb.fake.requests().len(), 1, "no usage request without an account");
}

#[test]
fn a_blank_access_token_is_no_login() {
    let sb = Sandbox::new();
    sb.write_codex_file("auth.json", r#"{"auth_mode":"personalAccessToken","personal_access_token":"   "}"#);
    let run = sb.run(&["status", "--source", "api"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("Codex's login file in ") && run.stderr.contains("holds no usable login"),
        "{}",
        run.stderr
    );
    assert!(sb.fake.requests().is_empty());
}

#[test]
fn legacy_camel_case_logins_are_read() {
    let mut sb = Sandbox::new();
    let access = make_jwt(&TestClaims {
        email_in_profile_claim: true,
        ..TestClaims::plus("old@example.com", "acct-old", 3_600)
    });
    sb.secrets.extend([access.clone(), "rt-camel".into()]);
    sb.write_codex_file(
        "auth.json",
        &format!(r#"{{"tokens":{{"accessToken":"{access}","refreshToken":"rt-camel","idToken":"{access}","accountId":"acct-old"}}}}"#),
    );
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["account"]["email"], "old@example.com");
    assert_eq!(sb.fake.requests()[0].header("chatgpt-account-id"), Some("acct-old"));
}

#[test]
fn logins_without_a_plan_quota_say_which_kind_and_what_to_do() {
    let cases = [
        (
            r#"{"auth_mode":"bedrockApiKey","bedrock_api_key":{"api_key":"bedrock-key-not-real","region":"eu-central-1"}}"#,
            "Codex is signed in with an Amazon Bedrock API key, which has no ChatGPT plan quota Headroom can read: sign in with ChatGPT (`codex login`)",
        ),
        (
            r#"{"auth_mode":"agentIdentity","agent_identity":"eyJhbGciOiJub25lIn0.e30.x"}"#,
            "Codex is signed in with an agent identity, which has no ChatGPT plan quota Headroom can read:",
        ),
    ];
    for (auth, expected) in cases {
        let sb = Sandbox::new();
        sb.write_codex_file("auth.json", auth);
        let run = sb.run(&["status", "--source", "api"]);
        assert_eq!(run.code, 2, "{auth}");
        assert!(run.stderr.starts_with(expected), "{}", run.stderr);
        assert!(!run.stderr.contains("No Codex login was found"));
        assert!(sb.fake.requests().is_empty());
        let doctor = sb.run(&["doctor"]);
        assert!(doctor.stdout.contains("login: it has no plan quota to show"), "{}", doctor.stdout);
    }
}

#[test]
fn an_api_key_login_written_by_codex_is_named() {
    let mut sb = Sandbox::new();
    let key = "sk-test-real-codex-0123456789abcdefghij";
    sb.secrets.push(key.into());
    let (code, stderr) = sb.codex(&["login", "--with-api-key"], key);
    assert_eq!(code, 0, "{stderr}");
    let run = sb.run(&["status", "--source", "api"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("Codex is signed in with an API key, and API keys have no plan quota"),
        "{}",
        run.stderr
    );
}
