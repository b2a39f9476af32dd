//! Usage numbers from Codex's session logs (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`):
//! no network, no token. Every `token_count` event carries the rate limits Codex last heard.
//!
//! History can reach gigabytes, so the newest snapshot is found by visiting files newest first
//! (by modification time) and reading each from its end, stopping as soon as no unread file can
//! hold anything newer. The cost depends on the newest files, not on how much history there is.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};
use memchr::memmem;
use serde_json::Value;

use crate::model::{Credits, LimitId, SourceKind, UsageSnapshot, UsageWindow, WindowKind};
use crate::usage_body::{boolean, number, percent, seconds_after, string};

pub fn sessions_dir(codex_home: &Path) -> PathBuf {
    codex_home.join("sessions")
}

/// Parses one log line. `None` unless it is a `token_count` event with rate limits for the main
/// Codex quota, in any of the three shapes Codex has written.
pub fn parse_line(line: &[u8]) -> Option<UsageSnapshot> {
    // Most lines are not token counts; skip them without parsing JSON.
    memmem::find(line, b"token_count")?;
    let value: Value = serde_json::from_slice(line).ok()?;
    if value.get("type").and_then(Value::as_str) != Some("event_msg") {
        return None;
    }
    let payload = value.get("payload")?;
    if payload.get("type").and_then(Value::as_str) != Some("token_count") {
        return None;
    }
    let limits = payload.get("rate_limits").filter(|v| v.is_object())?;
    if let Some(id) = string(limits.get("limit_id")) {
        if id != "codex" {
            return None;
        }
    }
    let observed_at = value
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())?
        .with_timezone(&Utc);

    let mut windows = Vec::new();
    for (slot, default_kind) in [("primary", WindowKind::FiveHour), ("secondary", WindowKind::Weekly)] {
        let window = match limits.get(slot) {
            Some(nested) if nested.is_object() => nested_window(nested, default_kind, observed_at),
            _ => flat_window(limits, slot, default_kind, observed_at),
        };
        windows.extend(window);
    }
    if windows.is_empty() {
        return None;
    }
    let reason = limits.get("rate_limit_reached_type").and_then(|v| string(v.get("type")).or_else(|| string(Some(v))));
    let limit_reached = reason.is_some() || windows.iter().any(UsageWindow::is_exhausted);
    Some(UsageSnapshot {
        plan: string(limits.get("plan_type")).map(|p| p.to_ascii_lowercase()),
        account: Default::default(),
        windows,
        credits: limits.get("credits").filter(|c| c.is_object()).map(|c| Credits {
            has_credits: boolean(c.get("has_credits")).unwrap_or(false),
            unlimited: boolean(c.get("unlimited")).unwrap_or(false),
            balance: number(c.get("balance")),
            ..Default::default()
        }),
        limit_reached,
        limit_reached_reason: reason,
        spend_control: None,
        observed_at,
        source: SourceKind::SessionLog,
    })
}

/// `{used_percent, window_minutes, resets_at}` (current) or `{…, resets_in_seconds}` (older,
/// relative to the line's time).
fn nested_window(window: &Value, default_kind: WindowKind, observed_at: DateTime<Utc>) -> Option<UsageWindow> {
    let used = percent(window.get("used_percent"))?;
    let seconds = number(window.get("window_minutes")).map(|m| (m * 60.0) as i64);
    let resets_at = number(window.get("resets_at"))
        .and_then(|s| DateTime::from_timestamp(s as i64, 0))
        .or_else(|| number(window.get("resets_in_seconds")).and_then(|s| seconds_after(observed_at, s)));
    Some(log_window(used, seconds, default_kind, resets_at))
}

/// The oldest shape: `primary_used_percent`, `secondary_used_percent`, and sometimes
/// `primary_window_minutes` / `primary_resets_in_seconds`. Without a length, the first is the
/// 5-hour window and the second the weekly one, as the Codex versions that wrote it had them.
fn flat_window(
    limits: &Value,
    slot: &str,
    default_kind: WindowKind,
    observed_at: DateTime<Utc>,
) -> Option<UsageWindow> {
    let used = percent(limits.get(format!("{slot}_used_percent").as_str()))?;
    let seconds = number(limits.get(format!("{slot}_window_minutes").as_str())).map(|m| (m * 60.0) as i64);
    let resets_at = number(limits.get(format!("{slot}_resets_in_seconds").as_str()))
        .or_else(|| number(limits.get(format!("{slot}_reset_after_seconds").as_str())))
        .and_then(|s| seconds_after(observed_at, s));
    Some(log_window(used, seconds, default_kind, resets_at))
}

fn log_window(
    used: f64,
    seconds: Option<i64>,
    default_kind: WindowKind,
    resets_at: Option<DateTime<Utc>>,
) -> UsageWindow {
    let kind = seconds.map(WindowKind::from_seconds).unwrap_or(default_kind);
    UsageWindow {
        limit: LimitId::Codex,
        limit_name: None,
        kind,
        window_seconds: seconds.or(kind.nominal_seconds()),
        used_percent: used,
        resets_at,
        reset_since_observed: false,
    }
}

/// The newest snapshot found, and the file it came from.
#[derive(Debug, Clone)]
pub struct LogFinding {
    pub snapshot: UsageSnapshot,
    pub path: PathBuf,
}

/// What a search of the session logs read, for benchmarks and `doctor`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchStats {
    pub files_seen: usize,
    pub files_read: usize,
    pub bytes_read: u64,
}

/// Finds the newest main-quota snapshot under `sessions_dir`. `Ok(None)` when the folder is
/// missing or holds none.
pub fn find_newest(sessions_dir: &Path) -> std::io::Result<(Option<LogFinding>, SearchStats)> {
    let mut files = Vec::new();
    collect_rollouts(sessions_dir, 0, &mut files)?;
    // Newest write first; ties broken by name, which starts with the session's start time.
    files.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    let mut stats = SearchStats { files_seen: files.len(), ..Default::default() };
    let mut best: Option<LogFinding> = None;
    for (path, modified) in files {
        if let Some(found) = &best {
            // A file last written before the best snapshot's time cannot hold a newer one. Allow
            // a little slack for clocks that round.
            let modified: DateTime<Utc> = modified.into();
            if modified.checked_add_signed(Duration::seconds(2)).is_some_and(|m| m < found.snapshot.observed_at) {
                break;
            }
        }
        let (snapshot, bytes) = match newest_in_file(&path) {
            Ok(result) => result,
            // A file that vanished or cannot be read is passed over, not fatal.
            Err(_) => continue,
        };
        stats.files_read += 1;
        stats.bytes_read += bytes;
        if let Some(snapshot) = snapshot {
            if best.as_ref().is_none_or(|b| snapshot.observed_at > b.snapshot.observed_at) {
                best = Some(LogFinding { snapshot, path });
            }
        }
    }
    Ok((best, stats))
}

pub(crate) fn collect_rollouts(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, SystemTime)>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if depth > 0 || e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries.flatten() {
        let Ok(file_type) = entry.file_type() else { continue };
        let path = entry.path();
        if file_type.is_dir() && depth < 4 {
            collect_rollouts(&path, depth + 1, out)?;
        } else if file_type.is_file() && path.extension().is_some_and(|e| e == "jsonl") {
            if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                out.push((path, modified));
            }
        }
    }
    Ok(())
}

const CHUNK: usize = 64 * 1024;

/// The last snapshot in one file, read backwards from its end; also the bytes read.
pub fn newest_in_file(path: &Path) -> std::io::Result<(Option<UsageSnapshot>, u64)> {
    let mut file = File::open(path)?;
    let mut position = file.metadata()?.len();
    let mut bytes_read = 0u64;
    // The start of a line whose beginning lies in a chunk not yet read.
    let mut carry: Vec<u8> = Vec::new();
    while position > 0 {
        // Read at least as much as is carried, so a very long line costs linear time, not quadratic.
        let want = CHUNK.max(carry.len()) as u64;
        let read = want.min(position);
        position -= read;
        let mut buffer = vec![0u8; read as usize];
        file.seek(SeekFrom::Start(position))?;
        file.read_exact(&mut buffer)?;
        bytes_read += read;
        buffer.extend_from_slice(&carry);
        let mut end = buffer.len();
        while let Some(newline) = memchr::memrchr(b'\n', &buffer[..end]) {
            if let Some(snapshot) = parse_line(&buffer[newline + 1..end]) {
                return Ok((Some(snapshot), bytes_read));
            }
            end = newline;
        }
        buffer.truncate(end);
        carry = buffer;
    }
    Ok((parse_line(&carry), bytes_read))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::io::Write;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{}/../../testdata/session-logs/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn last_snapshot(text: &str) -> Option<UsageSnapshot> {
        text.lines().rev().find_map(|l| parse_line(l.as_bytes()))
    }

    #[test]
    fn current_shape() {
        let snap = last_snapshot(&fixture("current-shape.jsonl")).unwrap();
        assert_eq!(snap.observed_at, Utc.with_ymd_and_hms(2026, 11, 20, 9, 1, 10).unwrap());
        assert_eq!(snap.plan.as_deref(), Some("plus"));
        assert_eq!(snap.source, SourceKind::SessionLog);
        let w: Vec<_> =
            snap.windows.iter().map(|w| (w.kind, w.used_percent, w.resets_at.map(|t| t.timestamp()))).collect();
        assert_eq!(
            w,
            vec![(WindowKind::FiveHour, 21.0, Some(1_795_599_000)), (WindowKind::Weekly, 9.0, Some(1_796_040_000))]
        );
        assert!(!snap.limit_reached);
    }

    #[test]
    fn older_relative_shape_counts_from_the_line_time() {
        let snap = last_snapshot(&fixture("older-relative-shape.jsonl")).unwrap();
        let line_time = DateTime::parse_from_rfc3339("2026-10-29T00:59:38.856Z").unwrap().with_timezone(&Utc);
        assert_eq!(snap.windows[0].kind, WindowKind::FiveHour);
        assert_eq!(snap.windows[0].window_seconds, Some(299 * 60));
        assert_eq!(snap.windows[0].resets_at, Some(line_time + Duration::seconds(17_388)));
        assert_eq!(snap.windows[1].kind, WindowKind::Weekly);
        assert_eq!(snap.windows[1].used_percent, 7.0);
    }

    #[test]
    fn oldest_flat_shape_uses_the_slot_convention() {
        let snap = last_snapshot(&fixture("oldest-flat-shape.jsonl")).unwrap();
        let w: Vec<_> = snap.windows.iter().map(|w| (w.kind, w.used_percent, w.window_seconds, w.resets_at)).collect();
        assert_eq!(
            w,
            vec![(WindowKind::FiveHour, 55.0, Some(18_000), None), (WindowKind::Weekly, 12.0, Some(604_800), None)]
        );
    }

    #[test]
    fn lines_that_are_not_snapshots() {
        for line in [
            r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_count","info":null,"rate_limits":null}}"#,
            r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"response_item","payload":{"type":"message","text":"token_count"}}"#,
            r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_count","rate_limits":{"limit_id":"other","primary":{"used_percent":1}}}}"#,
            r#"{"timestamp":"nope","type":"event_msg","payload":{"type":"token_count","rate_limits":{"primary":{"used_percent":1}}}}"#,
            r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_count","rate_limits":{}}}"#,
            r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_"#,
        ] {
            assert!(parse_line(line.as_bytes()).is_none(), "{line}");
        }
    }

    #[test]
    fn limit_reached_in_a_log_line() {
        let line = r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_count","rate_limits":{"primary":{"used_percent":100.0,"window_minutes":300,"resets_at":1795599000},"secondary":null,"rate_limit_reached_type":{"type":"rate_limit_reached"}}}}"#;
        let snap = parse_line(line.as_bytes()).unwrap();
        assert!(snap.limit_reached);
        assert_eq!(snap.windows.len(), 1);
        assert_eq!(snap.blocking_window().unwrap().kind, WindowKind::FiveHour);
    }

    fn write(dir: &Path, rel: &str, text: &str, modified_unix: u64) -> PathBuf {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut file = File::create(&path).unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file.set_modified(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(modified_unix)).unwrap();
        path
    }

    fn snapshot_line(time: &str, used: f64) -> String {
        format!(
            "{{\"timestamp\":\"{time}\",\"type\":\"event_msg\",\"payload\":{{\"type\":\"token_count\",\"info\":null,\"rate_limits\":{{\"primary\":{{\"used_percent\":{used},\"window_minutes\":300,\"resets_at\":1795599000}}}}}}}}\n"
        )
    }

    #[test]
    fn the_newest_line_wins_even_in_an_older_folder() {
        let dir = tempfile::tempdir().unwrap();
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().timestamp() as u64;
        write(
            dir.path(),
            "2026/11/20/rollout-a.jsonl",
            &snapshot_line("2026-11-20T10:00:00Z", 10.0),
            t("2026-11-20T10:00:00Z"),
        );
        // A session started on the 19th and resumed later: its file is in the older folder.
        let resumed = write(
            dir.path(),
            "2026/11/19/rollout-b.jsonl",
            &(snapshot_line("2026-11-19T08:00:00Z", 5.0)
                + &snapshot_line("2026-11-21T07:00:00Z", 33.0)
                + "{\"timestamp\":\"2026-11-21T07:00:01Z\",\"type\":\"response_item\"}\n"),
            t("2026-11-21T07:00:01Z"),
        );
        write(
            dir.path(),
            "2026/11/18/rollout-c.jsonl",
            &snapshot_line("2026-11-18T10:00:00Z", 90.0),
            t("2026-11-18T10:00:00Z"),
        );
        write(dir.path(), "2026/11/21/notes.txt", "not a log", t("2026-11-22T00:00:00Z"));
        let (found, stats) = find_newest(dir.path()).unwrap();
        let found = found.unwrap();
        assert_eq!(found.path, resumed);
        assert_eq!(found.snapshot.windows[0].used_percent, 33.0);
        assert_eq!(stats.files_seen, 3);
        assert_eq!(stats.files_read, 1, "older files are never opened");
    }

    #[test]
    fn a_file_without_snapshots_passes_to_the_next() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "2026/11/21/rollout-new.jsonl",
            "{\"type\":\"session_meta\"}\npartial line with no end",
            2_000_000_000,
        );
        write(dir.path(), "2026/11/20/rollout-old.jsonl", &snapshot_line("2026-11-20T10:00:00Z", 12.0), 1_900_000_000);
        let (found, stats) = find_newest(dir.path()).unwrap();
        assert_eq!(found.unwrap().snapshot.windows[0].used_percent, 12.0);
        assert_eq!(stats.files_read, 2);
    }

    #[test]
    fn missing_folder_is_no_snapshot() {
        let (found, stats) = find_newest(Path::new("/nonexistent/sessions")).unwrap();
        assert!(found.is_none());
        assert_eq!(stats, SearchStats::default());
    }

    #[test]
    fn reads_across_chunk_boundaries_and_very_long_lines() {
        let dir = tempfile::tempdir().unwrap();
        let long = format!("{{\"type\":\"response_item\",\"text\":\"{}\"}}\n", "x".repeat(3 * CHUNK + 17));
        let text = snapshot_line("2026-11-20T10:00:00Z", 1.0)
            + &long
            + &snapshot_line("2026-11-20T11:00:00Z", 2.0)
            + &long
            + &long;
        let path = write(dir.path(), "r.jsonl", &text, 1_900_000_000);
        let (snap, bytes) = newest_in_file(&path).unwrap();
        assert_eq!(snap.unwrap().windows[0].used_percent, 2.0);
        assert!(bytes < text.len() as u64, "stops before reading the whole file");
        let only_first = snapshot_line("2026-11-20T10:00:00Z", 7.0) + &long;
        let path = write(dir.path(), "s.jsonl", only_first.trim_end(), 1_900_000_000);
        assert_eq!(newest_in_file(&path).unwrap().0.unwrap().windows[0].used_percent, 7.0);
    }

    #[test]
    fn generated_history_newest_snapshot_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let spec = headroom_testkit::history::HistorySpec {
            files: 60,
            total_bytes: 3_000_000,
            days: 30,
            end_unix: 1_795_000_000,
            seed: 3,
        };
        let history = headroom_testkit::history::generate(dir.path(), &spec).unwrap();
        let expected = history.newest.unwrap();
        let (found, stats) = find_newest(dir.path()).unwrap();
        let found = found.unwrap();
        assert_eq!(found.path, expected.path);
        assert_eq!(found.snapshot.observed_at.timestamp(), expected.timestamp_unix);
        assert_eq!(found.snapshot.windows[0].used_percent, expected.primary_used);
        assert_eq!(found.snapshot.windows[1].used_percent, expected.secondary_used);
        assert_eq!(found.snapshot.windows[1].resets_at.unwrap().timestamp(), expected.secondary_resets_at);
        assert_eq!(stats.files_seen, 60);
        assert!(stats.files_read <= 2, "read {} files", stats.files_read);
    }
}
