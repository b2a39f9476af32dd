//! What the fuzz targets share.

/// Text shaped like a secret (a token's alphabet, long, with digits), so that finding it in a
/// message means the message repeats it, not that the fuzzer spelled out the message's own words.
pub fn token_like(text: &str) -> bool {
    text.len() >= 12
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
        && text.bytes().filter(u8::is_ascii_digit).count() >= 3
}
