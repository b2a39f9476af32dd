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
    dirs::data_dir().map(|d| d.join("headroom"))
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
        std::fs::rename(&temp, path)?;
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
