//! A locked keyring and a missing D-Bus: `token set` fails with the sentence that names the fix,
//! writes nothing anywhere, and the numbers still come from Codex's own login.
//!
//! One test in its own binary, because locking the login collection would disturb tests running
//! beside it.
#![cfg(target_os = "linux")]

use std::process::Command;

use crate::common::{secret_service_or_skip, Sandbox};
use headroom_testkit::jwt::{make_jwt, TestClaims};

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                found.push(entry.path());
            }
        }
    }
    found
}

fn lock_login_collection() {
    let status = Command::new("dbus-send")
        .args([
            "--session",
            "--dest=org.freedesktop.secrets",
            "--print-reply",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/collection/login",
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "the login collection could be locked");
}

/// Unlocks it again the only way a headless session can: a fresh daemon given the password.
struct UnlockOnDrop;

impl Drop for UnlockOnDrop {
    fn drop(&mut self) {
        use std::io::Write;
        let password = std::env::var("HEADROOM_TEST_KEYRING_PASSWORD").unwrap_or_default();
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--replace", "--unlock", "--components=secrets"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(password.as_bytes());
        let _ = child.wait();
    }
}

#[test]
fn a_locked_keyring_and_a_missing_bus_give_clear_errors_and_save_nothing() {
    let _keyring = crate::common::keyring_turn();
    let Some(bus) = secret_service_or_skip("a_locked_keyring_and_a_missing_bus_give_clear_errors_and_save_nothing")
    else {
        return;
    };
    let mut sb = Sandbox::new();
    sb.codex_login(3_600);
    let token = make_jwt(&TestClaims::plus("locked@example.com", "acct-l", 86_400));
    sb.secrets.push(token.clone());
    let files_before = files_under(sb.dir.path());

    // No bus at all, as on a headless server.
    sb.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let run = sb.run_with_input(&["token", "set"], Some(&token));
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("The OS keychain cannot be reached ("), "{}", run.stderr);
    assert!(
        run.stderr.trim_end().ends_with("install and start a Secret Service keyring (gnome-keyring or KWallet), or on a headless machine set HEADROOM_ACCESS_TOKEN. Nothing was saved."),
        "{}",
        run.stderr
    );
    assert_eq!(sb.run(&["status", "--json"]).json()["credential"], "codex-auth-file", "numbers still come");
    // `status` keeps its usage history and shares its numbers (numbers only); nothing else
    // appeared, and no file holds the token.
    let written: Vec<_> = files_under(sb.dir.path())
        .into_iter()
        .filter(|f| {
            let f = f.to_string_lossy();
            !f.contains("history.sqlite3") && !f.contains("/headroom/numbers/")
        })
        .collect();
    assert_eq!(written, files_before, "no file was written instead");
    for file in files_under(sb.dir.path()) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains(&token), "{} holds the token", file.display());
    }

    // A locked login keyring, with a token stored before it was locked.
    sb.set("DBUS_SESSION_BUS_ADDRESS", &bus);
    let earlier = make_jwt(&TestClaims::plus("earlier@example.com", "acct-e", 86_400));
    sb.secrets.push(earlier.clone());
    assert_eq!(sb.run_with_input(&["token", "set"], Some(&earlier)).code, 0);
    let key = "sk-test-locked-0123456789abcdefghijklmno";
    sb.secrets.push(key.into());
    assert_eq!(sb.run_with_input(&["fallback", "set-key"], Some(key)).code, 0);
    let login_before = std::fs::read(sb.codex_home().join("auth.json")).unwrap();
    let files_before = files_under(sb.dir.path());
    lock_login_collection();
    let _unlock = UnlockOnDrop;
    let run = sb.run_with_input(&["token", "set"], Some(&token));
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("The OS keychain is locked or refused access ("), "{}", run.stderr);
    assert!(
        run.stderr.trim_end().ends_with("unlock your login keyring and try again. Nothing was saved."),
        "{}",
        run.stderr
    );
    let run = sb.run(&["token", "status"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("unlock your login keyring"), "{}", run.stderr);
    // Switching to the fallback key needs the keychain first: nothing changes while it is locked.
    let run = sb.run(&["fallback", "switch"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("The OS keychain is locked or refused access ("), "{}", run.stderr);
    assert_eq!(std::fs::read(sb.codex_home().join("auth.json")).unwrap(), login_before, "Codex's login untouched");
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["credential"], "codex-auth-file", "a locked keyring is passed over, not fatal");
    let doctor = sb.run(&["doctor"]).stdout;
    assert!(
        doctor.contains(
            "earlier@example.com · Plus · acct-e\n     The OS keychain is locked — unlock it to read this account."
        ),
        "the pasted token's account says why it cannot be read: {doctor}"
    );
    // The pasted token's account is not hidden: it stays, with its one-sentence problem.
    let all = sb.run(&["status", "--all", "--json"]).json();
    let accounts = all["accounts"].as_array().unwrap();
    let earlier = accounts.iter().find(|a| a["id"] == "acct-e/user-earlier").unwrap_or_else(|| panic!("{all}"));
    assert_eq!(earlier["error"]["message"], "The OS keychain is locked — unlock it to read this account.");
    let list = sb.run(&["accounts", "list"]).stdout;
    assert!(list.contains("earlier@example.com · Plus · acct-e"), "{list}");
    assert_eq!(files_under(sb.dir.path()), files_before, "no file was written instead");

    // Unlocked again, the earlier token is still there: a failed replace lost nothing.
    drop(_unlock);
    // The keyring's service away (no bus): the account stays, saying why, and what Headroom
    // remembers of it is not forgotten.
    let remembered = sb.data_dir().join("pasted-accounts.json");
    let remembered_before = std::fs::read(&remembered).unwrap_or_else(|e| panic!("{}: {e}", remembered.display()));
    sb.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let all = sb.run(&["status", "--all", "--json"]).json();
    let accounts = all["accounts"].as_array().unwrap();
    let away = accounts.iter().find(|a| a["id"] == "acct-e/user-earlier").unwrap_or_else(|| panic!("{all}"));
    assert_eq!(
        away["error"]["message"],
        "The OS keychain cannot be reached — start your desktop's keyring to read this account."
    );
    assert_eq!(std::fs::read(&remembered).unwrap(), remembered_before, "remembered accounts kept");
    sb.set("DBUS_SESSION_BUS_ADDRESS", &bus);
    let run = sb.run(&["token", "status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("earlier@example.com"), "{}", run.stdout);
    assert_eq!(sb.run(&["token", "clear"]).code, 0);
    assert_eq!(sb.run(&["fallback", "clear-key"]).code, 0);
}
