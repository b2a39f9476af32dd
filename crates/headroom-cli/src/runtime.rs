//! The async runtime a command needs for its one or two requests: one thread is plenty.

/// The single-threaded runtime a command needs for its one request, or the sentence to show.
pub fn single_threaded() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("headroom: could not start ({e}); check that the system allows threads and timers."))
}
