//! The tray's socket attacked.
//!
//! - Another user who made the socket's folder first, with `XDG_RUNTIME_DIR` unset (su, `ssh -X`):
//!   before the fix the folder under the temp folder was taken whatever its owner, and the victim's
//!   tray met the stranger's socket, said "Headroom is running already" and ended.
//! - A client that floods requests without reading: before the fix every answer waited in memory
//!   and the tray grew by hundreds of megabytes, for good.
#![cfg(target_os = "linux")]

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeService};
use serde_json::json;

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap().trim().trim_end_matches(" kB").parse().unwrap()
}

/// The tag the tray gives its socket for this data folder (FNV-1a of its path, as `ipc` does).
fn instance_tag(data_home: &Path) -> String {
    let data = data_home.join("headroom");
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in data.as_os_str().as_encoded_bytes() {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", hash as u32)
}

/// A stranger's server on `socket`, run as user `nobody`: it answers every request "ok" and
/// pushes numbers that are not the user's.
const STRANGER: &str = r#"
import json, os, socket, sys, threading
path = sys.argv[1]
os.makedirs(os.path.dirname(path), mode=0o777, exist_ok=True)
os.chmod(os.path.dirname(path), 0o777)
server = socket.socket(socket.AF_UNIX)
server.bind(path)
os.chmod(path, 0o777)
server.listen()
print("ready", flush=True)
def serve(conn):
    for line in conn.makefile():
        request = json.loads(line)
        conn.sendall((json.dumps({"kind": "answer", "id": request["id"], "ok": True}) + "\n").encode())
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"#;

#[test]
fn a_socket_folder_made_first_by_another_user_is_not_used() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    use std::os::unix::fs::MetadataExt;
    if std::fs::metadata("/proc/self").unwrap().uid() != 0 {
        writeln_stderr("SKIPPED: acting as another user (setpriv) needs root").unwrap();
        return;
    }
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(30.0, 50.0, 7_920, 388_800));
    let root = tempfile::tempdir().unwrap();
    // A shared temp folder, as /tmp is: anyone may make folders in it.
    let tmp = root.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let (home, codex_home, _token) = home_with_codex_login(root.path(), 9 * 86_400);
    let data = root.path().join("data");
    let tag = instance_tag(&data);
    // The stranger (user nobody) serves where this user's tray would look, by the old rule and
    // by the new one's first choice.
    let mut strangers = Vec::new();
    for folder in ["headroom", "headroom-0"] {
        let socket = tmp.join(folder).join(format!("tray-{tag}.sock"));
        let mut stranger = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", STRANGER])
            .arg(&socket)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stranger.stdout.take().unwrap()), &mut ready).unwrap();
        assert_eq!(ready.trim(), "ready", "the stranger serves {}", socket.display());
        strangers.push(Killed(stranger));
    }

    let monitor_log = root.path().join("notify-calls.log");
    let _monitor = start_notification_monitor(&monitor_log);
    let (_host, registrations) = start_tray_host(root.path());
    let env = AppEnv { home, codex_home, config: root.path().join("config"), data, extra_path: None };
    let log = root.path().join("headroom-tray.log");
    let tmp_var = tmp.to_str().unwrap();
    let mut command_env = vec![("TMPDIR", tmp_var)];
    command_env.push(("XDG_RUNTIME_DIR", ""));
    let _app = env.launch_with(&fake.base_url(), &log, &command_env);
    let _show_log = AppLog(log.clone());
    wait_for("the tray item", Duration::from_secs(20), || registration(&registrations, 1));
    let socket = socket_of(&log);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("running already"), "{text}");
    assert!(!socket.starts_with(&tmp), "the stranger's folders are not used: {}", socket.display());
    let folder = std::fs::metadata(socket.parent().unwrap()).unwrap();
    assert_eq!((folder.uid(), folder.mode() & 0o777), (0, 0o700), "a private folder of the user's");

    // The tray answers there, as the user's window process would ask.
    let mut client = Socket::connect(&socket);
    let answer = client.ask(1, json!({"call": "dashboard"}));
    assert!(answer["ok"].is_object(), "{answer}");
}

#[test]
fn a_client_that_floods_without_reading_is_dropped_and_the_tray_stays_small() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(30.0, 50.0, 7_920, 388_800));
    let running = start_tray(&fake, None);
    let socket = socket_of(&running.log);
    let tray = processes_of(TRAY_PROGRAM, running.root.path())[0];
    let conn = zbus::blocking::Connection::session().unwrap();
    let item = Tray::connect(&conn, &running.item.0, &running.item.1);
    wait_for("the numbers", Duration::from_secs(20), || (item.label() == "50%").then_some(()));
    let before = rss_kb(tray);

    // Requests as fast as the tray takes them, for up to 20 s; nothing is read.
    let mut flood = Socket::connect(&socket);
    flood.stream.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let request = json!({"id": 1, "call": "dashboard"}).to_string() + "\n";
    let batch = request.repeat(200);
    let started = Instant::now();
    let mut sent = 0u64;
    let dropped = loop {
        if flood.stream.write_all(batch.as_bytes()).is_err() {
            break true;
        }
        sent += 200;
        if started.elapsed() > Duration::from_secs(20) {
            break false;
        }
    };
    let after = rss_kb(tray);
    writeln_stderr(&format!(
        "flood: {sent} requests in {:.1} s; tray RSS {before} kB → {after} kB",
        started.elapsed().as_secs_f64()
    ))
    .unwrap();
    assert!(dropped, "the tray ends a connection that does not read ({sent} requests sent)");
    assert!(after < before + 20_000, "the tray stayed small: {before} kB → {after} kB");

    // Still serving everyone else.
    let mut client = Socket::connect(&socket);
    let answer = client.ask(2, json!({"call": "dashboard"}));
    assert!(answer["ok"].is_object(), "{answer}");
    assert_eq!(item.label(), "50%");
}
