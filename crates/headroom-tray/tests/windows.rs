//! The Windows tray process (`headroom-tray.exe`), started and used for real: under Wine in CI
//! (scripts/test-windows runs this binary there, on the throw-away desktop session's screen),
//! against the fake usage service on 127.0.0.1, with Codex's login in `%USERPROFILE%\.codex` and
//! Headroom's files in `%APPDATA%\headroom`.
//!
//! What a Windows user's day needs of it: it starts, polls and writes the shared numbers and the
//! history; its notify icon is in the shell's tray (Wine's explorer.exe keeps one window per
//! icon) and is redrawn when the numbers change; a second start hands over to it and ends; a
//! menu choice, sent as the WM_COMMAND a click sends, does what the entry said; the named pipe
//! gives the window process the dashboard, to this user only; a toast Wine cannot show is one
//! log line and polling goes on; "Start at login" writes and removes the Run key; Quit and the
//! end of the session (WM_ENDSESSION) end it. What Wine cannot show (toasts, clicks on the icon
//! itself: its Shell_NotifyIconGetRect is a stub; another user) is said in docs/user-guide.md.
#![cfg(windows)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use headroom_protocol::{Call, Link};
use headroom_testkit::fake::Route;
use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};
use headroom_testkit::{scenarios, FakeService};
use windows_sys::Win32::Foundation::{HWND, LPARAM, RECT};
use windows_sys::Win32::UI::WindowsAndMessaging as wm;

/// The tests share the Wine prefix's one desktop and registry: they take turns.
static TURN: Mutex<()> = Mutex::new(());

/// What every Windows process expects to inherit (sockets, for one, need SystemRoot).
const INHERITED: [&str; 7] = ["SystemRoot", "SystemDrive", "windir", "TEMP", "TMP", "PATHEXT", "PATH"];

const LOG_FILTER: &str = "headroom_tray=debug,headroom_protocol=info,headroom_core=info";

/// A Windows user's folders in a temporary place, a Codex login in `%USERPROFILE%\.codex`, and
/// the fake usage service.
struct Sandbox {
    dir: tempfile::TempDir,
    fake: FakeService,
}

impl Sandbox {
    fn new() -> Sandbox {
        let sandbox = Sandbox { dir: tempfile::tempdir().unwrap(), fake: FakeService::start() };
        let codex_home = sandbox.home().join(".codex");
        std::fs::create_dir_all(&codex_home).unwrap();
        let token = make_jwt(&TestClaims {
            email_in_profile_claim: true,
            ..TestClaims::plus("dev@example.com", "acct-1", 9 * 86_400)
        });
        std::fs::write(codex_home.join("auth.json"), codex_auth_json(&token, &token, Some("acct-1"))).unwrap();
        sandbox
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn app_data(&self) -> PathBuf {
        self.home().join("AppData").join("Roaming")
    }

    fn local_app_data(&self) -> PathBuf {
        self.home().join("AppData").join("Local")
    }

    /// `%APPDATA%\headroom`: the settings, the shared numbers and the history.
    fn data_dir(&self) -> PathBuf {
        self.app_data().join("headroom")
    }

    fn settings(&self, toml: &str) {
        std::fs::create_dir_all(self.data_dir()).unwrap();
        std::fs::write(self.data_dir().join("settings.toml"), toml).unwrap();
    }

    fn vars(&self) -> Vec<(&'static str, PathBuf)> {
        vec![("USERPROFILE", self.home()), ("APPDATA", self.app_data()), ("LOCALAPPDATA", self.local_app_data())]
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_headroom-tray"));
        command.args(args).env_clear();
        for name in INHERITED {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        command
            .envs(self.vars())
            .env("HEADROOM_CHATGPT_BASE_URL", self.fake.base_url())
            .env("HEADROOM_LOG", LOG_FILTER)
            .env("NO_COLOR", "1");
        command
    }

    /// Starts the tray, its log (stderr) in `name`.log.
    fn start(&self, name: &str) -> Tray {
        let log = self.dir.path().join(format!("{name}.log"));
        let child = self
            .command(&[])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Tray { child, log }
    }

    /// Points this test process at the sandbox's folders, as a window process started by the
    /// tray would be (the pipe's name comes from the data folder). The caller holds [`TURN`].
    fn become_its_user(&self) {
        for (name, value) in self.vars() {
            std::env::set_var(name, value);
        }
    }

    fn usage_requests(&self) -> usize {
        self.fake.requests().iter().filter(|r| r.path.contains("usage")).count()
    }
}

/// A running `headroom-tray.exe`, ended when dropped.
struct Tray {
    child: Child,
    log: PathBuf,
}

impl Tray {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_for_log(&self, what: &str, timeout: Duration) -> String {
        wait_for(&format!("the log to say {what:?}"), timeout, || {
            let log = self.log();
            log.contains(what).then_some(log)
        })
        .unwrap_or_else(|| panic!("the log never said {what:?}:\n{}", self.log()))
    }

    /// The window tray-icon made to own the notify icon (and receive the menu's WM_COMMAND).
    fn icon_owner(&self) -> HWND {
        wait_for("the tray's icon window", Duration::from_secs(20), || {
            top_windows().into_iter().find(|w| process_of(*w) == self.pid() && class_of(*w) == "tray_icon_app")
        })
        .unwrap_or_else(|| {
            panic!("no tray_icon_app window of the tray's; its windows: {:?}\n{}", describe(self.pid()), self.log())
        })
    }

    /// The WM_COMMAND number of the entry whose id is `id`, in the menu now (the tray logs them
    /// as it builds the menu).
    fn menu_command(&self, id: &str) -> usize {
        let log = self.log();
        let suffix = format!(" is {id}");
        log.lines()
            .rev()
            .filter_map(|line| line.split("menu command ").nth(1))
            .find_map(|rest| rest.strip_suffix(suffix.as_str())?.parse().ok())
            .unwrap_or_else(|| panic!("no menu entry {id:?} in the log:\n{log}"))
    }

    /// Chooses the menu entry `id` as a click on it does: the menu sends WM_COMMAND with the
    /// entry's number to the icon's window.
    fn choose(&self, id: &str) {
        let command = self.menu_command(id);
        // SAFETY: posting a message to a window handle; a stale one fails harmlessly.
        let posted = unsafe { wm::PostMessageW(self.icon_owner(), wm::WM_COMMAND, command, 0) };
        assert_ne!(posted, 0, "WM_COMMAND posted");
    }

    fn wait_for_exit(&mut self, timeout: Duration) -> Option<i32> {
        wait_for("the tray to end", timeout, || self.child.try_wait().unwrap())
            .map(|status| status.code().unwrap_or(-1))
    }
}

impl Drop for Tray {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for<T>(_what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(found) = probe() {
            return Some(found);
        }
        if start.elapsed() > timeout {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

unsafe extern "system" fn collect(hwnd: HWND, into: LPARAM) -> i32 {
    (*(into as *mut Vec<HWND>)).push(hwnd);
    1
}

fn top_windows() -> Vec<HWND> {
    let mut found: Vec<HWND> = Vec::new();
    // SAFETY: the callback only pushes into `found`, alive for the call.
    unsafe { wm::EnumWindows(Some(collect), &mut found as *mut _ as LPARAM) };
    found
}

fn children_of(parent: HWND) -> Vec<HWND> {
    let mut found: Vec<HWND> = Vec::new();
    // SAFETY: as in `top_windows`.
    unsafe { wm::EnumChildWindows(parent, Some(collect), &mut found as *mut _ as LPARAM) };
    found
}

fn all_windows() -> Vec<HWND> {
    let top = top_windows();
    let mut all = top.clone();
    for window in top {
        all.extend(children_of(window));
    }
    all
}

fn class_of(window: HWND) -> String {
    let mut name = [0u16; 256];
    // SAFETY: the buffer's length is passed.
    let length = unsafe { wm::GetClassNameW(window, name.as_mut_ptr(), name.len() as i32) };
    String::from_utf16_lossy(&name[..length.max(0) as usize])
}

fn process_of(window: HWND) -> u32 {
    let mut pid = 0;
    // SAFETY: `pid` is written.
    unsafe { wm::GetWindowThreadProcessId(window, &mut pid) };
    pid
}

fn rect_of(window: HWND) -> RECT {
    let mut rect = RECT { left: 0, top: 0, right: 0, bottom: 0 };
    // SAFETY: `rect` is written.
    unsafe { wm::GetWindowRect(window, &mut rect) };
    rect
}

fn describe(pid: u32) -> Vec<String> {
    all_windows()
        .into_iter()
        .filter(|w| pid == 0 || process_of(*w) == pid)
        .map(|w| {
            let r = rect_of(w);
            // SAFETY: a plain query.
            let visible = unsafe { wm::IsWindowVisible(w) } != 0;
            format!(
                "{w:?} pid {} {} {}x{}+{}+{} visible {visible}",
                process_of(w),
                class_of(w),
                r.right - r.left,
                r.bottom - r.top,
                r.left,
                r.top
            )
        })
        .collect()
}

/// The icons in Wine's shell tray: with no tray host on the X screen, explorer.exe shows a tray
/// window of its own, with a window of this class for each icon in it.
fn shell_tray_icons() -> Vec<HWND> {
    all_windows().into_iter().filter(|w| class_of(*w) == "__winex11_tray_icon").collect()
}

/// The one icon in the shell's tray (the tray's; no other program of this Wine has one).
fn the_shell_tray_icon(tray: &Tray) -> HWND {
    wait_for("the icon in the shell's tray", Duration::from_secs(20), || match shell_tray_icons()[..] {
        [icon] => Some(icon),
        _ => None,
    })
    .unwrap_or_else(|| panic!("not one icon in the shell's tray; the windows: {:#?}\n{}", describe(0), tray.log()))
}

/// What is on the screen where `window` is, as RGBA rows.
struct Pixels {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Pixels {
    fn of(window: HWND) -> Pixels {
        use windows_sys::Win32::Graphics::Gdi as gdi;
        let rect = rect_of(window);
        let (width, height) = ((rect.right - rect.left).max(1), (rect.bottom - rect.top).max(1));
        let mut bgra = vec![0u8; (width * height * 4) as usize];
        // SAFETY: GDI objects made here and released here; the buffer holds width×height pixels.
        unsafe {
            let screen = gdi::GetDC(std::ptr::null_mut());
            let memory = gdi::CreateCompatibleDC(screen);
            let bitmap = gdi::CreateCompatibleBitmap(screen, width, height);
            let old = gdi::SelectObject(memory, bitmap);
            gdi::BitBlt(memory, 0, 0, width, height, screen, rect.left, rect.top, gdi::SRCCOPY);
            gdi::SelectObject(memory, old);
            let mut info: gdi::BITMAPINFO = std::mem::zeroed();
            info.bmiHeader.biSize = std::mem::size_of::<gdi::BITMAPINFOHEADER>() as u32;
            info.bmiHeader.biWidth = width;
            info.bmiHeader.biHeight = -height;
            info.bmiHeader.biPlanes = 1;
            info.bmiHeader.biBitCount = 32;
            info.bmiHeader.biCompression = gdi::BI_RGB;
            gdi::GetDIBits(memory, bitmap, 0, height as u32, bgra.as_mut_ptr().cast(), &mut info, gdi::DIB_RGB_COLORS);
            gdi::DeleteObject(bitmap);
            gdi::DeleteDC(memory);
            gdi::ReleaseDC(std::ptr::null_mut(), screen);
        }
        let rgba = bgra.chunks(4).flat_map(|p| [p[2], p[1], p[0], 255]).collect();
        Pixels { width: width as u32, height: height as u32, rgba }
    }

    /// How many different colours: a blank or uniform area has one.
    fn colours(&self) -> usize {
        let mut seen: Vec<&[u8]> = self.rgba.chunks(4).collect();
        seen.sort();
        seen.dedup();
        seen.len()
    }

    /// Saved for a person to look at, beside the other tests' screenshots.
    fn save(&self, name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let pixmap = tiny_skia::Pixmap::from_vec(
            self.rgba.clone(),
            tiny_skia::IntSize::from_wh(self.width, self.height).unwrap(),
        )
        .unwrap();
        pixmap.save_png(&path).unwrap();
        path
    }
}

/// The Run key's value for Headroom in this user's registry (`HKCU`), if there is one.
fn run_key_value() -> Option<String> {
    run_key_value_in("HKCU")
}

/// The same in `hive` (`HKLM`: every user's logins).
fn run_key_value_in(hive: &str) -> Option<String> {
    let key = format!(r"{hive}\Software\Microsoft\Windows\CurrentVersion\Run");
    let output = Command::new("reg").args(["query", key.as_str(), "/v", "Headroom"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success() && text.contains("Headroom")).then_some(text)
}

/// The dashboard, asked over the tray's pipe as the window process asks it.
fn dashboard(sandbox: &Sandbox) -> serde_json::Value {
    sandbox.become_its_user();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let stream = headroom_protocol::socket::connect().await.expect("the tray's pipe answers");
        let (link, _pushes) = Link::over(stream);
        link.call(Call::Dashboard).await.expect("the dashboard")
    })
}

fn left_percent(dashboard: &serde_json::Value) -> Option<i64> {
    dashboard["windows"][0]["left_percent"].as_i64()
}

const RUNS_ALL_DAY: &str = "\
[alerts]
thresholds = { \"5h\" = [80, 95], weekly = [80, 95] }
";

#[test]
fn the_tray_runs_polls_shows_its_icon_answers_its_windows_and_quits_from_the_menu() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let sandbox = Sandbox::new();
    sandbox.fake.respond(Route::Usage, scenarios::plus(50.0, 20.0, 7_920, 388_800));
    sandbox.settings(RUNS_ALL_DAY);
    let mut tray = sandbox.start("tray");

    // It polls, and writes the shared numbers and the history in %APPDATA%\headroom.
    let data = sandbox.data_dir();
    wait_for("the numbers and the history", Duration::from_secs(30), || {
        let numbers = std::fs::read_dir(data.join("numbers")).ok()?.flatten().count();
        (numbers > 0 && data.join("history.sqlite3").is_file() && data.join("last-snapshot.json").is_file())
            .then_some(())
    })
    .unwrap_or_else(|| panic!("no numbers or history in {}:\n{}", data.display(), tray.log()));
    assert!(sandbox.usage_requests() >= 1);

    // The window process's side of the pipe gets the numbers.
    assert_eq!(left_percent(&dashboard(&sandbox)), Some(50), "{}", tray.log());

    // Its notify icon is in the shell's tray, drawn, and as the numbers are it stays.
    let icon = the_shell_tray_icon(&tray);
    let half_left = wait_for("the icon drawn", Duration::from_secs(10), || {
        let pixels = Pixels::of(icon);
        std::thread::sleep(Duration::from_millis(500));
        (pixels.colours() > 2 && Pixels::of(icon).rgba == pixels.rgba).then_some(pixels)
    })
    .expect("the icon in the shell's tray is drawn (more than a blank square)");
    half_left.save("windows-tray-icon-50-left.png");
    Pixels::of(tray_window_of(icon)).save("windows-tray-50-left.png");

    // A second start hands over to the running tray and ends.
    let second = sandbox.command(&["--open", "settings"]).stdin(Stdio::null()).output().unwrap();
    assert!(second.status.success(), "the second start ended well: {}", String::from_utf8_lossy(&second.stderr));
    tray.wait_for_log("window=\"settings\"", Duration::from_secs(10));
    let owners = top_windows().into_iter().filter(|w| class_of(*w) == "tray_icon_app").count();
    assert_eq!(owners, 1, "one tray runs");
    assert_eq!(shell_tray_icons().len(), 1, "one icon in the shell's tray");

    // The numbers change: "Refresh now" from the menu, chosen as a click chooses it.
    let menus_made = tray.log().matches(" is quit").count();
    sandbox.fake.respond(Route::Usage, scenarios::plus(85.0, 20.0, 7_900, 388_700));
    let asked = sandbox.usage_requests();
    tray.choose("refresh");
    wait_for("the refresh", Duration::from_secs(20), || (sandbox.usage_requests() > asked).then_some(()))
        .unwrap_or_else(|| panic!("Refresh now did not poll:\n{}", tray.log()));
    wait_for("the new numbers", Duration::from_secs(10), || {
        (left_percent(&dashboard(&sandbox)) == Some(15)).then_some(())
    })
    .unwrap_or_else(|| panic!("the dashboard did not change:\n{}", tray.log()));
    let few_left = wait_for("the icon redrawn", Duration::from_secs(10), || {
        let pixels = Pixels::of(icon);
        (pixels.rgba != half_left.rgba && pixels.colours() > 2).then_some(pixels)
    })
    .unwrap_or_else(|| panic!("the icon did not change with the numbers:\n{}", tray.log()));
    few_left.save("windows-tray-icon-15-left.png");
    Pixels::of(tray_window_of(icon)).save("windows-tray-15-left.png");
    // New numbers are new words in the same menu, not a menu made anew: every item made takes a
    // number, and Windows' are 16-bit (a menu made on every poll ran out in days).
    assert_eq!(tray.log().matches(" is quit").count(), menus_made, "the menu was made anew:\n{}", tray.log());

    // 85 % used crosses the 80 % threshold: Wine has no toasts, so the notification fails, in
    // one log line, and polling goes on.
    let log = tray.wait_for_log("could not show a notification", Duration::from_secs(20));
    // Clicks within 5 s of the last are one click.
    std::thread::sleep(Duration::from_millis(5_500));
    let asked = sandbox.usage_requests();
    tray.choose("refresh");
    wait_for("another poll", Duration::from_secs(20), || (sandbox.usage_requests() > asked).then_some(()))
        .unwrap_or_else(|| panic!("polling stopped after the failed notification:\n{}", tray.log()));
    std::thread::sleep(Duration::from_secs(2));
    let log_now = tray.log();
    assert_eq!(log_now.matches("could not show a notification").count(), 1, "one line for one crossing:\n{log_now}");
    assert!(tray.child.try_wait().unwrap().is_none(), "the tray runs on:\n{log}");

    // "Start at login" writes the Run key, and turning it off removes it.
    assert_eq!(run_key_value(), None, "no Run key before");
    sandbox.settings(&format!("{RUNS_ALL_DAY}\n[general]\nautostart = true\n"));
    let value = wait_for("the Run key", Duration::from_secs(20), run_key_value)
        .unwrap_or_else(|| panic!("no Run key written:\n{}", tray.log()));
    assert!(value.contains("headroom-tray.exe\" --autostart"), "the program quoted, then --autostart: {value}");
    assert_eq!(run_key_value_in("HKLM"), None, "for this user only, not every user of the machine");
    sandbox.settings(&format!("{RUNS_ALL_DAY}\n[general]\nautostart = false\n"));
    wait_for("the Run key gone", Duration::from_secs(20), || run_key_value().is_none().then_some(()))
        .unwrap_or_else(|| panic!("the Run key was not removed:\n{}", tray.log()));

    // Quit from the menu: the tray ends at once, its files kept. (Wine's shell drops the icons
    // of a program gone on its own, so the icon's going proves the end, not who took it away.)
    tray.choose("quit");
    assert_eq!(tray.wait_for_exit(Duration::from_secs(10)), Some(0), "{}", tray.log());
    assert!(shell_tray_icons().is_empty(), "no icon left in the shell's tray");
    assert!(data.join("history.sqlite3").is_file() && data.join("last-snapshot.json").is_file());
}

/// The shell tray's window an icon sits in (for a screenshot).
fn tray_window_of(icon: HWND) -> HWND {
    // SAFETY: a plain query.
    let parent = unsafe { wm::GetAncestor(icon, wm::GA_ROOT) };
    if parent.is_null() {
        icon
    } else {
        parent
    }
}

#[test]
fn the_end_of_the_session_ends_the_tray_and_takes_its_icon_away() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let sandbox = Sandbox::new();
    sandbox.fake.respond(Route::Usage, scenarios::plus(30.0, 10.0, 7_920, 388_800));
    let mut tray = sandbox.start("tray");
    the_shell_tray_icon(&tray);
    wait_for("the numbers", Duration::from_secs(30), || (sandbox.usage_requests() > 0).then_some(())).unwrap();
    // What Windows sends every top-level window when the user signs out or shuts down.
    let windows: Vec<HWND> = top_windows().into_iter().filter(|w| process_of(*w) == tray.pid()).collect();
    assert!(!windows.is_empty());
    for (message, wparam, lparam) in [(wm::WM_QUERYENDSESSION, 0, 0), (wm::WM_ENDSESSION, 1, 0)] {
        for window in &windows {
            let mut result = 0;
            // SAFETY: a message to a window handle, with a timeout; a gone window fails harmlessly.
            unsafe {
                wm::SendMessageTimeoutW(*window, message, wparam, lparam, wm::SMTO_ABORTIFHUNG, 5_000, &mut result)
            };
        }
    }
    assert_eq!(tray.wait_for_exit(Duration::from_secs(10)), Some(0), "{}", tray.log());
    // It ended through its own way out (the icon taken away first), not killed mid-poll.
    assert!(tray.log().contains("the session is ending"), "{}", tray.log());
    assert!(shell_tray_icons().is_empty(), "the icon left the shell's tray");
    assert!(sandbox.data_dir().join("last-snapshot.json").is_file());
}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain([0]).collect()
}

/// A pipe under Headroom's name made first by another program, owned by the Administrators
/// group (as one started elevated makes it) and open to everyone: what it hears, in a thread.
struct Squatter {
    heard: std::sync::mpsc::Receiver<usize>,
}

impl Squatter {
    fn make(name: &str) -> Squatter {
        use windows_sys::Win32::Security::Authorization::{
            ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
        };
        use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
        use windows_sys::Win32::Storage::FileSystem::{ReadFile, FILE_FLAG_FIRST_PIPE_INSTANCE, PIPE_ACCESS_DUPLEX};
        use windows_sys::Win32::System::Pipes::{ConnectNamedPipe, CreateNamedPipeW, PIPE_TYPE_BYTE, PIPE_WAIT};
        let mut descriptor = std::ptr::null_mut();
        // SAFETY: a NUL-terminated SDDL string; the descriptor is kept for the pipe's life.
        let made = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                wide("O:BAD:(A;;GA;;;WD)").as_ptr(),
                SDDL_REVISION_1,
                &mut descriptor,
                std::ptr::null_mut(),
            )
        };
        assert_ne!(made, 0, "the squatter's descriptor");
        let descriptor_memory = descriptor;
        let attributes = SECURITY_ATTRIBUTES {
            nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: descriptor,
            bInheritHandle: 0,
        };
        // SAFETY: valid name and attributes.
        let pipe = unsafe {
            CreateNamedPipeW(
                wide(name).as_ptr(),
                PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
                PIPE_TYPE_BYTE | PIPE_WAIT,
                4,
                4096,
                4096,
                0,
                &attributes,
            )
        };
        assert!(!pipe.is_null() && pipe as isize != -1, "the squatter's pipe: {}", std::io::Error::last_os_error());
        // SAFETY: allocated by the conversion above, no longer needed once the pipe exists.
        unsafe { windows_sys::Win32::Foundation::LocalFree(descriptor_memory) };
        let pipe = pipe as usize;
        let (told, heard) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let pipe = pipe as windows_sys::Win32::Foundation::HANDLE;
            // SAFETY: the pipe made above, used by this thread alone.
            unsafe { ConnectNamedPipe(pipe, std::ptr::null_mut()) };
            let (mut total, mut buffer) = (0usize, [0u8; 4096]);
            loop {
                let mut read = 0u32;
                // SAFETY: the buffer's length is passed.
                let ok = unsafe {
                    ReadFile(pipe, buffer.as_mut_ptr(), buffer.len() as u32, &mut read, std::ptr::null_mut())
                };
                if ok == 0 || read == 0 {
                    break;
                }
                total += read as usize;
            }
            let _ = told.send(total);
        });
        Squatter { heard }
    }
}

#[test]
fn a_pipe_someone_else_made_first_under_headrooms_name_is_refused() {
    // The squatter's pipe is owned by the Administrators group, which only an elevated program
    // may give it on Windows; Wine lets any program.
    if !under_wine() {
        eprintln!("the squatter's pipe needs an elevated test on Windows: run under Wine");
        return;
    }
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let sandbox = Sandbox::new();
    sandbox.fake.respond(Route::Usage, scenarios::plus(30.0, 10.0, 7_920, 388_800));
    sandbox.become_its_user();
    let squatter = Squatter::make(&headroom_protocol::socket::socket_place());
    let mut tray = sandbox.start("tray");
    assert_eq!(tray.wait_for_exit(Duration::from_secs(20)), Some(1), "{}", tray.log());
    let log = tray.log();
    assert!(log.contains("another program holds Headroom's name"), "one sentence that says what happened: {log}");
    assert!(log.contains("S-1-5-32-544"), "and whose pipe it is: {log}");
    // It looked at the pipe and said nothing to it.
    assert_eq!(squatter.heard.recv_timeout(Duration::from_secs(5)), Ok(0), "the squatter heard nothing");
    assert!(shell_tray_icons().is_empty(), "no icon");
    assert_eq!(sandbox.usage_requests(), 0, "no polling");
}

#[test]
fn the_pipe_is_owned_by_this_user_and_open_to_this_user_alone() {
    use windows_sys::Win32::Foundation::{
        CloseHandle, GetLastError, LocalFree, ERROR_PIPE_BUSY, GENERIC_READ, GENERIC_WRITE, HANDLE,
    };
    use windows_sys::Win32::Security::Authorization::{
        ConvertSecurityDescriptorToStringSecurityDescriptorW, GetSecurityInfo, SDDL_REVISION_1, SE_KERNEL_OBJECT,
    };
    use windows_sys::Win32::Security::{
        CreateRestrictedToken, ImpersonateLoggedOnUser, RevertToSelf, DACL_SECURITY_INFORMATION,
        OWNER_SECURITY_INFORMATION, SID_AND_ATTRIBUTES, TOKEN_ASSIGN_PRIMARY, TOKEN_DUPLICATE, TOKEN_IMPERSONATE,
        TOKEN_QUERY,
    };
    use windows_sys::Win32::Storage::FileSystem::{CreateFileW, OPEN_EXISTING};
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let sandbox = Sandbox::new();
    sandbox.fake.respond(Route::Usage, scenarios::plus(30.0, 10.0, 7_920, 388_800));
    let tray = sandbox.start("tray");
    tray.wait_for_log("listening for Headroom's windows", Duration::from_secs(20));
    sandbox.become_its_user();
    let name = wide(&headroom_protocol::socket::socket_place());
    let user = headroom_protocol::pipe_security::Sid::of_this_process().unwrap();
    // Every instance may be busy a moment (the tray makes the next one after a connection).
    let open = || -> HANDLE {
        for _ in 0..50 {
            // SAFETY: a NUL-terminated name; the handle is closed by the caller.
            let handle = unsafe {
                CreateFileW(
                    name.as_ptr(),
                    GENERIC_READ | GENERIC_WRITE,
                    0,
                    std::ptr::null(),
                    OPEN_EXISTING,
                    0,
                    std::ptr::null_mut(),
                )
            };
            // SAFETY: a plain query.
            if handle as isize != -1 || unsafe { GetLastError() } != ERROR_PIPE_BUSY {
                return handle;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        -1isize as HANDLE
    };

    // Its owner and its one access rule name this user.
    let pipe = open();
    assert!(pipe as isize != -1, "this user opens the pipe: {}", std::io::Error::last_os_error());
    let (mut descriptor, mut text) = (std::ptr::null_mut(), std::ptr::null_mut::<u16>());
    // SAFETY: out-pointers valid; what the system allocates is freed below.
    let sddl = unsafe {
        let status = GetSecurityInfo(
            pipe,
            SE_KERNEL_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut descriptor,
        );
        assert_eq!(status, 0, "the pipe's security is readable");
        let converted = ConvertSecurityDescriptorToStringSecurityDescriptorW(
            descriptor,
            SDDL_REVISION_1,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut text,
            std::ptr::null_mut(),
        );
        assert_ne!(converted, 0);
        let length = (0..).take_while(|&i| *text.add(i) != 0).count();
        let sddl = String::from_utf16_lossy(std::slice::from_raw_parts(text, length));
        LocalFree(text.cast());
        LocalFree(descriptor);
        CloseHandle(pipe);
        sddl
    };
    let user_text = user.text().unwrap();
    let (owner, dacl) = sddl.split_once("D:").unwrap_or_else(|| panic!("no access list: {sddl}"));
    assert_eq!(owner, format!("O:{user_text}"), "{sddl}");
    assert!(dacl.starts_with('P'), "nothing inherited: {sddl}");
    let rules: Vec<&str> = dacl.split('(').skip(1).collect();
    assert_eq!(rules.len(), 1, "one rule: {sddl}");
    assert!(rules[0].starts_with("A;") && rules[0].ends_with(&format!(";{user_text})")), "{sddl}");

    // Another user's process: a token in which this user's SID only denies, so nothing the
    // access list grants this user is granted to it. Wine runs every program as one user and its
    // access checks ignore deny-only SIDs (such a token opened the pipe there), so this part
    // runs on Windows only; under Wine the access list above is what is checked.
    if under_wine() {
        eprintln!("Wine ignores deny-only SIDs: another user's refusal is checked on Windows only");
        return;
    }
    // SAFETY: handles made here and closed here; the impersonation is reverted.
    unsafe {
        let mut token: HANDLE = std::ptr::null_mut();
        assert_ne!(
            OpenProcessToken(
                GetCurrentProcess(),
                TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY | TOKEN_IMPERSONATE,
                &mut token
            ),
            0
        );
        let disabled = SID_AND_ATTRIBUTES { Sid: user.as_psid(), Attributes: 0 };
        let mut other: HANDLE = std::ptr::null_mut();
        assert_ne!(
            CreateRestrictedToken(token, 0, 1, &disabled, 0, std::ptr::null(), 0, std::ptr::null(), &mut other),
            0,
            "a restricted token: {}",
            std::io::Error::last_os_error()
        );
        assert_ne!(ImpersonateLoggedOnUser(other), 0);
        let refused = open();
        let error = GetLastError();
        RevertToSelf();
        CloseHandle(other);
        CloseHandle(token);
        if refused as isize != -1 {
            CloseHandle(refused);
        }
        assert!(refused as isize == -1 && error == 5, "another user is refused (access denied), got error {error}");
    }
}

/// Whether this runs under Wine (its ntdll has `wine_get_version`).
fn under_wine() -> bool {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
    // SAFETY: ntdll is always loaded; looking up an export by a NUL-terminated name.
    unsafe {
        let ntdll = GetModuleHandleW(wide("ntdll.dll").as_ptr());
        !ntdll.is_null() && GetProcAddress(ntdll, c"wine_get_version".as_ptr().cast()).is_some()
    }
}
