//! Codex's session logs: a single line gives rate limits or nothing, never a panic; and the token
//! counter reads a file appended in two steps exactly as it reads it whole (its cache relies on
//! that when `codex resume` appends to a rollout).
#![no_main]
use headroom_core::tokens::usage::FileUsage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&[u8], u16)| {
    let (data, split) = input;
    let _ = headroom_core::sources::session_log::parse_line(data);

    let whole = FileUsage::default().scan(data);
    let split = usize::from(split) % (data.len() + 1);
    let mut appended = FileUsage::default();
    let _ = appended.scan(&data[..split]);
    let after_append = appended.scan(data);
    assert_eq!(whole, after_append, "split at {split}");
});
