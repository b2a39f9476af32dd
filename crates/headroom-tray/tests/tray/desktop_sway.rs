//! The dashboard in sway (waybar's home), headless: it floats at its own size. Before the fix it
//! was an ordinary resizable window, which sway tiled across the whole screen (1280×665 instead
//! of 400×720). sway will not run as root, so when the tests run as root it runs as `nobody`
//! (the window, as root, can still reach its socket).
#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::{scenarios, FakeService};
use serde_json::Value;

/// Every window sway manages, with whether it floats: (name, floating, width, height).
fn windows(tree: &Value, floating: bool, out: &mut Vec<(String, bool, i64, i64)>) {
    if let Some(name) = tree["name"].as_str().filter(|_| tree["pid"].is_number()) {
        out.push((
            name.to_string(),
            floating,
            tree["window_rect"]["width"].as_i64().unwrap_or(0),
            tree["window_rect"]["height"].as_i64().unwrap_or(0),
        ));
    }
    for child in tree["nodes"].as_array().into_iter().flatten() {
        windows(child, floating, out);
    }
    for child in tree["floating_nodes"].as_array().into_iter().flatten() {
        windows(child, true, out);
    }
}

#[test]
fn sway_floats_the_dashboard_at_its_own_size() {
    let Some(_turn) = desktop_or_skip() else {
        return;
    };
    if Command::new("sway").arg("--version").output().is_err() {
        let why = "sway is not installed (scripts/install-deps installs it)";
        assert!(std::env::var("HEADROOM_REQUIRE_KEYRING").as_deref() != Ok("1"), "{why}");
        writeln_stderr(&format!("SKIPPED: {why}")).unwrap();
        return;
    }
    let fake = FakeService::start();
    fake.respond(Route::Usage, scenarios::plus(30.0, 50.0, 7_920, 388_800));
    let running = start_tray(&fake, None);

    // A headless sway of its own, with a runtime folder it owns.
    let place = tempfile::Builder::new().prefix("sway").tempdir().unwrap();
    let runtime = place.path().join("run");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::set_permissions(place.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(place.path().join("config"), "output HEADLESS-1 resolution 1280x800\nxwayland disable\n").unwrap();
    use std::os::unix::fs::MetadataExt;
    let as_root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
    let mut sway = Command::new(if as_root { "setpriv" } else { "env" });
    if as_root {
        let _ = Command::new("chown").args(["-R", "65534", place.path().to_str().unwrap()]).status();
        sway.args(["--reuid=65534", "--regid=65534", "--clear-groups", "env"]);
    }
    sway.args(["-i", &format!("XDG_RUNTIME_DIR={}", runtime.display()), "WLR_BACKENDS=headless"])
        .args(["WLR_LIBINPUT_NO_DEVICES=1", "WLR_RENDERER=pixman", &format!("HOME={}", place.path().display())])
        .args(["sway", "-c", place.path().join("config").to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(place.path().join("sway.log")).unwrap());
    let _sway = Killed(sway.spawn().unwrap());
    let wayland = runtime.join("wayland-1");
    let ipc =
        wait_for("sway", Duration::from_secs(10), || {
            std::fs::read_dir(&runtime).ok()?.flatten().map(|e| e.path()).find(|p| {
                p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("sway-ipc.")) && wayland.exists()
            })
        });

    // The dashboard, opened in sway by the running tray's window process.
    let wayland_display = wayland.display().to_string();
    let window_log = running.root.path().join("window.log");
    let _window = running.env.launch_binary(
        &window_binary(),
        &fake.base_url(),
        &window_log,
        &[("WAYLAND_DISPLAY", wayland_display.as_str()), ("GDK_BACKEND", "wayland"), ("DISPLAY", "")],
    );
    let _show = AppLog(window_log);
    let tree = || -> Option<Vec<(String, bool, i64, i64)>> {
        let out = Command::new("swaymsg").env("SWAYSOCK", &ipc).args(["-r", "-t", "get_tree"]).output().ok()?;
        let mut found = Vec::new();
        windows(&serde_json::from_slice(&out.stdout).ok()?, false, &mut found);
        Some(found)
    };
    let dashboard = wait_for("the dashboard in sway", Duration::from_secs(30), || {
        tree()?.into_iter().find(|(name, ..)| name == "Headroom").filter(|(_, _, w, _)| *w > 0)
    });
    assert_eq!(dashboard, ("Headroom".to_string(), true, 400, 720), "floating at its own size");
}
