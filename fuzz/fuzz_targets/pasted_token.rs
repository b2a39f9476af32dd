//! The settings window's token field: anything pasted is accepted or refused with a sentence,
//! never a panic, and the sentence never repeats what was pasted.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    if let Err(e) = headroom_core::paste::classify(text, now) {
        let trimmed = text.trim();
        if token_like(trimmed) {
            assert!(!e.to_string().contains(trimmed), "{e}");
        }
    }
});

/// Text shaped like a secret (a token's alphabet, long, with digits), so that finding it in a
/// message means the message repeats it, not that the fuzzer spelled out the message's own words.
fn token_like(text: &str) -> bool {
    text.len() >= 12
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
        && text.bytes().filter(u8::is_ascii_digit).count() >= 3
}
