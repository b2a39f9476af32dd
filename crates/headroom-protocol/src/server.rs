//! The tray's side of the socket: the accept loop, one task per connection (its calls answered
//! by an [`Answerer`], at most a few at once; pushes passed on once it watches), and the [`Hub`]
//! that knows whether a window process listens and tells it what to show.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use interprocess::local_socket::tokio::prelude::*;
use interprocess::local_socket::tokio::{Listener, Stream};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::sync::{broadcast, mpsc};

use crate::calls::{Answer, Call, CallError, Reply};
use crate::messages::{line, next_line, parse_request, FromTray, Malformed, Request};
use crate::socket::same_user;
use crate::Window;

/// Whoever answers the windows' calls (the tray's app); the server only carries lines.
pub trait Answerer: Clone + Send + Sync + 'static {
    fn answer(&self, call: Call) -> impl Future<Output = Answer> + Send;
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
pub async fn serve(answerer: impl Answerer, listener: Listener, hub: Arc<Hub>) {
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
                let (answerer, hub) = (answerer.clone(), hub.clone());
                tokio::spawn(async move {
                    connection(answerer, stream, hub).await;
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

/// One window process (or a second launch): its requests answered, pushes sent once it watches.
async fn connection(answerer: impl Answerer, stream: Stream, hub: Arc<Hub>) {
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
                out.send(line(&FromTray::answer(id, Ok(Reply::Watching(watching.is_some())))));
            }
            Ok(Request { id, call }) => {
                // Reading waits while this connection's calls are all being answered.
                let Ok(permit) = calls.clone().acquire_owned().await else { break };
                let answerer = answerer.clone();
                let out = out.clone();
                tokio::spawn(async move {
                    let answer = answerer.answer(call).await;
                    out.send(line(&FromTray::answer(id, answer)));
                    drop(permit);
                });
            }
            Err(Malformed { id, why }) => {
                tracing::warn!("ignored a malformed message on Headroom's socket ({why})");
                if let Some(id) = id {
                    let message = "Headroom's tray did not understand the window's request: update Headroom so both parts are the same version.";
                    out.send(line(&FromTray::answer(id, Err(CallError::Unreachable(message.into())))));
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
