//! Every parser takes arbitrary bytes without panicking: random bytes, random text, and real
//! samples with random damage (bytes flipped, cut short, spliced).

use chrono::Utc;
use headroom_core::codex_login::parse_auth_json;
use headroom_core::environment::parse_codex_config;
use headroom_core::jwt::decode_claims;
use headroom_core::paste::classify;
use headroom_core::session_log::parse_line;
use headroom_core::usage_body::parse_usage_body;
use proptest::prelude::*;

const SAMPLES: &[&str] = &[
    include_str!("../../../testdata/usage/plus-two-windows.json"),
    include_str!("../../../testdata/usage/team-all-fields.json"),
    include_str!("../../../testdata/usage/free-weekly-only.json"),
    include_str!("../../../testdata/usage/plus-weekly-exhausted.json"),
    include_str!("../../../testdata/session-logs/current-shape.jsonl"),
    include_str!("../../../testdata/session-logs/older-relative-shape.jsonl"),
    include_str!("../../../testdata/session-logs/oldest-flat-shape.jsonl"),
    r#"{"auth_mode":"chatgpt","tokens":{"id_token":"a.eyJlbWFpbCI6IngifQ.c","access_token":"a.eyJleHAiOjF9.c","refresh_token":"r","account_id":"x"}}"#,
    "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjE3OTUzNDAwMDAsImh0dHBzOi8vYXBpLm9wZW5haS5jb20vYXV0aCI6eyJjaGF0Z3B0X3BsYW5fdHlwZSI6InBsdXMifX0.c2ln",
    "chatgpt_base_url = \"https://x\"\ncli_auth_credentials_store = \"auto\"\n",
];

/// A sample with damage: some bytes replaced, then cut at a random point.
fn damaged() -> impl Strategy<Value = Vec<u8>> {
    (
        0..SAMPLES.len(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(which, edits, cut)| {
            let mut bytes = SAMPLES[which].as_bytes().to_vec();
            for (at, byte) in edits {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            let keep = cut.index(bytes.len() + 1);
            bytes.truncate(keep.max(bytes.len() / 2));
            bytes
        })
}

fn any_input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        ".{0,300}".prop_map(String::into_bytes),
        damaged(),
        // JSON-ish structure with random values in the right places.
        (any::<f64>(), any::<i64>(), ".{0,12}").prop_map(|(n, i, s)| format!(
            r#"{{"timestamp":"{s}","type":"event_msg","payload":{{"type":"token_count","rate_limits":{{"primary":{{"used_percent":{n},"window_minutes":{i},"resets_at":{i}}},"secondary_used_percent":"{s}"}}}},"plan_type":"{s}","rate_limit":{{"primary_window":{{"used_percent":{n},"limit_window_seconds":{i},"reset_at":{i},"reset_after_seconds":{i}}}}}}}"#
        ).into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn usage_body_never_panics(bytes in any_input()) {
        if let Ok(snapshot) = parse_usage_body(&bytes, Utc::now()) {
            for window in &snapshot.windows {
                prop_assert!((0.0..=100.0).contains(&window.remaining_percent()));
            }
            let _ = snapshot.blocking_window();
        }
    }

    #[test]
    fn auth_json_never_panics(bytes in any_input()) {
        let _ = parse_auth_json(&bytes);
    }

    #[test]
    fn jwt_never_panics(bytes in any_input()) {
        let _ = decode_claims(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn session_log_line_never_panics(bytes in any_input()) {
        if let Some(snapshot) = parse_line(&bytes) {
            let _ = snapshot.with_resets_applied(Utc::now());
        }
    }

    #[test]
    fn pasted_token_never_panics(bytes in any_input(), prefix in prop::sample::select(vec!["", "Bearer ", "authorizatiön: ", "Cookie: __Secure-next-auth.session-token.0=", "\"", "sk-"])) {
        let text = format!("{prefix}{}", String::from_utf8_lossy(&bytes));
        let _ = classify(&text, Utc::now());
    }

    #[test]
    fn codex_config_never_panics(bytes in any_input()) {
        let _ = parse_codex_config(&String::from_utf8_lossy(&bytes));
    }
}
