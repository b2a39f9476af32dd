//! The Windows build of `headroom`, run for real (under Wine in CI: scripts/test-windows):
//! Codex's login in `%USERPROFILE%\.codex`, Headroom's files in `%APPDATA%` and `%LOCALAPPDATA%`,
//! pasted tokens and the fallback key in the Windows Credential Manager and nowhere else,
//! switching Codex to the fallback key through `codex.exe` (a recording stand-in, the `codex.cmd`
//! npm installs, and the real Codex for Windows) and back byte for byte, Codex's keychain stores
//! as Codex for Windows writes them, and histories with Windows line endings.
//!
//! A test binary of its own, beside `cli`: these tests write the Credential Manager, which every
//! process of the Wine prefix shares, so they must not run while `cli`'s tests read it.
#![cfg(windows)]

// The sealed sandbox `cli` uses; these tests need only part of it.
#[allow(dead_code)]
#[path = "cli/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};

use crate::common::{iso, now, token_count_line, Sandbox};
use headroom_core::login::keychain::OsKeychain;
use headroom_core::login::pasted_tokens::PastedTokens;
use headroom_core::login::vault::{Slot, Vault};
use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};
use serde_json::{json, Value};

const KEY: &str = "sk-test-windows-fallback-0123456789abcdefghijklmnop";

/// The Credential Manager is one per Windows user, shared by every test here: they take turns,
/// and each starts and ends with none of Headroom's entries in it.
struct CredentialManager(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

impl CredentialManager {
    fn take() -> CredentialManager {
        static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let turn = CredentialManager(TURN.lock().unwrap_or_else(|e| e.into_inner()));
        turn.empty();
        turn
    }

    fn empty(&self) {
        PastedTokens::new(&OsKeychain).clear().unwrap();
        let vault = Vault::new(&OsKeychain);
        for slot in [Slot::FallbackApiKey, Slot::SavedCodexLogin] {
            vault.clear(slot).unwrap();
        }
    }
}

impl Drop for CredentialManager {
    fn drop(&mut self) {
        self.empty();
    }
}

/// A ChatGPT access token as long as a real one (about 2000 characters: an RS256 signature and a
/// dozen claims), longer than one Windows credential holds as text.
fn full_length_token(email: &str, account: &str, valid_for: i64) -> String {
    let jwt = make_jwt(&TestClaims { email_in_profile_claim: true, ..TestClaims::plus(email, account, valid_for) });
    let unsigned = jwt.rsplit_once('.').unwrap().0;
    let signature: String = (0..2000 - unsigned.len() - 1).map(|i| (b'A' + (i % 26) as u8) as char).collect();
    format!("{unsigned}.{signature}")
}

/// A Codex ChatGPT login of real size (id and access tokens of 2000 characters each), as
/// Notepad would leave it after an edit: CRLF line endings. Returns the file's text.
fn full_size_login(sb: &mut Sandbox) -> String {
    let access = full_length_token("dev@example.com", "acct-1", 86_400);
    let login = codex_auth_json(&access, &access, Some("acct-1")).replace('\n', "\r\n");
    std::fs::write(sb.codex_home().join("auth.json"), &login).unwrap();
    sb.secrets.extend([access, "rt-test-refresh-token-never-used".into()]);
    login
}

/// Every file at or under `place` that holds `needle` (but the recording codex.exe's own log).
fn files_holding(place: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![place.to_path_buf()];
    while let Some(path) = stack.pop() {
        if let Ok(entries) = std::fs::read_dir(&path) {
            stack.extend(entries.flatten().map(|e| e.path()));
        } else if path.file_name().is_some_and(|n| n != "codex-calls.log")
            && std::fs::read(&path).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
        {
            found.push(path);
        }
    }
    found
}

/// The places a secret must not land: the sandbox (home, AppData, Codex's folder), the temp
/// folder, and the Wine prefix's registry files (which hold the Credential Manager, encrypted).
fn places_a_secret_must_not_be(sb: &Sandbox) -> Vec<PathBuf> {
    let mut places = vec![sb.dir.path().to_path_buf(), std::env::temp_dir()];
    if let Some(prefix) = std::env::var_os("WINEPREFIX") {
        let prefix = PathBuf::from(format!("Z:{}", prefix.to_string_lossy().replace('/', "\\")));
        places.extend(["user.reg", "system.reg", "userdef.reg"].map(|f| prefix.join(f)));
    }
    places
}

fn assert_in_no_file(sb: &Sandbox, secret: &str) {
    // A slice from the middle: a secret split in parts would still show one.
    let length = secret.len().min(40);
    let needle = &secret[(secret.len() - length) / 2..][..length];
    for place in places_a_secret_must_not_be(sb) {
        let found = files_holding(&place, needle);
        assert!(found.is_empty(), "a secret was written to {found:?}");
    }
}

fn credential(account: &str) -> Option<String> {
    keyring::Entry::new("Headroom", account).unwrap().get_password().ok()
}

#[test]
fn status_reads_codex_login_from_the_user_folder_and_keeps_its_files_in_appdata() {
    let _turn = CredentialManager::take();
    let mut sb = Sandbox::new();
    // No CODEX_HOME: Codex's login is where Codex for Windows keeps it, %USERPROFILE%\.codex.
    sb.unset("CODEX_HOME");
    let access = sb.codex_login(86_400);
    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(
        (v["credential"].as_str(), v["account"]["email"].as_str()),
        (Some("codex-auth-file"), Some("dev@example.com"))
    );
    assert_eq!(v["windows"][0]["kind"], "5h");
    let request = sb.fake.requests().pop().unwrap();
    assert_eq!(request.header("authorization"), Some(format!("Bearer {access}").as_str()));

    let doctor = sb.run(&["doctor"]).stdout;
    let login_file = format!("{}\\.codex\\auth.json", sb.home().display());
    assert!(doctor.contains(&login_file), "doctor names {login_file}:\n{doctor}");
    assert!(sb.data_dir().join("history.sqlite3").is_file(), "the history is in %APPDATA%\\headroom");
    assert!(!sb.dir.path().join("data").exists() && !sb.dir.path().join("config").exists(), "no Linux folders");
    headroom_testkit::token_history::generate(&sb.home().join(".codex\\sessions"), 3, now() - 3 * 86_400, 2, 3)
        .unwrap();
    let usage = sb.run(&["usage", "daily", "--json"]);
    assert_eq!(usage.code, 0, "{}", usage.stderr);
    assert!(
        std::fs::read_dir(sb.cache_dir())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("token-usage-")),
        "the token cache is in %LOCALAPPDATA%\\headroom"
    );
}

#[test]
fn a_pasted_token_lives_in_the_credential_manager_and_nowhere_else() {
    let _turn = CredentialManager::take();
    let mut sb = Sandbox::new();
    sb.codex_login(86_400);
    let token = full_length_token("pasted@example.com", "acct-paste", 2 * 86_400 + 3_600);
    sb.secrets.push(token.clone());

    let run = sb.run_with_input(&["token", "set"], Some(&format!("Bearer {token}\r\n")));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!("Saved {}…{} in the OS keychain", &token[..6], &token[token.len() - 4..])),
        "{}",
        run.stdout
    );
    // Longer than one credential: in parts, which read back as the token.
    let header = credential("access-token").expect("the Credential Manager holds the token's entry");
    assert!(header.starts_with("headroom-parts:1:"), "{}…", &header[..20]);
    assert_eq!(
        PastedTokens::new(&OsKeychain)
            .load(&headroom_core::login::pasted_tokens::PastedEntry::first())
            .unwrap()
            .map(|t| secrecy::ExposeSecret::expose_secret(&t).to_string()),
        Some(token.clone())
    );

    let v = sb.run(&["status", "--account", "pasted@example.com", "--json"]).json();
    assert_eq!(
        (v["credential"].as_str(), v["account"]["email"].as_str()),
        (Some("keychain"), Some("pasted@example.com")),
        "{v}"
    );
    let request = sb.fake.requests().pop().unwrap();
    assert_eq!(request.header("authorization"), Some(format!("Bearer {token}").as_str()));
    let status = sb.run(&["token", "status"]);
    assert!(
        status.stdout.contains("pasted@example.com · plus · account acct-paste · expires in 2 days"),
        "{}",
        status.stdout
    );
    assert_in_no_file(&sb, &token);

    // Garbage pasted: one sentence, and the token kept.
    let run = sb.run_with_input(&["token", "set"], Some("<html>not a token</html>\r\n"));
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1, "one sentence: {}", run.stderr);
    assert!(run.stderr.starts_with("That is not a ChatGPT token"), "{}", run.stderr);
    assert_eq!(credential("access-token"), Some(header.clone()));

    let run = sb.run(&["token", "clear"]);
    assert_eq!((run.code, run.stdout.trim()), (0, "Removed the pasted token from the OS keychain."));
    assert_eq!(credential("access-token"), None);
    let digest = header.rsplit(':').next().unwrap();
    assert_eq!(credential(&format!("access-token#{digest}.1")), None, "its parts went with it");
}

/// A sandbox with a full-size ChatGPT login (CRLF) and the fallback key set; returns the login.
fn fallback_sandbox(sb: &mut Sandbox) -> String {
    sb.secrets.push(KEY.into());
    let original = full_size_login(sb);
    let run = sb.run_with_input(&["fallback", "set-key"], Some(&format!("{KEY}\r\n")));
    assert_eq!(run.code, 0, "{}", run.stderr);
    original
}

/// PATH with `dir` first and no other `codex`.
fn path_with(dir: &Path) -> String {
    format!("{};{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

fn switch_and_restore(sb: &Sandbox, original: &str) {
    let run = sb.run(&["fallback", "switch"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("Codex now uses the fallback API key"), "{}", run.stdout);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(sb.codex_home().join("auth.json")).unwrap()).unwrap();
    assert_eq!((written["auth_mode"].as_str(), written["OPENAI_API_KEY"].as_str()), (Some("apikey"), Some(KEY)));
    // The saved login (4 KB: in parts), under this home's own entry, still asks for the plan's
    // numbers.
    let entry = headroom_core::fallback::saved_login_entry(&sb.codex_home());
    assert!(credential(&entry).unwrap().starts_with("headroom-parts:1:"), "{entry}");
    let v = sb.run(&["status", "--json"]).json();
    assert_eq!(v["source"], "api", "{v}");
    let saved: Value = serde_json::from_str(original).unwrap();
    let access = saved["tokens"]["access_token"].as_str().unwrap();
    assert_eq!(sb.fake.requests().pop().unwrap().header("authorization"), Some(format!("Bearer {access}").as_str()));
    assert_in_no_file(sb, access);

    let run = sb.run(&["fallback", "restore"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(sb.codex_home().join("auth.json")).unwrap(),
        original,
        "byte for byte, CRLF kept"
    );
    assert_eq!(credential(&entry), None, "the saved copy leaves the Credential Manager");
    assert_in_no_file(sb, KEY);
}

#[test]
fn without_codex_installed_the_switch_writes_auth_json_and_restores_it_byte_for_byte() {
    let _turn = CredentialManager::take();
    let mut sb = Sandbox::new();
    let original = fallback_sandbox(&mut sb);
    assert_eq!(credential("fallback-api-key").as_deref(), Some(KEY), "the key, in the Credential Manager");
    switch_and_restore(&sb, &original);
}

/// The calls the recording `codex.exe` got, one JSON value each.
fn codex_calls(dir: &Path) -> Vec<Value> {
    let log = std::fs::read_to_string(dir.join("codex-calls.log")).unwrap_or_default();
    log.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn codex_exe_takes_the_key_on_stdin_never_in_its_arguments() {
    let _turn = CredentialManager::take();
    let mut sb = Sandbox::new();
    let original = fallback_sandbox(&mut sb);
    let bin = sb.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    headroom_testkit::fake_codex::write(&bin, "{}", None);
    sb.set("PATH", &path_with(&bin));
    switch_and_restore(&sb, &original);
    assert_eq!(codex_calls(&bin), [json!({"argv": ["login", "--with-api-key"]}), json!({"stdin": KEY})]);
}

#[test]
fn codex_installed_by_npm_as_codex_cmd_is_found_and_used() {
    let _turn = CredentialManager::take();
    let mut sb = Sandbox::new();
    let original = fallback_sandbox(&mut sb);
    // npm puts codex.cmd on PATH; the program it starts lives elsewhere.
    let (npm, package) = (sb.dir.path().join("npm"), sb.dir.path().join("npm\\node_modules\\codex"));
    std::fs::create_dir_all(&package).unwrap();
    let program = headroom_testkit::fake_codex::write(&package, "{}", None);
    std::fs::write(npm.join("codex.cmd"), format!("@ECHO off\r\n\"{}\" %*\r\n", program.display())).unwrap();
    sb.set("PATH", &path_with(&npm));
    switch_and_restore(&sb, &original);
    assert_eq!(codex_calls(&package), [json!({"argv": ["login", "--with-api-key"]}), json!({"stdin": KEY})]);
}

/// Codex's keychain account for a home, computed as Codex computes it
/// (openai/codex `codex-rs/secrets/src/lib.rs`, `compute_keyring_account`): the first 16 hex
/// digits of the SHA-256 of the canonical path, which on Windows is the `\\?\C:\…` form.
fn codex_account(prefix: &str, home: &Path) -> String {
    use sha2::Digest;
    let canonical = home.canonicalize().unwrap().to_string_lossy().into_owned();
    assert!(canonical.starts_with(r"\\?\"), "{canonical}");
    let hex: String = sha2::Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}|{}", &hex[..16])
}

#[test]
fn codexs_encrypted_store_is_read_as_codex_for_windows_keeps_it() {
    let _turn = CredentialManager::take();
    let mut sb = Sandbox::new();
    // Codex for Windows keeps a keychain login in its encrypted store by default: no feature
    // named in config.toml.
    sb.write_codex_file("config.toml", "cli_auth_credentials_store = \"keyring\"\n");
    let access = full_length_token("encrypted@example.com", "acct-enc", 86_400);
    sb.secrets.extend([access.clone(), "rt-encrypted-secret".into()]);
    let auth = format!(
        r#"{{"auth_mode":"chatgpt","tokens":{{"id_token":"{access}","access_token":"{access}","refresh_token":"rt-encrypted-secret","account_id":"acct-enc"}}}}"#
    );
    let document = headroom_testkit::codex_secrets::document(&auth);
    let passphrase = "dGVzdC1wYXNzcGhyYXNlLTAxMjM0NTY3ODk=";
    sb.secrets.push(passphrase.into());
    std::fs::create_dir_all(sb.codex_home().join("secrets")).unwrap();
    std::fs::write(
        sb.codex_home().join("secrets\\codex_auth.age"),
        headroom_testkit::codex_secrets::encrypt(document.as_bytes(), passphrase),
    )
    .unwrap();
    // Kept as Codex keeps it: keyring's set_password, which stores text as UTF-16.
    let entry = crate::common::TestEntry::new("codex", &codex_account("secrets", &sb.codex_home()));
    entry.0.set_password(passphrase).unwrap();

    let run = sb.run(&["status", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(
        (v["credential"].as_str(), v["account"]["email"].as_str()),
        (Some("codex-secrets"), Some("encrypted@example.com"))
    );
    assert_eq!(sb.fake.requests()[0].header("chatgpt-account-id"), Some("acct-enc"));
    let doctor = sb.run(&["doctor"]).stdout;
    assert!(doctor.contains("found, encrypted@example.com, plus, account acct-enc"), "{doctor}");

    // Another passphrase: the store is named, with what to do, and no number is invented.
    entry.0.set_password("c29tZSBvdGhlciBwYXNzcGhyYXNl").unwrap();
    let run = sb.run(&["status", "--source", "api"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("Codex's encrypted login") && run.stderr.contains("does not open it"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_real_codex_for_windows_logins_are_read_from_both_its_keychain_stores() {
    let _turn = CredentialManager::take();
    for (config, origin) in [
        // Its default on Windows: the encrypted store, its passphrase in the Credential Manager.
        ("cli_auth_credentials_store = \"keyring\"\n", "codex-secrets"),
        // The store it had before: the whole login in one credential ("Codex Auth").
        ("cli_auth_credentials_store = \"keyring\"\n[features]\nsecret_auth_storage = false\n", "codex-keyring"),
    ] {
        let mut sb = Sandbox::new();
        sb.write_codex_file("config.toml", config);
        let _entries = [
            crate::common::TestEntry::new("codex", &codex_account("secrets", &sb.codex_home())),
            crate::common::TestEntry::new("Codex Auth", &codex_account("cli", &sb.codex_home())),
        ];
        let token = "at-real-codex-windows-0123456789abcdef";
        sb.codex_signs_in_with_access_token(token);
        assert!(!sb.codex_home().join("auth.json").exists(), "{origin}: Codex kept its login in the keychain");
        assert_eq!(sb.codex_home().join("secrets\\codex_auth.age").exists(), origin == "codex-secrets");
        let run = sb.run(&["status", "--json"]);
        assert_eq!(run.code, 0, "{origin}: {}", run.stderr);
        let v = run.json();
        assert_eq!(v["credential"], origin, "{v}");
        assert_eq!(v["account"], json!({"email": "automation@corp.example", "account_id": "acct-pat", "plan": "plus"}));
        assert_eq!(
            sb.fake.requests().last().unwrap().header("authorization"),
            Some(format!("Bearer {token}").as_str())
        );
    }
}

#[test]
fn the_real_codex_for_windows_switches_its_encrypted_login_to_the_key_and_back_byte_for_byte() {
    let _turn = CredentialManager::take();
    let mut sb = Sandbox::new();
    sb.secrets.push(KEY.into());
    sb.write_codex_file("config.toml", "cli_auth_credentials_store = \"keyring\"\n");
    let _passphrase = crate::common::TestEntry::new("codex", &codex_account("secrets", &sb.codex_home()));
    let token = "at-test-encrypted-0123456789abcdef";
    sb.codex_signs_in_with_access_token(token);
    let file = sb.codex_home().join("secrets\\codex_auth.age");
    let original = std::fs::read(&file).expect("Codex wrote its encrypted login");
    assert_eq!(sb.run_with_input(&["fallback", "set-key"], Some(&format!("{KEY}\n"))).code, 0);
    // Only Codex writes its encrypted store: the switch goes through codex.exe.
    let codex = crate::common::real_codex();
    sb.set("PATH", &path_with(codex.parent().unwrap()));

    sb.switch_encrypted_login_and_back(&file, &original, token);
}

/// Rewrites every rollout under `dir` with Windows line endings: every line of every other
/// file, and every other line of the rest (mixed, as an editor or a copy through Windows tools
/// leaves them).
fn to_crlf(dir: &Path, count: &mut usize) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            to_crlf(&path, count);
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        *count += 1;
        let all = count.is_multiple_of(2);
        let lines: Vec<String> = text
            .split_inclusive('\n')
            .enumerate()
            .map(|(i, line)| if all || i % 2 == 0 { line.replace('\n', "\r\n") } else { line.to_string() })
            .collect();
        std::fs::write(&path, lines.concat()).unwrap();
    }
}

#[test]
fn histories_with_windows_line_endings_count_the_same() {
    let _turn = CredentialManager::take();
    let start = now() - 20 * 86_400;
    let (unix, windows) = (Sandbox::new(), Sandbox::new());
    for sb in [&unix, &windows] {
        headroom_testkit::token_history::generate(&sb.codex_home().join("sessions"), 11, start, 14, 24).unwrap();
    }
    let mut files = 0;
    to_crlf(&windows.codex_home(), &mut files);
    assert!(files > 10, "{files} files rewritten");
    assert!(!files_holding(&windows.codex_home(), "\r\n").is_empty(), "CRLF is really there");

    let daily = |sb: &Sandbox| {
        let run = sb.run(&["usage", "daily", "--json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json()
    };
    let (expected, got) = (daily(&unix), daily(&windows));
    assert!(expected["totals"]["total_tokens"].as_u64().unwrap() > 0, "{expected}");
    assert_eq!(got["totals"], expected["totals"]);
    assert_eq!(got["days"], expected["days"]);

    // The numbers in a CRLF rollout read as well.
    windows.write_codex_file(
        "sessions\\2026\\11\\30\\rollout-crlf.jsonl",
        &token_count_line(&iso(now() - 60), 41.0, now() + 3_600, 7.0, now() + 86_400).replace('\n', "\r\n"),
    );
    let v = windows.run(&["status", "--source", "logs", "--json"]).json();
    assert_eq!(
        (v["windows"][0]["used_percent"].as_f64(), v["windows"][1]["used_percent"].as_f64()),
        (Some(41.0), Some(7.0))
    );
}

#[test]
fn doctor_reaches_the_credential_manager_and_prints_no_secret() {
    let _turn = CredentialManager::take();
    let mut sb = Sandbox::new();
    sb.unset("CODEX_HOME");
    let login = full_size_login(&mut sb);
    let token = full_length_token("pasted@example.com", "acct-paste", 86_400);
    sb.secrets.push(token.clone());
    assert_eq!(sb.run_with_input(&["token", "set"], Some(&token)).code, 0);
    let run = sb.run(&["doctor"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let out = &run.stdout;
    for expected in [
        format!("{}\\.codex\\auth.json", sb.home().display()),
        "found, dev@example.com, plus, account acct-1".to_string(),
        "OS keychain     reachable".to_string(),
        // The pasted token is its own account's (read from the Credential Manager to name it).
        "pasted@example.com · Plus · acct-paste".to_string(),
        "numbers from the token pasted into Headroom (".to_string(),
        "Verdict: live numbers from the usage service, with Codex's login file.".to_string(),
    ] {
        assert!(out.contains(&expected), "missing {expected:?} in:\n{out}");
    }
    assert!(!out.contains(&login[100..140]));
    assert!(sb.fake.requests().is_empty(), "doctor stays offline");
}
