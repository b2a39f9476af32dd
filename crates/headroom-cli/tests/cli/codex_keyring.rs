//! Codex's login kept in the OS keychain (`cli_auth_credentials_store = "keyring"`), read from the
//! real Secret Service (gnome-keyring in the throw-away D-Bus session `scripts/test` starts).
//!
//! Without a Secret Service these tests print why and pass; `scripts/test` sets
//! HEADROOM_REQUIRE_KEYRING=1 so that in CI a missing keyring fails instead.
#![cfg(target_os = "linux")]

use crate::common::{secret_service_or_skip, Sandbox};
use headroom_testkit::jwt::{make_jwt, TestClaims};

const SERVICE: &str = "Codex Auth";

/// Keychain entries written as Codex writes them, removed when dropped.
struct CodexEntries(Vec<keyring::Entry>);

impl CodexEntries {
    fn write(entries: &[(String, Vec<u8>)]) -> CodexEntries {
        CodexEntries(
            entries
                .iter()
                .map(|(account, secret)| {
                    let entry = keyring::Entry::new(SERVICE, account).unwrap();
                    entry.set_secret(secret).unwrap();
                    entry
                })
                .collect(),
        )
    }
}

impl Drop for CodexEntries {
    fn drop(&mut self) {
        for entry in &self.0 {
            let _ = entry.delete_credential();
        }
    }
}

fn keyring_sandbox(bus: &str, store: &str) -> (Sandbox, String) {
    let mut sb = Sandbox::new();
    sb.set("DBUS_SESSION_BUS_ADDRESS", bus);
    sb.write_codex_file("config.toml", &format!("cli_auth_credentials_store = \"{store}\"\n"));
    let account = headroom_core::login::codex_login::keyring_account(&sb.codex_home());
    (sb, account)
}

fn token(email: &str) -> String {
    make_jwt(&TestClaims::plus(email, "acct-kc", 60 * 3_600))
}

#[test]
fn reads_codex_login_from_a_single_keychain_entry() {
    let _keyring = crate::common::keyring_turn();
    let Some(bus) = secret_service_or_skip("reads_codex_login_from_a_single_keychain_entry") else { return };
    let (mut sb, account) = keyring_sandbox(&bus, "keyring");
    let access = token("keyring@example.com");
    sb.secrets.push(access.clone());
    let json = format!(
        r#"{{"auth_mode":"chatgpt","tokens":{{"id_token":"{access}","access_token":"{access}","refresh_token":"rt-secret","account_id":"acct-kc"}}}}"#
    );
    let _entries = CodexEntries::write(&[(account, json.into_bytes())]);
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["credential"], "codex-keyring");
    assert_eq!(v["account"]["email"], "keyring@example.com");
    let request = &sb.fake.requests()[0];
    assert_eq!(request.header("authorization"), Some(format!("Bearer {access}").as_str()));
    assert_eq!(request.header("chatgpt-account-id"), Some("acct-kc"));
}

#[test]
fn reads_codex_login_from_its_encrypted_store_when_the_entry_is_absent() {
    let _keyring = crate::common::keyring_turn();
    let Some(bus) = secret_service_or_skip("reads_codex_login_from_its_encrypted_store_when_the_entry_is_absent")
    else {
        return;
    };
    let (mut sb, _) = keyring_sandbox(&bus, "auto");
    let access = token("encrypted@example.com");
    sb.secrets.extend([access.clone(), "rt-encrypted-secret".into()]);
    let auth = format!(
        r#"{{"auth_mode":"chatgpt","tokens":{{"id_token":"{access}","access_token":"{access}","refresh_token":"rt-encrypted-secret","account_id":"acct-enc"}}}}"#
    );
    let document = headroom_testkit::codex_secrets::document(&auth);
    let passphrase = "dGVzdC1wYXNzcGhyYXNlLTAxMjM0NTY3ODk=";
    sb.secrets.push(passphrase.into());
    sb.write_codex_file("secrets/.keep", "");
    std::fs::write(
        sb.codex_home().join("secrets/codex_auth.age"),
        headroom_testkit::codex_secrets::encrypt(document.as_bytes(), passphrase),
    )
    .unwrap();
    let entry =
        keyring::Entry::new("codex", &headroom_core::login::codex_secrets::passphrase_account(&sb.codex_home()))
            .unwrap();
    entry.set_password(passphrase).unwrap();
    let _entry = crate::common::TestEntry(entry);

    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["credential"], "codex-secrets");
    assert_eq!(v["account"]["email"], "encrypted@example.com");
    assert_eq!(sb.fake.requests()[0].header("chatgpt-account-id"), Some("acct-enc"));
    let doctor = sb.run(&["doctor"]);
    assert!(doctor.stdout.contains("Codex's encrypted login  ["), "{}", doctor.stdout);
    assert!(doctor.stdout.contains("found, encrypted@example.com, plus, account acct-enc"), "{}", doctor.stdout);

    // Without its passphrase the store is named, and what to do follows.
    let _ = _entry.0.delete_credential();
    std::fs::remove_file(sb.codex_home().join("auth.json")).ok();
    let run = sb.run(&["status", "--source", "api"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("Codex's encrypted login") && run.stderr.contains("passphrase is not in the OS keychain"),
        "{}",
        run.stderr
    );
}

#[test]
fn reads_the_encrypted_store_the_real_codex_writes() {
    let _keyring = crate::common::keyring_turn();
    let Some(bus) = secret_service_or_skip("reads_the_encrypted_store_the_real_codex_writes") else { return };
    let (mut sb, _) = keyring_sandbox(&bus, "keyring");
    sb.write_codex_file(
        "config.toml",
        "cli_auth_credentials_store = \"keyring\"\n[features]\nsecret_auth_storage = true\n",
    );
    let _entry = crate::common::TestEntry::new(
        "codex",
        &headroom_core::login::codex_secrets::passphrase_account(&sb.codex_home()),
    );
    let token = "at-real-codex-0123456789abcdef";
    sb.codex_signs_in_with_access_token(token);
    assert!(sb.codex_home().join("secrets/codex_auth.age").exists() && !sb.codex_home().join("auth.json").exists());
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["credential"], "codex-secrets");
    assert_eq!(
        v["account"],
        serde_json::json!({"email": "automation@corp.example", "account_id": "acct-pat", "plan": "plus"})
    );
}

#[test]
fn auto_store_without_an_entry_uses_auth_json() {
    let _keyring = crate::common::keyring_turn();
    let Some(bus) = secret_service_or_skip("auto_store_without_an_entry_uses_auth_json") else { return };
    let (mut sb, _) = keyring_sandbox(&bus, "auto");
    sb.codex_login(3_600);
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["credential"], "codex-auth-file");
}

#[test]
fn an_unreachable_keychain_is_reported_and_the_file_still_tried() {
    // No Secret Service needed: point the bus at a socket that does not exist.
    let mut sb = Sandbox::new();
    sb.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    sb.write_codex_file("config.toml", "cli_auth_credentials_store = \"keyring\"\n");
    sb.codex_login(3_600);
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["credential"], "codex-auth-file");
    let doctor = sb.run(&["doctor"]);
    assert!(doctor.stdout.contains("unusable: the OS keychain cannot be reached"), "{}", doctor.stdout);
    assert!(doctor.stdout.contains("IN USE"), "{}", doctor.stdout);

    // With no file either, the keychain's trouble is the sentence the user gets.
    std::fs::remove_file(sb.codex_home().join("auth.json")).unwrap();
    let run = sb.run(&["status", "--source", "api"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.starts_with("The OS keychain cannot be reached"), "{}", run.stderr);
}
