//! A keychain that does not answer (an unlock prompt left open; here gnome-keyring stopped with
//! SIGSTOP, which answers nothing either) must not freeze polling. Before the fix every poll
//! waited on it: the numbers stayed as they were, "Refresh now" queued behind the stuck read,
//! and the menu said "Updated just now" all along.
#![cfg(target_os = "linux")]

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeService};
use zbus::blocking::Connection;

/// Stops this session's Secret Service (the process that owns `org.freedesktop.secrets` on the
/// test's own bus, no other); it runs again when this is dropped.
struct Stopped(Vec<String>);

impl Stopped {
    fn keyring(conn: &Connection) -> Stopped {
        let dbus = zbus::blocking::fdo::DBusProxy::new(conn).unwrap();
        let name = zbus::names::BusName::try_from("org.freedesktop.secrets").unwrap();
        let pid = dbus.get_connection_unix_process_id(name).expect("the session's Secret Service");
        let pid = pid.to_string();
        Command::new("kill").args(["-STOP", &pid]).status().unwrap();
        Stopped(vec![pid])
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        for pid in &self.0 {
            let _ = Command::new("kill").args(["-CONT", pid]).status();
        }
    }
}

#[test]
fn a_keychain_that_does_not_answer_does_not_stop_the_numbers() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(30.0, 50.0, 7_920, 388_800));
    let running = start_tray(&fake, Some("[display]\npoll_interval_minutes = 60\n"));
    let conn = Connection::session().unwrap();
    let tray = Tray::connect(&conn, &running.item.0, &running.item.1);
    wait_for("the numbers", Duration::from_secs(20), || (tray.label() == "50%").then_some(()));

    let stopped = Stopped::keyring(&conn);
    fake.respond(Route::Usage, scenarios::plus(40.0, 60.0, 7_900, 388_700));
    tray.refresh_now();
    let asked = Instant::now();
    wait_for("the new numbers with the keychain stuck", Duration::from_secs(15), || {
        (tray.label() == "40%").then_some(())
    });
    let took = asked.elapsed();
    let _ = writeln_stderr(&format!("new numbers {} ms after Refresh now, the keychain stuck", took.as_millis()));
    // Again: the stuck read is not waited for a second time.
    fake.respond(Route::Usage, scenarios::plus(45.0, 65.0, 7_800, 388_600));
    tray.refresh_now();
    let asked = Instant::now();
    wait_for("the next numbers", Duration::from_secs(4), || (tray.label() == "35%").then_some(()));
    assert!(asked.elapsed() < Duration::from_secs(4), "no second wait of 5 s");
    drop(stopped);
}
