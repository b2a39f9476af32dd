//! Standard output that a reader may close early (`headroom usage daily | head -1`): what could
//! not be written is dropped quietly, never a panic ("failed printing to stdout").

use std::io::Write;

/// Writes `text`; 0 when it all went out, 1 when the reader went away or stdout failed.
pub fn print(text: &str) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// `println!` that never panics on a closed pipe.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = crate::output::print(&format!("{}\n", format_args!($($arg)*)));
    }};
}
pub(crate) use say;
