//! Several accounts side by side: two Codex homes and a pasted token, against the fake service,
//! one of them failing; adding, removing and pinning accounts; the bad paths.

use crate::common::{path_str, Sandbox};
use headroom_testkit::{scenarios, FakeResponse};

/// The default home logged in as dev@example.com (acct-1) at 10 % / 20 %, and a work home
/// (work@example.com, acct-work) at 70 % / 40 %, added with `headroom accounts add`.
fn two_homes() -> (Sandbox, std::path::PathBuf) {
    let mut sb = Sandbox::new();
    sb.codex_login(86_400);
    let work = sb.login_in("codex-work", "work@example.com", "acct-work");
    sb.fake.respond_for_account("acct-1", scenarios::plus(10.0, 20.0, 3_600, 86_400));
    sb.fake.respond_for_account("acct-work", scenarios::plus(70.0, 40.0, 7_200, 86_400));
    let added = sb.run(&["accounts", "add", &path_str(&work)]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert_eq!(
        added.stdout.trim(),
        format!("Added {} (work@example.com). A running tray picks it up at once.", work.display())
    );
    (sb, work)
}

fn left(account: &serde_json::Value, kind: &str) -> f64 {
    let windows = account["windows"].as_array().unwrap();
    windows.iter().find(|w| w["kind"] == kind).unwrap()["remaining_percent"].as_f64().unwrap()
}

#[test]
fn every_account_is_read_at_once_and_one_failing_hides_none() {
    let (sb, work) = two_homes();
    let v = sb.run(&["status", "--all", "--json"]).json();
    assert_eq!(v["schema"], 1);
    let accounts = v["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!((accounts[0]["id"].as_str(), accounts[0]["default"].as_bool()), (Some("acct-1/user-dev"), Some(true)));
    assert_eq!((left(&accounts[0], "5h"), left(&accounts[1], "5h")), (90.0, 30.0));
    assert_eq!(accounts[1]["account"]["email"], "work@example.com");
    assert_eq!(accounts[1]["home"], path_str(&work));
    let accounts_asked: Vec<String> =
        sb.fake.requests().iter().filter_map(|r| r.header("chatgpt-account-id").map(String::from)).collect();
    assert_eq!(accounts_asked.len(), 2, "one request per account");

    // The work login is refused (asked at once: a minute-old answer would otherwise be taken):
    // its account says so, the other still shows its numbers.
    sb.fake.respond_for_account("acct-work", FakeResponse::json(401, r#"{"detail":"token expired"}"#));
    let run = sb.run(&["status", "--all", "--json", "--max-age", "0"]);
    assert_eq!(run.code, 3, "the failing account's code: {}", run.stderr);
    let v = run.json();
    assert_eq!(left(&v["accounts"][0], "5h"), 90.0);
    assert_eq!(v["accounts"][1]["error"]["kind"], "unauthorized");
    assert_eq!(v["accounts"][1]["windows"].as_array().unwrap().len(), 0, "no invented number");

    let text = sb.run(&["status", "--all"]).stdout;
    assert!(text.contains("dev@example.com"), "{text}");
    assert!(text.contains("work@example.com"), "{text}");
    assert!(
        text.contains(&format!(
            "The usage service rejected Codex's login file (HTTP 401): run `{}` to refresh your login.",
            crate::common::codex_in(&work)
        )),
        "the fix names the work home: {text}"
    );
    assert!(text.contains(&format!("Use it: {}", crate::common::codex_in(&work))), "{text}");

    // Plain status is the default account, as before; --account picks one by email, id or home.
    let plain = sb.run(&["status", "--json"]);
    assert_eq!((plain.code, plain.json()["account"]["email"].as_str()), (0, Some("dev@example.com")));
    let one = sb.run(&["status", "--account", "Work@Example.com"]);
    assert_eq!(one.code, 3);
    assert!(one.stderr.contains("rejected"), "{}", one.stderr);
    assert_eq!(
        sb.run(&["status", "--json", "--account", &path_str(&work)]).json()["account"]["email"],
        "work@example.com"
    );
    let nobody = sb.run(&["status", "--account", "nobody@example.com"]);
    assert_eq!(nobody.code, 2);
    assert_eq!(
        nobody.stderr.trim(),
        "No account is named “nobody@example.com”: `headroom accounts list` shows each account's id, email and home."
    );
}

#[test]
fn adding_a_home_refuses_what_is_not_a_codex_login_and_saves_nothing() {
    let mut sb = Sandbox::new();
    sb.codex_login(86_400);
    let missing = sb.dir.path().join("no-such-home");
    let run = sb.run(&["accounts", "add", &path_str(&missing)]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.starts_with(&format!("{} does not exist:", missing.display())), "{}", run.stderr);
    let file = sb.dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let run = sb.run(&["accounts", "add", &path_str(&file)]);
    assert!(run.stderr.contains("is not a folder"), "{}", run.stderr);
    let empty = sb.dir.path().join("empty-home");
    std::fs::create_dir_all(&empty).unwrap();
    let run = sb.run(&["accounts", "add", &path_str(&empty)]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!("holds no Codex login: run `{} login`", crate::common::codex_in(&empty))),
        "{}",
        run.stderr
    );
    assert!(run.stderr.ends_with("Nothing was saved.\n"), "{}", run.stderr);
    assert!(!sb.settings_file().exists(), "nothing saved");
    // The default home is watched already.
    let run = sb.run(&["accounts", "add", &path_str(&sb.codex_home())]);
    assert_eq!((run.code, run.stdout.contains("is watched already")), (0, true), "{}", run.stdout);
}

#[test]
fn accounts_are_listed_pinned_and_removed_and_a_deleted_home_says_so() {
    let (sb, work) = two_homes();
    let settings = std::fs::read_to_string(sb.settings_file()).unwrap();
    assert!(settings.contains(&format!("homes = [{}]", crate::common::toml_path(&work))), "{settings}");
    for secret in &sb.secrets {
        assert!(!settings.contains(secret.as_str()), "no secret in settings.toml");
    }
    let list = sb.run(&["accounts"]).stdout;
    assert!(list.starts_with("dev@example.com · Plus · acct-1 (default)\n  id    acct-1/user-dev\n"), "{list}");
    assert!(
        list.contains(&format!(
            "work@example.com · Plus · acct-work\n  id    acct-work/user-work\n  found {} (added)\n  use   {}",
            work.display(),
            crate::common::codex_in(&work)
        )),
        "{list}"
    );

    let pin = sb.run(&["accounts", "pin", "work@example.com"]);
    assert_eq!((pin.code, pin.stdout.trim()), (0, "The icon shows work@example.com from now on."));
    assert!(std::fs::read_to_string(sb.settings_file()).unwrap().contains("pinned = \"acct-work/user-work\""));
    let list = sb.run(&["accounts", "list"]).stdout;
    assert!(list.contains("work@example.com · Plus · acct-work (pinned: the icon shows it)"), "{list}");

    let refused = sb.run(&["accounts", "remove", "dev@example.com"]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.starts_with("dev@example.com is the Codex home in use here"), "{}", refused.stderr);

    // The work home is deleted: that account says so, the default one goes on.
    std::fs::remove_dir_all(&work).unwrap();
    let run = sb.run(&["status", "--all", "--json"]);
    let v = run.json();
    assert_eq!(left(&v["accounts"][0], "5h"), 90.0);
    assert_eq!(
        v["accounts"][1]["error"]["message"],
        format!("Codex home {} is gone — remove it in Settings (or with `headroom accounts remove {}`) if you no longer use it.", work.display(), work.display())
    );
    let removed = sb.run(&["accounts", "remove", &path_str(&work)]);
    assert_eq!(
        (removed.code, removed.stdout.trim()),
        (0, format!("Removed the added home {}.", work.display()).as_str())
    );
    let settings = std::fs::read_to_string(sb.settings_file()).unwrap();
    assert!(!settings.contains("homes") && !settings.contains("pinned"), "the pin went with it: {settings}");
    assert_eq!(sb.run(&["status", "--all", "--json"]).json()["accounts"].as_array().unwrap().len(), 1);
}

#[test]
fn a_settings_file_naming_a_home_twice_watches_it_once() {
    let mut sb = Sandbox::new();
    sb.codex_login(86_400);
    let work = sb.login_in("codex-work", "work@example.com", "acct-work");
    std::fs::create_dir_all(sb.settings_file().parent().unwrap()).unwrap();
    std::fs::write(
        sb.settings_file(),
        format!(
            "[accounts]\nhomes = [{}, {}, {}]\n",
            crate::common::toml_path(&work),
            crate::common::toml_path(&work.join("")),
            crate::common::toml_path(&sb.codex_home())
        ),
    )
    .unwrap();
    let v = sb.run(&["status", "--all", "--json"]).json();
    let ids: Vec<&str> = v["accounts"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["acct-1/user-dev", "acct-work/user-work"]);
}

#[test]
fn usage_and_history_take_an_account() {
    let (sb, work) = two_homes();
    assert_eq!(sb.run(&["status", "--all"]).code, 0);
    let history = sb.run(&["history", "--json", "--account", "work@example.com"]).json();
    let samples = history["samples"].as_array().unwrap();
    assert!(!samples.is_empty());
    assert!(samples.iter().all(|s| s["account"] == "acct-work/user-work"), "{samples:?}");
    let all = sb.run(&["history", "--json"]).json();
    assert!(all["samples"].as_array().unwrap().len() > samples.len(), "the other account's samples are there too");

    std::fs::create_dir_all(work.join("sessions/2026/11/30")).unwrap();
    std::fs::write(
        work.join("sessions/2026/11/30/rollout-2026-11-30T10-00-00-00000000-0000-0000-0000-000000000001.jsonl"),
        concat!(
            r#"{"timestamp":"2026-11-30T10:00:00.000Z","type":"turn_context","payload":{"model":"gpt-5-codex"}}"#,
            "\n",
            r#"{"timestamp":"2026-11-30T10:00:05.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":1200,"cached_input_tokens":200,"output_tokens":300,"reasoning_output_tokens":100,"total_tokens":1500},"last_token_usage":{"input_tokens":1200,"cached_input_tokens":200,"output_tokens":300,"reasoning_output_tokens":100,"total_tokens":1500}},"rate_limits":null}}"#,
            "\n"
        ),
    )
    .unwrap();
    let work_usage = sb.run(&["usage", "daily", "--json", "--account", "acct-work", "--timezone", "UTC"]).json();
    assert_eq!(work_usage["totals"]["total_tokens"], 1500, "{work_usage}");
    let default_usage = sb.run(&["usage", "daily", "--json", "--timezone", "UTC"]).json();
    assert_eq!(default_usage["totals"]["total_tokens"], 0, "the default home has no logs");
}

/// Empties Headroom's pasted tokens in the test session's keychain, before and after; the tests
/// that use the keychain's fixed names run one at a time.
#[cfg(target_os = "linux")]
struct EmptyVault(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

#[cfg(target_os = "linux")]
impl EmptyVault {
    fn new() -> EmptyVault {
        static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let vault = EmptyVault(ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner()));
        vault.empty();
        vault
    }

    fn empty(&self) {
        let entry = |name: &str| keyring::Entry::new("Headroom", name);
        let listed = entry("pasted-tokens").and_then(|e| e.get_password()).unwrap_or_default();
        for name in listed.lines().chain(["access-token", "pasted-tokens"]) {
            let _ = entry(name).and_then(|e| e.delete_credential());
        }
    }
}

#[cfg(target_os = "linux")]
impl Drop for EmptyVault {
    fn drop(&mut self) {
        self.empty();
    }
}

/// Pastes a Plus token of `email` in workspace `account` (`token set`, the token on stdin) and
/// returns it.
#[cfg(target_os = "linux")]
fn paste_token(sb: &mut Sandbox, email: &str, account: &str) -> String {
    let token = headroom_testkit::jwt::make_jwt(&headroom_testkit::jwt::TestClaims {
        email_in_profile_claim: true,
        ..headroom_testkit::jwt::TestClaims::plus(email, account, 86_400)
    });
    sb.secrets.push(token.clone());
    assert_eq!(sb.run_with_input(&["token", "set"], Some(&token)).code, 0);
    token
}

#[cfg(target_os = "linux")]
#[test]
fn three_accounts_two_homes_and_a_pasted_token_one_failing() {
    let _keyring = crate::common::keyring_turn();
    let Some(bus) = crate::common::secret_service_or_skip("three_accounts_two_homes_and_a_pasted_token_one_failing")
    else {
        return;
    };
    let _vault = EmptyVault::new();
    let (mut sb, work) = two_homes();
    sb.set("DBUS_SESSION_BUS_ADDRESS", &bus);
    sb.fake.respond_for_account("acct-col", scenarios::plus(100.0, 60.0, 1_800, 86_400));
    sb.fake.respond_for_account("acct-work", FakeResponse::json(500, "{}"));
    paste_token(&mut sb, "colleague@example.com", "acct-col");

    let run = sb.run(&["status", "--all", "--json"]);
    assert_eq!(run.code, 4, "the failing account's code (a server error): {}", run.stderr);
    let v = run.json();
    let accounts = v["accounts"].as_array().unwrap();
    let ids: Vec<&str> = accounts.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["acct-1/user-dev", "acct-work/user-work", "acct-col/user-colleague"]);
    assert_eq!(left(&accounts[0], "5h"), 90.0);
    assert_eq!(accounts[1]["error"]["kind"], "server_error");
    assert_eq!((accounts[2]["credential"].as_str(), accounts[2]["home"].as_str()), (Some("keychain"), None));
    assert_eq!(accounts[2]["blocked_by"], "5h");
    let list = sb.run(&["accounts"]).stdout;
    assert!(
        list.contains("colleague@example.com · Plus · acct-col\n  id    acct-col/user-colleague\n  found a token pasted into Headroom"),
        "{list}"
    );
    let _ = work;

    // Removing the token removes it from the keychain; the homes stay.
    let removed = sb.run(&["accounts", "remove", "colleague@example.com"]);
    assert_eq!((removed.code, removed.stdout.trim()), (0, "Removed the pasted token for colleague@example.com."));
    let lookup = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "Headroom", "username", "access-token"])
        .output()
        .unwrap();
    assert_ne!(lookup.status.code(), Some(0), "gone from the keychain");
    assert_eq!(sb.run(&["status", "--all", "--json"]).json()["accounts"].as_array().unwrap().len(), 2);
}

#[cfg(target_os = "linux")]
#[test]
fn removing_a_home_keeps_the_token_pasted_for_its_account() {
    let _keyring = crate::common::keyring_turn();
    let Some(bus) = crate::common::secret_service_or_skip("removing_a_home_keeps_the_token_pasted_for_its_account")
    else {
        return;
    };
    let _vault = EmptyVault::new();
    let (mut sb, work) = two_homes();
    sb.set("DBUS_SESSION_BUS_ADDRESS", &bus);
    // work@'s token pasted too: the same account as the added home.
    let token = paste_token(&mut sb, "work@example.com", "acct-work");
    let held = || {
        let out = std::process::Command::new("secret-tool")
            .args(["lookup", "service", "Headroom", "username", "access-token"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == token
    };
    assert!(held());

    // Stop watching the home: only the home goes.
    let removed = sb.run(&["accounts", "remove", &path_str(&work)]);
    assert_eq!(
        (removed.code, removed.stdout.trim()),
        (0, format!("Removed the added home {}.", work.display()).as_str())
    );
    assert!(held(), "the pasted token is still in the keychain");
    let list = sb.run(&["accounts", "list"]).stdout;
    assert!(
        list.contains(
            "work@example.com · Plus · acct-work\n  id    acct-work/user-work\n  found a token pasted into Headroom"
        ),
        "{list}"
    );

    // Removing the token is its own act.
    let removed = sb.run(&["accounts", "remove", "--token", "work@example.com"]);
    assert_eq!((removed.code, removed.stdout.trim()), (0, "Removed the pasted token for work@example.com."));
    assert!(!held(), "gone from the keychain");
    let none = sb.run(&["accounts", "remove", "--token", "dev@example.com"]);
    assert_eq!(none.code, 2);
    assert!(none.stderr.starts_with("dev@example.com has no token pasted into Headroom"), "{}", none.stderr);
}

#[test]
fn a_change_keeps_everything_else_in_settings_toml_and_says_what_it_cannot_read() {
    let mut sb = Sandbox::new();
    sb.codex_login(86_400);
    let work = sb.login_in("codex-work", "work@example.com", "acct-work");
    let written = "# Mine: thresholds tuned by hand.\n[alerts]\nthresholds = { \"5h\" = [70, 90] }\nquiet_hours = { start = \"22:00\", end = \"07:00\" }\n\n[display]\npoll_interval_minutes = \"ten\" # a typo\n\n[[hooks]]\non = [\"limit_reachd\"]\nrun = \"notify-send oops\"\n\n[[hooks]]\non = [\"limit_reached\"]\nrun = \"notify-send 'Codex is out'\"\n";
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    std::fs::write(sb.settings_file(), written).unwrap();
    let run = sb.run(&["accounts", "add", &path_str(&work)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The problems are said on every command that reads the settings.
    assert!(
        run.stderr.contains("headroom: Settings: `display.poll_interval_minutes` must be a whole number of minutes"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("headroom: Settings: `hooks[1]` needs `on`"), "{}", run.stderr);
    let after = std::fs::read_to_string(sb.settings_file()).unwrap();
    assert_eq!(
        after,
        format!("{written}\n[accounts]\nhomes = [{}]\n", crate::common::toml_path(&work)),
        "only the new home was written"
    );
    assert_eq!(sb.run(&["accounts", "pin", "work@example.com"]).code, 0);
    assert!(
        std::fs::read_to_string(sb.settings_file()).unwrap().starts_with(written),
        "nothing the user wrote is lost"
    );
}

#[test]
fn a_settings_file_that_does_not_parse_is_never_saved_over() {
    let mut sb = Sandbox::new();
    sb.codex_login(86_400);
    let work = sb.login_in("codex-work", "work@example.com", "acct-work");
    let broken = "[alerts]\nthresholds = { \"5h\" = [70, 90] }\nenabled = ture\n";
    std::fs::create_dir_all(sb.config_dir()).unwrap();
    std::fs::write(sb.settings_file(), broken).unwrap();
    let run = sb.run(&["accounts", "add", &path_str(&work)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!("{} does not parse (line 3: ", sb.settings_file().display())),
        "{}",
        run.stderr
    );
    assert!(run.stderr.trim_end().ends_with("Nothing was saved."), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(sb.settings_file()).unwrap(), broken, "the user's file as they wrote it");
}

#[test]
fn homes_added_at_once_all_land() {
    let mut sb = Sandbox::new();
    sb.codex_login(86_400);
    let homes: Vec<_> = (0..4)
        .map(|i| sb.login_in(&format!("codex-{i}"), &format!("u{i}@example.com"), &format!("acct-{i}")))
        .collect();
    for round in 0..5 {
        let _ = std::fs::remove_file(sb.settings_file());
        let children: Vec<_> = homes
            .iter()
            .map(|home| {
                let mut command = sb.command(&["accounts", "add", &path_str(home)]);
                command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
                command.spawn().unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        let settings = std::fs::read_to_string(sb.settings_file()).unwrap();
        for home in &homes {
            assert!(settings.contains(&crate::common::toml_path(home)), "round {round}: {settings}");
        }
    }
}
