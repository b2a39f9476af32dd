//! The window process's line to the tray process: connected at start, the tray started first
//! when none answers.

use std::time::{Duration, Instant};

use headroom_protocol::{sibling, socket, Call, FromTray, Link, Window, TRAY_PROGRAM};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;

/// How long a tray that was just started may take to listen.
const TRAY_START: Duration = Duration::from_secs(10);

/// Connects to the tray and asks to show `open`; `None` when another window process shows it.
pub async fn connect(open: Window) -> Result<Option<(Link, UnboundedReceiver<FromTray>)>, String> {
    let stream = match socket::connect().await {
        Ok(stream) => stream,
        Err(_) => start_tray().await?,
    };
    let (link, pushes) = Link::over(stream);
    match link.call(Call::Watch { open }).await.map_err(|e| e.to_string())? {
        Value::Bool(true) => Ok(Some((link, pushes))),
        _ => {
            tracing::info!(window = open.label(), "a window process is running already: it shows the window");
            Ok(None)
        }
    }
}

/// Starts the tray process and waits for it to listen.
async fn start_tray() -> Result<interprocess::local_socket::tokio::Stream, String> {
    let program = sibling(TRAY_PROGRAM);
    tracing::info!("Headroom's tray is not running: starting {}", program.display());
    // The demo's window shows the demo's tray. Not waited for: the tray outlives this process.
    let demo = std::env::args().any(|a| a == "--demo");
    let mut command = std::process::Command::new(&program);
    command.arg("--for-window").args(demo.then_some("--demo"));
    // Its own process group: the tray outlives this window, and a terminal's Ctrl+C meant for
    // a window started from it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command.spawn().map_err(|e| {
        format!("Headroom's tray could not be started ({}: {e}): reinstall Headroom.", program.display())
    })?;
    let started = Instant::now();
    loop {
        if let Ok(stream) = socket::connect().await {
            return Ok(stream);
        }
        if started.elapsed() > TRAY_START {
            return Err(format!(
                "Headroom's tray did not answer within {} s of starting: run {} in a terminal to see why.",
                TRAY_START.as_secs(),
                program.display()
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
