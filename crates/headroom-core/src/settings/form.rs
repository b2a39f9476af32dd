//! The settings as the settings window edits them: plain text and numbers as its fields hold
//! them, checked field by field by the same rules as the file ([`super`]), in the window's words.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveTime;

use super::{credits_low_below, poll_interval, validate_thresholds, AlertToggles, QuietHours, Settings, ShowAs};
use crate::model::WindowKind;

fn yes() -> bool {
    true
}

/// The settings as the settings window edits them (JSON over IPC). Validated again here: the
/// window's own checks are a convenience, these are the rules.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SettingsForm {
    pub alerts_enabled: bool,
    /// Per window kind ("5h", "weekly", "monthly", "other"): used-% thresholds.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, number[]>"))]
    pub thresholds: BTreeMap<String, Vec<i64>>,
    pub threshold: bool,
    pub limit_reached: bool,
    pub available_again: bool,
    pub token_expiring: bool,
    pub credentials_rejected: bool,
    pub pace: bool,
    #[serde(default = "yes")]
    pub credits_in_use: bool,
    #[serde(default = "yes")]
    pub reset_credit_expiring: bool,
    /// A number of credits, or empty for no low-credit alert.
    #[serde(default)]
    pub credits_low_below: String,
    /// "HH:MM" each, or both empty for no quiet hours.
    pub quiet_start: String,
    pub quiet_end: String,
    /// "left" or "used" (checked when saved, so a wrong value is that field's problem).
    #[cfg_attr(feature = "ts", ts(type = "ShowAs"))]
    pub show_as: String,
    pub tray_title: bool,
    /// `None` when the field was left empty.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub poll_interval_minutes: Option<i64>,
    /// Empty for CODEX_HOME / ~/.codex.
    pub codex_home: String,
    pub autostart: bool,
    pub fallback_automatic: bool,
}

impl SettingsForm {
    pub fn from_settings(s: &Settings) -> SettingsForm {
        SettingsForm {
            alerts_enabled: s.alerts_enabled,
            thresholds: s
                .thresholds
                .iter()
                .map(|(k, v)| (k.id().to_string(), v.iter().map(|t| i64::from(*t)).collect()))
                .collect(),
            threshold: s.toggles.threshold,
            limit_reached: s.toggles.limit_reached,
            available_again: s.toggles.available_again,
            token_expiring: s.toggles.token_expiring,
            credentials_rejected: s.toggles.credentials_rejected,
            pace: s.toggles.pace,
            credits_in_use: s.toggles.credits_in_use,
            reset_credit_expiring: s.toggles.reset_credit_expiring,
            credits_low_below: s.credits_low_below.map(|v| v.to_string()).unwrap_or_default(),
            quiet_start: s.quiet_hours.map(|q| q.start.format("%H:%M").to_string()).unwrap_or_default(),
            quiet_end: s.quiet_hours.map(|q| q.end.format("%H:%M").to_string()).unwrap_or_default(),
            show_as: s.show_as.id().into(),
            tray_title: s.tray_title,
            poll_interval_minutes: Some(i64::from(s.poll_interval_minutes)),
            codex_home: s.codex_home.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            autostart: s.autostart,
            fallback_automatic: s.fallback_automatic,
        }
    }

    /// The settings this form asks for, or one message per field that is wrong.
    pub fn validate(&self) -> Result<Settings, Vec<String>> {
        match self.apply_to(&Settings::default()) {
            (settings, problems) if problems.is_empty() => Ok(settings),
            (_, problems) => Err(problems.into_iter().map(|p| p.message).collect()),
        }
    }

    /// The settings this form asks for, field by field: a field that is wrong keeps its value
    /// from `current` and gets a message naming it; every other field applies.
    pub fn apply_to(&self, current: &Settings) -> (Settings, Vec<FieldProblem>) {
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| problems.push(FieldProblem { field: field.into(), message });
        let mut thresholds = current.thresholds.clone();
        for (name, values) in &self.thresholds {
            let Some(kind) = WindowKind::from_id(name) else {
                problem("thresholds", format!("`{name}` is not a window kind."));
                continue;
            };
            match validate_thresholds(Some(values.iter().copied().map(Some).collect())) {
                Ok(values) => {
                    thresholds.insert(kind, values);
                }
                Err(why) => problem(
                    &format!("thresholds-{name}"),
                    format!("{} thresholds {why}.", crate::text::capitalise(kind.label())),
                ),
            }
        }
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").ok();
        // Each field says its own problem: "25:00" marks only the field it is in.
        let quiet_hours = match (self.quiet_start.trim(), self.quiet_end.trim()) {
            ("", "") => None,
            (start, end) => {
                let (from, to) = (time(start), time(end));
                for (id, text, parsed) in [("quiet-start", start, from), ("quiet-end", end, to)] {
                    if parsed.is_none() {
                        problem(
                            id,
                            if text.is_empty() {
                                "Quiet hours need both times, such as 22:00 and 08:00.".into()
                            } else {
                                format!("{text} is not a time of day: write it as HH:MM, such as 22:00.")
                            },
                        );
                    }
                }
                match (from, to) {
                    (Some(start), Some(end)) if QuietHours::new(start, end).is_some() => QuietHours::new(start, end),
                    (Some(_), Some(_)) => {
                        problem("quiet-start", "Quiet hours need two different times such as 22:00 and 08:00.".into());
                        current.quiet_hours
                    }
                    _ => current.quiet_hours,
                }
            }
        };
        let show_as = match ShowAs::from_id(&self.show_as) {
            Some(show) => show,
            None => {
                problem("show-as", "Show must be \"left\" or \"used\".".into());
                current.show_as
            }
        };
        let credits_low_below = match self.credits_low_below.trim() {
            "" => None,
            text => match text.parse::<f64>().ok().and_then(credits_low_below) {
                Some(credits) => Some(credits),
                None => {
                    problem(
                        "credits-low",
                        "The low-credit alert needs a positive number of credits such as 5, or nothing.".into(),
                    );
                    current.credits_low_below
                }
            },
        };
        let poll_interval_minutes = match self.poll_interval_minutes.and_then(poll_interval) {
            Some(minutes) => minutes,
            None => {
                problem("poll-interval", "The poll interval must be from 1 to 60 minutes.".into());
                current.poll_interval_minutes
            }
        };
        let settings = Settings {
            alerts_enabled: self.alerts_enabled,
            thresholds,
            toggles: AlertToggles {
                threshold: self.threshold,
                limit_reached: self.limit_reached,
                available_again: self.available_again,
                token_expiring: self.token_expiring,
                credentials_rejected: self.credentials_rejected,
                pace: self.pace,
                credits_in_use: self.credits_in_use,
                reset_credit_expiring: self.reset_credit_expiring,
            },
            credits_low_below,
            quiet_hours,
            show_as,
            tray_title: self.tray_title,
            poll_interval_minutes,
            codex_home: Some(self.codex_home.trim()).filter(|p| !p.is_empty()).map(PathBuf::from),
            autostart: self.autostart,
            fallback_automatic: self.fallback_automatic,
            // Accounts are added, removed and pinned on their own, not through this form.
            added_homes: current.added_homes.clone(),
            pinned_account: current.pinned_account.clone(),
            // Hooks are written in settings.toml; the window lists and tests them.
            hooks: current.hooks.clone(),
        };
        (settings, problems)
    }
}

/// A value from the settings window that cannot be used: the field (the window's element id,
/// such as `thresholds-5h`) and one sentence saying what it needs.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}
