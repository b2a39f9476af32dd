//! `fake-codex`: a stand-in for the `codex` program where a script cannot be one (Windows runs
//! only real programs). Copied into a test's folder as `codex.exe` by
//! `headroom_testkit::fake_codex::write`, it reads what to do from `fake-codex.json` beside
//! itself and records every call in `codex-calls.log` there, one JSON line each: its arguments
//! (`{"argv": […]}`), the line it read on standard input (`{"stdin": …}`) and every message it
//! got (as sent).
//!
//! - `codex login --with-api-key`: reads the key from standard input and writes
//!   `$CODEX_HOME/auth.json` as Codex does (`auth_mode` `apikey`), replacing it whole.
//! - `codex app-server`: answers `initialize`, and `account/read` with `refreshToken: true` by
//!   writing the configured login to `$CODEX_HOME/auth.json`, or with the configured refusal.
//! - anything else: exits 0.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

fn main() {
    let exe = std::env::current_exe().expect("the program knows where it is");
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    let config: Value = std::fs::read(dir.join("fake-codex.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null);
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("codex-calls.log"))
        .expect("the call log opens");
    let args: Vec<String> = std::env::args().skip(1).collect();
    record(&mut log, &json!({"argv": args}));

    if args == ["login", "--with-api-key"] {
        let mut key = String::new();
        std::io::stdin().lock().read_line(&mut key).expect("standard input reads");
        let key = key.trim().to_string();
        record(&mut log, &json!({"stdin": key}));
        let login = json!({"auth_mode": "apikey", "OPENAI_API_KEY": key, "tokens": null, "last_refresh": null});
        replace(&codex_home().join("auth.json"), &serde_json::to_string_pretty(&login).unwrap_or_default());
        eprintln!("Successfully logged in");
        return;
    }
    if args.first().map(String::as_str) != Some("app-server") {
        return;
    }
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        log.write_all(format!("{}\n", line.trim_end()).as_bytes()).ok();
        let Ok(message) = serde_json::from_str::<Value>(&line) else { continue };
        let answer = |value: Value| {
            let mut out = stdout.lock();
            writeln!(out, "{value}").ok();
            out.flush().ok();
        };
        match message["method"].as_str() {
            Some("initialize") => answer(json!({"id": message["id"], "result": {"userAgent": "fake-codex/0.0"}})),
            Some("account/read") => {
                if let Some(refusal) = config["refuse"].as_str() {
                    answer(json!({"id": message["id"], "error": {"code": -32000, "message": refusal}}));
                    continue;
                }
                if message["params"]["refreshToken"] == json!(true) {
                    replace(&codex_home().join("auth.json"), config["auth"].as_str().unwrap_or("{}"));
                }
                answer(json!({"method": "account/updated", "params": {}}));
                answer(json!({"id": message["id"], "result": {"account": {"type": "chatgpt", "planType": "plus"}}}));
            }
            _ => {}
        }
    }
}

fn codex_home() -> PathBuf {
    std::env::var_os("CODEX_HOME").map(PathBuf::from).expect("CODEX_HOME is set")
}

fn record(log: &mut std::fs::File, value: &Value) {
    log.write_all(format!("{value}\n").as_bytes()).ok();
}

/// Writes a whole new file in place of the old one, as Codex does.
fn replace(path: &Path, text: &str) {
    let temp = path.with_extension("json.tmp");
    std::fs::write(&temp, text).expect("the login is written");
    std::fs::rename(&temp, path).expect("the login is replaced");
}
