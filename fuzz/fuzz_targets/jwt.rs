//! JWT claims: any text decodes or is refused, never a panic; a refusal never repeats the token.
#![no_main]
use headroom_fuzz::token_like;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = headroom_core::login::jwt::looks_like_jwt(text);
    if let Err(e) = headroom_core::login::jwt::decode_claims(text) {
        if token_like(text) {
            assert!(!e.to_string().contains(text), "{e}");
        }
    }
});

