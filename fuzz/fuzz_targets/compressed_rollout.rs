//! A compressed rollout (`rollout-*.jsonl.zst`): any bytes decompress to text or a typed error,
//! never a panic or a runaway allocation, and the text reads as an uncompressed rollout would.
#![no_main]
use headroom_core::tokens::usage::FileUsage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = headroom_core::sources::session_log::decompress(data) {
        for line in text.split(|b| *b == b'\n') {
            let _ = headroom_core::sources::session_log::parse_line(line);
        }
        let _ = FileUsage::default().scan(&text);
    }
});
