//! "Start at login", for the tray process: an XDG autostart entry on Linux
//! (`$XDG_CONFIG_HOME/autostart/Headroom.desktop`), a LaunchAgent on macOS (the `auto-launch`
//! crate), this user's Run key on Windows. The entry starts this program with `--autostart`.

use std::path::{Path, PathBuf};

/// Makes launch at login match `wanted`, touching the system's entry only when they differ.
pub fn set(wanted: bool) {
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(e) => return tracing::warn!("could not change launch at login (this program's path is unknown: {e})"),
    };
    #[cfg(target_os = "linux")]
    let result = match dirs::config_dir() {
        Some(config) => set_xdg(&config, &program, wanted),
        None => Err("no configuration folder is known for this user".into()),
    };
    #[cfg(any(target_os = "macos", windows))]
    let result = set_native(&program, wanted);
    #[cfg(windows)]
    let next = "check that Windows lets you change your own startup programs";
    #[cfg(not(windows))]
    let next = "check that your autostart folder is writable";
    if let Err(why) = result {
        tracing::warn!("could not change launch at login ({why}): {next}");
    }
}

/// The XDG autostart entry, in the configuration folder the session uses: `auto-launch` always
/// wrote `~/.config/autostart`, whatever `XDG_CONFIG_HOME` said, so a desktop that reads the
/// other folder never started Headroom (and its `Exec` broke on a path with spaces).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn set_xdg(config: &Path, program: &Path, wanted: bool) -> Result<(), String> {
    let entry = xdg_entry_path(config);
    let program = program.to_str().ok_or("this program's path is not valid UTF-8, which a desktop entry needs")?;
    let text = xdg_entry(program);
    let current = std::fs::read_to_string(&entry).ok();
    match (wanted, current) {
        (true, Some(current)) if current == text => Ok(()),
        (true, _) => {
            if let Some(folder) = entry.parent() {
                std::fs::create_dir_all(folder).map_err(|e| format!("{}: {e}", folder.display()))?;
            }
            headroom_core::storage::write_atomically(&entry, text.as_bytes())
                .map_err(|e| format!("{}: {e}", entry.display()))
        }
        (false, Some(_)) => std::fs::remove_file(&entry).map_err(|e| format!("{}: {e}", entry.display())),
        (false, None) => Ok(()),
    }
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn xdg_entry_path(config: &Path) -> PathBuf {
    config.join("autostart").join("Headroom.desktop")
}

/// The desktop entry that starts `program` at login.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn xdg_entry(program: &str) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName=Headroom\nComment=Codex usage limits in the tray\n\
         Exec={} --autostart\nTerminal=false\nStartupNotify=false\nX-GNOME-Autostart-enabled=true\n",
        exec_quoted(program)
    )
}

/// A path as one argument of a desktop entry's `Exec`: quoted, with `"`, `` ` ``, `$` and `\`
/// escaped as the Desktop Entry spec says (and the backslash escaped again, as every string
/// value's is), and `%` doubled.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn exec_quoted(path: &str) -> String {
    let mut out = String::from("\"");
    for c in path.chars() {
        match c {
            '"' | '`' | '$' => {
                out.push_str("\\\\");
                out.push(c);
            }
            '\\' => out.push_str("\\\\\\\\"),
            // A field code's mark, even inside quotes.
            '%' => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The LaunchAgent, through the `auto-launch` crate.
#[cfg(target_os = "macos")]
fn set_native(program: &Path, wanted: bool) -> Result<(), String> {
    use auto_launch::{AutoLaunchBuilder, MacOSLaunchMode};
    let program = program.to_str().ok_or("this program's path is not valid UTF-8")?;
    let launcher = AutoLaunchBuilder::new()
        .set_app_name("Headroom")
        .set_app_path(program)
        .set_args(&["--autostart"])
        .set_macos_launch_mode(MacOSLaunchMode::LaunchAgent)
        .build()
        .map_err(|e| e.to_string())?;
    match launcher.is_enabled() {
        Ok(enabled) if enabled == wanted => Ok(()),
        _ => if wanted { launcher.enable() } else { launcher.disable() }.map_err(|e| e.to_string()),
    }
}

/// This user's Run key (`HKEY_CURRENT_USER`), written here rather than by `auto-launch`, which
/// wrote `HKEY_LOCAL_MACHINE`'s (every user's logins) whenever allowed, left the path unquoted,
/// never rewrote an entry of an older or moved install, and turned back on at every start an
/// entry the user had turned off in Task Manager (whose choice is left alone here).
#[cfg(windows)]
fn set_native(program: &Path, wanted: bool) -> Result<(), String> {
    use windows_registry::CURRENT_USER;
    const RUN: &str = r"Software\Microsoft\Windows\CurrentVersion\Run";
    let program = program.to_str().ok_or("this program's path is not valid UTF-8")?;
    let key = CURRENT_USER.create(RUN).map_err(|e| e.to_string())?;
    if !wanted {
        // Whatever the value holds (even one that is not text); none there is done already.
        const NOT_FOUND: i32 = 0x8007_0002_u32 as i32;
        return match key.remove_value("Headroom") {
            Err(e) if e.code().0 != NOT_FOUND => Err(e.to_string()),
            _ => Ok(()),
        };
    }
    let entry = run_entry(program);
    match key.get_string("Headroom") {
        Ok(now) if now == entry => Ok(()),
        _ => key.set_string("Headroom", &entry).map_err(|e| e.to_string()),
    }
}

/// The Run key's value: a command line, so the path is quoted (with spaces in it, "C:\Program
/// Files\…", Windows would try "C:\Program" first).
#[cfg_attr(not(windows), allow(dead_code))]
fn run_entry(program: &str) -> String {
    format!("\"{program}\" --autostart")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_goes_in_the_configuration_folder_given_and_goes_away_when_off() {
        let config = tempfile::tempdir().unwrap();
        let program = Path::new("/opt/Head room/headroom-tray");
        set_xdg(config.path(), program, true).unwrap();
        let entry = std::fs::read_to_string(config.path().join("autostart/Headroom.desktop")).unwrap();
        assert!(entry.contains("\nExec=\"/opt/Head room/headroom-tray\" --autostart\n"), "{entry}");
        set_xdg(config.path(), program, true).unwrap();
        set_xdg(config.path(), program, false).unwrap();
        assert!(!config.path().join("autostart/Headroom.desktop").exists());
        set_xdg(config.path(), program, false).unwrap();
    }

    #[test]
    fn the_run_key_value_quotes_the_program() {
        assert_eq!(
            run_entry(r"C:\Program Files\Headroom\headroom-tray.exe"),
            r#""C:\Program Files\Headroom\headroom-tray.exe" --autostart"#
        );
    }

    #[test]
    fn exec_quotes_what_the_spec_asks() {
        assert_eq!(exec_quoted("/usr/bin/headroom-tray"), "\"/usr/bin/headroom-tray\"");
        assert_eq!(exec_quoted("/a$b"), "\"/a\\\\$b\"");
        assert_eq!(exec_quoted("/opt/100%/headroom-tray"), "\"/opt/100%%/headroom-tray\"");
    }
}
