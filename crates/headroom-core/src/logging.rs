//! Where every process's log goes: stderr, filtered by `HEADROOM_LOG`.

/// Logs to stderr, filtered by `HEADROOM_LOG` (else `default`, as `target=level,…`).
pub fn log_to_stderr(default: &str) {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("HEADROOM_LOG").unwrap_or_else(|_| default.into()))
        .init();
}
