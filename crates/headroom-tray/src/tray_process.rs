//! The process that runs all day: Headroom's loop and its tray icon, with no GTK and no webview.
//! Its windows live in the window process (`headroom-window`), started when one is asked for and
//! told over the socket (`headroom_protocol`) what to show; everything else in the menu is carried out
//! here. The icon is the platform's own: a StatusNotifierItem over D-Bus on Linux (`sni_tray`),
//! the `tray-icon` crate on macOS and Windows (`native_tray`).

use headroom_protocol::socket::{self, Claim};
use headroom_protocol::{Call, Link};

use crate::tray_loop::Process;
use crate::Window;

/// How the tray process was started.
#[derive(Debug, Clone, Copy, Default)]
pub struct Start {
    /// The demo's scripted numbers instead of the user's.
    pub demo: bool,
    /// A window to open at once.
    pub open: Option<Window>,
    /// Started by a window process (`--for-window`), which connects next: windows asked for
    /// until it does (first run's Settings) wait for it instead of starting another.
    pub for_window: bool,
    /// Started at login (`--autostart`): with a tray running already, nothing is opened.
    pub autostart: bool,
}

impl Start {
    /// `--demo`, `--open dashboard|settings`, `--for-window`, `--autostart`.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Start {
        let args: Vec<String> = args.into_iter().collect();
        let open = args.iter().skip_while(|a| *a != "--open").nth(1);
        Start {
            demo: args.iter().any(|a| a == "--demo"),
            open: open.and_then(|label| Window::from_label(label)),
            for_window: args.iter().any(|a| a == "--for-window"),
            autostart: args.iter().any(|a| a == "--autostart"),
        }
    }
}

/// Runs the tray process until "Quit Headroom"; the exit code for `main`. When a tray is running
/// already, asks it to open `start.open` (the dashboard when nothing was asked) and ends.
pub fn run(start: Start) -> i32 {
    let Start { demo, open, for_window, autostart } = start;
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("Headroom could not start ({e}): the system refused a thread or a timer.");
            return 1;
        }
    };
    let listener = match runtime.block_on(socket::claim()) {
        Ok(Claim::Listening(listener)) => listener,
        // Started at login while Headroom runs already: nothing to do.
        Ok(Claim::Running(_)) if autostart => return 0,
        Ok(Claim::Running(stream)) => {
            return runtime.block_on(ask_running_tray(stream, open.unwrap_or(Window::Dashboard)))
        }
        Err(e) => {
            #[cfg(unix)]
            eprintln!(
                "Headroom could not open its socket in {} ({e}): check that the folder is yours and writable.",
                socket::socket_place()
            );
            // (A release build has no console on Windows: this reaches a terminal that started it.)
            #[cfg(windows)]
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                eprintln!(
                    "Headroom could not open its pipe {} ({e}): another program holds Headroom's name; sign out and in again, and if it stays, find that program.",
                    socket::socket_place()
                );
            } else {
                eprintln!(
                    "Headroom could not open its pipe {} ({e}): start Headroom again, and if this comes back, restart Windows.",
                    socket::socket_place()
                );
            }
            return 1;
        }
    };
    tracing::info!("listening for Headroom's windows on {}", socket::socket_place());
    let process = Process { runtime, listener, demo, open, for_window };
    #[cfg(target_os = "linux")]
    return crate::sni_tray::run(process);
    #[cfg(not(target_os = "linux"))]
    return crate::native_tray::run(process);
}

/// A second launch: the running tray opens the window (single instance), and this one ends.
async fn ask_running_tray(stream: interprocess::local_socket::tokio::Stream, window: Window) -> i32 {
    let (link, _pushes) = Link::over(stream);
    match link.call(Call::Open { window }).await {
        Ok(_) => {
            tracing::info!(window = window.label(), "Headroom is running already: asked it to open the window");
            0
        }
        Err(message) => {
            eprintln!("{message}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(args: &[&str]) -> Start {
        Start::from_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn the_command_line_says_how_the_tray_was_started() {
        let plain = start(&[]);
        assert!(!plain.demo && plain.open.is_none() && !plain.for_window && !plain.autostart);
        assert_eq!(start(&["--open", "settings"]).open, Some(Window::Settings));
        assert_eq!(start(&["--open", "nonsense"]).open, None);
        assert_eq!(start(&["--open"]).open, None);
        let by_window = start(&["--for-window", "--demo"]);
        assert!(by_window.for_window && by_window.demo);
        assert!(start(&["--autostart"]).autostart);
    }
}
