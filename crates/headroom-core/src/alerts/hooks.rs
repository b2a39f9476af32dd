//! The user's hooks: `[[hooks]]` in settings.toml, each a command run on some events, exactly
//! when the engine decides the matching notification (the same once-per-crossing memory), whether
//! or not notifications are on.
//!
//! A hook gets the event in its environment (`HEADROOM_EVENT`, `HEADROOM_ACCOUNT`,
//! `HEADROOM_WINDOW`, `HEADROOM_LEFT_PERCENT`, `HEADROOM_RESETS_AT`) and as JSON on stdin. Its
//! environment is built from a short list of harmless variables, so no token or key Headroom was
//! started with reaches it. It runs without a shell (the user writes `sh -c '…'` for one), at
//! most 30 seconds, its output drained and dropped; a failure is one sentence, never retried.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::model::WindowKind;

/// The longest a hook may run before it is killed.
pub const HOOK_TIME_LIMIT: Duration = Duration::from_secs(30);

/// The events a hook can be run on (`on = [...]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HookEventKind {
    Threshold,
    LimitReached,
    AvailableAgain,
    CreditsInUse,
    LoginRejected,
    LoginExpiring,
}

impl HookEventKind {
    pub const ALL: [HookEventKind; 6] = [
        HookEventKind::Threshold,
        HookEventKind::LimitReached,
        HookEventKind::AvailableAgain,
        HookEventKind::CreditsInUse,
        HookEventKind::LoginRejected,
        HookEventKind::LoginExpiring,
    ];

    pub fn id(self) -> &'static str {
        match self {
            HookEventKind::Threshold => "threshold",
            HookEventKind::LimitReached => "limit_reached",
            HookEventKind::AvailableAgain => "available_again",
            HookEventKind::CreditsInUse => "credits_in_use",
            HookEventKind::LoginRejected => "login_rejected",
            HookEventKind::LoginExpiring => "login_expiring",
        }
    }

    pub fn from_id(id: &str) -> Option<HookEventKind> {
        HookEventKind::ALL.into_iter().find(|k| k.id() == id)
    }
}

/// One `[[hooks]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    pub on: Vec<HookEventKind>,
    /// A command line, split as a shell would split words but run without one.
    pub run: String,
}

/// What happened, as a hook is told.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HookEvent {
    pub event: HookEventKind,
    /// The account's email, else its id.
    pub account: String,
    /// The window ("5h", "weekly", "monthly", "other") for window events.
    pub window: Option<&'static str>,
    /// Percent left, to one decimal, for window events.
    pub left_percent: Option<f64>,
    pub resets_at: Option<DateTime<Utc>>,
    /// The notification's words: what a person would read.
    pub summary: String,
    pub at: DateTime<Utc>,
    /// True for Settings' "Run test event".
    pub test: bool,
}

impl HookEvent {
    /// For a window's event: its left % and reset.
    pub fn for_window(
        event: HookEventKind,
        window: WindowKind,
        left_percent: f64,
        resets_at: Option<DateTime<Utc>>,
        summary: String,
        at: DateTime<Utc>,
    ) -> HookEvent {
        HookEvent {
            event,
            account: String::new(),
            window: Some(window.id()),
            left_percent: Some((left_percent * 10.0).round() / 10.0),
            resets_at,
            summary,
            at,
            test: false,
        }
    }

    /// For a login's event.
    pub fn for_login(event: HookEventKind, summary: String, at: DateTime<Utc>) -> HookEvent {
        HookEvent {
            event,
            account: String::new(),
            window: None,
            left_percent: None,
            resets_at: None,
            summary,
            at,
            test: false,
        }
    }

    /// What "Run test event" sends: a made-up threshold crossing, marked as a test.
    pub fn test(account: &str, now: DateTime<Utc>) -> HookEvent {
        let resets = now + chrono::Duration::hours(2);
        HookEvent {
            account: account.into(),
            test: true,
            ..HookEvent::for_window(
                HookEventKind::Threshold,
                WindowKind::FiveHour,
                20.0,
                Some(resets),
                "A test event from Headroom's settings: Codex 5-hour limit 80% used".into(),
                now,
            )
        }
    }

    /// The variables a hook sees, beside the harmless ones it inherits.
    pub fn environment(&self) -> Vec<(&'static str, String)> {
        let mut vars =
            vec![("HEADROOM_EVENT", self.event.id().to_string()), ("HEADROOM_ACCOUNT", self.account.clone())];
        vars.push(("HEADROOM_WINDOW", self.window.unwrap_or_default().to_string()));
        vars.push(("HEADROOM_LEFT_PERCENT", self.left_percent.map(|p| format!("{p}")).unwrap_or_default()));
        vars.push((
            "HEADROOM_RESETS_AT",
            self.resets_at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default(),
        ));
        vars
    }
}

/// Why a hook did not run to a good end; each is one sentence naming the hook and the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HookError {
    #[error("The hook `{run}` is not a command line Headroom can split ({why}): fix `run` under [[hooks]] in settings.toml.")]
    Unparsable { run: String, why: &'static str },
    #[error("The hook `{run}` could not start: {program} was not found; fix `run` under [[hooks]] in settings.toml (a full path always works).")]
    NotFound { run: String, program: String },
    #[error("The hook `{run}` could not start: {program} is not executable; run `chmod +x {program}` or fix `run` under [[hooks]] in settings.toml.")]
    NotExecutable { run: String, program: String },
    #[error("The hook `{run}` could not start ({cause}).")]
    Spawn { run: String, cause: String },
    #[error("The hook `{run}` ran longer than {seconds} seconds and was stopped: make it quicker, or start its slow part in the background.")]
    TimedOut { run: String, seconds: u64 },
    #[error("The hook `{run}` failed ({status}){}", stderr_tail(.stderr))]
    Failed { run: String, status: String, stderr: String },
}

fn stderr_tail(stderr: &str) -> String {
    match stderr.lines().map(str::trim).rfind(|l| !l.is_empty()) {
        Some(line) => format!(": {}", line.chars().take(160).collect::<String>()),
        None => ".".into(),
    }
}

/// A hook's command line in words, as the platform's own programs read one: a POSIX shell's
/// quoting on Linux and macOS; on Windows the rules of `CommandLineToArgvW`, where a backslash
/// is a path separator (`C:\Users\me\pause.cmd`), not an escape. `None` when a POSIX line
/// leaves a quote open.
#[cfg(windows)]
fn split_command_line(line: &str) -> Option<Vec<String>> {
    Some(winsplit::split(line))
}

#[cfg(not(windows))]
fn split_command_line(line: &str) -> Option<Vec<String>> {
    shlex::split(line)
}

/// The variables a hook inherits from Headroom: what a desktop command needs to reach the user
/// (notify-send, paplay; on Windows what any program needs to start, reach the network and find
/// the user's folders), nothing that could hold a secret.
const INHERITED: [&str; 22] = [
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XDG_RUNTIME_DIR",
    "DBUS_SESSION_BUS_ADDRESS",
    "SystemRoot",
    "SystemDrive",
    "windir",
    "ComSpec",
    "PATHEXT",
    "TEMP",
    "TMP",
    "USERPROFILE",
    "APPDATA",
    "LOCALAPPDATA",
];

/// At most this much of a hook's stderr is kept for its failure sentence; the rest is read and
/// dropped so a chatty hook never fills a pipe or Headroom's memory.
const KEPT_STDERR: usize = 4096;

/// Runs `hook` for `event` and waits for it (at most `limit`). Call it off the polling thread.
pub fn run_hook(hook: &Hook, event: &HookEvent, limit: Duration) -> Result<(), HookError> {
    let run = hook.run.clone();
    let words = split_command_line(&hook.run)
        .ok_or_else(|| HookError::Unparsable { run: run.clone(), why: "an unclosed quote or a trailing backslash" })?;
    let Some((program, args)) = words.split_first() else {
        return Err(HookError::Unparsable { run, why: "it is empty" });
    };
    let mut command = Command::new(program);
    command.args(args).env_clear().stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for name in INHERITED {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command.envs(event.environment());
    #[cfg(unix)]
    {
        // Its own process group, so a hook's children are stopped with it.
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = command.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => HookError::NotFound { run: run.clone(), program: program.clone() },
        std::io::ErrorKind::PermissionDenied => HookError::NotExecutable { run: run.clone(), program: program.clone() },
        _ => HookError::Spawn { run: run.clone(), cause: e.to_string() },
    })?;
    let _running = Running::add(child.id());
    let json = serde_json::to_vec(event).unwrap_or_default();
    let mut stdin = child.stdin.take();
    let feeder = std::thread::spawn(move || {
        // A hook that never reads its stdin is fine: the write fails or blocks only this thread.
        if let Some(stdin) = stdin.as_mut() {
            let _ = stdin.write_all(&json).and_then(|()| stdin.write_all(b"\n"));
        }
    });
    // Each pipe is read to its end on its own thread, which says what it kept when done.
    let drain = |pipe: Option<Box<dyn Read + Send>>, keep: usize| {
        let (done, kept_text) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            if let Some(mut pipe) = pipe {
                let mut buf = [0u8; 8192];
                while let Ok(n @ 1..) = pipe.read(&mut buf) {
                    let room = keep.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
            let _ = done.send(String::from_utf8_lossy(&kept).into_owned());
        });
        kept_text
    };
    let _stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>), 0);
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>), KEPT_STDERR);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < limit => std::thread::sleep(Duration::from_millis(50)),
            _ => break None,
        }
    };
    let Some(status) = status else {
        stop(&mut child);
        let _ = feeder.join();
        return Err(HookError::TimedOut { run, seconds: limit.as_secs().max(1) });
    };
    // The hook is done. Whatever it left running in the background (its own choice) keeps the
    // pipes open, so its last words are waited for only a moment.
    let _ = feeder.join();
    let stderr = stderr.recv_timeout(Duration::from_secs(1)).unwrap_or_default();
    if status.success() {
        Ok(())
    } else {
        let status = match status.code() {
            Some(code) => format!("exit code {code}"),
            None => "stopped by a signal".into(),
        };
        Err(HookError::Failed { run, status, stderr })
    }
}

/// The hooks running now, by process (group) id: quitting stops them (see [`stop_running_hooks`]).
static RUNNING: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

/// A hook counted as running for as long as this lives.
struct Running(u32);

impl Running {
    fn add(pid: u32) -> Running {
        RUNNING.lock().unwrap_or_else(|e| e.into_inner()).push(pid);
        Running(pid)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.lock().unwrap_or_else(|e| e.into_inner()).retain(|&pid| pid != self.0);
    }
}

/// Stops every hook still running, with what each started: asked to end (SIGTERM), then, after
/// `grace`, killed. Called as Headroom quits, so no hook outlives it (a `sleep 601` hook was
/// still running 40 s after Quit). How many were running.
pub fn stop_running_hooks(grace: Duration) -> usize {
    let running = || RUNNING.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let first = running();
    if first.is_empty() {
        return 0;
    }
    if cfg!(unix) {
        signal_groups(&first, false);
        let started = Instant::now();
        while started.elapsed() < grace && !running().is_empty() {
            std::thread::sleep(Duration::from_millis(20));
        }
        // What a hook left behind lives on in its group after the hook itself has ended (a
        // group id is not given to another process while any of its members lives).
        signal_groups(&first, true);
    } else {
        // No polite signal on Windows: the hooks still running are ended with what they started.
        signal_groups(&running(), true);
    }
    first.len()
}

#[cfg(unix)]
fn signal_groups(groups: &[u32], kill: bool) {
    let signal = if kill { libc::SIGKILL } else { libc::SIGTERM };
    for &group in groups {
        // SAFETY: kill(2) on a process group made with `process_group(0)`; no memory is touched.
        unsafe {
            libc::kill(-(group as i32), signal);
        }
    }
}

#[cfg(not(unix))]
fn signal_groups(pids: &[u32], _kill: bool) {
    use std::os::windows::process::CommandExt;
    // CREATE_NO_WINDOW: no console flashes up as Headroom quits.
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    for &pid in pids {
        let _ = std::process::Command::new("taskkill")
            .args(["/F", "/T", "/PID", &pid.to_string()])
            .creation_flags(CREATE_NO_WINDOW)
            .output();
    }
}

/// Kills the hook and everything it started (a hook that ran out of time).
fn stop(child: &mut std::process::Child) {
    stop_group(child);
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(unix)]
fn stop_group(child: &std::process::Child) {
    // SAFETY: kill(2) with a negative pid signals the process group the hook leads (made with
    // `process_group(0)`); no memory is touched.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn stop_group(_child: &std::process::Child) {}

/// The hooks of `hooks` that run on `event`.
pub fn hooks_for(hooks: &[Hook], event: HookEventKind) -> impl Iterator<Item = &Hook> {
    hooks.iter().filter(move |h| h.on.contains(&event))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn hook(run: &str) -> Hook {
        Hook { on: vec![HookEventKind::Threshold], run: run.into() }
    }

    fn event() -> HookEvent {
        HookEvent { account: "dev@example.com".into(), ..HookEvent::test("x", Utc::now()) }
    }

    #[test]
    fn a_hook_gets_the_event_in_its_environment_and_on_stdin_and_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::env::set_var("HEADROOM_HOOK_TEST_SECRET", "secret-token-value");
        let run = format!("sh -c 'env > \"{}\"; cat >> \"{}\"'", out.display(), out.display());
        run_hook(&hook(&run), &event(), HOOK_TIME_LIMIT).unwrap();
        let seen = std::fs::read_to_string(&out).unwrap();
        assert!(seen.contains("HEADROOM_EVENT=threshold\n"), "{seen}");
        assert!(seen.contains("HEADROOM_ACCOUNT=dev@example.com\n"), "{seen}");
        assert!(seen.contains("HEADROOM_WINDOW=5h\n"), "{seen}");
        assert!(seen.contains("HEADROOM_LEFT_PERCENT=20\n"), "{seen}");
        assert!(seen.contains("HEADROOM_RESETS_AT=20"), "{seen}");
        assert!(seen.contains(r#""event":"threshold""#) && seen.contains(r#""test":true"#), "{seen}");
        assert!(!seen.contains("secret-token-value"), "{seen}");
    }

    #[test]
    fn a_missing_or_unexecutable_command_is_one_sentence() {
        let err = run_hook(&hook("no-such-hook-program --x"), &event(), HOOK_TIME_LIMIT).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The hook `no-such-hook-program --x` could not start: no-such-hook-program was not found; fix `run` under [[hooks]] in settings.toml (a full path always works)."
        );
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("hook.sh");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        let err = run_hook(&hook(&script.display().to_string()), &event(), HOOK_TIME_LIMIT).unwrap_err();
        assert!(matches!(err, HookError::NotExecutable { .. }), "{err}");
        assert!(err.to_string().contains("chmod +x"), "{err}");
        assert!(matches!(run_hook(&hook("sh -c 'x"), &event(), HOOK_TIME_LIMIT), Err(HookError::Unparsable { .. })));
        assert!(matches!(run_hook(&hook("  "), &event(), HOOK_TIME_LIMIT), Err(HookError::Unparsable { .. })));
    }

    #[test]
    fn a_failing_hook_says_its_last_words() {
        let err = run_hook(&hook("sh -c 'echo first >&2; echo queue is down >&2; exit 3'"), &event(), HOOK_TIME_LIMIT)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "The hook `sh -c 'echo first >&2; echo queue is down >&2; exit 3'` failed (exit code 3): queue is down"
        );
    }

    #[test]
    fn a_hanging_hook_is_stopped_with_its_children_and_megabytes_of_output_are_dropped() {
        let started = Instant::now();
        let err = run_hook(&hook("sh -c 'sleep 30 & sleep 30'"), &event(), Duration::from_secs(1)).unwrap_err();
        assert!(matches!(err, HookError::TimedOut { seconds: 1, .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
        // Twenty megabytes on stdout and stderr: drained, not kept, and the hook succeeds.
        run_hook(
            &hook("sh -c 'head -c 20000000 /dev/zero; head -c 20000000 /dev/zero >&2'"),
            &event(),
            HOOK_TIME_LIMIT,
        )
        .unwrap();
    }
}

#[cfg(all(test, windows))]
mod windows_tests {
    use super::*;

    fn hook(run: &str) -> Hook {
        Hook { on: vec![HookEventKind::Threshold], run: run.into() }
    }

    #[test]
    fn a_hook_at_a_windows_path_gets_the_event_and_no_secret() {
        // A folder with a space, named with backslashes, as a Windows user writes it.
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("my hooks");
        std::fs::create_dir_all(&folder).unwrap();
        let script = folder.join("on-threshold.cmd");
        let out = folder.join("seen.txt");
        std::fs::write(&script, format!("@set > \"{0}\"\r\n@more >> \"{0}\"\r\n", out.display())).unwrap();
        std::env::set_var("HEADROOM_HOOK_TEST_SECRET", "secret-token-value");
        let event = HookEvent { account: "dev@example.com".into(), ..HookEvent::test("x", Utc::now()) };
        run_hook(&hook(&format!("\"{}\"", script.display())), &event, HOOK_TIME_LIMIT).unwrap();
        let seen = std::fs::read_to_string(&out).unwrap();
        assert!(seen.contains("HEADROOM_EVENT=threshold"), "{seen}");
        assert!(seen.contains("HEADROOM_ACCOUNT=dev@example.com"), "{seen}");
        assert!(
            seen.to_ascii_lowercase().contains("systemroot="),
            "Windows programs get what they need to start: {seen}"
        );
        assert!(seen.contains(r#""event":"threshold""#), "the event on stdin: {seen}");
        assert!(!seen.contains("secret-token-value"), "{seen}");
    }

    #[test]
    fn backslashes_are_path_separators_and_quotes_group_words() {
        assert_eq!(
            split_command_line(r#"C:\Users\me\bin\pause.cmd --queue "build farm""#).unwrap(),
            [r"C:\Users\me\bin\pause.cmd", "--queue", "build farm"]
        );
        let err =
            run_hook(&hook(r"C:\no\such\hook.exe"), &HookEvent::test("x", Utc::now()), HOOK_TIME_LIMIT).unwrap_err();
        assert!(err.to_string().contains(r"C:\no\such\hook.exe was not found"), "{err}");
    }
}
