//! Watches settings.toml: a change made outside the tray (`headroom accounts add`, an editor, a
//! hook written by hand) is taken at once, no restart needed. The file's folder is watched, not
//! the file: every writer replaces the file (a temporary file renamed over it), which a watch on
//! the file itself would lose after the first change.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use notify::{RecommendedWatcher, RecursiveMode, Watcher};

/// Called when settings.toml may have changed.
pub type Changed = Arc<dyn Fn() + Send + Sync>;

/// Watches `path`'s folder for changes to `path`; `None` (logged) when it cannot be watched.
pub fn watch(path: &Path, changed: Changed) -> Option<RecommendedWatcher> {
    let folder = path.parent()?.to_path_buf();
    if let Err(e) = std::fs::create_dir_all(&folder) {
        tracing::info!("not watching {} ({e}); settings changed elsewhere apply at the next start", folder.display());
        return None;
    }
    let file: PathBuf = path.to_path_buf();
    let name = file.file_name().map(|n| n.to_os_string());
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if !(event.kind.is_modify() || event.kind.is_create() || event.kind.is_remove()) {
            return;
        }
        if event.paths.iter().any(|p| p.file_name().map(|n| n.to_os_string()) == name) {
            changed();
        }
    })
    .map_err(|e| tracing::info!("not watching the settings ({e})"))
    .ok()?;
    match watcher.watch(&folder, RecursiveMode::NonRecursive) {
        Ok(()) => Some(watcher),
        Err(e) => {
            tracing::info!(
                "not watching {} ({e}); settings changed elsewhere apply at the next start",
                folder.display()
            );
            None
        }
    }
}
