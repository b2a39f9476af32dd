//! The history of observed usage: one row per window per snapshot, in SQLite (WAL mode) in the
//! platform's data folder. Kept 180 days; after a week, thinned to one row (the highest) per
//! window per hour. On first use it is backfilled from the rate limits in Codex's session logs,
//! so the chart is not empty on day one. A damaged file is set aside and a new one started:
//! history is never a reason for the app not to start.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::model::{AccountKey, LimitId, SourceKind, UsageSnapshot, WindowKind};

pub const FILE_NAME: &str = "history.sqlite3";
const KEEP_DAYS: i64 = 180;
const FULL_DETAIL_DAYS: i64 = 7;
const SCHEMA_VERSION: i64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("the usage history {} could not be opened ({reason})", .path.display())]
    Open { path: PathBuf, reason: String },
    #[error("the usage history could not be written ({0}): check that the disk is not full")]
    Write(String),
    #[error("the usage history could not be read ({0})")]
    Read(String),
    #[error("The usage history {} is kept as it is but not updated now, because {why}: the numbers still show; this sample goes unrecorded.", .path.display())]
    Unusable { path: PathBuf, why: String },
}

/// One window's use at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    pub at: DateTime<Utc>,
    pub account: AccountKey,
    pub limit: LimitId,
    pub window: WindowKind,
    pub used_percent: f64,
    pub resets_at: Option<DateTime<Utc>>,
    pub source: SourceKind,
}

pub struct History {
    conn: Connection,
    /// Set when a damaged file was set aside on opening: one sentence for the user.
    pub notice: Option<String>,
}

/// The history file in the platform's data folder.
pub fn default_path() -> Option<PathBuf> {
    crate::storage::data_dir().map(|d| d.join(FILE_NAME))
}

/// Sets up a new (or older) history. Opening runs on every poll and every `status`, so an
/// up-to-date file is only read here, never written: a file that is not a database fails this
/// first read, and only such a file is set aside.
fn init(conn: &Connection) -> rusqlite::Result<()> {
    // Before anything else: another process (the tray, a second `status`) may hold the lock.
    conn.busy_timeout(std::time::Duration::from_secs(2))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS samples (
             at INTEGER NOT NULL,
             account TEXT NOT NULL,
             limit_id TEXT NOT NULL,
             window TEXT NOT NULL,
             used_percent REAL NOT NULL,
             resets_at INTEGER,
             source TEXT NOT NULL
         );
         CREATE UNIQUE INDEX IF NOT EXISTS samples_by_series ON samples(account, limit_id, window, at);
         CREATE INDEX IF NOT EXISTS samples_by_time ON samples(at);
         CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);",
    )?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

/// Creates `path` empty and readable by the user alone (on Unix; elsewhere the user's folders
/// are private already), when it does not exist.
fn private_file(path: &Path) {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let _ = options.open(path);
}

/// A history (and its -wal and -shm) made by an earlier version readable by others is made the
/// user's alone: it says when and how much the user codes.
fn make_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let display = path.display();
        for file in
            [path.to_path_buf(), PathBuf::from(format!("{display}-wal")), PathBuf::from(format!("{display}-shm"))]
        {
            if let Ok(meta) = std::fs::metadata(&file) {
                if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
                    let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600));
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Whether SQLite says the file is not a database (the one case for setting it aside).
fn is_damaged(error: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    matches!(error, rusqlite::Error::SqliteFailure(e, _) if matches!(e.code, NotADatabase | DatabaseCorrupt))
}

/// One sentence for a history that cannot be used now but is kept as it is.
fn unusable(path: &Path, error: &rusqlite::Error) -> HistoryError {
    use rusqlite::ErrorCode::{CannotOpen, DatabaseBusy, DatabaseLocked, DiskFull, ReadOnly};
    let code = match error {
        rusqlite::Error::SqliteFailure(e, _) => Some(e.code),
        _ => None,
    };
    let why = match code {
        Some(DatabaseBusy | DatabaseLocked) => "it is busy (another Headroom is writing it)",
        Some(ReadOnly) => "it is read-only",
        Some(DiskFull) => "the disk is full",
        Some(CannotOpen) => "its folder cannot be written",
        _ => "it could not be used",
    };
    tracing::debug!("usage history {}: {error}", path.display());
    HistoryError::Unusable { path: path.to_path_buf(), why: why.to_string() }
}

impl History {
    /// Opens (or creates) the history at `path`. A file that is not a database is renamed to
    /// `<name>.damaged-<time>` and a new history started, with a `notice` saying so; a busy,
    /// read-only or full one is left as it is and this sample goes unrecorded.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let existed = path.exists();
        // Private to the user, as every other file Headroom keeps: created empty with 0600
        // before SQLite opens it (SQLite gives its -wal and -shm the same mode).
        if !existed {
            private_file(path);
        } else {
            make_private(path);
        }
        let open_error =
            |e: &dyn std::fmt::Display| HistoryError::Open { path: path.to_path_buf(), reason: e.to_string() };
        // SQLite removes a write-ahead log when it closes a file it cannot read: a second name
        // for the log keeps it until the file is known to be sound (or set aside with it).
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        let kept_wal = PathBuf::from(format!("{}-wal.kept-{}", path.display(), std::process::id()));
        let wal_kept =
            wal.exists() && (std::fs::hard_link(&wal, &kept_wal).is_ok() || std::fs::copy(&wal, &kept_wal).is_ok());
        let first = match Connection::open(path).and_then(|conn| init(&conn).map(|_| conn)) {
            Ok(conn) => {
                if wal_kept {
                    let _ = std::fs::remove_file(&kept_wal);
                }
                return Ok(History { conn, notice: None });
            }
            Err(e) => e,
        };
        if !is_damaged(&first) && wal_kept {
            let _ = std::fs::remove_file(&kept_wal);
        }
        if !is_damaged(&first) {
            // A new file that could not even be set up (a full disk) is not left behind empty.
            if !existed && std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
                let _ = std::fs::remove_file(path);
            }
            return Err(unusable(path, &first));
        }
        let aside = path.with_extension(format!("sqlite3.damaged-{}", Utc::now().format("%Y%m%d%H%M%S")));
        std::fs::rename(path, &aside).map_err(|e| open_error(&e))?;
        // Its write-ahead log may hold the newest rows: kept beside the damaged copy, never deleted.
        let aside_wal = format!("{}-wal", aside.display());
        if wal_kept {
            let _ = std::fs::rename(&kept_wal, &aside_wal);
        }
        let _ = std::fs::remove_file(&wal);
        let _ = std::fs::remove_file(format!("{}-shm", path.display()));
        private_file(path);
        let conn = Connection::open(path).map_err(|e| open_error(&e))?;
        init(&conn).map_err(|e| open_error(&e))?;
        tracing::warn!("usage history was damaged ({first}); set aside as {}", aside.display());
        Ok(History {
            conn,
            notice: Some(format!(
                "The usage history was damaged and has been set aside as {}; a new one was started.",
                aside.display()
            )),
        })
    }

    /// Each window of a snapshot, as one row. The same moment twice is stored once.
    pub fn record(&self, snapshot: &UsageSnapshot, account: &AccountKey) -> Result<usize, HistoryError> {
        insert(&self.conn, snapshot, account)
    }

    /// Rows kept under the workspace alone (before people in one workspace were told apart) go
    /// to the first person of that workspace whose numbers are recorded, so nothing recorded is
    /// lost; once that person has rows of their own nothing moves again. The rows moved.
    pub fn carry_over(&self, account: &AccountKey) -> Result<usize, HistoryError> {
        let Some(workspace) = account.workspace_only() else { return Ok(0) };
        let path = self.conn.path().map(PathBuf::from).unwrap_or_default();
        self.conn
            .execute(
                "UPDATE samples SET account = ?1 WHERE account = ?2
                   AND NOT EXISTS (SELECT 1 FROM samples WHERE account = ?1)",
                params![account.as_str(), workspace.as_str()],
            )
            .map_err(|e| unusable(&path, &e))
    }

    pub fn is_empty(&self) -> bool {
        self.conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM samples)", [], |r| r.get(0)).unwrap_or(true)
    }

    /// Fills an empty history from the rate limits in Codex's session logs; the number of rows
    /// added. Lines older than the retention period are skipped.
    pub fn backfill_from_logs(
        &mut self,
        sessions_dir: &Path,
        account: &AccountKey,
        now: DateTime<Utc>,
    ) -> Result<usize, HistoryError> {
        let oldest = now - Duration::days(KEEP_DAYS);
        let mut files = Vec::new();
        crate::sources::session_log::collect_rollouts(sessions_dir, 0, &mut files)
            .map_err(|e| HistoryError::Read(e.to_string()))?;
        if let Some(home) = sessions_dir.parent() {
            // Finished sessions Codex moved aside hold history too; a missing folder is none.
            let _ = crate::sources::session_log::collect_rollouts(
                &crate::sources::session_log::archived_dir(home),
                0,
                &mut files,
            );
        }
        let tx = self.conn.transaction().map_err(|e| HistoryError::Write(e.to_string()))?;
        let mut added = 0;
        for (path, _) in files {
            let Ok(bytes) = crate::sources::session_log::read_rollout(&path) else { continue };
            for snapshot in crate::sources::session_log::snapshots_in(&bytes) {
                if snapshot.observed_at >= oldest {
                    added += insert(&tx, &snapshot, account)?;
                }
            }
        }
        tx.commit().map_err(|e| HistoryError::Write(e.to_string()))?;
        Ok(added)
    }

    /// Drops rows past the retention period and thins rows older than a week to the highest
    /// one per window per hour. Returns the rows removed.
    pub fn prune(&self, now: DateTime<Utc>) -> Result<usize, HistoryError> {
        let expired = (now - Duration::days(KEEP_DAYS)).timestamp();
        let detailed = (now - Duration::days(FULL_DETAIL_DAYS)).timestamp();
        let write = |e: rusqlite::Error| HistoryError::Write(e.to_string());
        let removed = self.conn.execute("DELETE FROM samples WHERE at < ?1", params![expired]).map_err(write)?;
        let thinned = self
            .conn
            .execute(
                "DELETE FROM samples WHERE at < ?1 AND rowid NOT IN (
                     SELECT rowid FROM (
                         SELECT rowid, MAX(used_percent) FROM samples WHERE at < ?1
                         GROUP BY account, limit_id, window, at / 3600))",
                params![detailed],
            )
            .map_err(write)?;
        Ok(removed + thinned)
    }

    /// Prunes at most once a day (the thinning query reads every old row).
    pub fn prune_daily(&self, now: DateTime<Utc>) {
        let last: Option<i64> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'last_pruned'", [], |r| r.get(0))
            .optional()
            .ok()
            .flatten();
        if last.is_some_and(|t| now.timestamp() - t < 86_400) {
            return;
        }
        match self.prune(now) {
            Ok(rows) => tracing::info!(rows, "usage history pruned"),
            Err(e) => tracing::warn!("{e}"),
        }
        let _ = self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('last_pruned', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1",
            params![now.timestamp()],
        );
    }

    /// Samples taken at or after `since`, oldest first.
    pub fn since(&self, since: DateTime<Utc>) -> Result<Vec<Sample>, HistoryError> {
        let read = |e: rusqlite::Error| HistoryError::Read(e.to_string());
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT at, account, limit_id, window, used_percent, resets_at, source FROM samples
                 WHERE at >= ?1 ORDER BY at, limit_id, window",
            )
            .map_err(read)?;
        let rows = statement
            .query_map(params![since.timestamp()], |r| {
                let (window, source): (String, String) = (r.get(3)?, r.get(6)?);
                Ok((|| {
                    Some(Sample {
                        at: DateTime::from_timestamp(r.get(0).ok()?, 0).unwrap_or_default(),
                        account: AccountKey::from_stored(&r.get::<_, String>(1).ok()?),
                        limit: LimitId::from_id(&r.get::<_, String>(2).ok()?),
                        window: WindowKind::from_id(&window)?,
                        used_percent: r.get(4).ok()?,
                        resets_at: r.get::<_, Option<i64>>(5).ok()?.and_then(|t| DateTime::from_timestamp(t, 0)),
                        source: SourceKind::from_id(&source)?,
                    })
                })())
            })
            .map_err(read)?;
        // A row this version cannot name (written by a newer one) is passed over, not an error.
        Ok(rows.collect::<Result<Vec<_>, _>>().map_err(read)?.into_iter().flatten().collect())
    }

    /// The samples of one window's current cycle (same account, limit and reset time, give or
    /// take the service's jitter), oldest first: what the pace is measured on.
    pub fn cycle(
        &self,
        account: &AccountKey,
        limit: &LimitId,
        window: WindowKind,
        resets_at: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, f64)> {
        let jitter = crate::alerts::engine::CYCLE_JITTER.num_seconds();
        let Ok(mut statement) = self.conn.prepare_cached(
            "SELECT at, used_percent FROM samples WHERE account = ?1 AND limit_id = ?2 AND window = ?3
             AND resets_at BETWEEN ?4 AND ?5 ORDER BY at",
        ) else {
            return Vec::new();
        };
        let at = resets_at.timestamp();
        statement
            .query_map(params![account.as_str(), limit.as_str(), window.id(), at - jitter, at + jitter], |r| {
                Ok((DateTime::from_timestamp(r.get(0)?, 0).unwrap_or_default(), r.get::<_, f64>(1)?))
            })
            .map(|rows| rows.flatten().collect())
            .unwrap_or_default()
    }

    pub fn count(&self) -> usize {
        self.conn
            .query_row("SELECT COUNT(*) FROM samples", [], |r| r.get::<_, i64>(0))
            .optional()
            .ok()
            .flatten()
            .unwrap_or(0) as usize
    }
}

/// Inserts each window of a snapshot as one row; the same moment twice is stored once.
fn insert(conn: &Connection, snapshot: &UsageSnapshot, account: &AccountKey) -> Result<usize, HistoryError> {
    let path = conn.path().map(PathBuf::from).unwrap_or_default();
    let failed = |e: rusqlite::Error| unusable(&path, &e);
    let mut statement = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO samples (at, account, limit_id, window, used_percent, resets_at, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(failed)?;
    let mut added = 0;
    for window in &snapshot.windows {
        // What was observed at that moment, not what a reset since then made of it.
        let (used, resets_at) = window.observed.unwrap_or((window.used_percent, window.resets_at));
        added += statement
            .execute(params![
                snapshot.observed_at.timestamp(),
                account.as_str(),
                window.limit.as_str(),
                window.kind.id(),
                used,
                resets_at.map(|t| t.timestamp()),
                snapshot.source.id(),
            ])
            .map_err(failed)?;
    }
    Ok(added)
}

/// Samples as CSV (`at,account,limit,window,used_percent,resets_at,source`), for spreadsheets.
pub fn to_csv(samples: &[Sample]) -> String {
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let quote = |field: &str| {
        if field.contains([',', '"', '\n']) {
            format!("\"{}\"", field.replace('"', "\"\""))
        } else {
            field.to_string()
        }
    };
    let mut out = String::from("at,account,limit,window,used_percent,resets_at,source\n");
    for s in samples {
        out += &format!(
            "{},{},{},{},{},{},{}\n",
            time(s.at),
            quote(s.account.as_str()),
            quote(s.limit.as_str()),
            s.window.id(),
            s.used_percent,
            s.resets_at.map(time).unwrap_or_default(),
            s.source.id()
        );
    }
    out
}

/// Each window's pace without any history: how far ahead of or behind even use it is needs only
/// the window itself (the run-out needs this cycle's samples).
pub fn paces_without_history(snapshot: &UsageSnapshot, now: DateTime<Utc>) -> Vec<Option<crate::alerts::pace::Pace>> {
    snapshot.windows.iter().map(|w| crate::alerts::pace::pace(w, &[], now)).collect()
}

/// Opens the history at `path` (the platform's by default), records the snapshot and returns
/// each window's pace; when the history cannot be used (a read-only or full disk, a busy file),
/// the paces that need no history, and the one sentence that says why.
pub fn record_and_pace(
    path: Option<&Path>,
    snapshot: &UsageSnapshot,
    sessions_dir: &Path,
    carry_over: bool,
    now: DateTime<Utc>,
) -> (Vec<Option<crate::alerts::pace::Pace>>, Option<String>) {
    let Some(path) = path.map(Path::to_path_buf).or_else(default_path) else {
        return (paces_without_history(snapshot, now), None);
    };
    match History::open(&path) {
        Ok(mut history) => {
            let opened = history.notice.take();
            let (paces, trouble) = observe(&mut history, snapshot, sessions_dir, carry_over, now);
            (paces, trouble.map(|e| e.to_string()).or(opened))
        }
        Err(e) => (paces_without_history(snapshot, now), Some(e.to_string())),
    }
}

/// Records a snapshot (backfilling an empty history from the session logs first) and returns
/// each window's pace, in the snapshot's window order. Any history trouble is logged and costs
/// only the pace: the numbers are shown regardless. With `carry_over` (the account is the one
/// watched in its workspace), rows kept under its workspace alone become its own.
pub fn observe(
    history: &mut History,
    snapshot: &UsageSnapshot,
    sessions_dir: &Path,
    carry_over: bool,
    now: DateTime<Utc>,
) -> (Vec<Option<crate::alerts::pace::Pace>>, Option<HistoryError>) {
    let account = AccountKey::of(snapshot);
    if history.is_empty() {
        match history.backfill_from_logs(sessions_dir, &account, now) {
            Ok(rows) => tracing::info!(rows, "usage history backfilled from session logs"),
            Err(e) => tracing::warn!("{e}"),
        }
    }
    match if carry_over { history.carry_over(&account) } else { Ok(0) } {
        Ok(0) => {}
        Ok(rows) => tracing::info!(rows, "history kept for the workspace alone carried over to its person"),
        Err(e) => tracing::warn!("{e}"),
    }
    let trouble = history.record(snapshot, &account).err();
    if trouble.is_none() {
        history.prune_daily(now);
    }
    let paces = snapshot
        .windows
        .iter()
        .map(|w| {
            let samples = w.resets_at.map(|r| history.cycle(&account, &w.limit, w.kind, r)).unwrap_or_default();
            crate::alerts::pace::pace(w, &samples, now)
        })
        .collect();
    (paces, trouble)
}
