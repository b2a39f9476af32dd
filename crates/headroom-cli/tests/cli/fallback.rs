//! `headroom fallback`: switching Codex to an API key and back, against the real keychain, a
//! temporary CODEX_HOME, and the real Codex CLI (npm, pinned; behind a wrapper that records its
//! arguments). Nothing is ever lost: after a crash at any step the ChatGPT login is in place or
//! saved, and `restore` brings it back byte for byte.
#![cfg(target_os = "linux")]

use crate::common::{secret_service_or_skip, Sandbox};

const KEY: &str = "sk-test-fallback-0123456789abcdefghijklmnopqrstuv";

/// The vault's names are fixed: tests that use it run one at a time, from an empty vault.
struct VaultLock(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

impl Drop for VaultLock {
    fn drop(&mut self) {
        for account in ["fallback-api-key", "saved-codex-login"] {
            let _ = keyring::Entry::new("Headroom", account).and_then(|e| e.delete_credential());
        }
        // Each home's saved login has an entry of its own (`saved-codex-login|<home hash>`).
        let _ = std::process::Command::new("secret-tool").args(["clear", "service", "Headroom"]).status();
    }
}

fn sandbox(test: &str, with_codex: bool) -> Option<(Sandbox, VaultLock, String)> {
    let lock = VaultLock(crate::common::keyring_turn());
    let bus = secret_service_or_skip(test)?;
    let mut sb = Sandbox::new();
    sb.set("DBUS_SESSION_BUS_ADDRESS", &bus);
    sb.secrets.push(KEY.into());
    sb.codex_login(86_400);
    let original = std::fs::read_to_string(sb.codex_home().join("auth.json")).unwrap();
    if with_codex {
        sb.install_real_codex();
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
    assert!(
        run.stdout.contains("Codex sessions that are already open keep using your ChatGPT plan until you restart them or run `codex resume`."),
        "{}",
        run.stdout
    );

    // Codex itself took the key, on stdin: never in its arguments.
    let argv = std::fs::read_to_string(sb.dir.path().join("bin/codex-argv.log")).unwrap();
    assert_eq!(argv.trim(), "login --with-api-key");
    let written: serde_json::Value = serde_json::from_str(&auth(&sb)).unwrap();
    assert_eq!(written, serde_json::json!({"auth_mode": "apikey", "OPENAI_API_KEY": KEY}), "what Codex wrote");

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
    assert_eq!(
        (run.code, run.stdout.trim()),
        (0, "Codex uses your ChatGPT login again.\nCodex sessions that are already open keep using the API key (billed at API rates) until you restart them or run `codex resume`.")
    );
    assert_eq!(auth(&sb), original, "byte for byte");
    // Restored and read back: the saved copy (and its stale refresh token) leaves the keychain.
    assert!(sb.run(&["fallback", "status"]).stdout.contains("Saved login   none"));
    assert!(keyring::Entry::new("Headroom", "saved-codex-login").unwrap().get_password().is_err());
    let own = headroom_core::fallback::saved_login_entry(&sb.codex_home());
    assert!(keyring::Entry::new("Headroom", &own).unwrap().get_password().is_err());
    assert_eq!(
        sb.run(&["fallback", "restore"]).stdout.trim(),
        "Codex already uses your ChatGPT login: nothing to restore."
    );
}

#[test]
fn each_codex_home_keeps_its_own_saved_login_and_none_moves_between_homes() {
    let Some((mut sb, _lock, original_a)) =
        sandbox("each_codex_home_keeps_its_own_saved_login_and_none_moves_between_homes", false)
    else {
        return;
    };
    let home_a = sb.codex_home();
    let (home_b, _) =
        sb.login_with(Some("codex-b"), headroom_testkit::jwt::TestClaims::plus("bob@example.com", "acct-b", 86_400));
    let original_b = std::fs::read_to_string(home_b.join("auth.json")).unwrap();
    let in_home = |sb: &mut Sandbox, home: &std::path::Path, args: &[&str]| {
        sb.set("CODEX_HOME", &crate::common::path_str(home));
        sb.run(args)
    };
    assert_eq!(in_home(&mut sb, &home_a, &["fallback", "switch"]).code, 0);
    let b = in_home(&mut sb, &home_b, &["fallback", "switch"]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    // Two entries, one per home, named as Codex names its own.
    for home in [&home_a, &home_b] {
        let entry = headroom_core::fallback::saved_login_entry(home);
        assert!(keyring::Entry::new("Headroom", &entry).unwrap().get_password().is_ok(), "{entry}");
    }
    // While both run on the key, each home's numbers are its own account's.
    let a_now = in_home(&mut sb, &home_a, &["status", "--json"]).json();
    assert_eq!(a_now["account"]["account_id"], "acct-1", "{a_now}");
    let b_now = in_home(&mut sb, &home_b, &["status", "--json"]).json();
    assert_eq!(b_now["account"]["account_id"], "acct-b", "{b_now}");

    // A's restore writes A's login back, never B's; then B's restore finds B's.
    assert_eq!(in_home(&mut sb, &home_a, &["fallback", "restore"]).code, 0);
    assert_eq!(std::fs::read_to_string(home_a.join("auth.json")).unwrap(), original_a, "A's own, byte for byte");
    let b = in_home(&mut sb, &home_b, &["fallback", "restore"]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    assert_eq!(std::fs::read_to_string(home_b.join("auth.json")).unwrap(), original_b, "B's own, byte for byte");
}

#[test]
fn an_earlier_versions_saved_login_goes_back_only_when_the_user_says_it_is_this_homes() {
    let Some((sb, _lock, original)) =
        sandbox("an_earlier_versions_saved_login_goes_back_only_when_the_user_says_it_is_this_homes", false)
    else {
        return;
    };
    assert_eq!(sb.run(&["fallback", "switch"]).code, 0);
    // As an earlier version left it: one entry for every home, no home noted.
    let own = keyring::Entry::new("Headroom", &headroom_core::fallback::saved_login_entry(&sb.codex_home())).unwrap();
    let saved = own.get_password().unwrap();
    own.delete_credential().unwrap();
    keyring::Entry::new("Headroom", "saved-codex-login").unwrap().set_password(&saved).unwrap();
    let on_key = auth(&sb);

    let status = sb.run(&["fallback", "status"]).stdout;
    assert!(
        status.contains("a ChatGPT login (dev@example.com) saved by an earlier version of Headroom, which did not note its Codex home"),
        "{status}"
    );
    let run = sb.run(&["fallback", "restore"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim(),
        "The ChatGPT login to put back (dev@example.com) was saved by an earlier version of Headroom, which did not note which Codex home it came from: if it is this home's, run `headroom fallback restore --from-earlier-version`; nothing was changed."
    );
    assert_eq!(auth(&sb), on_key, "nothing was put back");
    let run = sb.run(&["fallback", "restore", "--from-earlier-version"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(auth(&sb), original, "byte for byte");
    assert!(keyring::Entry::new("Headroom", "saved-codex-login").unwrap().get_password().is_err(), "then forgotten");
}

#[test]
fn a_symlinked_login_is_switched_and_restored_through_its_link() {
    let Some((sb, _lock, original)) = sandbox("a_symlinked_login_is_switched_and_restored_through_its_link", false)
    else {
        return;
    };
    // A dotfiles setup: auth.json is a link to a file kept elsewhere.
    let dotfiles = sb.dir.path().join("dotfiles/codex-auth.json");
    std::fs::create_dir_all(dotfiles.parent().unwrap()).unwrap();
    std::fs::rename(sb.codex_home().join("auth.json"), &dotfiles).unwrap();
    std::os::unix::fs::symlink(&dotfiles, sb.codex_home().join("auth.json")).unwrap();
    let is_link = || std::fs::symlink_metadata(sb.codex_home().join("auth.json")).unwrap().file_type().is_symlink();

    assert_eq!(sb.run(&["fallback", "switch"]).code, 0);
    assert!(is_link(), "the link is not replaced by a file");
    assert!(std::fs::read_to_string(&dotfiles).unwrap().contains(KEY), "the link's target holds the key");
    assert_eq!(sb.run(&["fallback", "restore"]).code, 0);
    assert!(is_link());
    assert_eq!(std::fs::read_to_string(&dotfiles).unwrap(), original, "byte for byte, in the target");
}

#[test]
fn a_damaged_login_is_named_as_damaged() {
    let Some((sb, _lock, _)) = sandbox("a_damaged_login_is_named_as_damaged", false) else { return };
    std::fs::write(sb.codex_home().join("auth.json"), "{\"tokens\": {").unwrap();
    let run = sb.run(&["fallback", "switch"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("could not be understood"), "{}", run.stderr);
    assert!(!run.stderr.contains("has no login"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(sb.codex_home().join("auth.json")).unwrap(), "{\"tokens\": {");
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

/// Codex's keychain entry for a test's CODEX_HOME, removed when dropped.
struct CodexKeychain {
    account: String,
    names: Vec<String>,
}

impl CodexKeychain {
    const SERVICE: &'static str = "Codex Auth";

    /// Moves the sandbox's auth.json login into Codex's keychain entry (`config.toml` says
    /// `keyring`): one entry holding the whole document, as Codex writes it.
    fn take_over(sb: &Sandbox, original: &str) -> CodexKeychain {
        sb.write_codex_file("config.toml", "cli_auth_credentials_store = \"keyring\"\n");
        std::fs::remove_file(sb.codex_home().join("auth.json")).unwrap();
        let account = headroom_core::login::codex_login::keyring_account(&sb.codex_home());
        let mut keychain = CodexKeychain { account: account.clone(), names: Vec::new() };
        keychain.set("", original);
        keychain
    }

    fn set(&mut self, suffix: &str, secret: &str) {
        let name = format!("{}{suffix}", self.account);
        keyring::Entry::new(Self::SERVICE, &name).unwrap().set_password(secret).unwrap();
        self.names.push(name);
    }

    fn get(&self, suffix: &str) -> Option<String> {
        keyring::Entry::new(Self::SERVICE, &format!("{}{suffix}", self.account)).unwrap().get_password().ok()
    }
}

impl Drop for CodexKeychain {
    fn drop(&mut self) {
        for name in &self.names {
            let _ = keyring::Entry::new(Self::SERVICE, name).and_then(|e| e.delete_credential());
        }
    }
}

/// The plan is still read with the saved ChatGPT login while Codex runs on the key.
fn asks_with_saved_login(sb: &Sandbox, original: &str) {
    let v = sb.run(&["status", "--json"]).json();
    assert_eq!(v["source"], "api", "{v}");
    let saved: serde_json::Value = serde_json::from_str(original).unwrap();
    let access = saved["tokens"]["access_token"].as_str().unwrap();
    let last = sb.fake.requests().pop().unwrap();
    assert_eq!(last.header("authorization"), Some(format!("Bearer {access}").as_str()));
}

#[test]
fn a_keychain_login_is_switched_and_restored_byte_for_byte() {
    let Some((sb, _lock, original)) = sandbox("a_keychain_login_is_switched_and_restored_byte_for_byte", false) else {
        return;
    };
    let keychain = CodexKeychain::take_over(&sb, &original);
    let run = sb.run(&["fallback", "switch"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Without `codex` installed, Headroom writes the entry as Codex would; no auth.json appears.
    let written: serde_json::Value = serde_json::from_str(&keychain.get("").unwrap()).unwrap();
    assert_eq!((written["auth_mode"].as_str(), written["OPENAI_API_KEY"].as_str()), (Some("apikey"), Some(KEY)));
    assert!(!sb.codex_home().join("auth.json").exists());
    assert!(sb.run(&["fallback", "status"]).stdout.contains("Codex uses    the fallback API key"));
    asks_with_saved_login(&sb, &original);

    let run = sb.run(&["fallback", "restore"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("Codex uses your ChatGPT login again.\n"), "{}", run.stdout);
    assert_eq!(keychain.get("").unwrap(), original, "byte for byte");
    assert!(sb.run(&["fallback", "status"]).stdout.contains("Codex uses    your ChatGPT login"));
}

#[test]
fn a_keychain_login_is_switched_through_codex_and_restored_byte_for_byte() {
    let Some((sb, _lock, original)) =
        sandbox("a_keychain_login_is_switched_through_codex_and_restored_byte_for_byte", true)
    else {
        return;
    };
    let keychain = CodexKeychain::take_over(&sb, &original);
    let run = sb.run(&["fallback", "switch"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Codex wrote the key into its own entry; no auth.json appeared.
    let written: serde_json::Value = serde_json::from_str(&keychain.get("").unwrap()).unwrap();
    assert_eq!((written["auth_mode"].as_str(), written["OPENAI_API_KEY"].as_str()), (Some("apikey"), Some(KEY)));
    assert!(!sb.codex_home().join("auth.json").exists());
    assert!(sb.run(&["fallback", "status"]).stdout.contains("Codex uses    the fallback API key"));
    asks_with_saved_login(&sb, &original);

    assert_eq!(sb.run(&["fallback", "restore"]).code, 0);
    assert_eq!(keychain.get("").unwrap(), original, "byte for byte");
    let v = sb.run(&["status", "--json"]).json();
    assert_eq!(v["credential"], "codex-keyring", "{v}");
}

#[test]
fn an_encrypted_codex_login_is_switched_through_codex_and_restored_byte_for_byte() {
    let Some((mut sb, _lock, _)) =
        sandbox("an_encrypted_codex_login_is_switched_through_codex_and_restored_byte_for_byte", true)
    else {
        return;
    };
    // Codex's own encrypted store, written by Codex: a Codex access token, signed in offline
    // against the fake's account service.
    std::fs::remove_file(sb.codex_home().join("auth.json")).unwrap();
    sb.write_codex_file(
        "config.toml",
        "cli_auth_credentials_store = \"keyring\"\n[features]\nsecret_auth_storage = true\n",
    );
    let _passphrase = crate::common::TestEntry::new(
        "codex",
        &headroom_core::login::codex_secrets::passphrase_account(&sb.codex_home()),
    );
    let token = "at-test-encrypted-0123456789abcdef";
    sb.codex_signs_in_with_access_token(token);
    let file = sb.codex_home().join("secrets/codex_auth.age");
    let original = std::fs::read(&file).expect("Codex wrote its encrypted login");
    assert!(!sb.codex_home().join("auth.json").exists());
    let v = sb.run(&["status", "--json"]).json();
    assert_eq!(
        (v["credential"].as_str(), v["account"]["email"].as_str()),
        (Some("codex-secrets"), Some("automation@corp.example"))
    );

    sb.switch_encrypted_login_and_back(&file, &original, token);
}

#[test]
fn a_read_only_codex_folder_changes_nothing_and_says_so() {
    let Some((sb, _lock, original)) = sandbox("a_read_only_codex_folder_changes_nothing_and_says_so", false) else {
        return;
    };
    // A read-only bind mount of CODEX_HOME in a private mount namespace (root can write through
    // a chmod, not through a read-only mount).
    if std::process::Command::new("unshare").args(["-m", "true"]).status().map(|s| !s.success()).unwrap_or(true) {
        assert!(std::env::var_os("CI").is_none(), "CI must be able to make a read-only mount (unshare -m)");
        eprintln!("skipping: `unshare -m` is not permitted here");
        return;
    }
    let read_only = |sb: &Sandbox, args: &str| {
        let home = sb.codex_home().display().to_string();
        let script =
            format!("mount --bind '{home}' '{home}' && mount -o remount,bind,ro '{home}' && exec \"$0\" {args}");
        let command = sb.command(&[]);
        let program = command.get_program().to_owned();
        let mut unshare = std::process::Command::new("unshare");
        unshare.args(["-m", "sh", "-c", &script]).arg(program);
        unshare.env_clear().envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))));
        let output = unshare.output().unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    };

    let (code, stderr) = read_only(&sb, "fallback switch");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("could not be written (Read-only file system"), "{stderr}");
    assert!(stderr.contains("your ChatGPT login is saved in Headroom's keychain entry"), "{stderr}");
    assert_eq!(auth(&sb), original, "Codex's login is untouched");

    // Switched while writable, then the folder turns read-only: restore refuses, the key stays,
    // the saved copy stays, and once writable again restore brings the login back.
    assert_eq!(sb.run(&["fallback", "switch"]).code, 0);
    let (code, stderr) = read_only(&sb, "fallback restore");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("could not be written"), "{stderr}");
    assert!(auth(&sb).contains("apikey"));
    assert!(sb.run(&["fallback", "status"]).stdout.contains("your ChatGPT login is saved in the OS keychain"));
    assert_eq!(sb.run(&["fallback", "restore"]).code, 0);
    assert_eq!(auth(&sb), original);
}
