//! A fake `codex` executable for tests: it records its argv and every line it reads, speaks
//! enough of `codex app-server` to refresh a login (writing a new auth.json, as Codex would), and
//! takes `codex login --with-api-key` with the key on stdin (into auth.json, or on Linux into
//! Codex's keychain entries through `secret-tool` when config.toml says `keyring`).
//!
//! On Linux and macOS it is a Python script; on Windows, which runs only real programs, the
//! `fake-codex` program of this crate (src/bin/fake-codex.rs), copied in as `codex.exe`.

use std::path::{Path, PathBuf};

/// Writes `dir/codex` (executable; `dir/codex.exe` on Windows). On `account/read` with
/// `refreshToken: true` it writes `new_auth_json` to `$CODEX_HOME/auth.json`, or answers with
/// `refuse` as an error. Calls are logged as JSON lines to `dir/codex-calls.log`.
pub fn write(dir: &Path, new_auth_json: &str, refuse: Option<&str>) -> PathBuf {
    if cfg!(windows) {
        let path = dir.join("codex.exe");
        std::fs::copy(program(), &path).expect("fake-codex.exe is copied into the test's folder");
        let config = serde_json::json!({"auth": new_auth_json, "refuse": refuse});
        std::fs::write(dir.join("fake-codex.json"), config.to_string()).unwrap();
        return path;
    }
    let path = dir.join("codex");
    // Python literals: a string quoted, or None.
    let auth = format!("{new_auth_json:?}");
    let refuse = match refuse {
        Some(text) => format!("{text:?}"),
        None => "None".into(),
    };
    let script = format!(
        r#"#!/usr/bin/python3
import json, os, sys
log = open({log:?}, "a")
log.write(json.dumps({{"argv": sys.argv[1:]}}) + "\n"); log.flush()
if sys.argv[1:] == ["login", "--with-api-key"]:
    key = sys.stdin.readline().strip()
    log.write(json.dumps({{"stdin": key}}) + "\n"); log.flush()
    home = os.environ["CODEX_HOME"]
    config = os.path.join(home, "config.toml")
    if os.path.exists(config) and 'cli_auth_credentials_store = "keyring"' in open(config).read():
        # Codex's keychain layout: a new split revision when one is active, else the one entry.
        import hashlib, subprocess
        account = "cli|" + hashlib.sha256(os.path.realpath(home).encode()).hexdigest()[:16]
        def store(name, secret):
            subprocess.run(["secret-tool", "store", "--label=Codex Auth", "target", "default",
                            "service", "Codex Auth", "username", name], input=secret.encode(), check=True)
        active = subprocess.run(["secret-tool", "lookup", "target", "default", "service", "Codex Auth",
                                 "username", account + "|v2|active"], capture_output=True).stdout
        if active:
            rev = "fake-apikey-revision"
            store(account + "|v2|" + rev + "|manifest", json.dumps({{"auth_mode": "apikey", "has_openai_api_key": True, "has_tokens": False}}))
            store(account + "|v2|" + rev + "|OPENAI_API_KEY", key)
            store(account + "|v2|active", rev)
        else:
            store(account, json.dumps({{"auth_mode": "apikey", "OPENAI_API_KEY": key}}))
        print("Successfully logged in", file=sys.stderr)
        sys.exit(0)
    tmp = os.path.join(home, ".auth.json.tmp")
    with open(tmp, "w") as f:
        json.dump({{"auth_mode": "apikey", "OPENAI_API_KEY": key, "tokens": None, "last_refresh": None}}, f, indent=2)
    os.replace(tmp, os.path.join(home, "auth.json"))
    print("Successfully logged in", file=sys.stderr)
    sys.exit(0)
if sys.argv[1:2] != ["app-server"]:
    sys.exit(0)
for line in sys.stdin:
    log.write(line if line.endswith("\n") else line + "\n"); log.flush()
    msg = json.loads(line)
    if msg.get("method") == "initialize":
        print(json.dumps({{"id": msg["id"], "result": {{"userAgent": "fake-codex/0.0"}}}}), flush=True)
    elif msg.get("method") == "account/read":
        refuse = {refuse}
        if refuse:
            print(json.dumps({{"id": msg["id"], "error": {{"code": -32000, "message": refuse}}}}), flush=True)
            continue
        if msg.get("params", {{}}).get("refreshToken"):
            home = os.environ["CODEX_HOME"]
            tmp = os.path.join(home, ".auth.json.tmp")
            with open(tmp, "w") as f:
                f.write({auth})
            os.replace(tmp, os.path.join(home, "auth.json"))
        print(json.dumps({{"method": "account/updated", "params": {{}}}}), flush=True)
        print(json.dumps({{"id": msg["id"], "result": {{"account": {{"type": "chatgpt", "planType": "plus"}}}}}}), flush=True)
"#,
        log = dir.join("codex-calls.log").display().to_string(),
    );
    std::fs::write(&path, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

/// The `fake-codex` program built beside the tests (`target/<target>/debug/fake-codex.exe`), or
/// the one HEADROOM_FAKE_CODEX names.
pub fn program() -> PathBuf {
    let exe = if cfg!(windows) { "fake-codex.exe" } else { "fake-codex" };
    let path = std::env::var_os("HEADROOM_FAKE_CODEX").map(PathBuf::from).unwrap_or_else(|| {
        // A test runs from target/<target>/debug/deps; the crate's programs are one folder up.
        let test = std::env::current_exe().unwrap_or_default();
        test.parent().and_then(Path::parent).map(|debug| debug.join(exe)).unwrap_or_default()
    });
    assert!(
        path.is_file(),
        "{} is not built: run `cargo build -p headroom-testkit --bin fake-codex` for the tests' target (scripts/test-windows does)",
        path.display()
    );
    path
}
