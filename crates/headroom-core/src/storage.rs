//! Headroom's own files: where they live and how they are written. Every write goes to a
//! temporary file in the same folder, is flushed to disk, then renamed over the old file, so a
//! crash or a full disk leaves either the old file or the new one, never half of one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The tray's last numbers, in the data folder (what it shows at start before it has asked).
pub const LAST_SNAPSHOT: &str = "last-snapshot.json";

/// The folder of numbers shared between Headroom's processes, one file per account, in the data
/// folder (see `sources::shared_numbers`).
pub const SHARED_NUMBERS: &str = "numbers";

/// The platform's data folder for Headroom (`~/.local/share/headroom` on Linux).
pub fn data_dir() -> Option<PathBuf> {
    crate::user_folders::data_dir().map(|d| d.join("headroom"))
}

/// Writes `bytes` to `path` atomically, creating the folder; the file is private to the user.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        replace(&temp, path)?;
        // The rename itself must reach the disk too.
        #[cfg(unix)]
        if let Ok(folder) = std::fs::File::open(dir) {
            let _ = folder.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Renames `temp` over `path`. On Windows a file that another program holds open cannot be
/// replaced ("Access denied", or a sharing violation): a reader of the same file (another
/// Headroom, Codex), a virus scanner or a search indexer holds it for a moment. Asked again a few
/// times over about two seconds, before the failure is reported.
fn replace(temp: &Path, path: &Path) -> std::io::Result<()> {
    let mut wait = std::time::Duration::from_millis(10);
    let mut waited = std::time::Duration::ZERO;
    loop {
        match std::fs::rename(temp, path) {
            Err(e) if held_open(&e) && waited < REPLACE_PATIENCE => {
                std::thread::sleep(wait);
                waited += wait;
                wait = (wait * 2).min(std::time::Duration::from_millis(250));
            }
            other => return other,
        }
    }
}

/// How long a replacement waits for a file another program holds open.
const REPLACE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether a failed rename means the file is held open by someone (only on Windows: elsewhere
/// an open file never stops a rename).
fn held_open(error: &std::io::Error) -> bool {
    // ERROR_ACCESS_DENIED (5), ERROR_SHARING_VIOLATION (32), ERROR_LOCK_VIOLATION (33).
    cfg!(windows) && matches!(error.raw_os_error(), Some(5 | 32 | 33))
}

/// Logins, configs and secrets files are small: anything larger is not one of them.
pub const MAX_SMALL_FILE: u64 = 4 << 20;

/// Reads a file another program wrote (a login, a config), only when it is a regular file (a FIFO
/// or a device would block or never end) and at most [`MAX_SMALL_FILE`] bytes; the error is the
/// reason, for a sentence. `NotFound` passes through as itself.
pub fn read_small_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    if meta.len() > MAX_SMALL_FILE {
        return Err(std::io::Error::other(format!("it is larger than {} MiB", MAX_SMALL_FILE >> 20)));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(MAX_SMALL_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SMALL_FILE {
        return Err(std::io::Error::other(format!("it is larger than {} MiB", MAX_SMALL_FILE >> 20)));
    }
    Ok(bytes)
}

/// Reads and parses a JSON file; `Ok(None)` when it does not exist.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, String> {
    match std::fs::read(path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map(Some).map_err(|e| format!("{} is damaged ({e})", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{} could not be read ({e})", path.display())),
    }
}

pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    write_atomically(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_files_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/state.json");
        write_json(&path, &vec![1, 2, 3]).unwrap();
        write_json(&path, &vec![4]).unwrap();
        assert_eq!(read_json::<Vec<i32>>(&path).unwrap(), Some(vec![4]));
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn missing_and_damaged_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_json::<Vec<i32>>(&dir.path().join("none.json")).unwrap(), None);
        std::fs::write(dir.path().join("bad.json"), "{").unwrap();
        assert!(read_json::<Vec<i32>>(&dir.path().join("bad.json")).unwrap_err().contains("is damaged"));
    }

    #[cfg(windows)]
    #[test]
    fn a_file_held_open_for_a_moment_is_replaced_once_it_is_let_go() {
        use std::os::windows::fs::OpenOptionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("auth.json");
        write_json(&path, &"old").unwrap();
        // Held as most Windows programs open a file: others may read it, not replace it.
        let hold = |path: &Path| std::fs::OpenOptions::new().read(true).share_mode(1).open(path).unwrap();
        let held = hold(&path);
        let letting_go = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(held);
        });
        write_json(&path, &"new").unwrap();
        letting_go.join().unwrap();
        assert_eq!(read_json::<String>(&path).unwrap().as_deref(), Some("new"));

        // Held for longer than Headroom waits: the error, the old file, no temporary left.
        let held = hold(&path);
        let error = write_json(&path, &"newer").unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::PermissionDenied, "{error}");
        drop(held);
        assert_eq!(read_json::<String>(&path).unwrap().as_deref(), Some("new"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_json(&path, &"old").unwrap();
        // Make the temporary file impossible to create (a folder is in its place), as a full or
        // read-only disk would.
        std::fs::create_dir(dir.path().join(format!(".state.json.{}.tmp", std::process::id()))).unwrap();
        assert!(write_json(&path, &"new").is_err());
        assert_eq!(read_json::<String>(&path).unwrap().as_deref(), Some("old"));
    }
}
