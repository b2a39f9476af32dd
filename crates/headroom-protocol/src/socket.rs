//! Where the socket is and who may use it: a Unix socket in a folder only the user can enter
//! (mode 0600, peers of another user refused both ways), a named pipe on Windows; one per
//! Headroom data folder. Claiming it is how a second launch finds the running tray (single
//! instance), and a socket left by a crash is noticed (nobody answers) and replaced.

use std::io;
#[cfg(unix)]
use std::path::PathBuf;

use interprocess::local_socket::tokio::prelude::*;
use interprocess::local_socket::tokio::{Listener, Stream};
use interprocess::local_socket::{ListenerOptions, Name};

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
    #[cfg(unix)]
    let stream = Stream::connect(socket_name()?).await?;
    #[cfg(windows)]
    let stream = open_pipe().await?;
    // On Windows the pipe's owner says whose it is (the tray's process may run elevated, where
    // asking for its user could fail).
    #[cfg(windows)]
    let checked = pipe_is_ours(&stream);
    #[cfg(not(windows))]
    let checked = same_user(&stream);
    checked.map_err(|why| {
        tracing::warn!("refused Headroom's socket at {}: {why}", socket_place());
        io::Error::new(io::ErrorKind::PermissionDenied, why)
    })?;
    Ok(stream)
}

/// Opens the tray's pipe as a client the server may identify but never act as (impersonation
/// at the identification level: a pipe someone else made cannot borrow this user's rights while
/// its owner is checked), waiting a few seconds at most while every instance is busy.
#[cfg(windows)]
async fn open_pipe() -> io::Result<Stream> {
    use std::os::windows::io::{FromRawHandle, OwnedHandle};
    use windows_sys::Win32::Foundation::{ERROR_PIPE_BUSY, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE};
    use windows_sys::Win32::Storage::FileSystem::{
        CreateFileW, FILE_FLAG_OVERLAPPED, FILE_SHARE_READ, FILE_SHARE_WRITE, OPEN_EXISTING, SECURITY_IDENTIFICATION,
        SECURITY_SQOS_PRESENT,
    };
    let name: Vec<u16> = socket_place().encode_utf16().chain([0]).collect();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
    let handle = loop {
        // SAFETY: a NUL-terminated name; the handle is owned below.
        let handle = unsafe {
            CreateFileW(
                name.as_ptr(),
                GENERIC_READ | GENERIC_WRITE,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                std::ptr::null(),
                OPEN_EXISTING,
                FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
                std::ptr::null_mut(),
            )
        };
        if handle != INVALID_HANDLE_VALUE {
            // SAFETY: just opened, owned by nothing else.
            break unsafe { OwnedHandle::from_raw_handle(handle) };
        }
        let error = io::Error::last_os_error();
        if error.raw_os_error() != Some(ERROR_PIPE_BUSY as i32) {
            return Err(error);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "every instance of the pipe stayed busy"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let pipe = interprocess::os::windows::named_pipe::local_socket::tokio::Stream::try_from(handle)
        .map_err(|e| io::Error::other(e.to_string()))?;
    // Nothing written yet: as interprocess's own connect marks it (else a stream dropped unused,
    // a refused pipe, would be handed to its flushing thread).
    pipe.inner().assume_flushed();
    Ok(Stream::from(pipe))
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
    match connect().await {
        Ok(stream) => return Ok(Claim::Running(stream)),
        // Someone else's socket or pipe under Headroom's name: neither talked to nor joined.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => return Err(e),
        Err(_) => {}
    }
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
    #[cfg(windows)]
    {
        use interprocess::os::windows::local_socket::ListenerOptionsExt;
        // The first instance of the name only: a pipe someone else made first is not joined.
        options = options.security_descriptor(crate::pipe_security::pipe_descriptor()?);
    }
    match options.create_tokio() {
        Ok(listener) => Ok(Claim::Listening(listener)),
        // Another tray made the pipe between the look and now (two starts at once: at login
        // and by hand): that one is the tray.
        #[cfg(windows)]
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            connect().await.map(Claim::Running).map_err(|_| e)
        }
        Err(e) => Err(e),
    }
}

/// Only the user who runs the tray may talk to it, and a window believes only a tray of its own
/// user (the socket's mode and folder say so as well; root, whom modes do not stop, is refused
/// here).
pub(crate) fn same_user(stream: &Stream) -> Result<(), String> {
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
    // The tray's side on Windows: the pipe's access list lets this user alone open it; a client
    // whose user can be read and is another is refused as well. One that cannot be asked (an
    // elevated process, one gone already) was let in by the access list.
    #[cfg(windows)]
    {
        use crate::pipe_security::Sid;
        let (Ok(ours), Some(pid)) = (Sid::of_this_process(), stream.peer_creds().ok().and_then(|c| c.pid())) else {
            return Ok(());
        };
        match Sid::of_process(pid) {
            Ok(theirs) if theirs != ours => Err(format!("its other end runs as {}", theirs.text().unwrap_or_default())),
            _ => Ok(()),
        }
    }
}

/// A window's side of [`same_user`] on Windows: the pipe itself must be its user's too (owner
/// of the pipe object), or it was made first by someone else under Headroom's name.
#[cfg(windows)]
fn pipe_is_ours(stream: &Stream) -> Result<(), String> {
    use crate::pipe_security::{handle_of, Sid};
    let ours = Sid::of_this_process().map_err(|e| format!("this process's user could not be read ({e})"))?;
    match Sid::owner_of(handle_of(stream)) {
        Ok(owner) if owner == ours => Ok(()),
        Ok(owner) => Err(format!("the pipe was made by {}, not by this user", owner.text().unwrap_or_default())),
        Err(e) => Err(format!("the pipe's owner could not be read ({e})")),
    }
}
