//! `headroom doctor`: every place looked at, what was found and why, and never a secret.

use crate::common::{iso, now, token_count_line, Sandbox};

#[test]
fn lists_every_source_and_names_the_winner() {
    let mut sb = Sandbox::new();
    sb.codex_login(5 * 86_400);
    sb.write_codex_file(
        "sessions/2026/11/22/rollout-x.jsonl",
        &token_count_line(&iso(now() - 3 * 3_600), 10.0, now() + 600, 5.0, now() + 86_400),
    );
    let run = sb.run(&["doctor"]);
    assert_eq!(run.code, 0);
    let out = &run.stdout;
    for expected in [
        "Usage endpoint  http://127.0.0.1:",
        "/backend-api/wham/usage (from HEADROOM_CHATGPT_BASE_URL)",
        "1. the HEADROOM_ACCESS_TOKEN variable  [HEADROOM_ACCESS_TOKEN]\n     not found: not set",
        "skipped: Codex keeps its login in a file (cli_auth_credentials_store = \"file\")",
        "found, dev@example.com, plus, account acct-1, expires in 4 days, IN USE",
        "sessions: 1 file(s), newest numbers from 3 h ago in rollout-x.jsonl",
        "Verdict: live numbers from the usage service, with Codex's login file.",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(sb.fake.requests().is_empty(), "doctor stays offline");
}

#[test]
fn an_expired_login_says_how_to_refresh_it() {
    let mut sb = Sandbox::new();
    sb.codex_login(-2 * 86_400 - 60);
    let out = sb.run(&["doctor"]).stdout;
    assert!(out.contains("EXPIRED 2 days ago (run `codex` to refresh your login), IN USE"), "{out}");
}

#[test]
fn nothing_found_exits_2_with_the_way_in() {
    let sb = Sandbox::new();
    let run = sb.run(&["doctor"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("not found: no such file"), "{}", run.stdout);
    assert!(run.stdout.contains("Verdict: No Codex login was found: run `codex login`"), "{}", run.stdout);
}

#[test]
fn env_token_base_url_from_config_and_proxy_passwords_masked() {
    let mut sb = Sandbox::new();
    let token = headroom_testkit::jwt::make_jwt(&headroom_testkit::jwt::TestClaims::plus(
        "e@example.com",
        "acct-e",
        86_400 * 3,
    ));
    sb.secrets.extend([token.clone(), "hunter2".into()]);
    sb.set("HEADROOM_ACCESS_TOKEN", &token);
    sb.set("HTTPS_PROXY", "http://bob:hunter2@proxy.internal:3128");
    sb.unset("HEADROOM_CHATGPT_BASE_URL");
    sb.write_codex_file("config.toml", "chatgpt_base_url = \"https://gateway.example.com/backend-api\"\n");
    let run = sb.run(&["doctor"]);
    assert_eq!(run.code, 0);
    let out = &run.stdout;
    assert!(
        out.contains("https://gateway.example.com/backend-api/wham/usage (from chatgpt_base_url in config.toml)"),
        "{out}"
    );
    assert!(out.contains("HTTPS_PROXY=http://***@proxy.internal:3128"), "{out}");
    assert!(out.contains("found, e@example.com, plus, account acct-e, expires in 2 days, IN USE"), "{out}");
}

#[test]
fn a_broken_config_is_reported_and_defaults_used() {
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    sb.write_codex_file("config.toml", "chatgpt_base_url = [\n");
    let run = sb.run(&["doctor"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("config.toml could not be read"), "{}", run.stdout);
    assert!(run.stderr.contains("using Codex's defaults."), "{}", run.stderr);
}
