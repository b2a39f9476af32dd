//! Codex's auth.json: any bytes parse or are refused, and neither the login's Debug form nor the
//! refusal ever repeats the access or refresh token found in the file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = headroom_core::login::codex_login::parse_auth_json(data);
    let shown = match &parsed {
        Ok(login) => format!("{login:?}"),
        Err(reason) => reason.clone(),
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    for field in ["access_token", "refresh_token", "id_token"] {
        if let Some(secret) = json.pointer(&format!("/tokens/{field}")).and_then(|v| v.as_str()) {
            if secret.len() >= 12 {
                assert!(!shown.contains(secret), "{field} shown in {shown:?}");
            }
        }
    }
});
