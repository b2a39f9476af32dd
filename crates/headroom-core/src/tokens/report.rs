//! Token usage reports (daily, monthly, per session) from a `Ledger`, in a chosen time zone,
//! with the JSON shape `headroom usage … --json` prints.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone};
use serde::Serialize;

use crate::tokens::ledger::Ledger;
use crate::tokens::usage::TokenCounts;

/// The zone days and months are counted in.
#[derive(Debug, Clone, Copy)]
pub enum Zone {
    Local,
    Named(chrono_tz::Tz),
}

impl Zone {
    /// An IANA name such as `Europe/Berlin` (or `UTC`).
    pub fn parse(name: &str) -> Result<Zone, String> {
        name.parse::<chrono_tz::Tz>()
            .map(Zone::Named)
            .map_err(|_| format!("\"{name}\" is not a time zone name: use an IANA name such as Europe/Berlin or UTC"))
    }

    pub fn date(&self, unix: i64) -> NaiveDate {
        match self {
            Zone::Local => chrono::Local.timestamp_opt(unix, 0).single().map(|t| t.date_naive()),
            Zone::Named(tz) => tz.timestamp_opt(unix, 0).single().map(|t| t.date_naive()),
        }
        .unwrap_or_default()
    }
}

/// Parses `2026-11-20` or `20261120`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y%m%d"))
        .map_err(|_| format!("\"{text}\" is not a date: write it as YYYY-MM-DD"))
}

#[derive(Debug, Clone, Copy)]
pub struct Filter {
    pub zone: Zone,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl Filter {
    fn keeps(&self, date: NaiveDate) -> bool {
        self.since.is_none_or(|s| date >= s) && self.until.is_none_or(|u| date <= u)
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Row {
    #[serde(flatten)]
    pub counts: TokenCounts,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, TokenCounts>"))]
    pub models: BTreeMap<String, TokenCounts>,
}

impl Row {
    fn add(&mut self, model: &str, counts: TokenCounts) {
        self.counts += counts;
        *self.models.entry(model.to_string()).or_default() += counts;
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayRow {
    pub date: String,
    #[serde(flatten)]
    pub row: Row,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthRow {
    pub month: String,
    #[serde(flatten)]
    pub row: Row,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRow {
    pub session_id: String,
    pub last_activity: String,
    #[serde(flatten)]
    pub row: Row,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyReport {
    pub daily: Vec<DayRow>,
    pub totals: TokenCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthlyReport {
    pub monthly: Vec<MonthRow>,
    pub totals: TokenCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionReport {
    pub sessions: Vec<SessionRow>,
    pub totals: TokenCounts,
}

/// Sums per key of the bucket's date; buckets outside the filter's dates are left out.
fn grouped(
    ledger: &Ledger,
    filter: &Filter,
    key: impl Fn(NaiveDate) -> String,
) -> (BTreeMap<String, Row>, TokenCounts) {
    let mut groups: BTreeMap<String, Row> = BTreeMap::new();
    let mut totals = TokenCounts::default();
    let mut dates: BTreeMap<i64, NaiveDate> = BTreeMap::new();
    for usage in ledger.sessions.values() {
        for b in &usage.buckets {
            let date = *dates.entry(b.start).or_insert_with(|| filter.zone.date(b.start));
            if filter.keeps(date) {
                groups.entry(key(date)).or_default().add(usage.model(b), b.counts);
                totals += b.counts;
            }
        }
    }
    (groups, totals)
}

pub fn daily(ledger: &Ledger, filter: &Filter) -> DailyReport {
    let (groups, totals) = grouped(ledger, filter, |d| d.format("%Y-%m-%d").to_string());
    DailyReport { daily: groups.into_iter().map(|(date, row)| DayRow { date, row }).collect(), totals }
}

pub fn monthly(ledger: &Ledger, filter: &Filter) -> MonthlyReport {
    let (groups, totals) = grouped(ledger, filter, |d| d.format("%Y-%m").to_string());
    MonthlyReport { monthly: groups.into_iter().map(|(month, row)| MonthRow { month, row }).collect(), totals }
}

/// Sessions by id (the rollout's path, so by start time), counting only their tokens within the
/// filter's dates (as ccusage does); sessions with none there are left out.
pub fn sessions(ledger: &Ledger, filter: &Filter) -> SessionReport {
    let mut rows = Vec::new();
    let mut totals = TokenCounts::default();
    for (id, usage) in &ledger.sessions {
        let mut row = Row::default();
        let mut last_ms = None;
        for b in usage.buckets.iter().filter(|b| filter.keeps(filter.zone.date(b.start))) {
            row.add(usage.model(b), b.counts);
            last_ms = last_ms.max(Some(b.last_event_ms));
        }
        let Some(at) = last_ms.and_then(chrono::DateTime::from_timestamp_millis) else { continue };
        totals += row.counts;
        let last_activity = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        rows.push(SessionRow { session_id: id.clone(), last_activity, row });
    }
    SessionReport { sessions: rows, totals }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::usage::FileUsage;

    fn ledger(lines: &[(&str, &str, &str)]) -> Ledger {
        let mut ledger = Ledger::default();
        for (session, time, model) in lines {
            let text = format!(
                r#"{{"timestamp":"{time}","type":"event_msg","payload":{{"type":"token_count","info":{{"model":"{model}","last_token_usage":{{"input_tokens":100,"cached_input_tokens":40,"output_tokens":10,"reasoning_output_tokens":5,"total_tokens":110}}}}}}}}"#
            ) + "\n";
            let usage = ledger.sessions.entry(session.to_string()).or_insert_with(FileUsage::default);
            let mut bytes = Vec::new();
            bytes.resize(usage.scanned as usize, b' ');
            bytes.extend_from_slice(text.as_bytes());
            *usage = usage.clone().scan(&bytes);
        }
        ledger
    }

    #[test]
    fn days_and_months_follow_the_zone() {
        let l = ledger(&[("s1", "2026-10-31T23:30:00Z", "gpt-a"), ("s1", "2026-11-01T00:30:00Z", "gpt-b")]);
        let utc = Filter { zone: Zone::parse("UTC").unwrap(), since: None, until: None };
        let days: Vec<_> = daily(&l, &utc).daily.into_iter().map(|d| d.date).collect();
        assert_eq!(days, ["2026-10-31", "2026-11-01"]);
        let berlin = Filter { zone: Zone::parse("Europe/Berlin").unwrap(), ..utc };
        let report = monthly(&l, &berlin);
        assert_eq!(report.monthly.len(), 1);
        assert_eq!(report.monthly[0].month, "2026-11");
        assert_eq!(report.monthly[0].row.models.len(), 2);
        assert_eq!(report.totals.input_tokens, 200);
        let json = serde_json::to_value(daily(&l, &utc)).unwrap();
        assert_eq!(json["daily"][0]["cached_input_tokens"], 40);
        assert_eq!(json["daily"][0]["models"]["gpt-a"]["reasoning_output_tokens"], 5);
        assert_eq!(json["totals"]["total_tokens"], 220);
    }

    #[test]
    fn since_and_until_are_inclusive_dates() {
        let l = ledger(&[
            ("s1", "2026-11-01T10:00:00Z", "m"),
            ("s2", "2026-11-02T10:00:00Z", "m"),
            ("s3", "2026-11-03T10:00:00Z", "m"),
        ]);
        let filter = Filter {
            zone: Zone::parse("UTC").unwrap(),
            since: Some(parse_date("2026-11-02").unwrap()),
            until: Some(parse_date("20261102").unwrap()),
        };
        assert_eq!(daily(&l, &filter).daily.len(), 1);
        let report = sessions(&l, &filter);
        assert_eq!(report.sessions.iter().map(|s| s.session_id.as_str()).collect::<Vec<_>>(), ["s2"]);
        assert_eq!(report.sessions[0].last_activity, "2026-11-02T10:00:00.000Z");
        assert!(parse_date("yesterday").unwrap_err().contains("YYYY-MM-DD"));
        assert!(Zone::parse("Mars/Olympus").is_err());
    }
}
