//! The user's folders, as the platform names them: the home folder, and where programs keep
//! settings, data and caches.
//!
//! On Linux and macOS these are the `dirs` crate's answers (which already follow `HOME` and the
//! `XDG_*` variables). On Windows the environment's `USERPROFILE`, `APPDATA` and `LOCALAPPDATA`
//! come first, then the known folders `dirs` asks Windows for: Windows sets the variables to the
//! same folders, but a user (or a test, or a portable setup) who points them elsewhere means it,
//! as Windows programs from Git to npm take it.

use std::path::PathBuf;

/// The user's home folder (`~`, `%USERPROFILE%`).
pub fn home_dir() -> Option<PathBuf> {
    from_env("USERPROFILE").or_else(dirs::home_dir)
}

/// Where settings live: `~/.config`, `~/Library/Application Support`, `%APPDATA%`.
pub fn config_dir() -> Option<PathBuf> {
    from_env("APPDATA").or_else(dirs::config_dir)
}

/// Where data lives: `~/.local/share`, `~/Library/Application Support`, `%APPDATA%`.
pub fn data_dir() -> Option<PathBuf> {
    from_env("APPDATA").or_else(dirs::data_dir)
}

/// Where caches live: `~/.cache`, `~/Library/Caches`, `%LOCALAPPDATA%`.
pub fn cache_dir() -> Option<PathBuf> {
    from_env("LOCALAPPDATA").or_else(dirs::cache_dir)
}

/// A Windows folder variable, when it names an absolute folder; never elsewhere (on Linux an
/// `APPDATA` left over from Wine or a Windows habit must not move Headroom's files).
fn from_env(name: &str) -> Option<PathBuf> {
    if !cfg!(windows) {
        return None;
    }
    absolute(std::env::var_os(name)?.into())
}

fn absolute(path: PathBuf) -> Option<PathBuf> {
    path.is_absolute().then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_absolute_folder_counts() {
        assert_eq!(absolute(PathBuf::from("")), None);
        assert_eq!(absolute(PathBuf::from("relative\\folder")), None);
        let here = std::env::current_dir().unwrap();
        assert_eq!(absolute(here.clone()), Some(here));
    }
}
