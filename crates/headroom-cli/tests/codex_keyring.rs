//! Codex's login kept in the OS keychain (`cli_auth_credentials_store = "keyring"`), read from the
//! real Secret Service (gnome-keyring in the throw-away D-Bus session `scripts/test` starts).
//!
//! Without a Secret Service these tests print why and pass; `scripts/test` sets
//! HEADROOM_REQUIRE_KEYRING=1 so that in CI a missing keyring fails instead.
#![cfg(target_os = "linux")]

mod common;

use common::{secret_service_or_skip, Sandbox};
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
    let account = headroom_core::codex_login::keyring_account(&sb.codex_home());
    (sb, account)
}

fn token(email: &str) -> String {
    make_jwt(&TestClaims::plus(email, "acct-kc", 60 * 3_600))
}

#[test]
fn reads_codex_login_from_a_single_keychain_entry() {
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
fn reads_codex_login_from_the_split_v2_entries() {
    let Some(bus) = secret_service_or_skip("reads_codex_login_from_the_split_v2_entries") else { return };
    let (mut sb, base) = keyring_sandbox(&bus, "auto");
    let access = token("v2@example.com");
    sb.secrets.push(access.clone());
    let revision = "1763700000000000000";
    let field = |name: &str| format!("{base}|v2|{revision}|{name}");
    let _entries = CodexEntries::write(&[
        (format!("{base}|v2|active"), revision.as_bytes().to_vec()),
        (field("manifest"), br#"{"auth_mode":"chatgpt","has_openai_api_key":false,"has_tokens":true,"has_account_id":true,"last_refresh":null}"#.to_vec()),
        (field("tokens.access_token"), access.as_bytes().to_vec()),
        (field("tokens.id_token"), access.as_bytes().to_vec()),
        (field("tokens.refresh_token"), b"rt-secret".to_vec()),
        (field("tokens.account_id"), b"acct-v2".to_vec()),
    ]);
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["credential"], "codex-keyring");
    assert_eq!(sb.fake.requests()[0].header("chatgpt-account-id"), Some("acct-v2"));
    let doctor = sb.run(&["doctor"]);
    assert!(doctor.stdout.contains("OS keychain     reachable"), "{}", doctor.stdout);
    assert!(
        doctor.stdout.contains("found, v2@example.com, plus, account acct-v2, expires in 2 days, IN USE"),
        "{}",
        doctor.stdout
    );
}

#[test]
fn auto_store_without_an_entry_uses_auth_json() {
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
