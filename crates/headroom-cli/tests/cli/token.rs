//! `headroom token`: pasted tokens kept in the real OS keychain (gnome-keyring in the test
//! session), never in a file, never in an argument.
#![cfg(target_os = "linux")]

use std::process::Command;

use crate::common::{secret_service_or_skip, Sandbox};
use headroom_testkit::fake::Route;
use headroom_testkit::jwt::{make_jwt, TestClaims};
use headroom_testkit::{scenarios, FakeResponse};
use serde_json::json;

/// Holds the vault for one test at a time (its keychain names are fixed) and empties it before
/// and after.
struct VaultLock(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

impl Drop for VaultLock {
    fn drop(&mut self) {
        // Every pasted token: the first entry, and those the index lists.
        let entry = |name: &str| keyring::Entry::new("Headroom", name);
        let listed = entry("pasted-tokens").and_then(|e| e.get_password()).unwrap_or_default();
        for name in listed.lines().chain(["access-token", "pasted-tokens"]) {
            let _ = entry(name).and_then(|e| e.delete_credential());
        }
    }
}

/// A sandbox on the test session's bus, with an empty vault.
fn keychain_sandbox(test: &str) -> Option<(Sandbox, VaultLock)> {
    let lock = VaultLock(crate::common::keyring_turn());
    let bus = secret_service_or_skip(test)?;
    let mut sb = Sandbox::new();
    sb.set("DBUS_SESSION_BUS_ADDRESS", &bus);
    assert_eq!(sb.run(&["token", "clear"]).code, 0);
    Some((sb, lock))
}

fn pasted_token(sb: &mut Sandbox, email: &str, valid_for: i64) -> String {
    let token =
        make_jwt(&TestClaims { email_in_profile_claim: true, ..TestClaims::plus(email, "acct-paste", valid_for) });
    sb.secrets.push(token.clone());
    token
}

fn secret_tool(args: &[&str]) -> (i32, String) {
    let out = Command::new("secret-tool").args(args).output().expect("secret-tool (libsecret-tools) is installed");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn set_stores_in_the_keychain_and_status_uses_it() {
    let Some((mut sb, _guard)) = keychain_sandbox("set_stores_in_the_keychain_and_status_uses_it") else { return };
    sb.codex_login(3_600);
    let token = pasted_token(&mut sb, "pasted@example.com", 2 * 86_400 + 3_600);
    let run = sb.run_with_input(&["token", "set"], Some(&format!("Bearer {token}\n")));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!("Saved {}…{} in the OS keychain", &token[..6], &token[token.len() - 4..])),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("pasted@example.com · plus · account acct-paste · expires in 2 days"),
        "{}",
        run.stdout
    );

    // It really is in the Secret Service, under Headroom's own name.
    assert_eq!(secret_tool(&["lookup", "service", "Headroom", "username", "access-token"]), (0, token.clone()));

    // A token for another account than Codex's login is a second account: plain `status` shows
    // the one Codex uses, `--account` the pasted one.
    let v = sb.run(&["status", "--json"]).json();
    assert_eq!(
        (v["credential"].as_str(), v["account"]["email"].as_str()),
        (Some("codex-auth-file"), Some("dev@example.com"))
    );
    let v = sb.run(&["status", "--json", "--account", "pasted@example.com"]).json();
    assert_eq!(v["credential"], "keychain");
    assert_eq!(v["account"]["email"], "pasted@example.com");
    assert_eq!(sb.fake.requests().last().unwrap().header("authorization"), Some(format!("Bearer {token}").as_str()));
    let text = sb.run(&["status", "--account", "acct-paste"]).stdout;
    assert!(text.contains("login: the token pasted into Headroom, expires in 2 days."), "{text}");

    // A token for the same account as Codex's login comes before that login.
    let same =
        make_jwt(&TestClaims { email_in_profile_claim: true, ..TestClaims::plus("dev@example.com", "acct-1", 86_400) });
    sb.secrets.push(same.clone());
    assert_eq!(sb.run_with_input(&["token", "set"], Some(&same)).code, 0);
    // Asked at once (not answered from the numbers the first call shared): which token is sent.
    let v = sb.run(&["status", "--json", "--max-age", "0"]).json();
    assert_eq!((v["credential"].as_str(), v["account"]["email"].as_str()), (Some("keychain"), Some("dev@example.com")));
    assert_eq!(sb.fake.requests().last().unwrap().header("authorization"), Some(format!("Bearer {same}").as_str()));

    // And after it in the order comes only HEADROOM_ACCESS_TOKEN.
    let env_token = pasted_token(&mut sb, "env@example.com", 3_600);
    sb.set("HEADROOM_ACCESS_TOKEN", &env_token);
    assert_eq!(sb.run(&["status", "--json"]).json()["credential"], "env");
    let status = sb.run(&["token", "status"]);
    assert!(status.stdout.contains("In use    no: HEADROOM_ACCESS_TOKEN is set and comes first"), "{}", status.stdout);
}

#[test]
fn replacing_updates_the_same_keychain_item() {
    let Some((mut sb, _guard)) = keychain_sandbox("replacing_updates_the_same_keychain_item") else { return };
    let first = pasted_token(&mut sb, "one@example.com", 86_400);
    // A fresh token of the same person: it replaces the older one.
    let second = pasted_token(&mut sb, "one@example.com", 2 * 86_400);
    assert_eq!(sb.run_with_input(&["token", "set"], Some(&first)).code, 0);
    let (_, before) = secret_tool(&["search", "--all", "service", "Headroom", "username", "access-token"]);
    assert_eq!(sb.run_with_input(&["token", "set"], Some(&second)).code, 0);
    let (_, after) = secret_tool(&["search", "--all", "service", "Headroom", "username", "access-token"]);
    let path = |listing: &str| listing.lines().filter(|l| l.starts_with('[')).map(String::from).collect::<Vec<_>>();
    assert_eq!(path(&before).len(), 1, "{before}");
    assert_eq!(path(&before), path(&after), "the same item, updated in place");
    let created = |listing: &str| listing.lines().find(|l| l.starts_with("created")).map(String::from);
    assert_eq!(created(&before), created(&after), "not deleted and re-created");
    assert!(after.contains(&format!("secret = {second}")));
    let status = sb.run(&["token", "status"]);
    assert!(status.stdout.contains("one@example.com"), "{}", status.stdout);
}

#[test]
fn a_colleagues_token_in_the_same_workspace_is_kept_beside_yours() {
    let Some((mut sb, _guard)) = keychain_sandbox("a_colleagues_token_in_the_same_workspace_is_kept_beside_yours")
    else {
        return;
    };
    // alice and bob, both in the workspace acct-paste: two people, two tokens.
    let alice = pasted_token(&mut sb, "alice@corp.example", 86_400);
    let bob = pasted_token(&mut sb, "bob@corp.example", 86_400);
    assert_eq!(sb.run_with_input(&["token", "set"], Some(&alice)).code, 0);
    assert_eq!(sb.run_with_input(&["token", "set"], Some(&bob)).code, 0);
    let (_, listing) = secret_tool(&["search", "--all", "service", "Headroom"]);
    assert!(listing.contains(&format!("secret = {alice}")), "alice's token is still there");
    assert!(listing.contains(&format!("secret = {bob}")));
    let list = sb.run(&["accounts", "list"]).stdout;
    assert!(list.contains("acct-paste/user-alice") && list.contains("acct-paste/user-bob"), "{list}");
}

#[test]
fn clear_removes_the_entry() {
    let Some((mut sb, _guard)) = keychain_sandbox("clear_removes_the_entry") else { return };
    let token = pasted_token(&mut sb, "c@example.com", 86_400);
    assert_eq!(sb.run_with_input(&["token", "set"], Some(&token)).code, 0);
    let run = sb.run(&["token", "clear"]);
    assert_eq!((run.code, run.stdout.trim()), (0, "Removed the pasted token from the OS keychain."));
    assert_eq!(secret_tool(&["lookup", "service", "Headroom", "username", "access-token"]).0, 1);
    assert_eq!(sb.run(&["token", "clear"]).stdout.trim(), "No pasted token was stored.");
    let run = sb.run(&["token", "status"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.trim(), "No pasted token is stored: paste one with `headroom token set`.");
}

#[test]
fn status_shows_mask_account_expiry_and_checks_with_the_service() {
    let Some((mut sb, _guard)) = keychain_sandbox("status_shows_mask_account_expiry_and_checks_with_the_service")
    else {
        return;
    };
    let token = pasted_token(&mut sb, "s@example.com", 5 * 3_600 + 120);
    assert_eq!(sb.run_with_input(&["token", "set"], Some(&token)).code, 0);
    let run = sb.run(&["token", "status"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains(&format!(
            "Token     {}…{}  (\"Headroom\" / access-token in the OS keychain)",
            &token[..6],
            &token[token.len() - 4..]
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Account   s@example.com · plus · account acct-paste · expires in 5 hours"),
        "{}",
        run.stdout
    );
    assert!(sb.fake.requests().is_empty(), "status alone stays offline");

    let run = sb.run(&["token", "status", "--check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("Check     accepted by the usage service (58% of the 5-hour window left)"),
        "{}",
        run.stdout
    );
    assert_eq!(sb.fake.requests()[0].header("authorization"), Some(format!("Bearer {token}").as_str()));

    sb.fake.respond(Route::Usage, scenarios::usage("unauthorized").unwrap());
    let run = sb.run(&["token", "status", "--check"]);
    assert_eq!(run.code, 3);
    assert_eq!(run.stderr.trim(), "The usage service rejected the token pasted into Headroom (HTTP 401): paste a fresh one in Settings or with `headroom token set`.");
}

#[test]
fn a_pasted_token_that_expires_is_reported_before_any_request() {
    let Some((mut sb, _guard)) = keychain_sandbox("a_pasted_token_that_expires_is_reported_before_any_request") else {
        return;
    };
    // Stored while valid, then expired: written to the keychain directly, as time would do it.
    let token = pasted_token(&mut sb, "x@example.com", -60);
    keyring::Entry::new("Headroom", "access-token").unwrap().set_password(&token).unwrap();
    let run = sb.run(&["status", "--source", "api", "--json"]);
    assert_eq!(run.code, 3);
    let v = run.json();
    assert_eq!((v["credential"].clone(), v["error"]["kind"].clone()), (json!("keychain"), json!("expired")));
    assert_eq!(
        v["error"]["message"],
        "The token pasted into Headroom expired 1 min ago: paste a fresh one in Settings or with `headroom token set`."
    );
    assert!(sb.fake.requests().is_empty());
    let run = sb.run(&["token", "status"]);
    assert_eq!(run.code, 3);
    assert!(run.stdout.contains("EXPIRED 1 min ago"), "{}", run.stdout);
}

#[test]
fn refused_pastes_store_nothing() {
    let Some((mut sb, _guard)) = keychain_sandbox("refused_pastes_store_nothing") else { return };
    let token = pasted_token(&mut sb, "t@example.com", 86_400);
    let truncated = token[..token.rfind('.').unwrap()].to_string();
    for (input, expected) in [
        ("", "Nothing was pasted: "),
        ("sk-proj-0123456789abcdef\n", "That is an OpenAI API key (sk-…), and API keys have no plan quota to show: use it as a fallback key instead"),
        (truncated.as_str(), "That token is cut off (2 of its 3 parts): "),
        ("correct horse battery staple", "That is not a ChatGPT token (28 characters of text with spaces): "),
    ] {
        let run = sb.run_with_input(&["token", "set"], Some(input));
        assert_eq!(run.code, 1, "{input:?}");
        assert!(run.stderr.starts_with(expected), "{input:?}: {}", run.stderr);
        assert!(!run.stderr.contains("0123456789abcdef") && !run.stderr.contains("horse"), "{}", run.stderr);
    }
    assert_eq!(secret_tool(&["lookup", "service", "Headroom", "username", "access-token"]).0, 1, "nothing stored");
}

#[test]
fn a_token_given_as_an_argument_is_refused() {
    // No keychain needed: the refusal comes before any of it.
    let mut sb = Sandbox::new();
    let token = pasted_token(&mut sb, "arg@example.com", 86_400);
    for args in [vec!["token", "set", token.as_str()], vec!["token", "set", "--token", token.as_str()]] {
        let run = sb.run(&args);
        assert_eq!(run.code, 1);
        assert!(
            run.stderr.starts_with("headroom token set reads the token from standard input only"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn the_token_is_never_in_a_file_or_the_process_list() {
    let Some((mut sb, _guard)) = keychain_sandbox("the_token_is_never_in_a_file_or_the_process_list") else { return };
    // The folders Headroom is pointed at hold the usual files: Codex's login and config.
    sb.codex_login(3_600);
    sb.write_codex_file("config.toml", "model = \"gpt-5-codex\"\n");
    let token = pasted_token(&mut sb, "f@example.com", 86_400);

    // While `token set` waits for its input, its command line and environment hold no token.
    let mut child = sb
        .command(&["token", "set"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let proc = format!("/proc/{}", child.id());
    let cmdline = std::fs::read(format!("{proc}/cmdline")).unwrap();
    let environ = std::fs::read(format!("{proc}/environ")).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains(&token[..20]));
    assert!(!String::from_utf8_lossy(&environ).contains(&token[..20]));
    use std::io::Write;
    child.stdin.take().unwrap().write_all(token.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());

    // Use it, so whatever Headroom writes in normal use has been written.
    assert_eq!(sb.run(&["status"]).code, 0);
    assert_eq!(sb.run(&["doctor"]).code, 0);
    let mut files = 0;
    let mut stack = vec![sb.dir.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files += 1;
                let bytes = std::fs::read(&path).unwrap_or_default();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(&token[20..60]),
                    "the token was written to {}",
                    path.display()
                );
            }
        }
    }
    assert!(files >= 2, "the sandbox has files to look through");
}

#[test]
fn a_session_cookie_is_exchanged_for_an_access_token() {
    let Some((mut sb, _guard)) = keychain_sandbox("a_session_cookie_is_exchanged_for_an_access_token") else { return };
    let access = pasted_token(&mut sb, "cookie@example.com", 86_400);
    let cookie = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..c2Vzc2lvbi1pdg.c2Vzc2lvbi1jaXBoZXJ0ZXh0.c2Vzc2lvbi10YWc";
    sb.secrets.push(cookie.into());
    sb.fake.respond(
        Route::Session,
        FakeResponse::json(200, json!({"user": {"email": "cookie@example.com"}, "expires": "2027-02-20T10:00:00.000Z", "accessToken": access}).to_string()),
    );
    let run = sb.run_with_input(&["token", "set"], Some(&format!("__Secure-next-auth.session-token={cookie}")));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("Exchanged the session cookie for an access token."));
    assert!(run.stdout.contains("cookie@example.com"), "{}", run.stdout);
    let exchange =
        sb.fake.requests().into_iter().find(|r| r.path == "/api/auth/session").expect("the exchange was asked");
    assert_eq!(exchange.header("cookie"), Some(format!("__Secure-next-auth.session-token={cookie}").as_str()));
    assert_eq!(secret_tool(&["lookup", "service", "Headroom", "username", "access-token"]), (0, access));
}

#[test]
fn a_refused_cookie_exchange_suggests_the_header_token() {
    let Some((mut sb, _guard)) = keychain_sandbox("a_refused_cookie_exchange_suggests_the_header_token") else {
        return;
    };
    let cookie = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y2lwaGVy.dGFn";
    sb.secrets.push(cookie.into());
    for (response, expected) in [
        (FakeResponse::html(403, scenarios::CDN_CHALLENGE), "chatgpt.com refused to exchange the session cookie (its bot check answered instead): paste the token from the Authorization header instead."),
        (FakeResponse::json(401, r#"{"error":"unauthorized"}"#), "The session cookie was not accepted (HTTP 401; signed out or expired): "),
        (FakeResponse::json(200, "{}"), "The session cookie was not accepted (HTTP 200; signed out or expired): "),
    ] {
        sb.fake.respond(Route::Session, response);
        let run = sb.run_with_input(&["token", "set"], Some(cookie));
        assert_eq!(run.code, 1);
        assert!(run.stderr.starts_with(expected), "{}", run.stderr);
        assert!(run.stderr.contains("Authorization header"), "suggests the header token: {}", run.stderr);
    }
    assert_eq!(secret_tool(&["lookup", "service", "Headroom", "username", "access-token"]).0, 1);
}

#[test]
fn a_codex_access_token_is_kept_in_the_keychain_and_used_as_codex_uses_it() {
    let Some((mut sb, _guard)) =
        keychain_sandbox("a_codex_access_token_is_kept_in_the_keychain_and_used_as_codex_uses_it")
    else {
        return;
    };
    let token = "at-test-pasted-0123456789abcdefghij";
    sb.secrets.push(token.into());
    let run = sb.run_with_input(&["token", "set"], Some(&format!("{token}\n")));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("Saved at-tes…ghij in the OS keychain"), "{}", run.stdout);
    let (code, listed) = secret_tool(&["search", "--all", "service", "Headroom"]);
    assert_eq!(code, 0);
    assert!(listed.contains("label = access-token@Headroom"), "the entry the keyring crate names");

    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["credential"], "keychain");
    assert_eq!(v["account"]["email"], "automation@corp.example");
    let paths: Vec<String> = sb.fake.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/api/accounts/v1/user-auth-credential/whoami", "/backend-api/wham/usage"]);
    assert_eq!(sb.fake.requests()[1].header("chatgpt-account-id"), Some("acct-pat"));

    // A cut-off one is refused with what to do, and nothing replaces the stored one.
    let run = sb.run_with_input(&["token", "set"], Some("at-abc\n"));
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("That Codex access token is cut off or damaged"), "{}", run.stderr);
    assert!(sb.run(&["token", "status"]).stdout.contains("at-tes…ghij"));
}

#[test]
fn doctor_says_where_each_accounts_numbers_come_from() {
    let Some((mut sb, _guard)) = keychain_sandbox("doctor_says_where_each_accounts_numbers_come_from") else { return };
    sb.codex_login(86_400);
    // A token pasted for another account than Codex's login.
    let other = pasted_token(&mut sb, "other@example.com", 86_400);
    assert_eq!(sb.run_with_input(&["token", "set"], Some(&other)).code, 0);
    let doctor = sb.run(&["doctor"]).stdout;
    // The default account's credentials: Codex's login is the one in use, not the other's token.
    assert!(doctor.contains("Codex's login file  ["), "{doctor}");
    let in_use = doctor.lines().skip_while(|l| !l.contains("Codex's login file  [")).nth(1).unwrap_or_default();
    assert!(in_use.contains("IN USE"), "{doctor}");
    assert!(
        doctor.contains(&format!(
            "Accounts, and where each one's numbers come from:\n  dev@example.com · Plus · acct-1 (default)\n     numbers from Codex's login file ({})",
            sb.codex_home().join("auth.json").display()
        )),
        "{doctor}"
    );
    assert!(
        doctor.contains("  other@example.com · Plus · acct-paste\n     numbers from the token pasted into Headroom (\"Headroom\" / access-token in the OS keychain)"),
        "{doctor}"
    );
    assert!(doctor.contains("Verdict: live numbers from the usage service, with Codex's login file."), "{doctor}");
}
