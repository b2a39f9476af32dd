//! One person, one account: a workspace is not a person (two members of one Team workspace
//! share its account id, each with their own limits), and one email in two workspaces is two
//! accounts. Through the real `headroom` binary, each person's numbers stay their own in the
//! listing, `status`, the numbers shared between runs, `guard` and the history; a name that
//! fits two accounts is refused with the list. Also the smaller defects found trying several
//! accounts: `~` in `[general] codex_home`, advice naming the account's home, `guard` on
//! numbers it cannot go by, a base URL's password, an `auth.json` that is a FIFO.

use crate::common::Sandbox;
use headroom_testkit::fake::Route;
use headroom_testkit::jwt::TestClaims;
use headroom_testkit::{scenarios, FakeResponse};
use serde_json::Value;

fn claims(email: &str, account: &str, plan: &str) -> TestClaims {
    TestClaims { plan: Some(plan.into()), ..TestClaims::plus(email, account, 86_400) }
}

fn used_5h(v: &Value) -> f64 {
    v["windows"].as_array().unwrap().iter().find(|w| w["kind"] == "5h").unwrap()["used_percent"].as_f64().unwrap()
}

/// alice in the default home and bob in another, both in the Team workspace `acct-team`.
fn alice_and_bob() -> Sandbox {
    let mut sb = Sandbox::new();
    let (_, alice) = sb.login_with(None, claims("alice@corp.example", "acct-team", "team"));
    let (bob_home, bob) = sb.login_with(Some("codex-bob"), claims("bob@corp.example", "acct-team", "team"));
    sb.fake.respond_for_token(&alice, scenarios::plus(10.0, 20.0, 3_600, 300_000));
    sb.fake.respond_for_token(&bob, scenarios::plus(96.0, 50.0, 3_600, 300_000));
    assert_eq!(sb.run(&["accounts", "add", &crate::common::path_str(&bob_home)]).code, 0);
    sb
}

#[test]
fn two_people_in_one_workspace_are_two_accounts_everywhere() {
    let sb = alice_and_bob();
    let list = sb.run(&["accounts", "list"]).stdout;
    assert!(
        list.contains("alice@corp.example · Business · acct-team (default)\n  id    acct-team/user-alice"),
        "{list}"
    );
    assert!(list.contains("bob@corp.example · Business · acct-team\n  id    acct-team/user-bob"), "{list}");

    let all = sb.run(&["status", "--all", "--json"]).json();
    let accounts = all["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "never merged: {all}");
    assert_eq!((used_5h(&accounts[0]), used_5h(&accounts[1])), (10.0, 96.0));

    // Right after alice's run, bob's `status` is bob's numbers, not alice's shared ones.
    assert_eq!(used_5h(&sb.run(&["status", "--json"]).json()), 10.0);
    let bob = sb.run(&["status", "--json", "--account", "bob@corp.example"]).json();
    assert_eq!(used_5h(&bob), 96.0, "bob's 96 % used, never alice's 10 %");
    let guard = sb.run(&["guard", "--min-left", "20", "--account", "bob@corp.example"]);
    assert_eq!(guard.code, 1, "{}", guard.stdout);
    assert_eq!(sb.run(&["guard", "--min-left", "20"]).code, 0, "alice has room");

    // The history keeps each person's samples apart.
    let samples = sb.run(&["history", "--json", "--account", "bob@corp.example"]).json();
    let samples = samples["samples"].as_array().unwrap();
    assert!(!samples.is_empty() && samples.iter().all(|s| s["account"] == "acct-team/user-bob"), "{samples:?}");
    // The workspace alone names two people: refused with both.
    let run = sb.run(&["status", "--account", "acct-team"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.starts_with("“acct-team” names 2 accounts — "), "{}", run.stderr);
}

#[test]
fn one_email_in_two_workspaces_is_two_accounts_and_an_ambiguous_name_is_refused() {
    let mut sb = Sandbox::new();
    let (_, personal) = sb.login_with(None, claims("me@example.org", "acct-personal", "plus"));
    let (work_home, work) = sb.login_with(Some("codex-work"), claims("me@example.org", "acct-corp", "team"));
    sb.fake.respond_for_token(&personal, scenarios::plus(5.0, 10.0, 3_600, 300_000));
    sb.fake.respond_for_token(&work, scenarios::usage("plus-weekly-exhausted").unwrap());
    assert_eq!(sb.run(&["accounts", "add", &crate::common::path_str(&work_home)]).code, 0);

    let list = sb.run(&["accounts", "list"]).stdout;
    assert!(list.contains("me@example.org · Plus · acct-personal (default)"), "{list}");
    assert!(list.contains("me@example.org · Business · acct-corp\n"), "{list}");
    for args in [
        &["status", "--account", "me@example.org"][..],
        &["guard", "--min-left", "10", "--account", "me@example.org"],
        &["accounts", "pin", "me@example.org"],
    ] {
        let run = sb.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
        assert_eq!(
            run.stderr.trim(),
            "“me@example.org” names 2 accounts — me@example.org · Plus · acct-personal (id acct-personal/user-me); me@example.org · Business · acct-corp (id acct-corp/user-me): give the one you mean by its id.",
            "{args:?}"
        );
    }
    // By id, each is itself: the Team one is blocked, and guard says so.
    assert_eq!(sb.run(&["guard", "--min-left", "10", "--account", "acct-corp/user-me"]).code, 1);
    assert_eq!(sb.run(&["guard", "--min-left", "10", "--account", "acct-personal"]).code, 0);
}

#[test]
fn a_codex_home_in_general_settings_may_start_with_a_tilde() {
    let mut sb = Sandbox::new();
    sb.unset("CODEX_HOME");
    let (home, _) = sb.login_with(Some("home/.codex-work"), claims("work@example.com", "acct-work", "plus"));
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    std::fs::write(sb.settings_file(), "[general]\ncodex_home = \"~/.codex-work\"\n").unwrap();
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["account"]["email"], "work@example.com");
    let doctor = sb.run(&["doctor"]).stdout;
    // As the platform writes the path ("home/.codex-work" joined on Windows mixes separators).
    let home: std::path::PathBuf = home.components().collect();
    assert!(doctor.contains(&home.display().to_string()), "{doctor}");
}

#[test]
fn advice_for_an_added_home_names_that_home_everywhere() {
    let mut sb = Sandbox::new();
    sb.codex_login(86_400);
    let (work_home, work) = sb.login_with(Some("codex-work"), claims("work@example.com", "acct-work", "plus"));
    sb.fake.respond_for_token(&work, scenarios::usage("unauthorized").unwrap());
    assert_eq!(sb.run(&["accounts", "add", &crate::common::path_str(&work_home)]).code, 0);
    let command = crate::common::codex_in(&work_home);
    let json = sb.run(&["status", "--json", "--source", "api", "--account", "work@example.com"]).json();
    let message = json["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("run `{command}` to refresh your login")), "{message}");
    let bar: Value =
        serde_json::from_str(&sb.run(&["status", "--format", "waybar", "--account", "work@example.com"]).stdout)
            .unwrap();
    let tooltip = bar["tooltip"].as_str().unwrap();
    assert!(tooltip.contains(&format!("Login rejected — run `{command}`")), "{tooltip}");
    assert!(!tooltip.contains("run `codex`"), "{tooltip}");
}

#[test]
fn guard_cannot_tell_from_old_log_numbers_while_the_service_fails() {
    let mut sb = Sandbox::new();
    sb.codex_login(86_400);
    // A 9-day-old session log whose 5-hour window has reset since.
    let nine_days_ago = crate::common::now() - 9 * 86_400;
    let line = crate::common::token_count_line(
        &crate::common::iso(nine_days_ago),
        80.0,
        nine_days_ago + 3_600,
        30.0,
        nine_days_ago + 5 * 86_400,
    );
    sb.write_codex_file("sessions/2026/11/28/rollout-2026-11-28T10-00-00-x.jsonl", &line);
    sb.fake.respond(Route::Usage, FakeResponse::json(500, r#"{"detail":"down"}"#));
    let run = sb.run(&["guard", "--min-left", "20"]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.stderr.trim(),
        "Cannot tell whether there is room: the numbers left are from 9 days ago, too old to go by, and the usage service failed (HTTP 500): try again in a few minutes."
    );
}

#[test]
fn a_base_urls_password_never_reaches_the_numbers_file() {
    let mut sb = Sandbox::new();
    sb.codex_login(86_400);
    let with_password = sb.fake.base_url().replace("http://", "http://user:s3cret-pass@");
    sb.set("HEADROOM_CHATGPT_BASE_URL", &with_password);
    sb.secrets.push("s3cret-pass".into());
    assert_eq!(sb.run(&["status", "--json"]).code, 0);
    for entry in std::fs::read_dir(sb.data_dir().join("numbers")).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        assert!(!text.contains("s3cret-pass"), "{}: {text}", entry.path().display());
    }
    // And the numbers are still shared with the next run.
    let before = sb.fake.requests().len();
    assert_eq!(sb.run(&["status", "--json"]).code, 0);
    assert_eq!(sb.fake.requests().len(), before, "answered from the shared numbers");
}

#[cfg(unix)]
#[test]
fn an_auth_json_that_is_a_fifo_is_named_and_status_does_not_hang() {
    let sb = Sandbox::new();
    let path = sb.codex_home().join("auth.json");
    let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
    assert!(made.success());
    let started = std::time::Instant::now();
    let run = sb.run(&["status", "--source", "api"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "no hang");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("could not be read (it is not a regular file)"), "{}", run.stderr);
}
