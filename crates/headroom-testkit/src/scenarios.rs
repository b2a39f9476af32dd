//! Response bodies in the real shapes (re-created from the service's observed answers), with
//! reset times moved to "now + reset_after_seconds" so they read as live.

use serde_json::{json, Value};

use crate::jwt::now_unix;
use crate::response::{Behaviour, FakeResponse};

pub const PLUS_TWO_WINDOWS: &str = include_str!("../../../testdata/usage/plus-two-windows.json");
pub const FREE_WEEKLY_ONLY: &str = include_str!("../../../testdata/usage/free-weekly-only.json");
pub const PLUS_WEEKLY_EXHAUSTED: &str = include_str!("../../../testdata/usage/plus-weekly-exhausted.json");
pub const TEAM_ALL_FIELDS: &str = include_str!("../../../testdata/usage/team-all-fields.json");
pub const CDN_CHALLENGE: &str = include_str!("../../../testdata/usage/cdn-challenge.html");
pub const ENTERPRISE_CREDIT_POOL: &str = include_str!("../../../testdata/usage/enterprise-credit-pool.json");
pub const BUSINESS_POOL_REACHED: &str = include_str!("../../../testdata/usage/business-pool-reached.json");
pub const UNREADABLE_WINDOWS: &str = include_str!("../../../testdata/usage/unreadable-windows.json");
pub const PLAN_ONLY: &str = include_str!("../../../testdata/usage/plan-only.json");
pub const OTHER_WINDOWS: &str = include_str!("../../../testdata/usage/other-windows.json");
pub const PLUS_CREDITS_IN_USE: &str = include_str!("../../../testdata/usage/plus-credits-in-use.json");
pub const SWITCHED_OFF_WINDOWS: &str = include_str!("../../../testdata/usage/switched-off-windows.json");
pub const ALL_WINDOWS_OFF: &str = include_str!("../../../testdata/usage/all-windows-off.json");
pub const LUNA_RESERVE_BLOCKED: &str = include_str!("../../../testdata/usage/luna-reserve-blocked.json");
pub const ABSURD_RESET_TIMES: &str = include_str!("../../../testdata/usage/absurd-reset-times.json");

/// The list of banked reset credits in the service's shape (ISO dates), two usable ones that
/// expire in 10 and 25 days, a redeemed one and an expired one; ids `rc_soon` and `rc_later`.
pub fn reset_credit_list() -> String {
    let day = |days: i64| crate::history::iso(now_unix() + days * 86_400);
    json!({
        "credits": [
            {"id": "rc_later", "reset_type": "codex_rate_limits", "status": "available", "granted_at": day(-5),
             "expires_at": day(25), "title": "Full reset (Weekly + 5 hr)", "description": "Ready to redeem"},
            {"id": "rc_soon", "reset_type": "codex_rate_limits", "status": "available", "granted_at": day(-20),
             "expires_at": day(10), "title": "Full reset (Weekly + 5 hr)", "description": "Ready to redeem"},
            {"id": "rc_used", "reset_type": "codex_rate_limits", "status": "redeemed", "granted_at": day(-30),
             "expires_at": day(5), "title": "Full reset (Weekly + 5 hr)", "description": "Redeemed"},
            {"id": "rc_gone", "reset_type": "codex_rate_limits", "status": "available", "granted_at": day(-40),
             "expires_at": day(-1), "title": "Full reset (Weekly + 5 hr)", "description": "Expired"}
        ],
        "available_count": 2,
        "total_earned_count": 4
    })
    .to_string()
}

/// What Codex's account service answers about a Codex access token's owner.
pub const WHOAMI: &str = r#"{"email":"automation@corp.example","chatgpt_user_id":"user-pat","chatgpt_account_id":"acct-pat","chatgpt_plan_type":"enterprise","chatgpt_account_is_fedramp":false}"#;

/// Every name [`usage`] knows, for the binary's help text.
pub const NAMES: &[&str] = &[
    "plus-two-windows",
    "free-weekly-only",
    "plus-weekly-exhausted",
    "team-all-fields",
    "enterprise-credit-pool",
    "business-pool-reached",
    "unreadable-windows",
    "plan-only",
    "other-windows",
    "plus-credits-in-use",
    "switched-off-windows",
    "all-windows-off",
    "luna-reserve-blocked",
    "absurd-reset-times",
    "cdn-challenge",
    "unauthorized",
    "forbidden",
    "rate-limited",
    "server-error",
    "garbled",
    "cut-off",
    "hang",
];

/// A named scenario for the usage route.
pub fn usage(name: &str) -> Option<FakeResponse> {
    Some(match name {
        "plus-two-windows" => FakeResponse::json(200, live(PLUS_TWO_WINDOWS)),
        "free-weekly-only" => FakeResponse::json(200, live(FREE_WEEKLY_ONLY)),
        "plus-weekly-exhausted" => FakeResponse::json(200, live(PLUS_WEEKLY_EXHAUSTED)),
        "team-all-fields" => FakeResponse::json(200, live(TEAM_ALL_FIELDS)),
        "enterprise-credit-pool" => FakeResponse::json(200, live(ENTERPRISE_CREDIT_POOL)),
        "business-pool-reached" => FakeResponse::json(200, live(BUSINESS_POOL_REACHED)),
        "unreadable-windows" => FakeResponse::json(200, live(UNREADABLE_WINDOWS)),
        "plan-only" => FakeResponse::json(200, live(PLAN_ONLY)),
        "other-windows" => FakeResponse::json(200, live(OTHER_WINDOWS)),
        "plus-credits-in-use" => FakeResponse::json(200, live(PLUS_CREDITS_IN_USE)),
        "switched-off-windows" => FakeResponse::json(200, live(SWITCHED_OFF_WINDOWS)),
        "all-windows-off" => FakeResponse::json(200, live(ALL_WINDOWS_OFF)),
        "luna-reserve-blocked" => FakeResponse::json(200, live(LUNA_RESERVE_BLOCKED)),
        "absurd-reset-times" => FakeResponse::json(200, live(ABSURD_RESET_TIMES)),
        "cdn-challenge" => FakeResponse::html(403, CDN_CHALLENGE),
        "unauthorized" => FakeResponse::json(401, r#"{"detail":"Could not validate your credentials"}"#),
        "forbidden" => FakeResponse::json(403, r#"{"detail":"Forbidden"}"#),
        "rate-limited" => {
            FakeResponse::json(429, r#"{"detail":"Too many requests"}"#).with_header("Retry-After", "120")
        }
        "server-error" => FakeResponse::json(502, r#"{"detail":"Bad gateway"}"#),
        "garbled" => FakeResponse::json(200, live(PLUS_TWO_WINDOWS)).with_behaviour(Behaviour::Garble),
        "cut-off" => FakeResponse::json(200, live(PLUS_TWO_WINDOWS)).with_behaviour(Behaviour::CutAfter(40)),
        "hang" => FakeResponse::json(200, live(PLUS_TWO_WINDOWS)).with_behaviour(Behaviour::Hang),
        _ => return None,
    })
}

/// A Plus body with the given used percentages for the 5-hour and weekly windows, resetting in
/// `five_hour_reset_in` and `weekly_reset_in` seconds.
pub fn plus(five_hour_used: f64, weekly_used: f64, five_hour_reset_in: i64, weekly_reset_in: i64) -> FakeResponse {
    let now = now_unix();
    let reached = five_hour_used >= 100.0 || weekly_used >= 100.0;
    FakeResponse::json(
        200,
        json!({
            "plan_type": "plus",
            "rate_limit": {
                "allowed": !reached,
                "limit_reached": reached,
                "primary_window": {"used_percent": five_hour_used, "limit_window_seconds": 18000,
                                   "reset_after_seconds": five_hour_reset_in, "reset_at": now + five_hour_reset_in},
                "secondary_window": {"used_percent": weekly_used, "limit_window_seconds": 604800,
                                     "reset_after_seconds": weekly_reset_in, "reset_at": now + weekly_reset_in},
            },
            "credits": {"has_credits": false, "unlimited": false, "balance": null},
            "rate_limit_reached_type": if reached { json!({"type": "rate_limit_reached"}) } else { Value::Null },
        })
        .to_string(),
    )
}

/// Moves every window's `reset_at` to now + its `reset_after_seconds`.
pub fn live(body: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<Value>(body) else {
        return body.to_string();
    };
    relive(&mut value, now_unix());
    value.to_string()
}

fn relive(value: &mut Value, now: i64) {
    match value {
        Value::Object(map) => {
            if let Some(after) = map.get("reset_after_seconds").and_then(Value::as_i64) {
                // A reset time that is absurd on purpose (0, 2001) stays as the service sent it.
                if map.get("reset_at").and_then(Value::as_i64).is_some_and(|at| at > 1_500_000_000) {
                    map.insert("reset_at".into(), json!(now + after));
                }
            }
            map.values_mut().for_each(|v| relive(v, now));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| relive(v, now)),
        _ => {}
    }
}

/// One model turn as a Responses API streams it (server-sent events), with the rate-limit
/// headers the usage service puts on it: what Codex turns into a rollout's `token_count` event.
/// `used` is the 5-hour and weekly used %; the usage is 1200 input (200 cached), 30 output (10
/// reasoning), 1230 in all.
pub fn model_turn(text: &str, used: (f64, f64)) -> FakeResponse {
    let events = [
        ("response.created", json!({"type": "response.created", "response": {"id": "resp_fake_1"}})),
        (
            "response.output_item.done",
            json!({"type": "response.output_item.done", "item": {"type": "message", "role": "assistant", "id": "msg_fake_1",
                   "content": [{"type": "output_text", "text": text}]}}),
        ),
        (
            "response.completed",
            json!({"type": "response.completed", "response": {"id": "resp_fake_1", "usage": {
                "input_tokens": 1200, "input_tokens_details": {"cached_tokens": 200},
                "output_tokens": 30, "output_tokens_details": {"reasoning_tokens": 10}, "total_tokens": 1230}}}),
        ),
    ];
    let body: String = events.iter().map(|(name, data)| format!("event: {name}\ndata: {data}\n\n")).collect();
    let now = now_unix();
    FakeResponse { headers: vec![("Content-Type".into(), "text/event-stream".into())], ..FakeResponse::json(200, body) }
        .with_header("x-codex-primary-used-percent", &used.0.to_string())
        .with_header("x-codex-primary-window-minutes", "300")
        .with_header("x-codex-primary-reset-at", &(now + 7_200).to_string())
        .with_header("x-codex-secondary-used-percent", &used.1.to_string())
        .with_header("x-codex-secondary-window-minutes", "10080")
        .with_header("x-codex-secondary-reset-at", &(now + 400_000).to_string())
}
