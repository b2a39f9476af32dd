//! "Start at login", for the tray process: an XDG autostart entry on Linux
//! (`~/.config/autostart/Headroom.desktop`), a LaunchAgent on macOS, the Run key on Windows
//! (the `auto-launch` crate). The entry starts this program with `--autostart`.

use auto_launch::{AutoLaunch, AutoLaunchBuilder, MacOSLaunchMode};

/// Makes launch at login match `wanted`, touching the system's entry only when they differ.
pub fn set(wanted: bool) {
    let launcher = match launcher() {
        Ok(launcher) => launcher,
        Err(why) => return tracing::warn!("could not change launch at login ({why})"),
    };
    match launcher.is_enabled() {
        Ok(enabled) if enabled == wanted => {}
        _ => {
            let result = if wanted { launcher.enable() } else { launcher.disable() };
            if let Err(e) = result {
                tracing::warn!("could not change launch at login ({e}): check that your autostart folder is writable");
            }
        }
    }
}

fn launcher() -> Result<AutoLaunch, String> {
    let program = std::env::current_exe().map_err(|e| format!("this program's path is unknown: {e}"))?;
    let program = program.to_str().ok_or("this program's path is not valid UTF-8")?;
    AutoLaunchBuilder::new()
        .set_app_name("Headroom")
        .set_app_path(program)
        .set_args(&["--autostart"])
        .set_macos_launch_mode(MacOSLaunchMode::LaunchAgent)
        .build()
        .map_err(|e| e.to_string())
}
