//! Every rollout file's token usage, kept in a per-file cache (path, size, mtime → parsed sums
//! and the scan's resume point) so a second run reads only what changed: new files whole,
//! appended files from where the last scan stopped. Rollouts under `sessions/` and under
//! `archived_sessions/` count (a session is named by its path under either, as ccusage names it);
//! compressed ones (`.jsonl.zst`) are read whole, once, as they never grow.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::sources::session_log::{rollout_dirs, rollout_kind, Compression};
use crate::storage::write_atomically;
use crate::tokens::usage::FileUsage;

/// Bump when `FileUsage` or the counting rules change: an old cache is then simply ignored.
const CACHE_VERSION: u32 = 2;
/// How many bytes before the resume point must be unchanged for an append to be trusted.
const RESUME_CHECK: usize = 64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CachedFile {
    size: u64,
    mtime_ns: u128,
    resume_check: u64,
    usage: FileUsage,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cache {
    version: u32,
    files: BTreeMap<String, CachedFile>,
}

/// What a load did, for benchmarks and `--verbose` figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadStats {
    pub files: usize,
    pub files_read: usize,
    pub bytes_read: u64,
}

/// Token usage per session (the rollout file's path under `sessions/`, without `.jsonl`).
#[derive(Debug, Default)]
pub struct Ledger {
    pub sessions: BTreeMap<String, FileUsage>,
    pub stats: LoadStats,
}

/// The default cache file for a Codex folder, in the platform's cache folder.
pub fn default_cache_path(codex_home: &Path) -> Option<PathBuf> {
    let hex = crate::login::codex_login::home_hash(codex_home);
    crate::user_folders::cache_dir().map(|d| d.join("headroom").join(format!("token-usage-{hex}.bin")))
}

fn resume_check(data: &[u8], at: u64) -> u64 {
    let end = (at as usize).min(data.len());
    let bytes = &data[end.saturating_sub(RESUME_CHECK)..end];
    let digest = Sha256::digest(bytes);
    u64::from_le_bytes(digest[..8].try_into().unwrap_or_default())
}

/// A rollout file as listed: its session id, path, size and modification time.
struct Listed {
    id: String,
    path: PathBuf,
    size: u64,
    mtime_ns: u128,
    compressed: bool,
}

/// How deep folders are followed (symbolic links included, so a link loop stays finite).
const MAX_DEPTH: usize = 6;

/// Every folder under `dir` (itself included) with the session-id prefix of its files.
fn list_folders(dir: &Path, prefix: String, out: &mut Vec<(PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    out.push((dir.to_path_buf(), prefix.clone()));
    if prefix.matches('/').count() >= MAX_DEPTH {
        return;
    }
    for entry in entries.flatten() {
        // `metadata` follows a symbolic link, where the entry's own file type would not.
        if std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()) {
            let name = entry.file_name();
            list_folders(&entry.path(), format!("{prefix}{}/", name.to_string_lossy()), out);
        }
    }
}

/// The `*.jsonl` files in one folder with their size and mtime, taken from the directory entry
/// (a stat relative to the open folder: seeing what changed costs one call per file).
fn list_files(dir: &Path, prefix: &str, out: &mut Vec<Listed>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let (stem, compressed) = match rollout_kind(&name) {
            Some(Compression::None) => (&name[..name.len() - ".jsonl".len()], false),
            Some(Compression::Zstd) => (&name[..name.len() - ".jsonl.zst".len()], true),
            None => continue,
        };
        if stem.is_empty() {
            continue;
        }
        let Ok(meta) = std::fs::metadata(entry.path()) else { continue };
        if !meta.is_file() {
            continue;
        }
        let mtime_ns = meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
        let id = format!("{prefix}{stem}");
        out.push(Listed { id, path: entry.path(), size: meta.len(), mtime_ns, compressed });
    }
}

/// Lists every rollout under `roots`, folders spread over all cores (the stat calls dominate a
/// run whose files are all cached). A session both plain and compressed (while Codex compresses
/// it) is counted once, from the plain file.
fn list_rollouts(roots: &[PathBuf], workers: usize) -> Vec<Listed> {
    let mut folders = Vec::new();
    for root in roots {
        list_folders(root, String::new(), &mut folders);
    }
    let next = AtomicUsize::new(0);
    let found = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers.min(folders.len()).max(1) {
            scope.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((dir, prefix)) = folders.get(i) else { break };
                    list_files(dir, prefix, &mut mine);
                }
                found.lock().unwrap_or_else(|e| e.into_inner()).append(&mut mine);
            });
        }
    });
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    found.sort_by(|a, b| a.id.cmp(&b.id).then(a.compressed.cmp(&b.compressed)));
    found.dedup_by(|later, first| later.id == first.id);
    found
}

/// One file: from the cache when unchanged, from the resume point when appended, else whole.
/// Plain reads into a reused buffer: mapping thousands of files costs more in page faults and
/// unmapping than copying them.
fn load_file(
    listed: &Listed,
    cached: Option<&CachedFile>,
    buffer: &mut Vec<u8>,
    stats: &Mutex<LoadStats>,
) -> Option<(CachedFile, FileUsage)> {
    use std::io::{Read, Seek, SeekFrom};
    let (path, mtime_ns) = (&listed.path, listed.mtime_ns);
    if listed.compressed {
        // Compressed rollouts never grow: read whole, and cached whole.
        let file = std::fs::File::open(path).ok()?;
        let size = file.metadata().ok()?.len();
        let data = crate::sources::session_log::decompress(file).ok()?;
        let usage = FileUsage::default().scan(&data);
        let mut stats = stats.lock().unwrap_or_else(|e| e.into_inner());
        stats.files_read += 1;
        stats.bytes_read += size;
        return Some((CachedFile { size, mtime_ns, resume_check: 0, usage: usage.clone() }, usage));
    }
    let mut file = std::fs::File::open(path).ok()?;
    // The size now, in case Codex appended since the listing.
    let size = file.metadata().ok()?.len();
    // An append is read from just before the resume point, to check that what was read before
    // is still there.
    let resume =
        cached.filter(|c| size >= c.usage.scanned).map(|c| c.usage.scanned.saturating_sub(RESUME_CHECK as u64));
    let base = resume.unwrap_or(0);
    buffer.clear();
    file.seek(SeekFrom::Start(base)).ok()?;
    file.take(size - base).read_to_end(buffer).ok()?;
    let data: &[u8] = buffer;
    let mut usage = match cached {
        Some(c) if resume.is_some() && resume_check(data, c.usage.scanned - base) == c.resume_check => c.usage.clone(),
        _ if base > 0 => return load_file(listed, None, buffer, stats),
        _ => FileUsage::default(),
    };
    let from = usage.scanned.max(base);
    let shown = usage.scan_from(data, base);
    {
        let mut stats = stats.lock().unwrap_or_else(|e| e.into_inner());
        stats.files_read += 1;
        stats.bytes_read += size - from;
    }
    let resume_check = resume_check(data, usage.scanned - base);
    Some((CachedFile { size, mtime_ns, resume_check, usage }, shown))
}

/// Reads every rollout under `$CODEX_HOME/sessions` and `archived_sessions`, using and refreshing
/// the cache at `cache_path` (none: no cache). Unchanged files come from the cache without a copy;
/// changed ones are read on all cores.
pub fn load(codex_home: &Path, cache_path: Option<&Path>) -> Ledger {
    let roots = rollout_dirs(codex_home);
    let mut cache: Cache = cache_path
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|bytes| postcard::from_bytes::<Cache>(&bytes).ok())
        .filter(|c| c.version == CACHE_VERSION)
        .unwrap_or_default();
    let cached_before = cache.files.len();

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let files = list_rollouts(&roots, cores);
    let mut fresh = Cache { version: CACHE_VERSION, files: BTreeMap::new() };
    let mut ledger = Ledger::default();
    let mut changed = Vec::new();
    for listed in files {
        match cache.files.remove(&listed.id) {
            Some(c)
                if c.size == listed.size
                    && c.mtime_ns == listed.mtime_ns
                    && (listed.compressed || c.usage.scanned == c.size) =>
            {
                ledger.sessions.insert(listed.id.clone(), c.usage.clone());
                fresh.files.insert(listed.id, c);
            }
            previous => changed.push((listed, previous)),
        }
    }
    ledger.stats.files = ledger.sessions.len() + changed.len();

    let stats = Mutex::new(ledger.stats);
    let results: Vec<Mutex<Option<(CachedFile, FileUsage)>>> = changed.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = cores.min(changed.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut buffer = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((listed, previous)) = changed.get(i) else { break };
                    let loaded = load_file(listed, previous.as_ref(), &mut buffer, &stats);
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = loaded;
                }
            });
        }
    });
    ledger.stats = stats.into_inner().unwrap_or_else(|e| e.into_inner());
    for ((listed, _), result) in changed.into_iter().zip(results) {
        if let Some((cached, shown)) = result.into_inner().unwrap_or_else(|e| e.into_inner()) {
            fresh.files.insert(listed.id.clone(), cached);
            ledger.sessions.insert(listed.id, shown);
        }
    }

    if let Some(path) = cache_path {
        // A cache that cannot be written only costs speed next time.
        if ledger.stats.files_read > 0 || fresh.files.len() != cached_before {
            if let Ok(bytes) = postcard::to_allocvec(&fresh) {
                if let Err(e) = write_atomically(path, &bytes) {
                    tracing::debug!("token usage cache not saved: {e}");
                }
            }
        }
    }
    // Freeing tens of thousands of small allocations one by one costs a CLI run milliseconds;
    // the cache's memory goes back to the system with the process.
    std::mem::forget(fresh);
    ledger
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(time: &str, input: u64) -> String {
        format!(
            r#"{{"timestamp":"{time}","type":"event_msg","payload":{{"type":"token_count","info":{{"last_token_usage":{{"input_tokens":{input},"output_tokens":1}}}}}}}}"#
        ) + "\n"
    }

    #[test]
    fn a_second_load_reads_only_what_changed() {
        let home = tempfile::tempdir().unwrap();
        let day = home.path().join("sessions/2026/11/20");
        std::fs::create_dir_all(&day).unwrap();
        std::fs::write(day.join("rollout-a.jsonl"), line("2026-11-20T09:00:00Z", 10)).unwrap();
        std::fs::write(day.join("rollout-b.jsonl"), line("2026-11-20T10:00:00Z", 20)).unwrap();
        let cache = home.path().join("cache.bin");

        let first = load(home.path(), Some(&cache));
        assert_eq!((first.stats.files, first.stats.files_read), (2, 2));
        assert_eq!(first.sessions["2026/11/20/rollout-a"].buckets[0].counts.input_tokens, 10);

        let second = load(home.path(), Some(&cache));
        assert_eq!((second.stats.files_read, second.stats.bytes_read), (0, 0));
        assert_eq!(second.sessions, first.sessions);

        // An append is read from where the last scan stopped.
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new().append(true).open(day.join("rollout-a.jsonl")).unwrap();
        let appended = line("2026-11-20T09:01:00Z", 5);
        file.write_all(appended.as_bytes()).unwrap();
        drop(file);
        let third = load(home.path(), Some(&cache));
        assert_eq!((third.stats.files_read, third.stats.bytes_read), (1, appended.len() as u64));
        assert_eq!(third.sessions["2026/11/20/rollout-a"].buckets[0].counts.input_tokens, 15);

        // A file rewritten in place is read whole again; a deleted one disappears.
        std::fs::write(day.join("rollout-a.jsonl"), line("2026-11-20T09:00:00Z", 7) + &line("2026-11-20T09:00:30Z", 7))
            .unwrap();
        std::fs::remove_file(day.join("rollout-b.jsonl")).unwrap();
        let fourth = load(home.path(), Some(&cache));
        assert_eq!(fourth.sessions.len(), 1);
        assert_eq!(fourth.sessions["2026/11/20/rollout-a"].buckets[0].counts.input_tokens, 14);

        // Compressed and archived rollouts count too; a compressed copy of a plain file, once.
        let compressed = zstd::encode_all(line("2026-11-19T09:00:00Z", 3).as_bytes(), 3).unwrap();
        std::fs::write(day.join("rollout-z.jsonl.zst"), &compressed).unwrap();
        std::fs::write(day.join("rollout-a.jsonl.zst"), &compressed).unwrap();
        std::fs::create_dir_all(home.path().join("archived_sessions")).unwrap();
        std::fs::write(home.path().join("archived_sessions/rollout-old.jsonl"), line("2026-11-01T09:00:00Z", 4))
            .unwrap();
        let fifth = load(home.path(), Some(&cache));
        assert_eq!(fifth.sessions.len(), 3);
        assert_eq!(fifth.sessions["2026/11/20/rollout-z"].buckets[0].counts.input_tokens, 3);
        assert_eq!(fifth.sessions["2026/11/20/rollout-a"].buckets[0].counts.input_tokens, 14, "the plain file wins");
        assert_eq!(fifth.sessions["rollout-old"].buckets[0].counts.input_tokens, 4);
        let sixth = load(home.path(), Some(&cache));
        assert_eq!(sixth.stats.files_read, 0, "compressed files are cached whole");
        let fourth = sixth;

        // A damaged cache is ignored, not trusted.
        std::fs::write(&cache, b"garbage").unwrap();
        assert_eq!(load(home.path(), Some(&cache)).sessions, fourth.sessions);
    }
}
