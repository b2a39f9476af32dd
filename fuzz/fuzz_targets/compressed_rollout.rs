//! A compressed rollout (`rollout-*.jsonl.zst`): any bytes decompress to text or a typed error,
//! never a panic or a runaway allocation, and the text reads as an uncompressed rollout would.
#![no_main]
use headroom_core::token_usage::FileUsage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = headroom_core::session_log::decompress(data) {
        for line in text.split(|b| *b == b'\n') {
            let _ = headroom_core::session_log::parse_line(line);
        }
        let _ = FileUsage::default().scan(&text);
    }
});
