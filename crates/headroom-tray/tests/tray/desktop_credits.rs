//! Credits in the tray: when the 5-hour limit is reached on an account with credits, one
//! notification says Codex now spends them (once per cycle, through the real notification
//! daemon), and the menu says so beside the banked reset credits.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeService};
use zbus::blocking::Connection;

#[test]
fn a_reached_limit_with_credits_is_told_once_and_shown_in_the_menu() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(60.0, 30.0, 5_400, 300_000));
    let running = start_tray(&fake, None);
    let monitor_log = &running.monitor_log;
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &running.item.0, &running.item.1);
    wait_for("the first numbers", Duration::from_secs(20), || {
        tray.labels().iter().any(|l| l.starts_with("5-hour: 40% left")).then_some(())
    });

    fake.respond(Route::Usage, scenarios::usage("plus-credits-in-use").unwrap());
    tray.refresh_now();
    let title = "Codex 5-hour limit reached — now using your credits (balance 9.99)";
    wait_for("the credits notification", Duration::from_secs(15), || {
        notifications(monitor_log).iter().any(|t| t == title).then_some(())
    });
    let labels = wait_for("the menu", Duration::from_secs(10), || {
        Some(tray.labels())
            .filter(|l| l.iter().any(|l| l.starts_with("The 5-hour limit is reached: Codex is using your credits")))
    });
    assert!(labels.iter().any(|l| l == "Credits: 9.99"), "{labels:?}");
    assert!(labels.iter().any(|l| l.starts_with("Reset credits: 1 available — the next expires ")), "{labels:?}");
    assert!(!labels.iter().any(|l| l.starts_with("Blocked by")), "Codex is not blocked: {labels:?}");

    // Still at the limit on the next poll: nothing more.
    tray.refresh_now();
    std::thread::sleep(Duration::from_secs(3));
    let sent = notifications(monitor_log);
    assert_eq!(sent.iter().filter(|t| *t == title).count(), 1, "once per cycle: {sent:?}");
    assert!(!sent.iter().any(|t| t == "Codex 5-hour limit reached"), "one notification, not two: {sent:?}");
    let shot = screenshot("tray-credits-in-use-notification.png");
    let _ = writeln_stderr(&format!("screenshot: {}", shot.display()));
}
