//! The dashboard's chart of the history: one series per window (used % over time) and the moments
//! each window reset, for one account.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::history::Sample;
use crate::model::{AccountKey, LimitId, UsageSnapshot, UsageWindow, WindowKind};

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartSeries {
    /// "5-hour", "Weekly", "Code review weekly".
    pub title: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub limit: LimitId,
    pub window: WindowKind,
    /// (unix seconds, used %), oldest first.
    #[cfg_attr(feature = "ts", ts(type = "Array<[number, number]>"))]
    pub points: Vec<(i64, f64)>,
    /// When the window reset within the range (unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "Array<number>"))]
    pub resets: Vec<i64>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub since: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub until: i64,
    pub series: Vec<ChartSeries>,
}

/// A series' title: the name the dashboard's card gives the same window now (a model's name,
/// say), or from the ids the history keeps when the current answer no longer has it.
fn title(limit: &LimitId, kind: WindowKind, current: Option<&UsageSnapshot>) -> String {
    let now = current.and_then(|s| s.windows.iter().find(|w| w.limit == *limit && w.kind == kind));
    if let Some(window) = now {
        return window.title();
    }
    // Named as a window of that limit and kind would be, without the model's display name.
    let mut window = UsageWindow::main(kind, 0.0, None);
    window.limit = limit.clone();
    window.title()
}

/// The series of `account` (all samples when it is empty) between `since` and `until`: the
/// main limit's windows first, the 5-hour one before the weekly one. `current` (the answer
/// shown now) names them as the dashboard's cards do.
pub fn history_view(
    samples: &[Sample],
    account: &AccountKey,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    current: Option<&UsageSnapshot>,
) -> HistoryView {
    let jitter = crate::alerts::engine::CYCLE_JITTER.num_seconds();
    let mut series: Vec<ChartSeries> = Vec::new();
    for s in samples.iter().filter(|s| account.is_unknown() || s.account == *account) {
        if s.at < since || s.at > until {
            continue;
        }
        let index = match series.iter().position(|c| c.limit == s.limit && c.window == s.window) {
            Some(i) => i,
            None => {
                series.push(ChartSeries {
                    title: title(&s.limit, s.window, current),
                    limit: s.limit.clone(),
                    window: s.window,
                    points: Vec::new(),
                    resets: Vec::new(),
                });
                series.len() - 1
            }
        };
        let chart = &mut series[index];
        chart.points.push((s.at.timestamp(), s.used_percent));
        // A reset moment is a reset time that passed within the range; the service moves it by
        // seconds from poll to poll, so near-equal ones are one.
        if let Some(reset) = s.resets_at.map(|r| r.timestamp()) {
            if reset >= since.timestamp()
                && reset <= until.timestamp()
                && !chart.resets.iter().any(|r| (r - reset).abs() <= jitter)
                && samples
                    .iter()
                    .any(|later| later.at.timestamp() >= reset && later.limit == s.limit && later.window == s.window)
            {
                chart.resets.push(reset);
            }
        }
    }
    let rank = |c: &ChartSeries| {
        (
            c.limit != LimitId::Codex,
            match c.window {
                WindowKind::FiveHour => 0,
                WindowKind::Weekly => 1,
                WindowKind::Monthly => 2,
                WindowKind::Other => 3,
            },
        )
    };
    series.sort_by_key(rank);
    for chart in &mut series {
        chart.resets.sort_unstable();
    }
    HistoryView { since: since.timestamp(), until: until.timestamp(), series }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn sample(hours: i64, window: &str, used: f64, reset_hours: i64) -> Sample {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        Sample {
            at: t0 + Duration::hours(hours),
            account: AccountKey::from_stored("acct"),
            limit: LimitId::Codex,
            window: WindowKind::from_id(window).unwrap(),
            used_percent: used,
            resets_at: Some(t0 + Duration::hours(reset_hours) + Duration::seconds(hours)),
            source: crate::model::SourceKind::Api,
        }
    }

    #[test]
    fn series_per_window_with_the_resets_that_happened() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let samples = [
            sample(0, "weekly", 10.0, 100),
            sample(1, "5h", 40.0, 4),
            sample(3, "5h", 90.0, 4),
            sample(5, "5h", 5.0, 9),
            sample(6, "weekly", 12.0, 100),
        ];
        let view = history_view(&samples, &AccountKey::from_stored("acct"), t0, t0 + Duration::hours(7), None);
        assert_eq!(view.series.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(), ["5-hour", "Weekly"]);
        let five = &view.series[0];
        assert_eq!(five.points.iter().map(|p| p.1).collect::<Vec<_>>(), [40.0, 90.0, 5.0]);
        // The 4-hour reset happened (a sample came after it); the 9-hour one has not yet.
        assert_eq!(five.resets.len(), 1);
        assert!((five.resets[0] - (t0 + Duration::hours(4)).timestamp()).abs() <= 3);
        assert!(view.series[1].resets.is_empty());
        assert!(history_view(&samples, &AccountKey::from_stored("someone-else"), t0, t0 + Duration::hours(7), None)
            .series
            .is_empty());
        assert_eq!(title(&LimitId::CodeReview, WindowKind::Weekly, None), "Code review weekly");
    }

    #[test]
    fn a_model_limit_is_named_as_its_card_names_it() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut spark = UsageWindow::main(WindowKind::FiveHour, 12.0, None);
        spark.limit = LimitId::Feature("gpt_5_3_codex_spark".into());
        spark.limit_name = Some("GPT-5.3-Codex-Spark".into());
        let current = crate::model::UsageSnapshot {
            plan: None,
            account: Default::default(),
            windows: vec![spark.clone()],
            credits: None,
            limit_reached: false,
            limit_reached_reason: None,
            spend_control: None,
            reset_credits: None,
            unreadable: Vec::new(),
            switched_off: Vec::new(),
            reset_credit_list: None,
            observed_at: t0,
            source: crate::model::SourceKind::Api,
        };
        let sample = |limit: &str| Sample { limit: LimitId::from_id(limit), ..sample(1, "5h", 12.0, 4) };
        let samples = [sample("gpt_5_3_codex_spark"), sample("gpt_retired")];
        let view =
            history_view(&samples, &AccountKey::from_stored("acct"), t0, t0 + Duration::hours(7), Some(&current));
        let titles: Vec<_> = view.series.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["GPT-5.3-Codex-Spark 5-hour", "gpt_retired 5-hour"]);
        assert_eq!(view.series[0].title, spark.title(), "the card's title");
    }
}
