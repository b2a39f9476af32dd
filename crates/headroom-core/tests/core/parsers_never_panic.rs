//! Every parser takes arbitrary bytes without panicking: random bytes, random text, and real
//! samples with random damage (bytes flipped, cut short, spliced).

use chrono::Utc;
use headroom_core::environment::parse_codex_config;
use headroom_core::login::codex_login::parse_auth_json;
use headroom_core::login::jwt::decode_claims;
use headroom_core::login::paste::classify;
use headroom_core::sources::session_log::parse_line;
use headroom_core::sources::usage_body::parse_usage_body;
use proptest::prelude::*;
use serde_json::{json, Value};

/// What a field may hold in the service's answers: a number, a numeric string, garbage, null,
/// an empty object, an array; `Some(n)` when it is readable as the number n.
fn loose_number() -> impl Strategy<Value = (Value, Option<f64>)> {
    prop_oneof![
        (0.0..100.0f64).prop_map(|n| (json!(n), Some(n))),
        (0u32..100).prop_map(|n| (json!(n.to_string()), Some(f64::from(n)))),
        Just((json!("0E-10"), Some(0.0))),
        prop::sample::select(vec!["bad", "oops", "", "NaN", "inf", "12%"]).prop_map(|s| (json!(s), None)),
        Just((Value::Null, None)),
        Just((json!({}), None)),
        Just((json!([1]), None)),
        any::<bool>().prop_map(|b| (json!(b), None)),
    ]
}

/// Every view a snapshot feeds: none may panic on what the parsers let through.
fn every_view(snapshot: &headroom_core::UsageSnapshot) {
    use headroom_core::settings::Settings;
    let now = Utc::now();
    let settings = Settings::default();
    let _ = headroom_core::humanize::blocked_sentence(snapshot, now, true);
    let _ = headroom_core::present::dashboard_view::dashboard_view(Some(snapshot), &[], None, &settings, now);
    let _ = headroom_core::present::tray_view::tray_view(&headroom_core::present::tray_view::TrayInputs {
        snapshot: Some(snapshot),
        error: None,
        settings: &settings,
        paused_until: None,
        on_api_key: false,
        fallback_key: false,
        restored_at: None,
        paces: &[],
        label: "me@example.com",
        command: None,
        // The same numbers as a sibling too, for the per-account sections and the hints.
        others: &[headroom_core::present::tray_view::OtherAccount {
            label: "work@example.com",
            snapshot: Some(snapshot),
            error: None,
            command: Some("CODEX_HOME=/w codex".into()),
        }],
        hook_trouble: Some("The hook `x` failed (exit code 1)."),
        now,
    });
    let mut engine = headroom_core::alerts::engine::AlertEngine::new(Default::default());
    let _ = engine.observe(
        snapshot,
        &headroom_core::model::AccountKey::from_stored("acct"),
        &settings,
        Default::default(),
        now,
    );
    for window in &snapshot.windows {
        let _ = window.title();
    }
}

const SAMPLES: &[&str] = &[
    include_str!("../../../../testdata/usage/plus-two-windows.json"),
    include_str!("../../../../testdata/usage/team-all-fields.json"),
    include_str!("../../../../testdata/usage/free-weekly-only.json"),
    include_str!("../../../../testdata/usage/plus-weekly-exhausted.json"),
    include_str!("../../../../testdata/usage/enterprise-credit-pool.json"),
    include_str!("../../../../testdata/usage/business-pool-reached.json"),
    include_str!("../../../../testdata/usage/unreadable-windows.json"),
    include_str!("../../../../testdata/usage/plus-credits-in-use.json"),
    include_str!("../../../../testdata/usage/other-windows.json"),
    include_str!("../../../../testdata/usage/switched-off-windows.json"),
    include_str!("../../../../testdata/usage/luna-reserve-blocked.json"),
    include_str!("../../../../testdata/usage/absurd-reset-times.json"),
    include_str!("../../../../testdata/session-logs/reserve-tagged-codex.jsonl"),
    r#"{"credits":[{"id":"rc_1","reset_type":"codex_rate_limits","status":"available","granted_at":"2026-06-17T00:00:00Z","expires_at":"2026-07-17T00:00:00Z","title":"Full reset (Weekly + 5 hr)","description":"Ready to redeem"}],"available_count":1,"total_earned_count":4}"#,
    r#"{"code":"reset","windows_reset":2,"credit":{"id":"rc_1"}}"#,
    r#"{"agent_identity":{"agent_runtime_id":"rt","agent_private_key":"-----BEGIN PRIVATE KEY-----x","account_id":"a","chatgpt_user_id":"u","email":"e","plan_type":"plus"}}"#,
    r#"{"timestamp":"2026-12-01T10:00:11.162Z","ordinal":12,"type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":1200,"cached_input_tokens":200,"cache_write_input_tokens":0,"output_tokens":30,"reasoning_output_tokens":10,"total_tokens":1230},"last_token_usage":{"input_tokens":1200,"cached_input_tokens":200,"cache_write_input_tokens":0,"output_tokens":30,"reasoning_output_tokens":10,"total_tokens":1230},"last_usage_includes_reasoning":false},"rate_limits":{"limit_id":"codex_bengalfox","limit_name":null,"primary":{"used_percent":37.5,"window_minutes":300,"resets_at":1796126411},"secondary":null,"credits":null,"individual_limit":{"limit":"100","used":"5"},"spend_control_reached":true,"plan_type":null}}}"#,
    r#"{"personal_access_token":"at-abc","tokens":{"accessToken":"x","refreshToken":"r"},"bedrock_api_key":{"api_key":"k"},"agent_identity":"j"}"#,
    include_str!("../../../../testdata/session-logs/current-shape.jsonl"),
    include_str!("../../../../testdata/session-logs/older-relative-shape.jsonl"),
    include_str!("../../../../testdata/session-logs/oldest-flat-shape.jsonl"),
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
            every_view(&snapshot);
        }
    }

    /// A window is shown exactly when its percentage is readable, and then with that number:
    /// nothing invented, nothing left out.
    #[test]
    fn a_window_is_shown_iff_its_percentage_is_readable(
        (used, readable) in loose_number(),
        (length, length_n) in loose_number(),
        (pool_used, pool_used_n) in loose_number(),
        (pool_limit, pool_limit_n) in loose_number(),
        (pool_pct, pool_pct_n) in loose_number(),
        (resets, resets_n) in loose_number(),
    ) {
        let body = json!({
            "plan_type": "enterprise",
            "rate_limit": {"primary_window": {"used_percent": used, "limit_window_seconds": length, "reset_after_seconds": 60}},
            "spend_control": {"reached": false, "individual_limit": {"used": pool_used, "limit": pool_limit, "used_percent": pool_pct}},
            "rate_limit_reset_credits": {"available_count": resets},
        });
        let snapshot = parse_usage_body(body.to_string().as_bytes(), Utc::now()).unwrap();
        let main: Vec<f64> = snapshot.main_windows().map(|w| w.used_percent).collect();
        // (serde_json's float reading is not always exact in the last bit: compare closely.)
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            (a, b) => a.is_none() && b.is_none(),
        };
        // A length of 0 is a window the service switched off: no window, whatever its percentage.
        let switched_off = length_n == Some(0.0);
        prop_assert_eq!(main.len(), usize::from(readable.is_some() && !switched_off));
        prop_assert_eq!(snapshot.switched_off.len(), usize::from(switched_off));
        prop_assert!(close(main.first().copied(), readable.filter(|_| !switched_off)));
        let pool = snapshot.windows.iter().find(|w| w.limit == headroom_core::LimitId::CreditPool).map(|w| w.used_percent);
        let expected = match (pool_used_n.filter(|u| *u >= 0.0), pool_limit_n.filter(|l| *l > 0.0)) {
            (Some(u), Some(l)) => Some((u / l * 100.0).clamp(0.0, 100.0)),
            _ => pool_pct_n.map(|p| p.clamp(0.0, 100.0)),
        };
        prop_assert!(close(pool, expected), "{:?} vs {:?}", pool, expected);
        prop_assert_eq!(snapshot.reset_credits, resets_n.map(|n| n as u32));
        prop_assert_eq!(snapshot.unreadable.is_empty(), (readable.is_some() || switched_off) && (pool.is_some() || body["spend_control"]["individual_limit"].as_object().is_none()));
        every_view(&snapshot);
    }

    #[test]
    fn compressed_rollouts_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), cut in any::<prop::sample::Index>()) {
        let _ = headroom_core::sources::session_log::decompress(&bytes[..]);
        let real = zstd::encode_all(SAMPLES[5].as_bytes(), 3).unwrap();
        let damaged = &real[..cut.index(real.len() + 1)];
        if let Ok(text) = headroom_core::sources::session_log::decompress(damaged) {
            prop_assert!(SAMPLES[5].as_bytes().starts_with(&text));
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
            every_view(&snapshot);
            let _ = snapshot.with_resets_applied(Utc::now());
        }
    }

    #[test]
    fn reset_credit_answers_never_panic(bytes in any_input()) {
        let now = Utc::now();
        let _ = headroom_core::sources::reset_credits::parse_outcome(&bytes);
        if let Ok(list) = headroom_core::sources::reset_credits::parse_list(&bytes, now) {
            prop_assert!(list.credits.iter().all(|c| !c.id.trim().is_empty() && c.expires_at.is_none_or(|at| at > now)));
        }
    }

    /// Whatever turns and buckets a rollout holds, the plan's numbers come from the newest
    /// plan-tagged line that is not the reserve's (a weekly-only line on a reserve turn), and the
    /// reserve's never stand in, reading backwards (the newest numbers) or forwards (the history).
    #[test]
    fn rollout_lines_go_to_their_bucket(turns in prop::collection::vec((prop::sample::select(vec!["gpt-reserve", "gpt-6-terra", ""]),
        prop::collection::vec((0u8..4, 0u8..=100), 0..4)), 1..6)) {
        let mut text = String::new();
        let mut second = 0;
        let mut expected_plan: Option<f64> = None;
        // A turn without a turn_context line runs on the model named last.
        let mut current = "";
        for (model, lines) in &turns {
            if !model.is_empty() {
                current = model;
                text.push_str(&format!("{{\"timestamp\":\"2026-11-20T09:00:{second:02}Z\",\"type\":\"turn_context\",\"payload\":{{\"model\":\"{model}\"}}}}\n"));
            }
            for (shape, used) in lines {
                second += 1;
                let used = f64::from(*used);
                let limits = match shape {
                    // The plan: both windows; the reserve tagged `codex`, weekly only; the reserve by name; premium with no windows.
                    0 => format!(r#"{{"limit_id":"codex","primary":{{"used_percent":{used},"window_minutes":300}},"secondary":{{"used_percent":1,"window_minutes":10080}}}}"#),
                    1 => format!(r#"{{"limit_id":"codex","primary":{{"used_percent":{used},"window_minutes":10080}},"secondary":null}}"#),
                    2 => format!(r#"{{"limit_id":"base_model_inference","limit_name":"gpt-reserve","primary":{{"used_percent":{used},"window_minutes":10080}}}}"#),
                    _ => r#"{"limit_id":"premium","primary":null,"secondary":null}"#.to_string(),
                };
                text.push_str(&format!("{{\"timestamp\":\"2026-11-20T09:00:{second:02}Z\",\"type\":\"event_msg\",\"payload\":{{\"type\":\"token_count\",\"rate_limits\":{limits}}}}}\n"));
                // The plan's line with its 5-hour window is the plan's on any turn.
                if *shape == 0 || (current != "gpt-reserve" && *shape == 1) {
                    expected_plan = Some(used);
                }
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout-x.jsonl");
        std::fs::write(&path, &text).unwrap();
        let (finding, _) = headroom_core::sources::session_log::newest_in_file(&path).unwrap();
        let plan = finding.main.as_ref().map(|s| s.windows[0].used_percent);
        prop_assert_eq!(plan, expected_plan, "{}", text);
        let forwards: Vec<_> = headroom_core::sources::session_log::snapshots_in(text.as_bytes())
            .filter(|s| s.windows[0].limit == headroom_core::LimitId::Codex)
            .map(|s| s.windows[0].used_percent)
            .collect();
        prop_assert_eq!(forwards.last().copied(), expected_plan);
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
