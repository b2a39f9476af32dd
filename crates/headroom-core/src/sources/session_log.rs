//! Usage numbers from Codex's session logs (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`,
//! older ones perhaps compressed as `rollout-*.jsonl.zst`, finished ones perhaps moved to
//! `$CODEX_HOME/archived_sessions/`): no network, no token. Every `token_count` event carries the
//! rate limits Codex last heard, for the main `codex` bucket or for another (a per-model bucket);
//! another bucket's numbers never replace the main ones, they are shown as that model's limit.
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

use crate::json::{boolean, number, string};
use crate::model::{LimitId, SourceKind, SpendControl, UsageSnapshot, UsageWindow, WindowKind};
use crate::sources::usage_body::{parse_credits, parse_pool, percent, plausible_reset};

pub fn sessions_dir(codex_home: &Path) -> PathBuf {
    codex_home.join("sessions")
}

/// Where finished sessions may be moved.
pub fn archived_dir(codex_home: &Path) -> PathBuf {
    codex_home.join("archived_sessions")
}

/// Every folder Codex keeps rollouts in, the live one first.
pub fn rollout_dirs(codex_home: &Path) -> [PathBuf; 2] {
    [sessions_dir(codex_home), archived_dir(codex_home)]
}

/// Decompressed rollouts larger than this are not read: no real session is that long.
const MAX_DECOMPRESSED: u64 = 1 << 30;

/// Whether a file name is a rollout: `*.jsonl`, or `*.jsonl.zst` for a compressed one.
pub fn rollout_kind(name: &str) -> Option<Compression> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".jsonl") {
        Some(Compression::None)
    } else if lower.ends_with(".jsonl.zst") {
        Some(Compression::Zstd)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Zstd,
}

/// A rollout file's whole text, decompressed when it is a `.jsonl.zst`.
pub fn read_rollout(path: &Path) -> std::io::Result<Vec<u8>> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match rollout_kind(&name) {
        Some(Compression::Zstd) => decompress(File::open(path)?),
        _ => std::fs::read(path),
    }
}

/// Decompresses a zstd stream, refusing more than [`MAX_DECOMPRESSED`] bytes.
pub fn decompress(reader: impl Read) -> std::io::Result<Vec<u8>> {
    let decoder = zstd::stream::read::Decoder::new(reader)?;
    let mut out = Vec::new();
    decoder.take(MAX_DECOMPRESSED + 1).read_to_end(&mut out)?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(std::io::Error::other("a compressed rollout larger than 1 GiB"));
    }
    Ok(out)
}

/// What one log line says, for reading a rollout: a usage snapshot, the model the turn that
/// follows runs on, or nothing of interest.
#[derive(Debug)]
pub enum LogLine {
    /// A `token_count` event's rate limits, with the model its own `info` names, if it does.
    Usage(Box<UsageSnapshot>, Option<String>),
    /// A `turn_context`: the model the turn runs on.
    TurnModel(String),
    Other,
}

/// The model a reserve turn runs on (`turn_context.payload.model`).
pub const RESERVE_MODEL: &str = crate::model::RESERVE_LIMIT_NAME;

/// Reads one line. Lines that are neither a `token_count` nor a `turn_context` are not parsed.
pub fn classify_line(line: &[u8]) -> LogLine {
    if memmem::find(line, b"turn_context").is_some() {
        if let Some(model) = turn_model(line) {
            return LogLine::TurnModel(model);
        }
    }
    match parse_token_count(line) {
        Some((snapshot, model)) => LogLine::Usage(Box::new(snapshot), model),
        None => LogLine::Other,
    }
}

fn turn_model(line: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(line).ok()?;
    if value.get("type").and_then(Value::as_str) != Some("turn_context") {
        return None;
    }
    let payload = value.get("payload")?;
    string(payload.get("model")).or_else(|| string(payload.get("info").and_then(|i| i.get("model"))))
}

/// Parses one log line. `None` unless it is a `token_count` event with rate limits in any of
/// the three shapes Codex has written. The windows' limit is the line's bucket: the main quota
/// for `limit_id` `codex` (or none), Luna Reserve for `base_model_inference`, else that bucket
/// as a model-specific limit. A line alone cannot tell a reserve line tagged `codex` from the
/// plan's: [`attribute`] does that with the turn's model.
pub fn parse_line(line: &[u8]) -> Option<UsageSnapshot> {
    parse_token_count(line).map(|(snapshot, _)| snapshot)
}

fn parse_token_count(line: &[u8]) -> Option<(UsageSnapshot, Option<String>)> {
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
    let limit_name = string(limits.get("limit_name"));
    let limit = match string(limits.get("limit_id")) {
        _ if limit_name.as_deref() == Some(RESERVE_MODEL) => LimitId::LunaReserve,
        Some(id) if id != "codex" => LimitId::from_id(&id),
        _ => LimitId::Codex,
    };
    let limit_name = limit_name.filter(|_| limit != LimitId::Codex);
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
        windows.extend(window.map(|w| UsageWindow {
            limit: limit.clone(),
            limit_name: limit_name.clone(),
            model: string(limits.get("normal_model_slug")),
            ..w
        }));
    }
    if limit == LimitId::Codex {
        windows.extend(limits.get("individual_limit").and_then(|p| parse_pool(p, observed_at)));
    }
    // A bucket with no windows (`premium` with both null, around rejections) is no snapshot.
    if windows.is_empty() {
        return None;
    }
    let spend_reached = boolean(limits.get("spend_control_reached")).unwrap_or(false);
    let reason = limits.get("rate_limit_reached_type").and_then(|v| string(v.get("type")).or_else(|| string(Some(v))));
    let limit_reached = limit == LimitId::Codex
        && (reason.is_some() || spend_reached || windows.iter().any(|w| w.limit == LimitId::Codex && w.is_exhausted()));
    let model = string(payload.get("info").and_then(|i| i.get("model")));
    Some((
        UsageSnapshot {
            plan: string(limits.get("plan_type")).map(|p| p.to_ascii_lowercase()),
            account: Default::default(),
            windows,
            credits: limits.get("credits").and_then(parse_credits),
            limit_reached,
            limit_reached_reason: reason.filter(|_| limit == LimitId::Codex),
            spend_control: spend_reached.then_some(SpendControl { reached: true }),
            reset_credits: None,
            unreadable: Vec::new(),
            switched_off: Vec::new(),
            reset_credit_list: None,
            observed_at,
            source: SourceKind::SessionLog,
        },
        model,
    ))
}

/// A snapshot tagged with the plan's bucket, taken on a turn that runs on `model`: since Codex
/// 0.155 a reserve turn (`gpt-reserve`) writes the reserve's numbers tagged `codex`, with one
/// weekly window and no name. The turn's model decides: on a reserve turn such numbers are the
/// reserve's, never the plan's, and they block nothing. (A plan-tagged line with the 5-hour
/// window is the plan's on any turn: Codex writes the plan's headers then too.)
pub fn attribute(mut snapshot: UsageSnapshot, model: Option<&str>) -> UsageSnapshot {
    if model != Some(RESERVE_MODEL) || bucket(&snapshot) != Some(&LimitId::Codex) || !may_be_reserve(&snapshot) {
        return snapshot;
    }
    snapshot.windows.retain(|w| w.limit == LimitId::Codex);
    for window in &mut snapshot.windows {
        window.limit = LimitId::LunaReserve;
        window.limit_name = Some(RESERVE_MODEL.to_string());
    }
    snapshot.limit_reached = false;
    snapshot.limit_reached_reason = None;
    snapshot.spend_control = None;
    snapshot
}

/// Every snapshot of a rollout's text in order, each attributed to its bucket by the turn it
/// belongs to (for the history, which reads whole files forwards).
pub fn snapshots_in(text: &[u8]) -> impl Iterator<Item = UsageSnapshot> + '_ {
    let mut turn_model: Option<String> = None;
    text.split(|b| *b == b'\n').filter_map(move |line| match classify_line(line) {
        LogLine::TurnModel(model) => {
            turn_model = Some(model);
            None
        }
        LogLine::Usage(snapshot, own) => {
            let snapshot = attribute(*snapshot, own.as_deref().or(turn_model.as_deref()));
            (!snapshot.windows.is_empty()).then_some(snapshot)
        }
        LogLine::Other => None,
    })
}

/// Whether a plan-tagged snapshot could be the reserve's: Codex writes the reserve under the
/// plan's tag with one weekly window and no credit pool.
fn may_be_reserve(snapshot: &UsageSnapshot) -> bool {
    snapshot.windows.iter().all(|w| w.limit == LimitId::Codex && w.kind == WindowKind::Weekly)
}

/// The bucket a log snapshot is for.
fn bucket(snapshot: &UsageSnapshot) -> Option<&LimitId> {
    snapshot.windows.first().map(|w| &w.limit).map(|l| if *l == LimitId::CreditPool { &LimitId::Codex } else { l })
}

/// `{used_percent, window_minutes, resets_at}` (current) or `{…, resets_in_seconds}` (older,
/// relative to the line's time). A length of 0 minutes is a window Codex reports switched off:
/// no window.
fn nested_window(window: &Value, default_kind: WindowKind, observed_at: DateTime<Utc>) -> Option<UsageWindow> {
    let minutes = window.get("window_minutes");
    if number(minutes).is_some_and(|m| m <= 0.0) {
        return None;
    }
    let used = percent(window.get("used_percent"))?;
    let seconds = minutes_as_seconds(minutes);
    let (resets_at, _) =
        plausible_reset(window.get("resets_at"), window.get("resets_in_seconds"), observed_at, seconds, "");
    Some(log_window(used, seconds, default_kind, resets_at))
}

/// A window length in minutes as seconds, or unknown when it is not a usable length.
fn minutes_as_seconds(value: Option<&Value>) -> Option<i64> {
    number(value).filter(|m| *m > 0.0 && *m < 5e7).map(|m| (m * 60.0) as i64)
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
    let minutes = limits.get(format!("{slot}_window_minutes").as_str());
    if number(minutes).is_some_and(|m| m <= 0.0) {
        return None;
    }
    let used = percent(limits.get(format!("{slot}_used_percent").as_str()))?;
    let seconds = minutes_as_seconds(minutes);
    let relative = limits
        .get(format!("{slot}_resets_in_seconds").as_str())
        .or_else(|| limits.get(format!("{slot}_reset_after_seconds").as_str()));
    let (resets_at, _) = plausible_reset(None, relative, observed_at, seconds, "");
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
        credits: None,
        observed: None,
        model: None,
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

/// The newest main-quota snapshot in a file, and the newest of each other bucket written after it.
#[derive(Debug, Default)]
pub struct FileFinding {
    pub main: Option<UsageSnapshot>,
    pub others: Vec<UsageSnapshot>,
    /// Plan-tagged snapshots read (backwards) since the last `turn_context`, newest first: whose
    /// they are is known only when the turn's model is (see [`attribute`]).
    pending: Vec<UsageSnapshot>,
    /// The newest snapshot of the same turn that is the plan's for certain, older than those.
    plan_in_turn: Option<UsageSnapshot>,
}

/// Finds the newest main-quota snapshot under `dirs` (each searched to any depth), with the
/// newest numbers of every other bucket seen on the way merged in as that model's limit. `Ok(None)`
/// when the folders are missing or hold none; an error only when the first folder cannot be read.
pub fn find_newest(dirs: &[PathBuf]) -> std::io::Result<(Option<LogFinding>, SearchStats)> {
    let mut files = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        match collect_rollouts(dir, 0, &mut files) {
            Err(e) if i == 0 => return Err(e),
            _ => {}
        }
    }
    // Newest write first; ties broken by name, which starts with the session's start time.
    files.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
    let mut stats = SearchStats { files_seen: files.len(), ..Default::default() };
    let mut best: Option<LogFinding> = None;
    let mut others: Vec<UsageSnapshot> = Vec::new();
    for (path, modified) in files {
        if let Some(found) = &best {
            // A file last written before the best snapshot's time cannot hold a newer one. Allow
            // a little slack for clocks that round.
            let modified: DateTime<Utc> = modified.into();
            if modified.checked_add_signed(Duration::seconds(2)).is_some_and(|m| m < found.snapshot.observed_at) {
                break;
            }
        }
        let (finding, bytes) = match newest_in_file(&path) {
            Ok(result) => result,
            // A file that vanished or cannot be read is passed over, not fatal.
            Err(_) => continue,
        };
        stats.files_read += 1;
        stats.bytes_read += bytes;
        for other in finding.others {
            keep_newest(&mut others, other);
        }
        if let Some(snapshot) = finding.main {
            if best.as_ref().is_none_or(|b| snapshot.observed_at > b.snapshot.observed_at) {
                best = Some(LogFinding { snapshot, path });
            }
        }
    }
    let Some(mut finding) = best else {
        // No main numbers at all: the newest other bucket stands alone, the rest beside it.
        return Ok((standalone(others), stats));
    };
    for other in others {
        finding.snapshot.windows.extend(other.windows);
    }
    Ok((Some(finding), stats))
}

/// When Codex last wrote a session log in this home (the newest rollout's modification time);
/// `None` when it has none. Tells a home in use from one left alone, for polling.
pub fn last_written(codex_home: &Path) -> Option<SystemTime> {
    let mut files = Vec::new();
    collect_rollouts(&sessions_dir(codex_home), 0, &mut files).ok()?;
    files.into_iter().map(|(_, modified)| modified).max()
}

fn standalone(mut others: Vec<UsageSnapshot>) -> Option<LogFinding> {
    others.sort_by_key(|s| std::cmp::Reverse(s.observed_at));
    let mut iter = others.into_iter();
    let mut snapshot = iter.next()?;
    for other in iter {
        snapshot.windows.extend(other.windows);
    }
    Some(LogFinding { snapshot, path: PathBuf::new() })
}

/// Keeps one snapshot per bucket, the newest.
fn keep_newest(list: &mut Vec<UsageSnapshot>, snapshot: UsageSnapshot) {
    match list.iter_mut().find(|s| bucket(s) == bucket(&snapshot)) {
        Some(existing) if existing.observed_at < snapshot.observed_at => *existing = snapshot,
        Some(_) => {}
        None => list.push(snapshot),
    }
}

pub(crate) fn collect_rollouts(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, SystemTime)>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if depth > 0 || e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Symbolic links (dotfiles setups, a history moved to another disk) are followed; the
        // depth limit keeps a link loop finite.
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if meta.is_dir() && depth < 4 {
            collect_rollouts(&path, depth + 1, out)?;
        } else if meta.is_file() && rollout_kind(&entry.file_name().to_string_lossy()).is_some() {
            if let Ok(modified) = meta.modified() {
                out.push((path, modified));
            }
        }
    }
    Ok(())
}

const CHUNK: usize = 64 * 1024;

/// The last main snapshot in one file, read backwards from its end (a compressed file is
/// decompressed whole), with the newest of each other bucket written after it; also the bytes read.
pub fn newest_in_file(path: &Path) -> std::io::Result<(FileFinding, u64)> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if rollout_kind(&name) == Some(Compression::Zstd) {
        let file = File::open(path)?;
        let bytes_read = file.metadata()?.len();
        let text = decompress(file)?;
        let mut finding = FileFinding::default();
        for line in text.rsplit(|b| *b == b'\n') {
            if finding.visit(line) {
                return Ok((finding, bytes_read));
            }
        }
        finding.finish();
        return Ok((finding, bytes_read));
    }
    let mut file = File::open(path)?;
    let mut position = file.metadata()?.len();
    let mut bytes_read = 0u64;
    let mut finding = FileFinding::default();
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
            if finding.visit(&buffer[newline + 1..end]) {
                return Ok((finding, bytes_read));
            }
            end = newline;
        }
        buffer.truncate(end);
        carry = buffer;
    }
    if !finding.visit(&carry) {
        finding.finish();
    }
    Ok((finding, bytes_read))
}

impl FileFinding {
    /// Takes one line, newest first; true once the main snapshot is found (nothing older matters).
    fn visit(&mut self, line: &[u8]) -> bool {
        match classify_line(line) {
            LogLine::Usage(snapshot, own) => {
                let snapshot = match own {
                    Some(ref model) => attribute(*snapshot, Some(model)),
                    None => *snapshot,
                };
                if bucket(&snapshot) != Some(&LimitId::Codex) {
                    keep_newest(&mut self.others, snapshot);
                    false
                } else if own.is_none() && may_be_reserve(&snapshot) {
                    // Only a weekly-only line can be the reserve's under the plan's tag: whose it
                    // is waits for its turn's model.
                    self.pending.push(snapshot);
                    false
                } else if self.pending.is_empty() {
                    self.main = Some(snapshot);
                    true
                } else {
                    // The plan's for certain, but newer lines of this turn wait for its model.
                    self.plan_in_turn.get_or_insert(snapshot);
                    false
                }
            }
            LogLine::TurnModel(model) => self.settle(Some(&model)),
            LogLine::Other => false,
        }
    }

    /// The turn the pending snapshots belong to runs on `model` (`None`: the file's start came
    /// first, so they are taken at their tag's word). True once the main snapshot is known.
    fn settle(&mut self, model: Option<&str>) -> bool {
        let pending = std::mem::take(&mut self.pending);
        let plan_in_turn = self.plan_in_turn.take();
        if let Some(newest) = pending.first() {
            if model != Some(RESERVE_MODEL) {
                self.main = Some(newest.clone());
                return true;
            }
        }
        for snapshot in pending {
            keep_newest(&mut self.others, attribute(snapshot, model));
        }
        if let Some(plan) = plan_in_turn {
            self.main = Some(plan);
            return true;
        }
        false
    }

    /// The file has been read to its start.
    fn finish(&mut self) {
        if self.main.is_none() {
            self.settle(None);
        }
    }
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
            r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_count","rate_limits":{"limit_id":"codex"}}}"#,
            r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_count","rate_limits":{"limit_id":"codex","primary":{"used_percent":"bad"}}}}"#,
            r#"{"timestamp":"nope","type":"event_msg","payload":{"type":"token_count","rate_limits":{"primary":{"used_percent":1}}}}"#,
            r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_count","rate_limits":{}}}"#,
            r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_"#,
        ] {
            assert!(parse_line(line.as_bytes()).is_none(), "{line}");
        }
    }

    #[test]
    fn another_bucket_is_that_models_limit() {
        let line = r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_count","rate_limits":{"limit_id":"codex_bengalfox","limit_name":"GPT-5.1-Codex-Mini","primary":{"used_percent":100,"window_minutes":300}}}}"#;
        let snap = parse_line(line.as_bytes()).unwrap();
        assert_eq!(snap.windows[0].limit, LimitId::Feature("codex_bengalfox".into()));
        assert_eq!(snap.windows[0].title(), "GPT-5.1-Codex-Mini 5-hour");
        assert!(!snap.limit_reached, "a model's own limit does not block Codex");
    }

    #[test]
    fn reserve_lines_tagged_codex_are_the_reserves_and_the_plans_last_snapshot_stays() {
        let dir = tempfile::tempdir().unwrap();
        let text = fixture("reserve-tagged-codex.jsonl");
        write(dir.path(), "2026/11/20/rollout-r.jsonl", &text, 1_795_165_400);
        let (found, _) = find_newest(&[dir.path().to_path_buf()]).unwrap();
        let snap = found.unwrap().snapshot;
        let shown: Vec<_> = snap.windows.iter().map(|w| (w.title(), w.used_percent)).collect();
        assert_eq!(
            shown,
            [("5-hour".to_string(), 62.0), ("Weekly".to_string(), 100.0), ("Luna Reserve".to_string(), 12.0)],
            "the reserve's 12 % is never the plan's weekly, and the 5-hour row stays"
        );
        assert_eq!(snap.observed_at.to_rfc3339(), "2026-11-20T09:00:05+00:00", "the plan's last real snapshot");
        assert!(snap.limit_reached);
        assert_eq!(snap.blocking_window().unwrap().kind, WindowKind::Weekly);
        assert_eq!(snap.reserve_with_room().unwrap().used_percent, 12.0);

        // Read forwards (the history), each line goes to its bucket too.
        let all: Vec<_> = snapshots_in(text.as_bytes())
            .map(|s| (s.windows[0].limit.as_str().to_string(), s.windows[0].used_percent, s.limit_reached))
            .collect();
        assert_eq!(
            all,
            [
                ("codex".to_string(), 62.0, true),
                ("base_model_inference".to_string(), 10.0, false),
                ("base_model_inference".to_string(), 12.0, false),
            ]
        );
    }

    #[test]
    fn a_weekly_only_plan_without_a_turn_context_is_the_plan() {
        // Older rollouts have no turn_context: a line is taken at its tag's word.
        let line = r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_count","rate_limits":{"limit_id":"codex","primary":{"used_percent":8,"window_minutes":10080,"resets_at":1795599000}}}}"#;
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "r.jsonl", &format!("{line}\n"), 1_795_165_400);
        let (found, _) = find_newest(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(found.unwrap().snapshot.windows[0].limit, LimitId::Codex);
        // A turn on another model decides it too, and a line's own `info.model` decides alone.
        let own = r#"{"timestamp":"2026-11-20T09:06:00.000Z","type":"event_msg","payload":{"type":"token_count","info":{"model":"gpt-reserve"},"rate_limits":{"limit_id":"codex","primary":{"used_percent":30,"window_minutes":10080,"resets_at":1795599000}}}}"#;
        let text = format!("{{\"type\":\"turn_context\",\"payload\":{{\"model\":\"gpt-6-terra\"}}}}\n{line}\n{own}\n");
        write(dir.path(), "r.jsonl", &text, 1_795_165_400);
        let (found, _) = find_newest(&[dir.path().to_path_buf()]).unwrap();
        let shown: Vec<_> = found.unwrap().snapshot.windows.iter().map(|w| (w.limit.clone(), w.used_percent)).collect();
        assert_eq!(shown, [(LimitId::Codex, 8.0), (LimitId::LunaReserve, 30.0)]);
    }

    #[test]
    fn switched_off_and_absurd_windows_in_a_rollout() {
        let line = r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_count","rate_limits":{"limit_id":"codex","primary":{"used_percent":0,"window_minutes":0,"resets_at":0},"secondary":{"used_percent":14,"window_minutes":10080,"resets_at":0}}}}"#;
        let snap = parse_line(line.as_bytes()).unwrap();
        let shown: Vec<_> = snap.windows.iter().map(|w| (w.kind, w.used_percent, w.resets_at)).collect();
        assert_eq!(shown, [(WindowKind::Weekly, 14.0, None)], "no 5-hour window, no reset in 1970");
        let all_off = r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_count","rate_limits":{"limit_id":"codex","primary":{"used_percent":0,"window_minutes":0},"secondary":{"used_percent":0,"window_minutes":0}}}}"#;
        assert!(parse_line(all_off.as_bytes()).is_none());
        let off_range = r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_count","rate_limits":{"primary":{"used_percent":130,"window_minutes":300},"secondary":{"used_percent":5,"window_minutes":10080,"resets_at":1000000000}}}}"#;
        let snap = parse_line(off_range.as_bytes()).unwrap();
        let shown: Vec<_> = snap.windows.iter().map(|w| (w.kind, w.used_percent, w.resets_at)).collect();
        assert_eq!(shown, [(WindowKind::Weekly, 5.0, None)]);
    }

    #[test]
    fn logs_without_usage_limits_are_told_from_no_logs() {
        let dir = tempfile::tempdir().unwrap();
        let (found, stats) = find_newest(&[dir.path().join("sessions")]).unwrap();
        assert!(found.is_none() && stats.files_seen == 0);
        write(
            &dir.path().join("sessions"),
            "2026/11/20/rollout-a.jsonl",
            "{\"type\":\"session_meta\"}\n",
            1_795_165_400,
        );
        let (found, stats) = find_newest(&[dir.path().join("sessions")]).unwrap();
        assert!(found.is_none() && stats.files_seen == 1);
    }

    #[test]
    fn the_pool_and_spend_control_in_a_log_line() {
        let line = r#"{"timestamp":"2026-11-20T09:05:00.000Z","type":"event_msg","payload":{"type":"token_count","rate_limits":{"limit_id":"codex","primary":null,"individual_limit":{"limit":"1000","used":"990","resets_at":1796000000},"spend_control_reached":true}}}"#;
        let snap = parse_line(line.as_bytes()).unwrap();
        assert_eq!((snap.windows[0].limit.clone(), snap.windows[0].used_percent), (LimitId::CreditPool, 99.0));
        assert!(snap.limit_reached && snap.spend_limit_reached());
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
        let (found, stats) = find_newest(&[dir.path().to_path_buf()]).unwrap();
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
        let (found, stats) = find_newest(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(found.unwrap().snapshot.windows[0].used_percent, 12.0);
        assert_eq!(stats.files_read, 2);
    }

    fn bucket_line(time: &str, id: &str, used: f64) -> String {
        format!(
            "{{\"timestamp\":\"{time}\",\"type\":\"event_msg\",\"payload\":{{\"type\":\"token_count\",\"info\":null,\"rate_limits\":{{\"limit_id\":\"{id}\",\"primary\":{{\"used_percent\":{used},\"window_minutes\":300,\"resets_at\":1795599000}}}}}}}}\n"
        )
    }

    #[test]
    fn another_buckets_newer_numbers_join_the_main_ones_but_never_replace_them() {
        let dir = tempfile::tempdir().unwrap();
        let text = snapshot_line("2026-11-20T10:00:00Z", 30.0)
            + &bucket_line("2026-11-20T10:01:00Z", "codex_bengalfox", 80.0)
            + &bucket_line("2026-11-20T10:02:00Z", "codex_bengalfox", 85.0);
        write(dir.path(), "2026/11/20/rollout-a.jsonl", &text, 1_795_000_000);
        let (found, _) = find_newest(&[dir.path().to_path_buf()]).unwrap();
        let snap = found.unwrap().snapshot;
        let shown: Vec<_> = snap.windows.iter().map(|w| (w.limit.as_str().to_string(), w.used_percent)).collect();
        assert_eq!(shown, [("codex".to_string(), 30.0), ("codex_bengalfox".to_string(), 85.0)]);
        assert_eq!(snap.observed_at.to_rfc3339(), "2026-11-20T10:00:00+00:00", "the main numbers' time");

        // With no main numbers at all, the model's limit stands alone.
        let only = tempfile::tempdir().unwrap();
        write(only.path(), "r.jsonl", &bucket_line("2026-11-20T10:01:00Z", "codex_bengalfox", 10.0), 1_795_000_000);
        let (found, _) = find_newest(&[only.path().to_path_buf()]).unwrap();
        assert_eq!(found.unwrap().snapshot.windows[0].limit, LimitId::Feature("codex_bengalfox".into()));
    }

    #[test]
    fn compressed_and_archived_rollouts_are_read() {
        let home = tempfile::tempdir().unwrap();
        let compressed = zstd::encode_all(snapshot_line("2026-11-20T10:00:00Z", 64.0).as_bytes(), 3).unwrap();
        let path = home.path().join("archived_sessions/rollout-2026-11-20T09-00-00-x.jsonl.zst");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &compressed).unwrap();
        let (found, stats) = find_newest(&rollout_dirs(home.path())).unwrap();
        let found = found.unwrap();
        assert_eq!((found.path, found.snapshot.windows[0].used_percent), (path.clone(), 64.0));
        assert_eq!(stats.files_seen, 1);
        assert_eq!(read_rollout(&path).unwrap(), snapshot_line("2026-11-20T10:00:00Z", 64.0).into_bytes());
        std::fs::write(&path, b"not zstd").unwrap();
        assert!(read_rollout(&path).is_err());
        assert!(find_newest(&rollout_dirs(home.path())).unwrap().0.is_none(), "a damaged file is passed over");
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_folders_and_files_are_followed() {
        let root = tempfile::tempdir().unwrap();
        let elsewhere = root.path().join("elsewhere");
        write(&elsewhere, "11/20/rollout-linked.jsonl", &snapshot_line("2026-11-20T10:00:00Z", 44.0), 1_795_000_000);
        let single = write(&elsewhere, "single.jsonl", &snapshot_line("2026-11-20T09:00:00Z", 11.0), 1_794_000_000);
        let sessions = root.path().join("sessions");
        std::fs::create_dir_all(sessions.join("2026/11")).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("11/20"), sessions.join("2026/11/20")).unwrap();
        std::os::unix::fs::symlink(&single, sessions.join("2026/rollout-single.jsonl")).unwrap();
        // A loop is not followed forever.
        std::os::unix::fs::symlink(&sessions, sessions.join("2026/11/loop")).unwrap();
        let (found, stats) = find_newest(&[sessions]).unwrap();
        assert_eq!(found.unwrap().snapshot.windows[0].used_percent, 44.0);
        assert!(stats.files_seen >= 2, "{stats:?}");
    }

    #[test]
    fn missing_folder_is_no_snapshot() {
        let (found, stats) = find_newest(&[PathBuf::from("/nonexistent/sessions")]).unwrap();
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
        assert_eq!(snap.main.unwrap().windows[0].used_percent, 2.0);
        assert!(bytes < text.len() as u64, "stops before reading the whole file");
        let only_first = snapshot_line("2026-11-20T10:00:00Z", 7.0) + &long;
        let path = write(dir.path(), "s.jsonl", only_first.trim_end(), 1_900_000_000);
        assert_eq!(newest_in_file(&path).unwrap().0.main.unwrap().windows[0].used_percent, 7.0);
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
        let (found, stats) = find_newest(&[dir.path().to_path_buf()]).unwrap();
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
