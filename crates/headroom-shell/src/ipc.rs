//! Between the tray process and the window process: a local socket (a Unix socket in a folder
//! only the user can enter, mode 0600, peers of another user refused both ways; a named pipe on
//! Windows), one JSON
//! object a line. A window sends [`Request`]s (a [`Call`] and an id); the tray answers each and
//! pushes what the window shows without asking: the dashboard's numbers on every change, and a
//! window to open. The socket is also how a second launch reaches the running tray (single
//! instance), and a socket left by a crash is noticed (nobody answers) and replaced.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use interprocess::local_socket::tokio::prelude::*;
use interprocess::local_socket::tokio::{Listener, Stream};
use interprocess::local_socket::{ListenerOptions, Name};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::calls::{self, Answer, Call};
use crate::{App, Window};

/// The window process's program, beside the tray's.
pub const WINDOW_PROGRAM: &str = "headroom-window";
/// The tray process's program, beside the window's.
pub const TRAY_PROGRAM: &str = "headroom-tray";

/// The longest line either side accepts: a dashboard of many accounts is a few kilobytes.
pub const MAX_LINE: usize = 512 * 1024;

/// A window's request: `{"id": 7, "call": "refresh"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    #[serde(flatten)]
    pub call: Call,
}

/// What the tray sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FromTray {
    /// The answer to request `id`: `ok` holds the value, or `err` a sentence for the user.
    Answer {
        id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ok: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        err: Option<String>,
    },
    /// The dashboard's numbers changed (a `DashboardView`, passed on to the webview as it is).
    Dashboard { view: Value },
    /// Show this window: the menu, a click on the icon or a second launch asked for it.
    Open { window: Window },
}

impl FromTray {
    fn answer(id: u64, answer: Answer) -> FromTray {
        match answer {
            Ok(value) => FromTray::Answer { id, ok: Some(value), err: None },
            Err(message) => FromTray::Answer { id, ok: None, err: Some(message) },
        }
    }
}

/// A line that is not a message: what was wrong, and the request's id when one could be read
/// (so the sender is answered instead of left waiting).
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed {
    pub id: Option<u64>,
    pub why: String,
}

pub fn parse_request(line: &[u8]) -> Result<Request, Malformed> {
    serde_json::from_slice(line).map_err(|e| {
        let id = serde_json::from_slice::<Value>(line).ok().and_then(|v| v.get("id").and_then(Value::as_u64));
        Malformed { id, why: e.to_string() }
    })
}

pub fn parse_from_tray(line: &[u8]) -> Result<FromTray, Malformed> {
    serde_json::from_slice(line).map_err(|e| Malformed { id: None, why: e.to_string() })
}

/// One message as a line.
pub fn line(message: &impl Serialize) -> String {
    let mut text = serde_json::to_string(message).expect("messages are plain JSON");
    text.push('\n');
    text
}

/// Reads the next line (without its newline); `None` at the end of the stream. A line longer
/// than [`MAX_LINE`] is an error: the peer is not one of ours.
async fn next_line(reader: &mut (impl AsyncBufRead + Unpin), buffer: &mut Vec<u8>) -> io::Result<Option<()>> {
    buffer.clear();
    let read = reader.take(MAX_LINE as u64 + 1).read_until(b'\n', buffer).await?;
    if read == 0 {
        return Ok(None);
    }
    if buffer.last() == Some(&b'\n') {
        buffer.pop();
    } else if buffer.len() > MAX_LINE {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "a message longer than any Headroom sends"));
    }
    Ok(Some(()))
}

/// Where the socket is: one per Headroom data folder (a test's own folders get their own), in a
/// folder only the user can enter (see [`socket_dir`]).
#[cfg(unix)]
pub fn socket_path() -> PathBuf {
    socket_dir().join(format!("tray-{}.sock", instance_tag()))
}

/// The socket's folder: `headroom` in the user's runtime folder; without one (su, `ssh -X`, some
/// startx and WSL setups) `headroom-<uid>` in the temp folder; should that be taken by another
/// user, or open to others, `headroom/run` in the user's cache folder. A folder someone else
/// owns or can enter is never used: another user who made `/tmp/headroom` first answered as
/// "Headroom is running already" and fed the window its own numbers. The tray and its windows
/// find the same folder by the same rule.
#[cfg(unix)]
fn socket_dir() -> PathBuf {
    let uid = euid();
    let candidates = [
        // A runtime folder that is named but not there is no runtime folder.
        dirs::runtime_dir().filter(|dir| dir.is_dir()).map(|dir| dir.join("headroom")),
        Some(std::env::temp_dir().join(format!("headroom-{uid}"))),
        dirs::cache_dir().map(|dir| dir.join("headroom").join("run")),
    ];
    let candidates: Vec<PathBuf> = candidates.into_iter().flatten().collect();
    candidates
        .iter()
        .find(|dir| private_or_absent(dir, uid))
        .or(candidates.last())
        .cloned()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("headroom-{uid}")))
}

#[cfg(unix)]
fn euid() -> u32 {
    // SAFETY: geteuid only reads the process's credentials; it cannot fail.
    unsafe { libc::geteuid() }
}

/// A folder that is not there yet (it will be made private), or a real folder (not a link) of
/// `uid`'s that nobody else can enter.
#[cfg(unix)]
fn private_or_absent(dir: &std::path::Path, uid: u32) -> bool {
    use std::os::unix::fs::MetadataExt;
    match std::fs::symlink_metadata(dir) {
        Err(e) => e.kind() == io::ErrorKind::NotFound,
        Ok(meta) => meta.is_dir() && meta.uid() == uid && meta.mode() & 0o077 == 0,
    }
}

/// A short, stable tag for this user's Headroom data folder.
fn instance_tag() -> String {
    let data = headroom_core::storage::data_dir().unwrap_or_default();
    // FNV-1a: stable across builds, which the tray and the window process must agree on.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in data.as_os_str().as_encoded_bytes() {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", hash as u32)
}

/// The socket's place, for a sentence.
pub fn socket_place() -> String {
    #[cfg(unix)]
    return socket_path().display().to_string();
    #[cfg(not(unix))]
    return format!(r"\\.\pipe\headroom-tray-{}", instance_tag());
}

fn socket_name() -> io::Result<Name<'static>> {
    #[cfg(unix)]
    {
        use interprocess::local_socket::GenericFilePath;
        socket_path().to_fs_name::<GenericFilePath>().map(|n| n.into_owned())
    }
    #[cfg(not(unix))]
    {
        use interprocess::local_socket::GenericNamespaced;
        format!("headroom-tray-{}", instance_tag()).to_ns_name::<GenericNamespaced>().map(|n| n.into_owned())
    }
}

/// Connects to the running tray, if one is listening as this user: a server of another user's
/// is refused before anything is sent to it or believed from it.
pub async fn connect() -> io::Result<Stream> {
    let stream = Stream::connect(socket_name()?).await?;
    same_user(&stream).map_err(|why| {
        tracing::warn!("refused Headroom's socket at {}: {why}", socket_place());
        io::Error::new(io::ErrorKind::PermissionDenied, why)
    })?;
    Ok(stream)
}

/// What starting the tray found.
pub enum Claim {
    /// This process is the tray: it listens.
    Listening(Listener),
    /// Another tray answers on the socket (the stream is connected to it).
    Running(Stream),
}

/// Becomes the one tray: listens on the socket, unless a running tray answers there. A socket
/// file nobody answers on (a crash) is replaced.
pub async fn claim() -> io::Result<Claim> {
    if let Ok(stream) = connect().await {
        return Ok(Claim::Running(stream));
    }
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut options = ListenerOptions::new().name(socket_name()?).try_overwrite(true);
    #[cfg(unix)]
    {
        use interprocess::os::unix::local_socket::ListenerOptionsExt;
        use std::os::unix::fs::DirBuilderExt;
        let path = socket_path();
        if let Some(dir) = path.parent() {
            if let Some(parent) = dir.parent() {
                std::fs::create_dir_all(parent)?;
            }
            match std::fs::DirBuilder::new().mode(0o700).create(dir) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
            // Made by someone else between the look and now: not used.
            if !private_or_absent(dir, euid()) {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("{} belongs to another user or is open to others", dir.display()),
                ));
            }
        }
        options = options.mode(0o600);
    }
    options.create_tokio().map(Claim::Listening)
}

/// The window processes listening to the tray, and what to tell them.
pub struct Hub {
    pushes: broadcast::Sender<String>,
    watchers: AtomicUsize,
    /// A window process on its way (started, not yet watching) and the windows asked for
    /// meanwhile, which it is told to open once it watches. Also held while a watcher is counted,
    /// so that a window asked for is either queued before or pushed after.
    on_its_way: std::sync::Mutex<Option<(std::time::Instant, Vec<Window>)>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub { pushes: broadcast::channel(16).0, watchers: AtomicUsize::new(0), on_its_way: Default::default() }
    }
}

/// How long a started window process may take to watch before another is started instead.
const WINDOW_PROCESS_START: std::time::Duration = std::time::Duration::from_secs(15);

/// Where a window asked for goes (see [`Hub::open`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// The window process shows it now.
    Pushed,
    /// A window process is starting; it shows it once it is up.
    Queued,
    /// None runs or is starting: the caller starts one for it (it has been marked on its way).
    StartOne,
}

impl Hub {
    /// Whether a window process is connected and listening.
    pub fn has_window_process(&self) -> bool {
        self.watchers.load(Ordering::SeqCst) > 0
    }

    /// Marks a window process as on its way (the tray was started by one).
    pub fn expect_window_process(&self) {
        *self.on_its_way.lock().unwrap() = Some((std::time::Instant::now(), Vec::new()));
    }

    /// A window process did not start after all.
    pub fn window_process_failed(&self) {
        *self.on_its_way.lock().unwrap() = None;
    }

    /// When the window process now on its way was started, if one is.
    pub fn on_its_way_since(&self) -> Option<std::time::Instant> {
        self.on_its_way.lock().unwrap().as_ref().map(|(since, _)| *since)
    }

    /// The window process started at `since` ended before it watched: it is no longer on its
    /// way (one started after it still is).
    pub fn window_process_ended(&self, since: std::time::Instant) {
        let mut on_its_way = self.on_its_way.lock().unwrap();
        if on_its_way.as_ref().is_some_and(|(at, _)| *at == since) {
            *on_its_way = None;
        }
    }

    /// Opens `window` in the window process: at once when one watches, when it is up when one is
    /// starting, else the caller starts one.
    pub fn open(&self, window: Window) -> Opening {
        let mut on_its_way = self.on_its_way.lock().unwrap();
        if self.has_window_process() {
            drop(on_its_way);
            self.push(&FromTray::Open { window });
            return Opening::Pushed;
        }
        match on_its_way.as_mut() {
            Some((since, queued)) if since.elapsed() < WINDOW_PROCESS_START => {
                if !queued.contains(&window) {
                    queued.push(window);
                }
                Opening::Queued
            }
            _ => {
                *on_its_way = Some((std::time::Instant::now(), Vec::new()));
                Opening::StartOne
            }
        }
    }

    /// Counts a watcher; `true` for the first (the one pushed to). The first is given the windows
    /// asked for while it was on its way.
    fn watch(&self) -> (bool, Vec<Window>) {
        let mut on_its_way = self.on_its_way.lock().unwrap();
        if self.watchers.fetch_add(1, Ordering::SeqCst) > 0 {
            self.watchers.fetch_sub(1, Ordering::SeqCst);
            return (false, Vec::new());
        }
        (true, on_its_way.take().map(|(_, queued)| queued).unwrap_or_default())
    }

    /// Tells every window process (none listening is fine).
    pub fn push(&self, message: &FromTray) {
        let _ = self.pushes.send(line(message));
    }
}

/// Counts a watching connection for as long as it lives.
struct Watching(Arc<Hub>);

impl Drop for Watching {
    fn drop(&mut self) {
        self.0.watchers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// At most this many connections at once: Headroom's own are one window process and a second
/// launch now and then.
const MAX_CONNECTIONS: usize = 16;
/// Lines waiting to be written to one connection: a peer that lets more pile up is not reading,
/// and is dropped (a client flooding requests without reading grew the tray to 691 MB).
const MAX_QUEUED: usize = 64;
/// Calls of one connection being answered at once; the next waits (and so does reading).
const MAX_CALLS: usize = 8;

/// Answers every connection until the process ends.
pub async fn serve(app: App, listener: Listener, hub: Arc<Hub>) {
    let open = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        match listener.accept().await {
            Ok(stream) => {
                if let Err(why) = same_user(&stream) {
                    tracing::warn!("refused a connection to Headroom's socket: {why}");
                    continue;
                }
                let Ok(slot) = open.clone().try_acquire_owned() else {
                    tracing::warn!("refused a connection to Headroom's socket: {MAX_CONNECTIONS} are open already");
                    continue;
                };
                let (app, hub) = (app.clone(), hub.clone());
                tokio::spawn(async move {
                    connection(app, stream, hub).await;
                    drop(slot);
                });
            }
            Err(e) => {
                tracing::warn!("Headroom's socket could not take a connection ({e})");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }
}

/// The lines waiting for one connection, bounded: a line that does not fit means the peer does
/// not read, and the connection is ended.
#[derive(Clone)]
struct Outbox {
    lines: mpsc::Sender<String>,
    stuck: Arc<tokio::sync::Notify>,
}

impl Outbox {
    /// Queues `text`; false when the connection is gone or its peer does not read.
    fn send(&self, text: String) -> bool {
        match self.lines.try_send(text) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.stuck.notify_one();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// Only the user who runs the tray may talk to it, and a window believes only a tray of its own
/// user (the socket's mode and folder say so as well; root, whom modes do not stop, is refused
/// here).
fn same_user(stream: &Stream) -> Result<(), String> {
    #[cfg(unix)]
    {
        let ours = euid();
        let creds = stream.peer_creds().map_err(|e| format!("its user could not be read ({e})"))?;
        match creds.euid() {
            Some(uid) if uid == ours => Ok(()),
            Some(uid) => Err(format!("its other end is user {uid}'s, not {ours}'s")),
            None => Err("its user could not be read".into()),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = stream;
        Ok(())
    }
}

/// One window process (or a second launch): its requests answered, pushes sent once it watches.
async fn connection(app: App, stream: Stream, hub: Arc<Hub>) {
    let (reader, mut writer) = tokio::io::split(stream);
    let (lines, mut outgoing) = mpsc::channel::<String>(MAX_QUEUED);
    let out = Outbox { lines, stuck: Arc::new(tokio::sync::Notify::new()) };
    let writing = tokio::spawn(async move {
        while let Some(text) = outgoing.recv().await {
            if writer.write_all(text.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    let calls = Arc::new(tokio::sync::Semaphore::new(MAX_CALLS));
    let mut reader = BufReader::new(reader);
    let mut buffer = Vec::new();
    let mut watching = None;
    loop {
        let read = tokio::select! {
            read = next_line(&mut reader, &mut buffer) => read,
            _ = out.stuck.notified() => {
                tracing::warn!("ended a connection to Headroom's socket: it does not read what it is sent");
                break;
            }
        };
        match read {
            Ok(Some(())) => {}
            Ok(None) => break,
            Err(e) => {
                tracing::warn!("ended a connection to Headroom's socket: {e}");
                break;
            }
        }
        match parse_request(&buffer) {
            Ok(Request { id, call: Call::Watch { open } }) => {
                if watching.is_none() {
                    match hub.watch() {
                        (true, queued) => {
                            watching = Some(Watching(hub.clone()));
                            let pushes = hub.pushes.subscribe();
                            for window in queued.into_iter().filter(|w| *w != open) {
                                out.send(line(&FromTray::Open { window }));
                            }
                            tokio::spawn(pass_on(pushes, out.clone()));
                        }
                        // Another window process listens already: it shows the window; this one ends.
                        (false, _) => hub.push(&FromTray::Open { window: open }),
                    }
                }
                out.send(line(&FromTray::answer(id, Ok(Value::Bool(watching.is_some())))));
            }
            Ok(Request { id, call }) => {
                // Reading waits while this connection's calls are all being answered.
                let Ok(permit) = calls.clone().acquire_owned().await else { break };
                let app = app.clone();
                let out = out.clone();
                tokio::spawn(async move {
                    let answer = calls::answer(&app, call).await;
                    out.send(line(&FromTray::answer(id, answer)));
                    drop(permit);
                });
            }
            Err(Malformed { id, why }) => {
                tracing::warn!("ignored a malformed message on Headroom's socket ({why})");
                if let Some(id) = id {
                    let message = "Headroom's tray did not understand the window's request: update Headroom so both parts are the same version.";
                    out.send(line(&FromTray::answer(id, Err(message.into()))));
                }
            }
        }
    }
    drop(watching);
    drop(out);
    writing.abort();
}

/// Passes the hub's pushes on to one window process until it goes.
async fn pass_on(mut pushes: broadcast::Receiver<String>, out: Outbox) {
    loop {
        match pushes.recv().await {
            Ok(text) => {
                if !out.send(text) {
                    break;
                }
            }
            // A slow window missed some: the next push brings it up to date.
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
}

/// A window process's line to the tray.
#[derive(Clone)]
pub struct Link {
    out: mpsc::UnboundedSender<String>,
    waiting: Arc<Mutex<HashMap<u64, oneshot::Sender<Answer>>>>,
    next_id: Arc<AtomicU64>,
}

/// Said when the tray is gone mid-call.
const TRAY_GONE: &str = "Headroom's tray has stopped: start Headroom again.";

impl Link {
    /// Talks over `stream`; what the tray pushes arrives on the returned channel, which closes
    /// when the tray goes away.
    pub fn over(stream: Stream) -> (Link, mpsc::UnboundedReceiver<FromTray>) {
        let (reader, mut writer) = tokio::io::split(stream);
        let (out, mut outgoing) = mpsc::unbounded_channel::<String>();
        let (pushes, pushed) = mpsc::unbounded_channel();
        let waiting: Arc<Mutex<HashMap<u64, oneshot::Sender<Answer>>>> = Arc::default();
        tokio::spawn(async move {
            while let Some(text) = outgoing.recv().await {
                if writer.write_all(text.as_bytes()).await.is_err() {
                    break;
                }
            }
        });
        let answered = waiting.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(reader);
            let mut buffer = Vec::new();
            while let Ok(Some(())) = next_line(&mut reader, &mut buffer).await {
                match parse_from_tray(&buffer) {
                    Ok(FromTray::Answer { id, ok, err }) => {
                        if let Some(waiter) = answered.lock().unwrap().remove(&id) {
                            let _ = waiter.send(match err {
                                Some(message) => Err(message),
                                None => Ok(ok.unwrap_or(Value::Null)),
                            });
                        }
                    }
                    Ok(push) => {
                        let _ = pushes.send(push);
                    }
                    Err(Malformed { why, .. }) => {
                        tracing::warn!("ignored a malformed message from Headroom's tray ({why})")
                    }
                }
            }
            // The tray is gone: every call still waiting is told so (dropping its sender).
            answered.lock().unwrap().clear();
        });
        (Link { out, waiting, next_id: Arc::new(AtomicU64::new(1)) }, pushed)
    }

    /// Sends a call and waits for its answer.
    pub async fn call(&self, call: Call) -> Answer {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().unwrap().insert(id, tx);
        if self.out.send(line(&Request { id, call })).is_err() {
            self.waiting.lock().unwrap().remove(&id);
            return Err(TRAY_GONE.into());
        }
        rx.await.unwrap_or_else(|_| Err(TRAY_GONE.into()))
    }
}

/// Where another of Headroom's programs is: beside this one (as installed and as built), else
/// on the PATH.
pub fn sibling(name: &str) -> PathBuf {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&file)))
        .filter(|path| path.exists())
        .unwrap_or_else(|| PathBuf::from(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_as_its_call_and_id() {
        let request = parse_request(br#"{"id": 7, "call": "pause_alerts", "until_reset": true}"#).unwrap();
        assert_eq!(request, Request { id: 7, call: Call::PauseAlerts { until_reset: true } });
        let request = parse_request(br#"{"id":1,"call":"history"}"#).unwrap();
        assert_eq!(request.call, Call::History { days: None, account: None });
        let open = parse_request(br#"{"id":2,"call":"open","window":"settings"}"#).unwrap();
        assert_eq!(open.call, Call::Open { window: Window::Settings });
    }

    #[test]
    fn every_call_with_fields_round_trips_through_its_line() {
        // A call's own fields share the object with the request's `id`: none may be called so.
        let calls = [
            Call::Watch { open: Window::Settings },
            Call::AddHome { path: "/home/me/.codex-work".into() },
            Call::RemoveAccount { account: "acct-col".into() },
            Call::PinAccount { account: Some("acct-work".into()) },
            Call::PinAccount { account: None },
            Call::History { days: Some(7), account: Some("acct-1".into()) },
            Call::TokenUsage { days: Some(14), account: None },
            Call::PauseAlerts { until_reset: true },
            Call::RunTestHook { index: 2 },
            Call::Open { window: Window::Dashboard },
        ];
        for (id, call) in calls.into_iter().enumerate() {
            let request = Request { id: id as u64 + 3, call };
            let text = line(&request);
            assert!(text.ends_with('\n') && !text[..text.len() - 1].contains('\n'));
            assert_eq!(parse_request(text.trim_end().as_bytes()), Ok(request), "{text}");
        }
    }

    #[test]
    fn windows_asked_for_while_a_window_process_starts_wait_for_it() {
        let hub = Hub::default();
        assert_eq!(hub.open(Window::Dashboard), Opening::StartOne, "none runs: start one");
        assert_eq!(hub.open(Window::Settings), Opening::Queued, "it is on its way: no second one");
        assert_eq!(hub.open(Window::Settings), Opening::Queued);
        assert_eq!(hub.watch(), (true, vec![Window::Settings]), "it is told once it watches");
        assert_eq!(hub.watch(), (false, vec![]), "a second window process is not pushed to");
        assert_eq!(hub.open(Window::Settings), Opening::Pushed);
        hub.watchers.fetch_sub(1, Ordering::SeqCst);
        assert_eq!(hub.open(Window::Dashboard), Opening::StartOne, "it ended: start another");
        hub.window_process_failed();
        assert_eq!(hub.open(Window::Dashboard), Opening::StartOne, "it never started: try again");
    }

    #[test]
    fn a_window_process_that_ends_unwatched_frees_the_next_click_but_not_a_newer_start() {
        let hub = Hub::default();
        assert_eq!(hub.open(Window::Dashboard), Opening::StartOne);
        let first = hub.on_its_way_since().unwrap();
        hub.window_process_ended(first);
        assert_eq!(hub.open(Window::Dashboard), Opening::StartOne, "it died starting: start another at once");
        let second = hub.on_its_way_since().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
        hub.window_process_ended(first);
        assert_eq!(hub.on_its_way_since(), Some(second), "an older one ending does not cancel the newer");
        assert_eq!(hub.open(Window::Settings), Opening::Queued);
    }

    #[test]
    fn a_tray_started_by_a_window_process_waits_for_it() {
        let hub = Hub::default();
        hub.expect_window_process();
        assert_eq!(hub.open(Window::Settings), Opening::Queued, "first run's Settings");
        assert_eq!(hub.watch(), (true, vec![Window::Settings]));
    }

    #[test]
    fn a_malformed_request_is_said_with_its_id_when_it_has_one() {
        let unknown = parse_request(br#"{"id": 9, "call": "format_disk"}"#).unwrap_err();
        assert_eq!(unknown.id, Some(9));
        assert!(unknown.why.contains("format_disk"), "{}", unknown.why);
        let wrong_type = parse_request(br#"{"id": 4, "call": "pause_alerts", "until_reset": "yes"}"#).unwrap_err();
        assert_eq!(wrong_type.id, Some(4));
        for garbage in
            [&b"not json"[..], b"", b"[]", b"{\"call\":\"refresh\"}", b"{\"id\":-1,\"call\":\"refresh\"}", b"\xff\xfe"]
        {
            let error = parse_request(garbage).unwrap_err();
            assert_eq!(error.id, None, "{:?}", String::from_utf8_lossy(garbage));
        }
    }

    #[test]
    fn an_answer_carries_a_value_or_a_sentence() {
        let ok = line(&FromTray::answer(5, Ok(serde_json::json!({"form": 1}))));
        assert_eq!(ok.trim_end(), r#"{"kind":"answer","id":5,"ok":{"form":1}}"#);
        let err = line(&FromTray::answer(6, Err("No token is stored: paste one first.".into())));
        assert_eq!(
            parse_from_tray(err.trim_end().as_bytes()).unwrap(),
            FromTray::answer(6, Err("No token is stored: paste one first.".into()))
        );
        let open = parse_from_tray(br#"{"kind":"open","window":"dashboard"}"#).unwrap();
        assert_eq!(open, FromTray::Open { window: Window::Dashboard });
        assert!(parse_from_tray(br#"{"kind":"open","window":"terminal"}"#).is_err());
    }

    #[tokio::test]
    async fn a_line_too_long_ends_the_reading_and_short_ones_arrive_whole() {
        let mut text = b"{\"id\":1}\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        let mut reader = BufReader::new(&text[..]);
        let mut buffer = Vec::new();
        assert_eq!(next_line(&mut reader, &mut buffer).await.unwrap(), Some(()));
        assert_eq!(buffer, b"{\"id\":1}");
        assert!(next_line(&mut reader, &mut buffer).await.is_err());
        let mut empty = BufReader::new(&b""[..]);
        assert_eq!(next_line(&mut empty, &mut buffer).await.unwrap(), None);
    }
}
