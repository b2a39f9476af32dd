//! The settings window's token field: anything pasted is accepted or refused with a sentence,
//! never a panic, and the sentence never repeats what was pasted.
#![no_main]
use headroom_fuzz::token_like;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    if let Err(e) = headroom_core::login::paste::classify(text, now) {
        let trimmed = text.trim();
        if token_like(trimmed) {
            assert!(!e.to_string().contains(trimmed), "{e}");
        }
    }
});

