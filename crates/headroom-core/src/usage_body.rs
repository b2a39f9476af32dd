//! The usage endpoint's JSON body, parsed leniently: every field optional, every enum open,
//! numbers accepted as numbers or numeric strings, unknown fields ignored.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::model::{Account, Credits, LimitId, SourceKind, SpendControl, UsageSnapshot, UsageWindow, WindowKind};

/// Why a body could not be read as usage numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("an HTML page instead of usage numbers (probably the CDN's bot check)")]
    Html,
    #[error("malformed JSON ({0})")]
    MalformedJson(String),
    #[error("JSON without a `rate_limit` field")]
    MissingRateLimit,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawBody {
    plan_type: Option<Value>,
    rate_limit: Option<Value>,
    code_review_rate_limit: Option<Value>,
    additional_rate_limits: Option<Value>,
    credits: Option<Value>,
    spend_control: Option<Value>,
    rate_limit_reached_type: Option<Value>,
    user_id: Option<Value>,
    account_id: Option<Value>,
    email: Option<Value>,
}

/// Parses a usage response body observed at `observed_at`.
pub fn parse_usage_body(bytes: &[u8], observed_at: DateTime<Utc>) -> Result<UsageSnapshot, BodyError> {
    if looks_like_html(bytes) {
        return Err(BodyError::Html);
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| BodyError::MalformedJson(e.to_string()))?;
    let Value::Object(_) = value else {
        return Err(BodyError::MalformedJson("the body is not a JSON object".into()));
    };
    // The presence test has to see the raw object: `rate_limit: null` is a real answer.
    let has_rate_limit = value.get("rate_limit").is_some();
    let raw: RawBody = serde_json::from_value(value).map_err(|e| BodyError::MalformedJson(e.to_string()))?;
    if !has_rate_limit {
        return Err(BodyError::MissingRateLimit);
    }

    let mut windows = Vec::new();
    let mut limit_reached = false;
    if let Some(rate_limit) = raw.rate_limit.as_ref().filter(|v| v.is_object()) {
        limit_reached |= rate_limit_blocked(rate_limit);
        windows.extend(rate_limit_windows(rate_limit, LimitId::Codex, None, observed_at));
    }
    if let Some(review) = raw.code_review_rate_limit.as_ref().filter(|v| v.is_object()) {
        windows.extend(rate_limit_windows(review, LimitId::CodeReview, None, observed_at));
    }
    if let Some(Value::Array(extra)) = &raw.additional_rate_limits {
        for entry in extra {
            let name = string(entry.get("limit_name"));
            let Some(feature) = string(entry.get("metered_feature")).or_else(|| name.clone()) else {
                continue;
            };
            if let Some(rate_limit) = entry.get("rate_limit").filter(|v| v.is_object()) {
                windows.extend(rate_limit_windows(rate_limit, LimitId::Feature(feature), name, observed_at));
            }
        }
    }
    limit_reached |= windows.iter().any(|w| w.limit == LimitId::Codex && w.is_exhausted());

    Ok(UsageSnapshot {
        plan: string(raw.plan_type.as_ref()).map(|p| p.to_ascii_lowercase()),
        account: Account {
            email: string(raw.email.as_ref()),
            account_id: string(raw.account_id.as_ref()),
            user_id: string(raw.user_id.as_ref()),
        },
        windows,
        credits: raw.credits.as_ref().and_then(parse_credits),
        limit_reached,
        limit_reached_reason: raw
            .rate_limit_reached_type
            .as_ref()
            .and_then(|v| string(v.get("type")).or_else(|| string(Some(v)))),
        spend_control: raw.spend_control.as_ref().and_then(parse_spend_control),
        observed_at,
        source: SourceKind::Api,
    })
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).map(|i| &bytes[i..]).unwrap_or_default();
    start.first() == Some(&b'<')
}

fn rate_limit_blocked(rate_limit: &Value) -> bool {
    boolean(rate_limit.get("limit_reached")).unwrap_or(false) || boolean(rate_limit.get("allowed")) == Some(false)
}

fn rate_limit_windows(
    rate_limit: &Value,
    limit: LimitId,
    limit_name: Option<String>,
    observed_at: DateTime<Utc>,
) -> Vec<UsageWindow> {
    ["primary_window", "secondary_window"]
        .iter()
        .filter_map(|slot| rate_limit.get(*slot))
        .filter_map(|window| parse_window(window, limit.clone(), limit_name.clone(), observed_at))
        .collect()
}

fn parse_window(
    window: &Value,
    limit: LimitId,
    limit_name: Option<String>,
    observed_at: DateTime<Utc>,
) -> Option<UsageWindow> {
    if !window.is_object() {
        return None;
    }
    let window_seconds = number(window.get("limit_window_seconds")).map(|s| s as i64);
    let resets_at = number(window.get("reset_at"))
        .and_then(|s| DateTime::from_timestamp(s as i64, 0))
        .or_else(|| number(window.get("reset_after_seconds")).and_then(|s| seconds_after(observed_at, s)));
    Some(UsageWindow {
        limit,
        limit_name,
        kind: window_seconds.map(WindowKind::from_seconds).unwrap_or(WindowKind::Other),
        window_seconds,
        used_percent: percent(window.get("used_percent")).unwrap_or(0.0),
        resets_at,
        reset_since_observed: false,
    })
}

fn parse_credits(credits: &Value) -> Option<Credits> {
    if !credits.is_object() {
        return None;
    }
    Some(Credits {
        has_credits: boolean(credits.get("has_credits")).unwrap_or(false),
        unlimited: boolean(credits.get("unlimited")).unwrap_or(false),
        balance: number(credits.get("balance")),
        approx_local_messages: range(credits.get("approx_local_messages")),
        approx_cloud_messages: range(credits.get("approx_cloud_messages")),
    })
}

fn parse_spend_control(spend: &Value) -> Option<SpendControl> {
    if !spend.is_object() {
        return None;
    }
    let individual = spend.get("individual_limit");
    Some(SpendControl {
        reached: boolean(spend.get("reached")).unwrap_or(false),
        used_percent: individual.and_then(|i| percent(i.get("used_percent"))),
        resets_at: individual
            .and_then(|i| number(i.get("reset_at")))
            .and_then(|s| DateTime::from_timestamp(s as i64, 0)),
    })
}

/// `at` plus `seconds`, or `None` when that is outside the representable range (the service
/// and damaged logs can send anything).
pub(crate) fn seconds_after(at: DateTime<Utc>, seconds: f64) -> Option<DateTime<Utc>> {
    let delta = chrono::TimeDelta::try_seconds(seconds as i64)?;
    at.checked_add_signed(delta)
}

/// A finite number, from a JSON number or a numeric string ("9.99").
pub(crate) fn number(value: Option<&Value>) -> Option<f64> {
    let n = match value? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// A used percentage, held to 0–100: a service glitch of 104 % or -3 % must not draw a bar past
/// its track or promise more than all of a window (found by fuzzing `parse_usage_body`).
pub(crate) fn percent(value: Option<&Value>) -> Option<f64> {
    number(value).map(|n| n.clamp(0.0, 100.0))
}

pub(crate) fn string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

pub(crate) fn boolean(value: Option<&Value>) -> Option<bool> {
    value?.as_bool()
}

fn range(value: Option<&Value>) -> Option<(f64, f64)> {
    match value? {
        Value::Array(items) if items.len() == 2 => Some((number(items.first())?, number(items.get(1))?)),
        other => number(Some(other)).map(|n| (n, n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/../../testdata/usage/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn plus_with_two_windows() {
        let snap = parse_usage_body(&fixture("plus-two-windows.json"), at()).unwrap();
        assert_eq!(snap.plan.as_deref(), Some("plus"));
        assert_eq!(snap.windows.len(), 2);
        let five = &snap.windows[0];
        assert_eq!((five.kind, five.used_percent, five.window_seconds), (WindowKind::FiveHour, 42.0, Some(18_000)));
        assert_eq!(five.resets_at, DateTime::from_timestamp(1_795_340_000, 0));
        assert_eq!(five.remaining_percent(), 58.0);
        let week = &snap.windows[1];
        assert_eq!((week.kind, week.used_percent), (WindowKind::Weekly, 17.0));
        assert!(!snap.limit_reached);
        assert!(snap.blocking_window().is_none());
        let credits = snap.credits.unwrap();
        assert!(!credits.has_credits && credits.balance.is_none());
    }

    #[test]
    fn free_plan_weekly_window_in_the_primary_slot() {
        let snap = parse_usage_body(&fixture("free-weekly-only.json"), at()).unwrap();
        assert_eq!(snap.plan.as_deref(), Some("free"));
        assert_eq!(snap.windows.len(), 1);
        assert_eq!(snap.windows[0].kind, WindowKind::Weekly);
        assert_eq!(snap.windows[0].used_percent, 8.0);
        assert!(snap.credits.is_none());
    }

    #[test]
    fn weekly_exhausted_blocks_although_the_five_hour_window_is_nearly_empty() {
        let snap = parse_usage_body(&fixture("plus-weekly-exhausted.json"), at()).unwrap();
        assert!(snap.limit_reached);
        assert_eq!(snap.limit_reached_reason.as_deref(), Some("rate_limit_reached"));
        let blocking = snap.blocking_window().unwrap();
        assert_eq!(blocking.kind, WindowKind::Weekly);
        assert_eq!(blocking.resets_at, DateTime::from_timestamp(1_795_542_080, 0));
    }

    #[test]
    fn every_field_of_the_team_body() {
        let snap = parse_usage_body(&fixture("team-all-fields.json"), at()).unwrap();
        assert_eq!(snap.plan.as_deref(), Some("team"));
        assert_eq!(snap.account.email.as_deref(), Some("dev@example.com"));
        assert_eq!(snap.account.account_id.as_deref(), Some("acct-team-1"));
        assert_eq!(snap.account.user_id.as_deref(), Some("user_abc"));
        let limits: Vec<_> = snap.windows.iter().map(|w| (w.limit.as_str(), w.kind, w.used_percent)).collect();
        assert_eq!(
            limits,
            vec![
                ("codex", WindowKind::FiveHour, 61.5),
                ("codex", WindowKind::Weekly, 33.0),
                ("code_review", WindowKind::Weekly, 5.0),
                ("gpt_5_3_codex_spark", WindowKind::FiveHour, 12.0),
            ]
        );
        assert_eq!(snap.windows[3].limit_name.as_deref(), Some("GPT-5.3-Codex-Spark"));
        assert_eq!(snap.windows[3].title(), "GPT-5.3-Codex-Spark 5-hour");
        let credits = snap.credits.unwrap();
        assert_eq!(credits.balance, Some(12.4));
        assert!(credits.has_credits && !credits.unlimited);
        assert_eq!(credits.approx_local_messages, Some((40.0, 60.0)));
        assert_eq!(credits.approx_cloud_messages, Some((8.0, 12.0)));
        assert_eq!(snap.spend_control, Some(SpendControl { reached: false, used_percent: None, resets_at: None }));
        assert_eq!(snap.limit_reached_reason, None);
    }

    #[test]
    fn the_cdn_challenge_page_is_named_as_such() {
        assert_eq!(parse_usage_body(&fixture("cdn-challenge.html"), at()), Err(BodyError::Html));
    }

    #[test]
    fn malformed_and_incomplete_bodies() {
        assert!(matches!(parse_usage_body(b"{\"plan_type\": ", at()), Err(BodyError::MalformedJson(_))));
        assert!(matches!(parse_usage_body(b"[1,2]", at()), Err(BodyError::MalformedJson(_))));
        assert!(matches!(parse_usage_body(b"", at()), Err(BodyError::MalformedJson(_))));
        assert_eq!(parse_usage_body(b"{\"plan_type\":\"plus\"}", at()), Err(BodyError::MissingRateLimit));
        assert_eq!(parse_usage_body(b"{\"detail\":\"Unauthorized\"}", at()), Err(BodyError::MissingRateLimit));
    }

    #[test]
    fn null_rate_limit_and_missing_windows_mean_no_windows() {
        let snap = parse_usage_body(br#"{"plan_type":"enterprise","rate_limit":null}"#, at()).unwrap();
        assert!(snap.windows.is_empty());
        let snap = parse_usage_body(
            br#"{"rate_limit":{"allowed":true,"limit_reached":false,"primary_window":null,"secondary_window":null}}"#,
            at(),
        )
        .unwrap();
        assert!(snap.windows.is_empty());
        assert_eq!(snap.plan, None);
    }

    #[test]
    fn unknown_fields_enum_values_and_loose_types_are_accepted() {
        let body = br#"{
            "plan_type": "Galaxy_Brain",
            "rate_limit": {"allowed": "maybe", "limit_reached": false, "new_flag": 1,
                "primary_window": {"used_percent": "12.5", "limit_window_seconds": 2592000, "reset_at": null,
                                   "reset_after_seconds": 3600, "shape": "new"},
                "secondary_window": {"used_percent": 7, "limit_window_seconds": 1234}},
            "rate_limit_reached_type": {"type": "some_future_reason"},
            "credits": {"has_credits": true, "balance": 3},
            "additional_rate_limits": [{"limit_name": "X"}, 5, {"metered_feature": "y", "rate_limit": null}]
        }"#;
        let snap = parse_usage_body(body, at()).unwrap();
        assert_eq!(snap.plan.as_deref(), Some("galaxy_brain"));
        assert_eq!(snap.windows[0].kind, WindowKind::Monthly);
        assert_eq!(snap.windows[0].used_percent, 12.5);
        assert_eq!(snap.windows[0].resets_at, Some(at() + chrono::Duration::hours(1)));
        assert_eq!(snap.windows[1].kind, WindowKind::Other);
        assert_eq!(snap.windows[1].resets_at, None);
        assert_eq!(snap.limit_reached_reason.as_deref(), Some("some_future_reason"));
        assert_eq!(snap.credits.unwrap().balance, Some(3.0));
        assert_eq!(snap.windows.len(), 2);
    }

    #[test]
    fn percentages_outside_0_to_100_are_held_to_the_range() {
        let body = br#"{"plan_type": "plus", "rate_limit": {
            "primary_window": {"used_percent": 104.5, "limit_window_seconds": 18000},
            "secondary_window": {"used_percent": -3, "limit_window_seconds": 604800}}}"#;
        let snap = parse_usage_body(body, at()).unwrap();
        let used: Vec<f64> = snap.windows.iter().map(|w| w.used_percent).collect();
        assert_eq!(used, [100.0, 0.0]);
    }

    #[test]
    fn a_main_window_at_100_percent_means_limit_reached_even_if_the_flag_lags() {
        let body = br#"{"rate_limit":{"allowed":true,"limit_reached":false,
            "primary_window":{"used_percent":100,"limit_window_seconds":18000,"reset_at":1795340000}}}"#;
        let snap = parse_usage_body(body, at()).unwrap();
        assert!(snap.limit_reached);
        assert_eq!(snap.blocking_window().unwrap().kind, WindowKind::FiveHour);
    }

    #[test]
    fn allowed_false_means_blocked() {
        let body = br#"{"rate_limit":{"allowed":false,"limit_reached":false,
            "primary_window":{"used_percent":99.8,"limit_window_seconds":18000,"reset_at":1795340000}}}"#;
        let snap = parse_usage_body(body, at()).unwrap();
        assert!(snap.limit_reached);
    }
}
