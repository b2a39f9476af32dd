//! Reading values out of JSON that may hold anything (the usage service's bodies, Codex's login
//! file and logs, a token's claims): each helper answers `None` for what is not what it should
//! be, never a panic and never a made-up value.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// A length in seconds that time arithmetic can use (a day's worth of slack either side of a
/// century); anything else is unknown.
pub fn seconds(value: Option<&Value>) -> Option<i64> {
    number(value).filter(|s| s.abs() < 3.2e9).map(|s| s as i64)
}

/// Unix seconds as a time, or `None` outside the representable range.
pub fn unix_time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    number(value).filter(|s| s.abs() < 1e12).and_then(|s| DateTime::from_timestamp(s as i64, 0))
}

/// `at` plus `seconds`, or `None` when that is outside the representable range (the service
/// and damaged logs can send anything).
pub fn seconds_after(at: DateTime<Utc>, seconds: f64) -> Option<DateTime<Utc>> {
    let delta = chrono::TimeDelta::try_seconds(seconds as i64)?;
    at.checked_add_signed(delta)
}

/// A finite number, from a JSON number or a numeric string ("9.99").
pub fn number(value: Option<&Value>) -> Option<f64> {
    let n = match value? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// A string that is not empty.
pub fn string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

pub fn boolean(value: Option<&Value>) -> Option<bool> {
    value?.as_bool()
}
