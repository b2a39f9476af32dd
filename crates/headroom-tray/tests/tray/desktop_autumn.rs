//! Codex as it is in autumn 2026, in the tray a person sees (a real StatusNotifierItem host, the
//! real notification daemon): when the plan's weekly limit blocks and the account has Luna
//! Reserve and two banked reset credits, the menu names the reserve as "Luna Reserve" (never the
//! plan's weekly), its blocked line says Codex can go on with the reserve, the credits are listed
//! with their expiry and "Use a reset credit…" is offered; the limit-reached notification says
//! the same; the title beside the icon is the plan's, never the reserve's.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeService};
use zbus::blocking::Connection;

#[test]
fn the_reserve_and_the_credits_are_said_in_the_menu_and_the_notification() {
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

    fake.respond(Route::Usage, scenarios::usage("luna-reserve-blocked").unwrap());
    tray.refresh_now();
    let labels = wait_for("the blocked menu", Duration::from_secs(15), || {
        Some(tray.labels()).filter(|l| l.iter().any(|l| l.starts_with("Blocked by the weekly limit until ")))
    });
    let blocked = labels.iter().find(|l| l.starts_with("Blocked by the weekly limit until ")).unwrap();
    assert!(
        blocked.ends_with(
            " — Codex can go on with Luna Reserve (Luna only, 76% left); 2 reset credits available: using one resets this limit now"
        ),
        "{blocked}"
    );
    assert!(labels.iter().any(|l| l.starts_with("Luna Reserve: 76% left · Luna only · resets ")), "{labels:?}");
    assert!(!labels.iter().any(|l| l.contains("gpt-reserve")), "{labels:?}");
    assert!(labels.iter().any(|l| l.starts_with("Weekly: 0% left")), "the plan's weekly is the plan's: {labels:?}");
    assert!(labels.iter().any(|l| l.starts_with("Reset credits: 2 available — the next expires ")), "{labels:?}");
    assert_eq!(
        labels.iter().filter(|l| l.starts_with("– Full reset (Weekly + 5 hr) · expires ")).count(),
        2,
        "{labels:?}"
    );
    assert!(labels.iter().any(|l| l == "Use a reset credit…"), "{labels:?}");
    assert_eq!(tray.label(), "0%", "the icon's title is the plan's tightest window, never the reserve's");

    let found = poll_until(Duration::from_secs(15), || {
        notifications_with_bodies(monitor_log).into_iter().find(|(t, _)| t == "Codex weekly limit reached")
    });
    let (title, body) = found.unwrap_or_else(|| {
        panic!(
            "no limit-reached notification: {:?}\n{}",
            notifications_with_bodies(monitor_log),
            std::fs::read_to_string(monitor_log).unwrap_or_default()
        )
    });
    assert!(body.contains("It can go on with Luna Reserve (Luna only, 76% left)."), "{title}: {body}");
    let (_, tooltip) = tray.tooltip();
    assert!(tooltip.contains("Luna Reserve"), "{tooltip}");
    let shot = screenshot("tray-luna-reserve-notification.png");
    let _ = writeln_stderr(&format!("screenshot: {}", shot.display()));
}
