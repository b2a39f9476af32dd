//! Watches Codex's folder: a new session-log line means Codex is in use (poll every minute); a
//! changed login, encrypted store or config means fetch again now, no restart needed. It
//! follows the folder the settings name: when that changes the old watch ends, and a folder that
//! does not exist yet is waited for by watching the nearest folder above it that does.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::Utc;
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

/// Asks for a fetch now: Codex's login or config changed, or the folder appeared.
pub type Refetch = Arc<dyn Fn() + Send + Sync>;

#[derive(Default)]
pub struct CodexWatch {
    /// The folder followed, and whether it existed when the watch was set up.
    followed: Option<(PathBuf, bool)>,
    watcher: Option<RecommendedWatcher>,
}

impl CodexWatch {
    /// Watches `home` (or waits for it to appear). Cheap when that is already so: called after
    /// every answer, which is how a folder that appeared or vanished is picked up.
    pub fn follow(&mut self, home: &Path, refetch: &Refetch, last_write: &Arc<AtomicI64>) {
        let exists = home.is_dir();
        if self.followed.as_ref().is_some_and(|(h, e)| h == home && *e == exists) {
            return;
        }
        // The old watch ends first: it would otherwise keep reporting the old folder.
        self.watcher = None;
        let appeared = self.followed.as_ref().is_some_and(|(h, e)| h == home && !*e);
        self.followed = Some((home.to_path_buf(), exists));
        let result = if exists {
            watch_home(home, refetch.clone(), last_write.clone())
        } else {
            wait_for_home(home, refetch.clone())
        };
        match result {
            Ok(watcher) => self.watcher = Some(watcher),
            Err(e) => tracing::info!("not watching {} ({e}); polling on the clock alone", home.display()),
        }
        if appeared {
            // What Codex wrote between the folder's creation and this watch was not seen.
            refetch();
        }
    }
}

fn watch_home(home: &Path, refetch: Refetch, last_write: Arc<AtomicI64>) -> notify::Result<RecommendedWatcher> {
    let root = home.to_path_buf();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if !(event.kind.is_modify() || event.kind.is_create() || event.kind.is_remove()) {
            return;
        }
        for path in &event.paths {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if path.extension().is_some_and(|e| e == "jsonl") {
                last_write.store(Utc::now().timestamp(), Ordering::Relaxed);
            } else if name == "auth.json" || name == "config.toml" || name.ends_with(".age") || *path == root {
                // The login, the encrypted store, the config, or the folder itself (removed:
                // the next answer sets up the wait for it).
                tracing::info!("Codex's {name} changed; refreshing");
                refetch();
            }
        }
    })?;
    watcher.watch(home, RecursiveMode::Recursive)?;
    Ok(watcher)
}

/// Watches the nearest existing folder above `home`; a folder created on the way to it fetches
/// again, and the answer's `follow` moves the watch down.
fn wait_for_home(home: &Path, refetch: Refetch) -> notify::Result<RecommendedWatcher> {
    let Some(above) = home.ancestors().skip(1).find(|p| p.is_dir()) else {
        return Err(notify::Error::path_not_found().add_path(home.to_path_buf()));
    };
    let awaited = home.to_path_buf();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if !event.kind.is_create() && !event.kind.is_modify() {
            return;
        }
        if event.paths.iter().any(|p| awaited.starts_with(p)) {
            tracing::info!("{} appeared; refreshing", awaited.display());
            refetch();
        }
    })?;
    watcher.watch(above, RecursiveMode::NonRecursive)?;
    tracing::info!("{} does not exist yet; watching {} for it", home.display(), above.display());
    Ok(watcher)
}
