//! The usage endpoint's JSON body, read field by field: every field optional, every enum open,
//! numbers accepted as numbers or numeric strings ("17", "0E-10"), camelCase spellings beside
//! snake_case, unknown fields ignored.
//!
//! What cannot be read is left out, never guessed: a window without a readable percentage is no
//! window (a tracker that says "all left" when it does not know is worse than none), and is named
//! in the snapshot's `unreadable` list so `doctor` can say so. Only a body that is not a JSON
//! object at all is an invalid answer; one without `rate_limit` still carries the plan, credits,
//! credit pools and reset credits.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::json::{boolean, number, seconds, seconds_after, string, unix_time};

use crate::model::{
    Account, Credits, LimitId, PoolCredits, SourceKind, SpendControl, UsageSnapshot, UsageWindow, WindowKind,
    RESERVE_FEATURE, RESERVE_LIMIT_NAME,
};

/// Why a body could not be read as an answer at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("an HTML page instead of usage numbers (probably the CDN's bot check)")]
    Html,
    #[error("malformed JSON ({0})")]
    MalformedJson(String),
}

/// Parses a usage response body observed at `observed_at`.
pub fn parse_usage_body(bytes: &[u8], observed_at: DateTime<Utc>) -> Result<UsageSnapshot, BodyError> {
    if looks_like_html(bytes) {
        return Err(BodyError::Html);
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| BodyError::MalformedJson(e.to_string()))?;
    let Value::Object(body) = value else {
        return Err(BodyError::MalformedJson("the body is not a JSON object".into()));
    };
    let mut reader =
        WindowReader { observed_at, windows: Vec::new(), unreadable: Vec::new(), switched_off: Vec::new() };

    let rate_limit = field(&body, &["rate_limit", "rateLimit"]).filter(|v| v.is_object());
    let mut limit_reached = false;
    if let Some(rate_limit) = rate_limit {
        limit_reached |= rate_limit_blocked(rate_limit);
        reader.rate_limit(rate_limit, "rate_limit", &LimitId::Codex, &LimitLabel::default());
    }
    if let Some(review) = field(&body, &["code_review_rate_limit", "codeReviewRateLimit"]).filter(|v| v.is_object()) {
        reader.rate_limit(review, "code_review_rate_limit", &LimitId::CodeReview, &LimitLabel::default());
    }
    if let Some(Value::Array(extra)) = field(&body, &["additional_rate_limits", "additionalRateLimits"]) {
        for (i, entry) in extra.iter().enumerate() {
            // Garbage elements (null, strings, numbers) and entries without a limit are skipped.
            let Some(entry) = entry.as_object() else { continue };
            let name = string(field(entry, &["limit_name", "limitName"])).filter(|n| !n.trim().is_empty());
            let Some(feature) = string(field(entry, &["metered_feature", "meteredFeature"])).or_else(|| name.clone())
            else {
                continue;
            };
            let Some(rate_limit) = field(entry, &["rate_limit", "rateLimit"]).filter(|v| v.is_object()) else {
                continue;
            };
            let place = format!("additional_rate_limits[{i}] ({})", name.as_deref().unwrap_or(&feature));
            let model = string(field(entry, &["normal_model_slug", "normalModelSlug"]));
            reader.rate_limit(rate_limit, &place, &model_limit(&feature, name.as_deref()), &LimitLabel { name, model });
        }
    }

    let spend = field(&body, &["spend_control", "spendControl"]).filter(|v| v.is_object());
    // The same monthly pool appears in up to three places; the first readable one is shown.
    let pools = [
        ("spend_control.individual_limit", spend.and_then(|s| field_of(s, &["individual_limit", "individualLimit"]))),
        ("rate_limit.individual_limit", rate_limit.and_then(|r| field_of(r, &["individual_limit", "individualLimit"]))),
        ("individual_limit", field(&body, &["individual_limit", "individualLimit"])),
    ];
    reader.credit_pool(&pools);

    let spend_control = spend.map(|s| SpendControl { reached: boolean(s.get("reached")).unwrap_or(false) });
    limit_reached |= spend_control.as_ref().is_some_and(|s| s.reached);
    limit_reached |= reader.windows.iter().any(|w| w.limit == LimitId::Codex && w.is_exhausted());

    Ok(UsageSnapshot {
        plan: string(field(&body, &["plan_type", "planType"])).map(|p| p.to_ascii_lowercase()),
        account: Account {
            email: string(body.get("email")),
            account_id: string(field(&body, &["account_id", "accountId"])),
            user_id: string(field(&body, &["user_id", "userId"])),
        },
        windows: reader.windows,
        credits: body.get("credits").and_then(parse_credits),
        limit_reached,
        limit_reached_reason: field(&body, &["rate_limit_reached_type", "rateLimitReachedType"])
            .and_then(|v| string(v.get("type")).or_else(|| string(Some(v)))),
        spend_control,
        reset_credits: field(&body, &["rate_limit_reset_credits", "rateLimitResetCredits"])
            .and_then(|r| count(field_of(r, &["available_count", "availableCount"]))),
        unreadable: reader.unreadable,
        switched_off: reader.switched_off,
        reset_credit_list: None,
        observed_at,
        source: SourceKind::Api,
    })
}

/// The limit a per-model entry is: Luna Reserve by its feature or its name, else the model's own.
fn model_limit(feature: &str, name: Option<&str>) -> LimitId {
    if feature == RESERVE_FEATURE || name == Some(RESERVE_LIMIT_NAME) {
        LimitId::LunaReserve
    } else {
        LimitId::Feature(feature.to_string())
    }
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).map(|i| &bytes[i..]).unwrap_or_default();
    start.first() == Some(&b'<')
}

/// The first of `names` present (and not null) in an object.
fn field<'a>(object: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| object.get(*n).filter(|v| !v.is_null()))
}

fn field_of<'a>(value: &'a Value, names: &[&str]) -> Option<&'a Value> {
    value.as_object().and_then(|o| field(o, names))
}

fn rate_limit_blocked(rate_limit: &Value) -> bool {
    boolean(rate_limit.get("limit_reached")).unwrap_or(false) || boolean(rate_limit.get("allowed")) == Some(false)
}

/// Collects the windows of one answer, what could not be read, and what is switched off.
struct WindowReader {
    observed_at: DateTime<Utc>,
    windows: Vec<UsageWindow>,
    unreadable: Vec<String>,
    switched_off: Vec<String>,
}

/// The per-model fields a window of `additional_rate_limits` carries beside its numbers.
#[derive(Clone, Default)]
struct LimitLabel {
    name: Option<String>,
    model: Option<String>,
}

impl WindowReader {
    fn rate_limit(&mut self, rate_limit: &Value, place: &str, limit: &LimitId, label: &LimitLabel) {
        for slot in ["primary_window", "secondary_window"] {
            let camel = if slot == "primary_window" { "primaryWindow" } else { "secondaryWindow" };
            let Some(window) = field_of(rate_limit, &[slot, camel]) else { continue };
            let place = format!("{place}.{slot}");
            match read_window(window, &place, self.observed_at) {
                WindowRead::Window(w, dropped) => {
                    self.unreadable.extend(dropped);
                    let w = UsageWindow {
                        limit: limit.clone(),
                        limit_name: label.name.clone(),
                        model: label.model.clone(),
                        ..w
                    };
                    // One model's 5-hour and weekly windows may come split over two entries; the
                    // very same window twice is shown once.
                    if !self
                        .windows
                        .iter()
                        .any(|o| o.limit == w.limit && o.kind == w.kind && o.window_seconds == w.window_seconds)
                    {
                        self.windows.push(w);
                    }
                }
                WindowRead::SwitchedOff => self.switched_off.push(place),
                WindowRead::Unreadable(why) => self.unreadable.push(why),
            }
        }
    }

    fn credit_pool(&mut self, pools: &[(&str, Option<&Value>)]) {
        let mut unreadable = Vec::new();
        for (place, pool) in pools {
            let Some(pool) = pool.filter(|p| p.as_object().is_some_and(|o| !o.is_empty())) else { continue };
            match parse_pool(pool, self.observed_at) {
                Some(window) => {
                    self.windows.push(window);
                    return;
                }
                None => unreadable.push(format!("{place} (no readable amount)")),
            }
        }
        self.unreadable.extend(unreadable);
    }
}

/// One window as read: a window (with the values in it that were dropped as unusable), a window
/// the service has switched off, or one that cannot be read (why, in a few words).
enum WindowRead {
    Window(UsageWindow, Vec<String>),
    SwitchedOff,
    Unreadable(String),
}

/// A window as Codex's own client reads one: a length of 0 is a switched-off window (no window,
/// not "0 % used"); a percentage that is missing or outside 0–100 makes it unreadable; a reset
/// time that cannot be true is dropped (see [`plausible_reset`]).
fn read_window(window: &Value, place: &str, observed_at: DateTime<Utc>) -> WindowRead {
    let length = number(field_of(window, &["limit_window_seconds", "limitWindowSeconds"]));
    match length {
        Some(0.0) => return WindowRead::SwitchedOff,
        Some(l) if l < 0.0 => return WindowRead::Unreadable(format!("{place} (a negative length, {l})")),
        _ => {}
    }
    let window_seconds = seconds(field_of(window, &["limit_window_seconds", "limitWindowSeconds"]));
    let used_percent = match number(field_of(window, &["used_percent", "usedPercent"])) {
        None => return WindowRead::Unreadable(format!("{place} (no readable percentage)")),
        Some(p) if !in_percent_range(p) => {
            return WindowRead::Unreadable(format!("{place} (used_percent {p} is outside 0–100)"))
        }
        Some(p) => p.clamp(0.0, 100.0),
    };
    let (resets_at, dropped) = plausible_reset(
        field_of(window, &["reset_at", "resets_at", "resetAt", "resetsAt"]),
        field_of(window, &["reset_after_seconds", "resetAfterSeconds"]),
        observed_at,
        window_seconds,
        place,
    );
    let kind = window_seconds.map(WindowKind::from_seconds).unwrap_or(WindowKind::Other);
    WindowRead::Window(UsageWindow { window_seconds, ..UsageWindow::main(kind, used_percent, resets_at) }, dropped)
}

/// 0–100, with room for the last bit of a float's rounding.
pub(crate) fn in_percent_range(p: f64) -> bool {
    (-1e-9..=100.0 + 1e-9).contains(&p)
}

/// No window is longer than this: a reset further before the answer is not its reset.
const LONGEST_WINDOW: i64 = 32 * 86_400;
/// A reset further ahead than two years is no reset time either.
const FARTHEST_RESET: i64 = 2 * 366 * 86_400;

/// A window's reset time, from the absolute field (`reset_at`, unix seconds) unless it cannot be
/// true — 0, before the answer by more than the window's length, or more than two years ahead —
/// then from the relative one (`reset_after_seconds`), which must not be negative. With neither
/// usable the reset time is unknown. The values dropped are named (`{place}.reset_at (…)`) for
/// `doctor`.
pub(crate) fn plausible_reset(
    absolute: Option<&Value>,
    relative: Option<&Value>,
    observed_at: DateTime<Utc>,
    window_seconds: Option<i64>,
    place: &str,
) -> (Option<DateTime<Utc>>, Vec<String>) {
    let length = window_seconds.filter(|s| *s > 0).unwrap_or(LONGEST_WINDOW);
    let mut dropped = Vec::new();
    let absolute_time = match number(absolute) {
        None => None,
        Some(s) => {
            let time = unix_time(absolute);
            let fits = time.is_some_and(|t| {
                s > 0.0
                    && (t - observed_at).num_seconds() >= -length
                    && (t - observed_at).num_seconds() <= FARTHEST_RESET
            });
            if fits {
                time
            } else {
                let when = match time {
                    Some(t) if s != 0.0 => t.format("%Y-%m-%d %H:%M UTC").to_string(),
                    _ => s.to_string(),
                };
                dropped.push(format!("{place}.reset_at ({when}, which cannot be this window's reset)"));
                None
            }
        }
    };
    let relative_time = match number(relative) {
        None => None,
        Some(s) if s >= 0.0 && s <= FARTHEST_RESET as f64 => seconds_after(observed_at, s),
        Some(s) => {
            dropped.push(format!("{place}.reset_after_seconds ({s}, not a time to come)"));
            None
        }
    };
    (absolute_time.or(relative_time), dropped)
}

/// A monthly credit pool as a window of its own: used % from `used`/`limit` when both are given,
/// else from `used_percent`, else from what remains.
pub(crate) fn parse_pool(pool: &Value, observed_at: DateTime<Utc>) -> Option<UsageWindow> {
    let get = |names: &[&str]| number(field_of(pool, names));
    let limit = get(&["limit"]).filter(|l| *l > 0.0);
    let used = get(&["used"]).filter(|u| *u >= 0.0);
    let remaining = get(&["remaining"]).filter(|r| *r >= 0.0);
    let used_credits = used.or_else(|| Some(limit? - remaining?));
    let used_percent = match (used_credits, limit) {
        (Some(used), Some(limit)) => Some(used / limit * 100.0),
        _ => get(&["used_percent", "usedPercent"])
            .or_else(|| get(&["remaining_percent", "remainingPercent"]).map(|r| 100.0 - r)),
    }
    .filter(|p| p.is_finite())?
    .clamp(0.0, 100.0);
    Some(UsageWindow {
        limit: LimitId::CreditPool,
        limit_name: None,
        kind: WindowKind::Monthly,
        window_seconds: None,
        used_percent,
        resets_at: plausible_reset(
            field_of(pool, &["reset_at", "resets_at", "resetAt", "resetsAt"]),
            field_of(pool, &["reset_after_seconds", "resetAfterSeconds"]),
            observed_at,
            None,
            "individual_limit",
        )
        .0,
        reset_since_observed: false,
        credits: Some(PoolCredits { used: used_credits, limit }),
        observed: None,
        model: None,
    })
}

pub(crate) fn parse_credits(credits: &Value) -> Option<Credits> {
    if !credits.is_object() {
        return None;
    }
    Some(Credits {
        has_credits: boolean(field_of(credits, &["has_credits", "hasCredits"])).unwrap_or(false),
        unlimited: boolean(credits.get("unlimited")).unwrap_or(false),
        balance: number(credits.get("balance")),
        approx_local_messages: range(field_of(credits, &["approx_local_messages", "approxLocalMessages"])),
        approx_cloud_messages: range(field_of(credits, &["approx_cloud_messages", "approxCloudMessages"])),
        overage_limit_reached: boolean(field_of(credits, &["overage_limit_reached", "overageLimitReached"]))
            .unwrap_or(false),
    })
}

/// A whole, non-negative count ("available_count": 2, or "2").
fn count(value: Option<&Value>) -> Option<u32> {
    number(value).filter(|n| *n >= 0.0).map(|n| n.min(f64::from(u32::MAX)) as u32)
}

/// A used percentage, when it is one: outside 0–100 (a service glitch of 104 % or -3 %) it is no
/// percentage at all, as Codex's own client has it, never a bar past its track.
pub(crate) fn percent(value: Option<&Value>) -> Option<f64> {
    number(value).filter(|p| in_percent_range(*p)).map(|n| n.clamp(0.0, 100.0))
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
        assert_eq!(snap.spend_control, Some(SpendControl { reached: false }));
        assert_eq!(snap.limit_reached_reason, None);
    }

    #[test]
    fn the_cdn_challenge_page_is_named_as_such() {
        assert_eq!(parse_usage_body(&fixture("cdn-challenge.html"), at()), Err(BodyError::Html));
    }

    #[test]
    fn only_what_is_not_a_json_object_is_an_invalid_answer() {
        assert!(matches!(parse_usage_body(b"{\"plan_type\": ", at()), Err(BodyError::MalformedJson(_))));
        assert!(matches!(parse_usage_body(b"[1,2]", at()), Err(BodyError::MalformedJson(_))));
        assert!(matches!(parse_usage_body(b"", at()), Err(BodyError::MalformedJson(_))));
        assert!(matches!(parse_usage_body(b"\"plus\"", at()), Err(BodyError::MalformedJson(_))));
        // Codex's own model makes `rate_limit` optional: a plan alone is a valid answer.
        let plan_only = parse_usage_body(b"{\"plan_type\":\"plus\"}", at()).unwrap();
        assert_eq!(plan_only.plan.as_deref(), Some("plus"));
        assert!(plan_only.windows.is_empty() && plan_only.has_anything());
        // Nothing worth showing is still an answer, one that says so.
        let nothing = parse_usage_body(b"{\"detail\":\"Unauthorized\"}", at()).unwrap();
        assert!(nothing.windows.is_empty() && !nothing.has_anything());
    }

    fn windows(body: &str) -> Vec<(String, WindowKind, f64)> {
        parse_usage_body(body.as_bytes(), at())
            .unwrap()
            .windows
            .iter()
            .map(|w| (w.limit.as_str().to_string(), w.kind, w.used_percent))
            .collect()
    }

    #[test]
    fn a_window_without_a_readable_percentage_is_no_window() {
        for primary in [
            r#"{"used_percent":"bad","limit_window_seconds":18000}"#,
            r#"{"used_percent":"oops"}"#,
            r#"{"limit_window_seconds":18000,"reset_at":1795340000}"#,
            "{}",
            r#"{"used_percent":null}"#,
            r#"{"used_percent":[]}"#,
            r#"{"used_percent":{"value":3}}"#,
            r#"{"used_percent":"NaN"}"#,
            r#""primary""#,
            "7",
        ] {
            let body = format!(
                r#"{{"plan_type":"plus","rate_limit":{{"primary_window":{primary},"secondary_window":{{"used_percent":17,"limit_window_seconds":604800}}}}}}"#
            );
            let snap = parse_usage_body(body.as_bytes(), at()).unwrap();
            let shown: Vec<_> = snap.windows.iter().map(|w| (w.kind, w.used_percent)).collect();
            assert_eq!(shown, [(WindowKind::Weekly, 17.0)], "no invented 0 % for {primary}");
            let expected: &[&str] =
                if primary.starts_with('{') { &["rate_limit.primary_window (no readable percentage)"] } else { &[] };
            if primary.starts_with('{') {
                assert_eq!(snap.unreadable, expected, "{primary}");
            }
        }
    }

    #[test]
    fn numbers_as_strings_are_numbers() {
        let body = r#"{"rate_limit":{"primary_window":{"used_percent":"17","limit_window_seconds":"18000","reset_after_seconds":"7761"},
            "secondary_window":{"used_percent":"0E-10","limit_window_seconds":604800}}}"#;
        let snap = parse_usage_body(body.as_bytes(), at()).unwrap();
        assert_eq!((snap.windows[0].kind, snap.windows[0].used_percent), (WindowKind::FiveHour, 17.0));
        assert_eq!(snap.windows[0].resets_at, Some(at() + chrono::Duration::seconds(7761)));
        assert_eq!(snap.windows[1].used_percent, 0.0);
        assert!(snap.unreadable.is_empty());
    }

    #[test]
    fn bodies_without_a_rate_limit_keep_every_other_field() {
        let credits = parse_usage_body(br#"{"credits":{"has_credits":true,"balance":"14.5"}}"#, at()).unwrap();
        assert_eq!(credits.credits.unwrap().balance, Some(14.5));
        let resets = parse_usage_body(br#"{"rate_limit_reset_credits":{"available_count":2}}"#, at()).unwrap();
        assert_eq!(resets.reset_credits, Some(2));
        assert!(resets.has_anything());
        let extra = windows(
            r#"{"plan_type":"pro","rate_limit":null,"additional_rate_limits":[{"limit_name":"GPT-5.3-Codex-Spark",
            "metered_feature":"gpt_5_3_codex_spark","rate_limit":{"primary_window":{"used_percent":12,"limit_window_seconds":18000}}}]}"#,
        );
        assert_eq!(extra, [("gpt_5_3_codex_spark".to_string(), WindowKind::FiveHour, 12.0)]);
    }

    #[test]
    fn extra_limits_in_every_odd_shape() {
        let body = r#"{"rate_limit":{"primary_window":{"used_percent":40,"limit_window_seconds":18000}},
            "additional_rate_limits":[null,"codex_spark",7,{"limit_name":"No limit"},
              {"limit_name":"Gone","metered_feature":"codex_other","rate_limit":null},
              {"limit_name":"Empty","metered_feature":"codex_spark_preview","rate_limit":{}},
              {"limit_name":"Unreadable","metered_feature":"codex_bengalfox","rate_limit":{"primary_window":{"used_percent":"bad"}}},
              {"limit_name":"","metered_feature":"codex_spark","rate_limit":{"primary_window":{"used_percent":5,"limit_window_seconds":18000}}},
              {"limit_name":"","metered_feature":"codex_spark","rate_limit":{"primary_window":null,"secondary_window":{"used_percent":9,"limit_window_seconds":604800}}},
              {"unknown":true}]}"#;
        let snap = parse_usage_body(body.as_bytes(), at()).unwrap();
        let shown: Vec<_> =
            snap.windows.iter().map(|w| (w.limit.as_str(), w.kind, w.used_percent, w.title())).collect();
        assert_eq!(
            shown,
            [
                ("codex", WindowKind::FiveHour, 40.0, "5-hour".to_string()),
                // An empty label falls back to the limit's id; one model's windows split over two entries.
                ("codex_spark", WindowKind::FiveHour, 5.0, "codex_spark 5-hour".to_string()),
                ("codex_spark", WindowKind::Weekly, 9.0, "codex_spark weekly".to_string()),
            ]
        );
        assert_eq!(snap.unreadable, ["additional_rate_limits[6] (Unreadable).primary_window (no readable percentage)"]);
        // The array itself may be a string.
        assert_eq!(windows(r#"{"additional_rate_limits":"none"}"#), []);
    }

    #[test]
    fn two_other_windows_of_different_lengths_are_both_kept() {
        // The shape of Codex's own app-server test body.
        let body = r#"{"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,
            "primary_window":{"used_percent":42,"limit_window_seconds":3600,"reset_after_seconds":120,"reset_at":1795340000},
            "secondary_window":{"used_percent":5,"limit_window_seconds":86400,"reset_after_seconds":43200,"reset_at":1795380000}}}"#;
        let snap = parse_usage_body(body.as_bytes(), at()).unwrap();
        let lengths: Vec<_> = snap.windows.iter().map(|w| (w.kind, w.window_seconds)).collect();
        assert_eq!(lengths, [(WindowKind::Other, Some(3600)), (WindowKind::Other, Some(86400))]);
    }

    #[test]
    fn monthly_credit_pools_from_each_place_they_appear() {
        // Enterprise/Edu: under rate_limit, numbers as strings, `resets_at`.
        let body = r#"{"plan_type":"enterprise","rate_limit":{"primary_window":null,"secondary_window":null,
            "individual_limit":{"limit":"1000","used":"250","remaining_percent":75,"resets_at":1796000000}}}"#;
        let snap = parse_usage_body(body.as_bytes(), at()).unwrap();
        let pool = &snap.windows[0];
        assert_eq!(
            (pool.limit.clone(), pool.kind, pool.used_percent),
            (LimitId::CreditPool, WindowKind::Monthly, 25.0)
        );
        assert_eq!(pool.credits, Some(PoolCredits { used: Some(250.0), limit: Some(1000.0) }));
        assert_eq!(pool.resets_at, DateTime::from_timestamp(1_796_000_000, 0));
        assert_eq!(pool.title(), "Monthly credit limit");
        assert!(!snap.limit_reached);

        // Team/Business: under spend_control (camelCase too), `reset_at`, and it blocks when reached.
        let body = r#"{"plan_type":"business","spendControl":{"reached":true,"individual_limit":{"source":"workspace",
            "limit":500,"used":500,"remaining":0,"used_percent":100,"remaining_percent":0,"reset_after_seconds":86400,"reset_at":1796100000}}}"#;
        let snap = parse_usage_body(body.as_bytes(), at()).unwrap();
        assert_eq!(snap.windows[0].used_percent, 100.0);
        assert_eq!(snap.windows[0].resets_at, DateTime::from_timestamp(1_796_100_000, 0));
        assert!(snap.limit_reached && snap.spend_limit_reached());
        assert_eq!(snap.blocking_window().unwrap().limit, LimitId::CreditPool);

        // At the top level; only percentages given: used % is preferred, else what remains.
        let top = windows(r#"{"individual_limit":{"used_percent":"40","remaining_percent":10}}"#);
        assert_eq!(top, [("credit_pool".to_string(), WindowKind::Monthly, 40.0)]);
        let remaining = windows(r#"{"individual_limit":{"remaining_percent":"35"}}"#);
        assert_eq!(remaining, [("credit_pool".to_string(), WindowKind::Monthly, 65.0)]);
        let from_remaining = parse_usage_body(br#"{"individual_limit":{"limit":200,"remaining":50}}"#, at()).unwrap();
        assert_eq!(from_remaining.windows[0].used_percent, 75.0);
        assert_eq!(from_remaining.windows[0].credits, Some(PoolCredits { used: Some(150.0), limit: Some(200.0) }));

        // The same pool in two places is one window; an unreadable one is named, a null one is absent.
        let both = r#"{"rate_limit":{"individual_limit":{"limit":100,"used":10}},"spend_control":{"reached":false,"individual_limit":{"limit":100,"used":10}}}"#;
        assert_eq!(windows(both).len(), 1);
        let bad = parse_usage_body(
            br#"{"spend_control":{"individual_limit":{"limit":"lots"}},"individual_limit":null}"#,
            at(),
        )
        .unwrap();
        assert!(bad.windows.is_empty());
        assert_eq!(bad.unreadable, ["spend_control.individual_limit (no readable amount)"]);
        let absent = parse_usage_body(br#"{"spend_control":null,"individual_limit":{}}"#, at()).unwrap();
        assert!(absent.windows.is_empty() && absent.unreadable.is_empty() && absent.spend_control.is_none());
        // A reached workspace limit without numbers still blocks, with nothing invented.
        let reached = parse_usage_body(br#"{"spend_control":{"reached":true}}"#, at()).unwrap();
        assert!(reached.limit_reached && reached.blocking_window().is_none() && reached.windows.is_empty());
    }

    #[test]
    fn reset_credits_and_balances_in_their_odd_shapes() {
        let count = |body: &str| parse_usage_body(body.as_bytes(), at()).unwrap().reset_credits;
        assert_eq!(count(r#"{"rate_limit_reset_credits":{"available_count":3}}"#), Some(3));
        assert_eq!(count(r#"{"rate_limit_reset_credits":{"available_count":"1"}}"#), Some(1));
        assert_eq!(count(r#"{"rate_limit_reset_credits":{"available_count":null}}"#), None);
        assert_eq!(count(r#"{"rate_limit_reset_credits":null}"#), None);
        assert_eq!(count(r#"{"rate_limit_reset_credits":{"available_count":-2}}"#), None);
        assert_eq!(count(r#"{"rateLimitResetCredits":{"availableCount":0}}"#), Some(0));

        let balance = |value: &str| {
            let body = format!(r#"{{"credits":{{"has_credits":true,"balance":{value}}}}}"#);
            parse_usage_body(body.as_bytes(), at()).unwrap().credits.unwrap().balance
        };
        assert_eq!(balance(r#""0""#), Some(0.0));
        assert_eq!(balance(r#""14.5""#), Some(14.5));
        assert_eq!(balance(r#""0E-10""#), Some(0.0));
        assert_eq!(balance("9.99"), Some(9.99));
        assert_eq!(balance("null"), None);
        assert_eq!(balance("[]"), None);
        let capped =
            parse_usage_body(br#"{"credits":{"has_credits":true,"balance":"3","overage_limit_reached":true}}"#, at())
                .unwrap();
        assert!(!capped.credits.unwrap().can_be_spent(), "credits past the overage cap cannot be spent");
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
    fn percentages_outside_0_to_100_are_no_percentage_and_are_named() {
        let body = br#"{"plan_type": "plus", "rate_limit": {
            "primary_window": {"used_percent": 104.5, "limit_window_seconds": 18000},
            "secondary_window": {"used_percent": -3, "limit_window_seconds": 604800}}}"#;
        let snap = parse_usage_body(body, at()).unwrap();
        assert!(snap.windows.is_empty(), "never a bar past its track, never a false 100 % left");
        assert_eq!(
            snap.unreadable,
            [
                "rate_limit.primary_window (used_percent 104.5 is outside 0–100)",
                "rate_limit.secondary_window (used_percent -3 is outside 0–100)"
            ]
        );
        // The ends of the range are percentages.
        let ends = windows(
            r#"{"rate_limit":{"primary_window":{"used_percent":100,"limit_window_seconds":18000},"secondary_window":{"used_percent":0,"limit_window_seconds":604800}}}"#,
        );
        assert_eq!(ends, [("codex".into(), WindowKind::FiveHour, 100.0), ("codex".into(), WindowKind::Weekly, 0.0)]);
    }

    #[test]
    fn a_switched_off_window_is_no_window_anywhere_in_the_body() {
        let snap = parse_usage_body(&fixture("switched-off-windows.json"), at()).unwrap();
        let shown: Vec<_> = snap.windows.iter().map(|w| (w.title(), w.used_percent)).collect();
        assert_eq!(shown, [("Weekly".to_string(), 31.0), ("GPT-5.3-Codex-Spark weekly".to_string(), 12.0)]);
        assert!(!snap.windows.iter().any(|w| w.kind == WindowKind::Other), "no 'Other 0% used · 100% left'");
        assert_eq!(
            snap.switched_off,
            [
                "rate_limit.primary_window",
                "code_review_rate_limit.primary_window",
                "additional_rate_limits[0] (GPT-5.3-Codex-Spark).primary_window"
            ]
        );
        assert!(snap.unreadable.is_empty(), "a switched-off window is not a fault: {:?}", snap.unreadable);
        assert_eq!(snap.tightest_window().unwrap().kind, WindowKind::Weekly);
        assert_eq!(snap.windows[1].model.as_deref(), Some("gpt-5.3-codex"));
        // `{}` is a count the service did not give: unknown, never 0.
        assert_eq!(snap.reset_credits, None);
        assert_eq!(snap.account.user_id.as_deref(), Some("user-plus-1"));
    }

    #[test]
    fn a_body_whose_every_window_is_switched_off_says_no_active_windows() {
        let snap = parse_usage_body(&fixture("all-windows-off.json"), at()).unwrap();
        assert!(snap.windows.is_empty() && snap.unreadable.is_empty());
        assert_eq!(snap.switched_off.len(), 3);
        assert!(snap.tightest_window().is_none() && snap.blocking_window().is_none());
        assert_eq!(crate::present::words::no_windows(&snap), crate::present::words::NO_ACTIVE_WINDOWS);
        assert_eq!(snap.reset_credits, Some(0));
        let plain = parse_usage_body(br#"{"plan_type":"plus"}"#, at()).unwrap();
        assert_eq!(crate::present::words::no_windows(&plain), crate::present::words::NO_WINDOWS);
        // A length of 0 switches a window off whatever its other fields say; a negative one is garbage.
        let off = parse_usage_body(br#"{"rate_limit":{"primary_window":{"limit_window_seconds":"0"},"secondary_window":{"used_percent":5,"limit_window_seconds":-18000}}}"#, at()).unwrap();
        assert!(off.windows.is_empty());
        assert_eq!(off.switched_off, ["rate_limit.primary_window"]);
        assert_eq!(off.unreadable, ["rate_limit.secondary_window (a negative length, -18000)"]);
    }

    #[test]
    fn reset_times_that_cannot_be_true_give_way_to_the_relative_one_or_to_unknown() {
        let snap = parse_usage_body(&fixture("absurd-reset-times.json"), at()).unwrap();
        let five = &snap.windows[0];
        assert_eq!(five.kind, WindowKind::FiveHour);
        // reset_at 1000000000 is 2001: the relative field (6120 s) is right.
        assert_eq!(five.resets_at, Some(at() + chrono::Duration::seconds(6120)));
        // reset_at 0 beside a negative reset_after_seconds: unknown, never 1970.
        let weekly = &snap.windows[1];
        assert_eq!((weekly.kind, weekly.resets_at), (WindowKind::Weekly, None));
        // The code review's 150 % is no percentage; the Spark window is 3 days long, named so.
        assert_eq!(snap.windows.len(), 3);
        assert_eq!(snap.windows[2].title(), "GPT-5.3-Codex-Spark 3-day");
        assert_eq!(
            snap.unreadable,
            [
                "rate_limit.primary_window.reset_at (2001-09-09 01:46 UTC, which cannot be this window's reset)",
                "rate_limit.secondary_window.reset_at (0, which cannot be this window's reset)",
                "rate_limit.secondary_window.reset_after_seconds (-40, not a time to come)",
                "code_review_rate_limit.primary_window (used_percent 150 is outside 0–100)",
            ]
        );
        // An unknown reason with the plan not blocked blocks nothing.
        assert!(!snap.limit_reached && snap.blocking_window().is_none());
        // A reset a moment before the answer is its own (the service's jitter), kept as the past.
        let jitter = parse_usage_body(
            format!(r#"{{"rate_limit":{{"primary_window":{{"used_percent":99,"limit_window_seconds":18000,"reset_at":{}}}}}}}"#, at().timestamp() - 30).as_bytes(),
            at(),
        )
        .unwrap();
        assert_eq!(jitter.windows[0].resets_at, Some(at() - chrono::Duration::seconds(30)));
        // Only the relative field, negative: unknown, and said.
        let negative = parse_usage_body(br#"{"rate_limit":{"primary_window":{"used_percent":9,"limit_window_seconds":18000,"reset_after_seconds":-1}}}"#, at()).unwrap();
        assert_eq!(negative.windows[0].resets_at, None);
        assert_eq!(negative.unreadable.len(), 1);
    }

    #[test]
    fn luna_reserve_is_named_and_never_the_plan() {
        let snap = parse_usage_body(&fixture("luna-reserve-blocked.json"), at()).unwrap();
        let shown: Vec<_> =
            snap.windows.iter().map(|w| (w.limit.as_str().to_string(), w.title(), w.used_percent)).collect();
        assert_eq!(
            shown,
            [
                ("codex".to_string(), "5-hour".to_string(), 41.0),
                ("codex".to_string(), "Weekly".to_string(), 100.0),
                ("base_model_inference".to_string(), "Luna Reserve".to_string(), 24.0),
            ],
            "the premium bucket with no windows is nothing"
        );
        let reserve = &snap.windows[2];
        assert_eq!(reserve.limit, LimitId::LunaReserve);
        assert_eq!(reserve.only_with().as_deref(), Some("Luna only"));
        assert_eq!(snap.blocking_window().unwrap().kind, WindowKind::Weekly, "the plan's weekly blocks");
        assert_eq!(snap.tightest_window().unwrap().limit, LimitId::Codex, "the icon ignores the reserve");
        assert_eq!(snap.reserve_with_room().unwrap().used_percent, 24.0);
        assert_eq!(snap.limit_reached_reason.as_deref(), Some("rate_limit_reached"), "extra keys are no failure");
        let sentence = crate::humanize::blocked_sentence(&snap, at(), false).unwrap();
        assert!(sentence.starts_with("Blocked by the weekly limit until "), "{sentence}");
        assert!(
            sentence.ends_with(" — Codex can go on with Luna Reserve (Luna only, 76% left)"),
            "the credits are offered once their list names one: {sentence}"
        );
        let mut listed = snap.clone();
        let credit = crate::model::ResetCredit { id: "rc_1".into(), title: None, expires_at: None };
        listed.reset_credit_list = Some(crate::model::ResetCreditList { read_at: at(), credits: vec![credit] });
        let sentence = crate::humanize::blocked_sentence(&listed, at(), false).unwrap();
        assert!(
            sentence.ends_with(
                " — Codex can go on with Luna Reserve (Luna only, 76% left); 2 reset credits available: using one resets this limit now"
            ),
            "{sentence}"
        );
        // A reserve used up never starts a "blocked" of the plan; a reserve alone is not the plan.
        let body = r#"{"plan_type":"plus","rate_limit":{"allowed":true,"primary_window":{"used_percent":10,"limit_window_seconds":18000}},
            "additional_rate_limits":[{"limit_name":"gpt-reserve","metered_feature":"base_model_inference",
            "rate_limit":{"allowed":false,"limit_reached":true,"primary_window":{"used_percent":100,"limit_window_seconds":604800}}}]}"#;
        let spent = parse_usage_body(body.as_bytes(), at()).unwrap();
        assert!(!spent.limit_reached && spent.blocking_window().is_none() && spent.reserve_with_room().is_none());
        assert_eq!(spent.windows[1].only_with(), None, "no model named, none said");
        // Known by its name alone too.
        let by_name = windows(
            r#"{"additional_rate_limits":[{"limit_name":"gpt-reserve","metered_feature":"luna_pool","rate_limit":{"primary_window":{"used_percent":3,"limit_window_seconds":604800}}}]}"#,
        );
        assert_eq!(by_name, [("base_model_inference".to_string(), WindowKind::Weekly, 3.0)]);
    }

    #[test]
    fn unknown_reasons_for_a_reached_limit_are_a_plain_limit_reached() {
        for reason in [
            r#"{"type":"workspace_owner_credits"}"#,
            r#"{"type":"new_cap"}"#,
            r#"{"type":"rate_limit_reached","details":"default"}"#,
            r#""surprise""#,
        ] {
            let body = format!(
                r#"{{"plan_type":"team","rate_limit":{{"allowed":false}},"rate_limit_reached_type":{reason}}}"#
            );
            let snap = parse_usage_body(body.as_bytes(), at()).unwrap();
            assert!(snap.limit_reached, "{reason}");
            assert_eq!(
                crate::humanize::blocked_sentence(&snap, at(), false).as_deref(),
                Some("Codex is blocked (limit reached)"),
                "{reason}"
            );
        }
        let known = parse_usage_body(
            br#"{"rate_limit":{"allowed":false},"rate_limit_reached_type":{"type":"workspace_owner_credits_depleted"}}"#,
            at(),
        )
        .unwrap();
        assert_eq!(
            crate::humanize::blocked_sentence(&known, at(), false).as_deref(),
            Some("Codex is blocked (your workspace's credits are used up)")
        );
    }

    #[test]
    fn a_business_pool_under_group_spend_controls_without_a_rate_limit() {
        let body = br#"{"plan_type":"business","rate_limit":null,"spend_control":{"reached":false,"individual_limit":{
            "source":"group_based_spend_controls","limit":"2000","used":"500","remaining":"1500","used_percent":25,"reset_after_seconds":86400,"reset_at":1795424400}}}"#;
        let snap = parse_usage_body(body, at()).unwrap();
        assert_eq!(snap.windows.len(), 1);
        assert_eq!((snap.windows[0].limit.clone(), snap.windows[0].used_percent), (LimitId::CreditPool, 25.0));
        assert_eq!(crate::humanize::plan_name(snap.plan.as_deref().unwrap()), "Enterprise");
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
