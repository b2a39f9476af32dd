//! The `status --json` contract, schema 1. Stable for scripts and status bars: fields are only
//! ever added, never renamed or removed.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::alerts::pace::{Pace, Verdict};
use crate::model::{ResetCreditList, UsageSnapshot, UsageWindow};
use crate::status::StatusReport;

pub const SCHEMA: u32 = 1;

fn time(at: Option<DateTime<Utc>>) -> Value {
    at.map(|t| Value::String(t.to_rfc3339_opts(SecondsFormat::Secs, true))).unwrap_or(Value::Null)
}

fn pace_json(pace: Option<&Pace>) -> Value {
    match pace {
        Some(p) => json!({
            "expected_percent": (p.expected_percent * 10.0).round() / 10.0,
            "deficit_percent": (p.deficit_percent * 10.0).round() / 10.0,
            "runs_out_at": time(p.runs_out_at()),
            "lasts_until_reset": p.verdict.map(|v| v == Verdict::LastsUntilReset),
        }),
        None => Value::Null,
    }
}

fn window_json(window: &UsageWindow, pace: Option<&Pace>) -> Value {
    json!({
        "pace": pace_json(pace),
        "limit": window.limit.as_str(),
        "title": window.title(),
        "model": window.model,
        "kind": window.kind.id(),
        "window_seconds": window.window_seconds,
        "used_percent": window.used_clamped(),
        "remaining_percent": window.remaining_percent(),
        "resets_at": time(window.resets_at),
        "credits": window.credits.map(|c| json!({"used": c.used, "limit": c.limit})),
    })
}

/// `{"available", "next_expires_at", "credits": [{"id", "title", "expires_at"}] | null}`: the
/// list is null when it could not be read, and empty when there is none to read.
fn reset_credits_json(available: u32, list: Option<&ResetCreditList>) -> Value {
    let empty = ResetCreditList { read_at: DateTime::<Utc>::MIN_UTC, credits: Vec::new() };
    let list = if available == 0 { Some(&empty) } else { list };
    json!({
        "available": available,
        "next_expires_at": time(list.and_then(ResetCreditList::next_expires_at)),
        "credits": list.map(|l| l.credits.iter().map(|c| json!({
            "id": c.id,
            "title": c.title,
            "expires_at": time(c.expires_at),
        })).collect::<Vec<_>>()),
    })
}

/// The contract object for a report. With no numbers, `windows` is empty and `error` says why.
pub fn status_json(report: &StatusReport) -> Value {
    let snapshot: Option<&UsageSnapshot> = report.snapshot.as_ref();
    let claims = report.credential.as_ref().map(|c| &c.claims);
    let account = match snapshot {
        Some(s) => json!({"email": s.account.email, "account_id": s.account.account_id, "plan": s.plan}),
        None => json!({
            "email": claims.and_then(|c| c.email.clone()),
            "account_id": report.credential.as_ref().and_then(|c| c.account_id.clone()),
            "plan": claims.and_then(|c| c.plan.clone()),
        }),
    };
    json!({
        "schema": SCHEMA,
        "source": snapshot.map(|s| s.source.id()),
        "credential": report.credential.as_ref().map(|c| c.origin.id()),
        "observed_at": time(snapshot.map(|s| s.observed_at)),
        "account": account,
        "limit_reached": snapshot.is_some_and(|s| s.limit_reached),
        "blocked_by": snapshot.and_then(|s| s.blocking_window()).map(|w| w.kind.id()),
        "windows": snapshot
            .map(|s| {
                s.windows
                    .iter()
                    .enumerate()
                    .map(|(i, w)| window_json(w, report.paces.get(i).and_then(Option::as_ref)))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
        "credits": snapshot.and_then(|s| s.credits.as_ref()).map(|c| json!({
            "has_credits": c.has_credits,
            "unlimited": c.unlimited,
            "balance": c.balance,
        })),
        "reset_credits": snapshot.and_then(|s| s.reset_credits.map(|n| reset_credits_json(n, s.reset_credit_list.as_ref()))),
        "error": report.error.as_ref().map(|e| json!({"kind": e.kind().id(), "message": e.to_string()})),
    })
}
