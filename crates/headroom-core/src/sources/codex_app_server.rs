//! Asks Codex itself to refresh its login, through `codex app-server` (JSON-RPC over stdio, one
//! JSON object per line, no "jsonrpc" field): `initialize`, the `initialized` notification, then
//! `account/read` with `refreshToken: true`. Codex redeems its own single-use refresh token and
//! writes the new login; Headroom then re-reads it. Headroom never touches the refresh token.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// How long Codex may take to start and refresh.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Asking more often than this would not help a login that cannot be refreshed.
pub const MIN_INTERVAL: chrono::Duration = chrono::Duration::hours(1);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HealError {
    #[error("`codex` could not be started ({0})")]
    Spawn(String),
    #[error("`codex app-server` did not answer within {} s", TIMEOUT.as_secs())]
    Timeout,
    #[error("`codex app-server` stopped before answering")]
    Closed,
    #[error("Codex could not refresh its login ({0})")]
    Refused(String),
}

/// `codex` on PATH, if there is one, found as the platform's shell finds it.
pub fn find_codex() -> Option<PathBuf> {
    find_on(&std::env::var_os("PATH")?, program_names())
}

/// The names `codex` goes by. On Windows npm installs Codex as `codex.cmd` (a script that
/// starts Node, which starts the native program) and the standalone download is `codex.exe`;
/// either may come first on PATH, and Rust starts a `.cmd` through cmd.exe with its arguments
/// escaped.
fn program_names() -> &'static [&'static str] {
    if cfg!(windows) {
        &["codex.exe", "codex.cmd", "codex.bat"]
    } else {
        &["codex"]
    }
}

/// The first of `names` in the folders of `path`, folder by folder (a shell's order).
fn find_on(path: &std::ffi::OsStr, names: &[&str]) -> Option<PathBuf> {
    std::env::split_paths(path).flat_map(|dir| names.iter().map(move |name| dir.join(name))).find(|p| p.is_file())
}

/// Whether to ask Codex now, given the last attempt.
pub fn due(last_attempt: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_attempt.is_none_or(|last| now - last >= MIN_INTERVAL)
}

/// Runs `codex app-server` for `codex_home` and asks it to refresh the login.
pub async fn refresh_login(codex: &Path, codex_home: &Path) -> Result<(), HealError> {
    tokio::time::timeout(TIMEOUT, talk(codex, codex_home)).await.map_err(|_| HealError::Timeout)?
}

async fn talk(codex: &Path, codex_home: &Path) -> Result<(), HealError> {
    let mut child = tokio::process::Command::new(codex)
        .arg("app-server")
        .env("CODEX_HOME", codex_home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| HealError::Spawn(e.to_string()))?;
    let mut stdin = child.stdin.take().ok_or(HealError::Closed)?;
    let mut lines = BufReader::new(child.stdout.take().ok_or(HealError::Closed)?).lines();

    let send = |message: Value| format!("{message}\n");
    let initialize = json!({"id": 1, "method": "initialize", "params": {"clientInfo": {
        "name": "headroom", "title": "Headroom", "version": env!("CARGO_PKG_VERSION")}}});
    stdin.write_all(send(initialize).as_bytes()).await.map_err(|_| HealError::Closed)?;
    wait_for_response(&mut lines, 1).await?;
    stdin.write_all(send(json!({"method": "initialized"})).as_bytes()).await.map_err(|_| HealError::Closed)?;
    let read = json!({"id": 2, "method": "account/read", "params": {"refreshToken": true}});
    stdin.write_all(send(read).as_bytes()).await.map_err(|_| HealError::Closed)?;
    let answer = wait_for_response(&mut lines, 2).await;
    drop(stdin);
    let _ = child.kill().await;
    answer.map(|_| ())
}

/// Reads lines until the response to `id`, skipping notifications Codex sends meanwhile.
async fn wait_for_response(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    id: u64,
) -> Result<Value, HealError> {
    while let Some(line) = lines.next_line().await.map_err(|_| HealError::Closed)? {
        let Ok(message) = serde_json::from_str::<Value>(&line) else { continue };
        if message.get("id").and_then(Value::as_u64) != Some(id) {
            continue;
        }
        if let Some(error) = message.get("error") {
            let text = error.get("message").and_then(Value::as_str).unwrap_or("no reason given");
            return Err(HealError::Refused(text.to_string()));
        }
        return Ok(message.get("result").cloned().unwrap_or(Value::Null));
    }
    Err(HealError::Closed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn at_most_once_an_hour() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        assert!(due(None, t));
        assert!(!due(Some(t), t + chrono::Duration::minutes(59)));
        assert!(due(Some(t), t + chrono::Duration::minutes(60)));
    }

    #[test]
    fn codex_is_found_folder_by_folder_under_each_name_it_goes_by() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (dir.path().join("first"), dir.path().join("second"));
        std::fs::create_dir_all(&first).unwrap();
        std::fs::create_dir_all(&second).unwrap();
        std::fs::write(second.join("codex.exe"), "").unwrap();
        let names = ["codex.exe", "codex.cmd"];
        let path = std::env::join_paths([&first, &second]).unwrap();
        assert_eq!(find_on(&path, &names), Some(second.join("codex.exe")));
        // npm's codex.cmd in an earlier folder wins over a codex.exe in a later one.
        std::fs::write(first.join("codex.cmd"), "").unwrap();
        assert_eq!(find_on(&path, &names), Some(first.join("codex.cmd")));
        assert_eq!(find_on(&std::env::join_paths([dir.path()]).unwrap(), &names), None, "folders are not programs");
    }

    #[tokio::test]
    async fn codex_refreshes_its_own_login() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("codex-home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("auth.json"), "old").unwrap();
        let codex = headroom_testkit::fake_codex::write(dir.path(), "{\"tokens\":{\"access_token\":\"new\"}}", None);
        refresh_login(&codex, &home).await.unwrap();
        assert_eq!(std::fs::read_to_string(home.join("auth.json")).unwrap(), "{\"tokens\":{\"access_token\":\"new\"}}");
        let log = std::fs::read_to_string(dir.path().join("codex-calls.log")).unwrap();
        let calls: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(calls[0]["argv"], json!(["app-server"]));
        assert_eq!(calls[1]["method"], "initialize");
        assert_eq!(calls[2]["method"], "initialized");
        assert_eq!(calls[3]["method"], "account/read");
        assert_eq!(calls[3]["params"]["refreshToken"], true);
    }

    #[tokio::test]
    async fn a_refusal_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let codex = headroom_testkit::fake_codex::write(dir.path(), "{}", Some("refresh token was already used"));
        let error = refresh_login(&codex, dir.path()).await.unwrap_err();
        assert_eq!(error, HealError::Refused("refresh token was already used".into()));
        let missing = refresh_login(&dir.path().join("no-codex"), dir.path()).await.unwrap_err();
        assert!(matches!(missing, HealError::Spawn(_)));
    }
}
