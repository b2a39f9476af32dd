//! `headroom fallback`: switching Codex to an API key and back, against the real keychain, a
//! temporary CODEX_HOME, and a fake `codex` that records its argv and stdin. Nothing is ever
//! lost: after a crash at any step the ChatGPT login is in place or saved, and `restore` brings
//! it back byte for byte.
#![cfg(target_os = "linux")]

mod common;

use common::{secret_service_or_skip, Sandbox};

const KEY: &str = "sk-test-fallback-0123456789abcdefghijklmnopqrstuv";

/// The vault's names are fixed: tests that use it run one at a time, from an empty vault.
struct VaultLock(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

impl Drop for VaultLock {
    fn drop(&mut self) {
        for account in ["fallback-api-key", "saved-codex-login"] {
            let _ = keyring::Entry::new("Headroom", account).and_then(|e| e.delete_credential());
        }
    }
}

fn sandbox(test: &str, with_codex: bool) -> Option<(Sandbox, VaultLock, String)> {
    static VAULT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let bus = secret_service_or_skip(test)?;
    let lock = VaultLock(VAULT.lock().unwrap_or_else(|e| e.into_inner()));
    let mut sb = Sandbox::new();
    sb.set("DBUS_SESSION_BUS_ADDRESS", &bus);
    sb.secrets.push(KEY.into());
    sb.codex_login(86_400);
    let original = std::fs::read_to_string(sb.codex_home().join("auth.json")).unwrap();
    if with_codex {
        let bin = sb.dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        headroom_testkit::fake_codex::write(&bin, "{}", None);
        sb.set("PATH", &format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()));
    }
    assert_eq!(sb.run_with_input(&["fallback", "set-key"], Some(&format!("{KEY}\n"))).code, 0);
    Some((sb, lock, original))
}

fn auth(sb: &Sandbox) -> String {
    std::fs::read_to_string(sb.codex_home().join("auth.json")).unwrap()
}

#[test]
fn switch_through_codex_and_back_byte_for_byte() {
    let Some((sb, _lock, original)) = sandbox("switch_through_codex_and_back_byte_for_byte", true) else { return };
    let run = sb.run(&["fallback", "switch"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("Codex now uses the fallback API key"), "{}", run.stdout);

    // The key went to Codex on stdin, and only there.
    let calls = std::fs::read_to_string(sb.dir.path().join("bin/codex-calls.log")).unwrap();
    let lines: Vec<serde_json::Value> = calls.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["argv"], serde_json::json!(["login", "--with-api-key"]));
    assert_eq!(lines[1]["stdin"], KEY);
    assert_eq!(calls.matches(KEY).count(), 1, "not in argv");
    assert!(auth(&sb).contains("\"auth_mode\": \"apikey\""));

    // The plan's numbers still come, asked with the saved ChatGPT login.
    let v = sb.run(&["status", "--json"]).json();
    assert_eq!((v["source"].as_str(), v["credential"].as_str()), (Some("api"), Some("codex-auth-file")), "{v}");
    let saved: serde_json::Value = serde_json::from_str(&original).unwrap();
    let access = saved["tokens"]["access_token"].as_str().unwrap();
    let last = sb.fake.requests().pop().unwrap();
    assert_eq!(last.header("authorization"), Some(format!("Bearer {access}").as_str()));

    let status = sb.run(&["fallback", "status"]);
    assert!(status.stdout.contains("Codex uses    the fallback API key (billed at API rates)"), "{}", status.stdout);
    assert!(
        status.stdout.contains(&format!("Fallback key  {}…{}", &KEY[..6], &KEY[KEY.len() - 4..])),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("your ChatGPT login is saved in the OS keychain"), "{}", status.stdout);

    let run = sb.run(&["fallback", "restore"]);
    assert_eq!((run.code, run.stdout.trim()), (0, "Codex uses your ChatGPT login again."));
    assert_eq!(auth(&sb), original, "byte for byte");
    assert_eq!(sb.run(&["fallback", "restore"]).stdout.trim(), "Codex already uses your saved ChatGPT login.");
}

#[test]
fn without_codex_installed_headroom_writes_auth_json_as_codex_would() {
    let Some((sb, _lock, original)) =
        sandbox("without_codex_installed_headroom_writes_auth_json_as_codex_would", false)
    else {
        return;
    };
    assert_eq!(sb.run(&["fallback", "switch"]).code, 0);
    let written: serde_json::Value = serde_json::from_str(&auth(&sb)).unwrap();
    assert_eq!((written["auth_mode"].as_str(), written["OPENAI_API_KEY"].as_str()), (Some("apikey"), Some(KEY)));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(sb.codex_home().join("auth.json")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(sb.run(&["fallback", "restore"]).code, 0);
    assert_eq!(auth(&sb), original);
}

#[test]
fn a_crash_at_any_step_loses_nothing() {
    let Some((mut sb, _lock, original)) = sandbox("a_crash_at_any_step_loses_nothing", true) else { return };
    // Killed right after saving the copy: the ChatGPT login is still in place.
    sb.set("HEADROOM_TEST_CRASH_AT", "saved");
    let run = sb.run(&["fallback", "switch"]);
    assert_ne!(run.code, 0, "the process was aborted");
    assert_eq!(auth(&sb), original);
    sb.unset("HEADROOM_TEST_CRASH_AT");
    assert!(sb.run(&["fallback", "status"]).stdout.contains("Codex uses    your ChatGPT login"));

    // Killed right after the switch: the key is in place and the login saved; restore works.
    sb.set("HEADROOM_TEST_CRASH_AT", "switched");
    assert_ne!(sb.run(&["fallback", "switch"]).code, 0);
    sb.unset("HEADROOM_TEST_CRASH_AT");
    assert!(auth(&sb).contains("apikey"));
    assert_eq!(sb.run(&["fallback", "restore"]).code, 0);
    assert_eq!(auth(&sb), original);

    // Killed right after restoring: the login is back.
    assert_eq!(sb.run(&["fallback", "switch"]).code, 0);
    sb.set("HEADROOM_TEST_CRASH_AT", "restored");
    assert_ne!(sb.run(&["fallback", "restore"]).code, 0);
    sb.unset("HEADROOM_TEST_CRASH_AT");
    assert_eq!(auth(&sb), original);
}

#[test]
fn a_login_changed_by_hand_is_not_overwritten() {
    let Some((sb, _lock, original)) = sandbox("a_login_changed_by_hand_is_not_overwritten", true) else { return };
    assert_eq!(sb.run(&["fallback", "switch"]).code, 0);
    let by_hand = original.replace("rt-test-refresh-token-never-used", "rt-signed-in-again");
    std::fs::write(sb.codex_home().join("auth.json"), &by_hand).unwrap();
    let run = sb.run(&["fallback", "restore"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("Codex's login changed since Headroom switched it, so Headroom will not overwrite it:"),
        "{}",
        run.stderr
    );
    assert_eq!(auth(&sb), by_hand);
}

#[test]
fn the_key_is_refused_as_an_argument_and_checked() {
    let Some((sb, _lock, _)) = sandbox("the_key_is_refused_as_an_argument_and_checked", false) else { return };
    let run = sb.run(&["fallback", "set-key", KEY]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("headroom fallback set-key reads the key from standard input only"),
        "{}",
        run.stderr
    );
    let run = sb.run_with_input(&["fallback", "set-key"], Some("eyJhbGciOiJSUzI1NiJ9.e30.sig"));
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("That does not look like an OpenAI API key (it does not start with sk-)"),
        "{}",
        run.stderr
    );
    assert_eq!(sb.run(&["fallback", "clear-key"]).stdout.trim(), "Removed the fallback API key from the OS keychain.");
    let run = sb.run(&["fallback", "switch"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("No fallback API key is stored"), "{}", run.stderr);
}
