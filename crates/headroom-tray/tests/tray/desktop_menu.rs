//! The tray's menu over dbusmenu, as a host sees it while the menu changes under it.
//!
//! - An entry keeps its number when the menu changes shape. Before the fix numbers were
//!   positions: once the blocked line went from above it, the number the host still showed for
//!   "Pause alerts › For 1 hour" meant another entry (in the review's run, "Quit Headroom").
//! - Calls are answered in the order they came. Before the fix two `GetGroupProperties` sent back
//!   to back (as xfce4-panel sends them) were often answered in reverse, and libdbusmenu-gtk3
//!   dropped the submenu it got before its parent: "Pause alerts" opened as an empty strip.
//! - The menu's and tooltip's age move with the clock. Before the fix they said "Updated just
//!   now" until the next reading, minutes later.
#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::time::Duration;

use crate::common::*;
use chrono::{DateTime, Utc};
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeService};
use zbus::blocking::Connection;
use zbus::message::Message;
use zbus::zvariant::Value;

fn ids_by_label(tray: &Tray) -> HashMap<String, i32> {
    tray.entries().into_iter().filter(|e| !e.label.is_empty()).map(|e| (e.label, e.id)).collect()
}

fn click_id(tray: &Tray, id: i32) {
    tray.menu.call_method("Event", &(id, "clicked", Value::from(""), 0u32)).unwrap();
}

#[test]
fn a_click_on_an_entry_from_an_older_layout_does_what_that_entry_said() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    // Blocked by the weekly limit: a blocked line (and more) above the actions.
    fake.respond(Route::Usage, scenarios::plus(30.0, 100.0, 7_920, 388_800));
    let running = start_tray(&fake, Some("[display]\npoll_interval_minutes = 60\n"));
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &running.item.0, &running.item.1);
    wait_for("the blocked line", Duration::from_secs(20), || {
        tray.labels().iter().any(|l| l.starts_with("Blocked by the weekly limit")).then_some(())
    });
    let before = ids_by_label(&tray);
    let blocked_line = before.iter().find(|(l, _)| l.starts_with("Blocked by")).map(|(_, id)| *id).unwrap();

    // Unblocked: the menu loses lines above "Pause alerts".
    fake.respond(Route::Usage, scenarios::plus(30.0, 50.0, 7_900, 388_700));
    tray.refresh_now();
    wait_for("the new numbers", Duration::from_secs(20), || (tray.label() == "50%").then_some(()));
    let after = ids_by_label(&tray);
    assert!(after.len() < before.len(), "the menu changed shape: {before:?} → {after:?}");
    for action in ["Refresh now", "Open dashboard", "Settings…", "Pause alerts", "For 1 hour", "Quit Headroom"] {
        assert_eq!(before.get(action), after.get(action), "{action} keeps its number");
    }

    // The host still shows the older layout: its "For 1 hour" pauses alerts for an hour.
    click_id(&tray, before["For 1 hour"]);
    let pause_file = running.env.data.join("headroom/alert-pause.json");
    let until = wait_for("the pause", Duration::from_secs(10), || {
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&pause_file).ok()?).ok()?;
        json["until"].as_str()?.parse::<DateTime<Utc>>().ok()
    });
    let in_an_hour = Utc::now() + chrono::Duration::hours(1);
    assert!((until - in_an_hour).num_seconds().abs() < 90, "paused for an hour, not until a reset: {until}");
    wait_for("Resume alerts", Duration::from_secs(10), || {
        tray.labels().iter().any(|l| l == "Resume alerts").then_some(())
    });

    // An entry that is gone does nothing; the tray is still there.
    click_id(&tray, blocked_line);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(tray.label(), "50%", "the tray still runs");
    assert!(tray.labels().iter().any(|l| l == "Resume alerts"));
}

#[test]
fn calls_sent_back_to_back_are_answered_in_order() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(30.0, 50.0, 7_920, 388_800));
    let running = start_tray(&fake, None);
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &running.item.0, &running.item.1);
    wait_for("the numbers", Duration::from_secs(20), || (tray.label() == "50%").then_some(()));
    let ids: Vec<i32> = tray.entries().iter().map(|e| e.id).collect();

    // Pairs of calls, as xfce4-panel sends them when a submenu opens, without waiting between.
    let replies = zbus::blocking::MessageIterator::from(&conn);
    let mut sent = Vec::new();
    for round in 0..150 {
        for half in [&ids[..ids.len() / 2], &ids[ids.len() / 2..]] {
            let call = Message::method_call(running.item.1.as_str().to_owned() + "/Menu", "GetGroupProperties")
                .unwrap()
                .destination(running.item.0.as_str())
                .unwrap()
                .interface("com.canonical.dbusmenu")
                .unwrap()
                .build(&(half.to_vec(), vec!["label", "enabled", "children-display"]))
                .unwrap();
            sent.push(call.primary_header().serial_num());
            conn.send(&call).unwrap();
        }
        if round % 10 == 0 {
            std::thread::yield_now();
        }
    }
    // Read on a thread of its own: a reply that never comes must not hang the test.
    let expected = sent.clone();
    let (done, collected) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut answered = Vec::new();
        for message in replies {
            let Ok(message) = message else { break };
            if let Some(serial) = message.header().reply_serial() {
                if expected.contains(&serial) {
                    answered.push(serial);
                }
            }
            if answered.len() == expected.len() {
                break;
            }
        }
        let _ = done.send(answered);
    });
    let answered = collected.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
    assert_eq!(answered.len(), sent.len(), "every call answered");
    let out_of_order = answered.windows(2).filter(|w| w[0] > w[1]).count();
    assert_eq!(out_of_order, 0, "answers in the order of the calls");
}

#[test]
fn the_menu_and_tooltip_say_how_old_the_numbers_are_when_shown() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(30.0, 50.0, 7_920, 388_800));
    let running = start_tray(&fake, Some("[display]\npoll_interval_minutes = 60\n"));
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &running.item.0, &running.item.1);
    wait_for("the numbers", Duration::from_secs(20), || (tray.label() == "50%").then_some(()));
    assert!(tray.labels().iter().any(|l| l == "Updated just now"), "{:?}", tray.labels());
    let read = fake.requests().len();

    // A minute and more later, with no new reading: the host opens the menu.
    std::thread::sleep(Duration::from_secs(62));
    // (Whether it answers "needs update" depends on whether the tray's own redraw came first.)
    let _needs_update: bool = tray.menu.call("AboutToShow", &(0i32,)).unwrap();
    let labels = tray.labels();
    assert!(labels.iter().any(|l| l == "Updated 1 min ago"), "{labels:?}");
    // The tooltip is redrawn as time passes, at most 15 s late.
    wait_for("the tooltip's age", Duration::from_secs(20), || {
        tray.tooltip().1.contains("Updated 1 min ago").then_some(())
    });
    assert_eq!(fake.requests().len(), read, "no new reading was made");
}
