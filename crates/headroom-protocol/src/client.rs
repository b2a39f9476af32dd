//! The window's side of the socket: a [`Link`] sends calls and waits for their answers; what
//! the tray pushes arrives on a channel of its own.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use interprocess::local_socket::tokio::Stream;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};

use crate::calls::{Call, CallError, Relayed};
use crate::messages::{line, next_line, parse_from_tray, FromTray, Malformed, Request};

/// A window process's line to the tray.
#[derive(Clone)]
pub struct Link {
    out: mpsc::UnboundedSender<String>,
    waiting: Arc<Mutex<HashMap<u64, oneshot::Sender<Relayed>>>>,
    next_id: Arc<AtomicU64>,
}

/// Said when the tray is gone mid-call.
fn tray_gone() -> CallError {
    CallError::Unreachable("Headroom's tray has stopped: start Headroom again.".into())
}

impl Link {
    /// Talks over `stream`; what the tray pushes arrives on the returned channel, which closes
    /// when the tray goes away.
    pub fn over(stream: Stream) -> (Link, mpsc::UnboundedReceiver<FromTray>) {
        let (reader, mut writer) = tokio::io::split(stream);
        let (out, mut outgoing) = mpsc::unbounded_channel::<String>();
        let (pushes, pushed) = mpsc::unbounded_channel();
        let waiting: Arc<Mutex<HashMap<u64, oneshot::Sender<Relayed>>>> = Arc::default();
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
                            let _ = waiter.send(FromTray::relayed(ok, err));
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
    pub async fn call(&self, call: Call) -> Relayed {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().unwrap().insert(id, tx);
        if self.out.send(line(&Request { id, call })).is_err() {
            self.waiting.lock().unwrap().remove(&id);
            return Err(tray_gone());
        }
        rx.await.unwrap_or_else(|_| Err(tray_gone()))
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
