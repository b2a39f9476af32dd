//! The dashboard window as the window manager and WebKit see it.
//!
//! - Its web process killed (a crash, the system out of memory): the page loads again. Before the
//!   fix the window stayed blank and "Open dashboard" only raised it.
//! - Its X11 hints say "a dialog of one size" (`_NET_WM_WINDOW_TYPE_DIALOG`, min size = max size),
//!   which tiling managers float. Before the fix it was an ordinary resizable window, tiled
//!   across the screen by i3 and sway.
#![cfg(target_os = "linux")]

use std::process::Command;
use std::time::Duration;

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeService};
use zbus::blocking::Connection;

/// The `WebKitWebProcess` children of `parent`.
fn web_processes(parent: u32) -> Vec<u32> {
    let out = Command::new("pgrep").args(["-P", &parent.to_string(), "-f", "WebKitWebProcess"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect()
}

fn xprop(window_name: &str, property: &str) -> String {
    let out = Command::new("xprop").args(["-name", window_name, property]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_dashboard_loads_again_after_its_web_process_dies_and_is_a_dialog_of_one_size() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(30.0, 50.0, 7_920, 388_800));
    let running = start_tray(&fake, None);
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &running.item.0, &running.item.1);
    wait_for("the numbers", Duration::from_secs(20), || (tray.label() == "50%").then_some(()));
    tray.item.call_method("Activate", &(0i32, 0i32)).unwrap();
    let log = || std::fs::read_to_string(&running.log).unwrap_or_default();
    wait_for("the dashboard's first paint", Duration::from_secs(30), || log().contains("first paint").then_some(()));
    let window = wait_for("the window process", Duration::from_secs(10), || {
        processes_of("headroom-window", running.root.path()).first().copied()
    });

    // What a tiling manager reads: a dialog, as small as it is large.
    let kind = xprop("Headroom", "_NET_WM_WINDOW_TYPE");
    assert!(kind.contains("_NET_WM_WINDOW_TYPE_DIALOG"), "{kind}");
    let hints = xprop("Headroom", "WM_NORMAL_HINTS");
    let size =
        |what: &str| hints.lines().find(|l| l.contains(what)).map(|l| l.split(':').nth(1).unwrap().trim().to_string());
    assert!(size("minimum size").is_some(), "{hints}");
    assert_eq!(size("minimum size"), size("maximum size"), "one size: {hints}");

    let first = wait_for("its web process", Duration::from_secs(10), || web_processes(window).first().copied());
    let _ = Command::new("kill").args(["-9", &first.to_string()]).status();
    wait_for("the window to load again", Duration::from_secs(15), || {
        log().contains("the window's web process ended; loading the window again").then_some(())
    });
    let second = wait_for("a new web process", Duration::from_secs(15), || {
        web_processes(window).into_iter().find(|p| *p != first)
    });
    assert_ne!(first, second);
    // Not blank: the page's text draws many shades (looked for again while it loads).
    let colours_in_window = || -> u32 {
        let shot = screenshot("dashboard-after-web-process-killed.png");
        let (_, _, x, y) = window_geometry(&["-name", "Headroom"]).unwrap_or_default();
        let colours = Command::new("convert")
            .arg(&shot)
            .args(["-crop", &format!("400x300+{x}+{y}"), "-format", "%k", "info:"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&colours.stdout).trim().parse().unwrap_or(0)
    };
    let colours = poll_until(Duration::from_secs(10), || Some(colours_in_window()).filter(|c| *c > 20));
    assert!(colours.is_some(), "the dashboard is drawn again ({} colours in its corner)", colours_in_window());
    assert!(processes_of("headroom-window", running.root.path()).contains(&window), "the same window process");
}
