//! JWT claims: any text decodes or is refused, never a panic; a refusal never repeats the token.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = headroom_core::jwt::looks_like_jwt(text);
    if let Err(e) = headroom_core::jwt::decode_claims(text) {
        if token_like(text) {
            assert!(!e.to_string().contains(text), "{e}");
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
