//! Status bars without jq: `status --format waybar` (one JSON line in waybar's custom-module
//! shape) and `status --format TEMPLATE` for tmux, polybar and i3blocks (`{5h.left}`,
//! `{weekly.resets_in}`, `{tightest.kind}`, `{plan}`…). Percentages are whole numbers rounded as
//! the tray rounds them, and the levels are the icon's.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::humanize::{clock, duration, heading, reset_phrase, used_and_left};
use crate::model::{UsageSnapshot, UsageWindow, WindowKind};
use crate::present::words::{credits_text, level, short_error};
use crate::settings::Settings;
use crate::status::StatusReport;
use headroom_types::Level;

/// What a bar shows for a value it does not have (a window the plan lacks, numbers not yet read).
pub const MISSING: &str = "-";

/// The state a bar is in, as a class name for its stylesheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarClass {
    Ok,
    Low,
    Critical,
    Blocked,
    /// Numbers older than the tray would still call fresh, or kept through a failed refresh.
    Stale,
    /// No numbers at all.
    Error,
}

impl BarClass {
    pub fn id(self) -> &'static str {
        match self {
            BarClass::Ok => "ok",
            BarClass::Low => "low",
            BarClass::Critical => "critical",
            BarClass::Blocked => "blocked",
            BarClass::Stale => "stale",
            BarClass::Error => "error",
        }
    }

    pub fn of(report: &StatusReport, settings: &Settings, now: DateTime<Utc>) -> BarClass {
        let Some(snapshot) = &report.snapshot else { return BarClass::Error };
        if report.error.is_some() || settings.is_stale(snapshot, now) {
            return BarClass::Stale;
        }
        let blocking = snapshot.blocking_window();
        let worst = snapshot
            .quota_windows()
            .map(|w| level(w, blocking == Some(w) || snapshot.is_exhausted(w), settings))
            .max_by_key(|l| match l {
                Level::Plenty => 0,
                Level::GettingLow => 1,
                Level::NearlyOut => 2,
                Level::Blocked => 3,
            });
        match worst {
            _ if blocking.is_some() => BarClass::Blocked,
            Some(Level::Blocked) => BarClass::Blocked,
            Some(Level::NearlyOut) => BarClass::Critical,
            Some(Level::GettingLow) => BarClass::Low,
            _ => BarClass::Ok,
        }
    }
}

/// The window a bar is about first: the one closest to its limit.
fn tightest(snapshot: &UsageSnapshot) -> Option<&UsageWindow> {
    snapshot.tightest_window()
}

fn left(window: &UsageWindow) -> u32 {
    used_and_left(window.used_percent).1
}

/// waybar's custom module, `"return-type": "json"`: `{text, tooltip, class, percentage, alt}`.
/// `command` is the account's `CODEX_HOME=… codex`, which advice to run Codex names.
pub fn waybar(report: &StatusReport, settings: &Settings, now: DateTime<Utc>, command: Option<&str>) -> Value {
    let class = BarClass::of(report, settings, now);
    let snapshot = report.snapshot.as_ref();
    let tight = snapshot.and_then(tightest);
    let text = tight.map(|w| format!("{}%", left(w))).unwrap_or_else(|| MISSING.into());
    let mut tooltip = vec![heading(snapshot)];
    if let Some(snapshot) = snapshot {
        for w in &snapshot.windows {
            let (used, left) = used_and_left(w.used_percent);
            tooltip.push(format!(
                "{}: {left}% left ({used}% used) · {}",
                w.title(),
                reset_phrase(w.resets_at, w.reset_since_observed, now)
            ));
        }
    }
    if let Some(error) = &report.error {
        tooltip.push(crate::humanize::in_home(&short_error(error), command));
    }
    json!({
        "text": text,
        "tooltip": tooltip.join("\n"),
        "class": class.id(),
        "percentage": tight.map(left),
        "alt": tight.map(|w| w.kind.id()).unwrap_or(class.id()),
    })
}

/// The placeholders a template may use, for the list an unknown one is refused with.
pub fn placeholders() -> Vec<String> {
    let mut names = Vec::new();
    for kind in WindowKind::ALL.iter().map(|k| k.id()).chain(["tightest", "reserve"]) {
        for field in ["left", "used", "resets_in", "resets_at"] {
            names.push(format!("{kind}.{field}"));
        }
    }
    names.extend(["tightest.kind", "plan", "credits", "account", "class"].map(String::from));
    names
}

/// A template that names a placeholder Headroom does not know, or is not closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("The format names {{{0}}}, which Headroom does not know: use {1}.")]
    Unknown(String, String),
    #[error("The format has a {{ that is not closed: write {{{{ for a brace itself.")]
    Unclosed,
}

/// A parsed `--format` template, checked once before anything is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Field(String),
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let known = placeholders();
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => return Err(TemplateError::Unclosed),
                        }
                    }
                    let name = name.trim().to_string();
                    if !known.contains(&name) {
                        let list: Vec<String> = known.iter().map(|k| format!("{{{k}}}")).collect();
                        return Err(TemplateError::Unknown(name, list.join(", ")));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Field(name));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// The line for this report; a value it lacks is [`MISSING`].
    pub fn render(&self, report: &StatusReport, settings: &Settings, now: DateTime<Utc>) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.clone(),
                Part::Field(name) => value(name, report, settings, now).unwrap_or_else(|| MISSING.into()),
            })
            .collect()
    }
}

fn value(name: &str, report: &StatusReport, settings: &Settings, now: DateTime<Utc>) -> Option<String> {
    let snapshot = report.snapshot.as_ref();
    match name {
        "plan" => snapshot?.plan.as_deref().map(crate::humanize::plan_name),
        "credits" => snapshot?.credits.as_ref().and_then(credits_text),
        "account" => {
            let s = snapshot?;
            s.account.email.clone().or_else(|| s.account.account_id.clone())
        }
        "class" => Some(BarClass::of(report, settings, now).id().to_string()),
        "tightest.kind" => snapshot.and_then(tightest).map(|w| w.kind.id().to_string()),
        _ => {
            let (kind, field) = name.split_once('.')?;
            let s = snapshot?;
            let window = match kind {
                "tightest" => tightest(s)?,
                // Luna Reserve: what is left of it, never the plan's.
                "reserve" => s.reserve_windows().max_by(|a, b| a.used_clamped().total_cmp(&b.used_clamped()))?,
                kind => {
                    let kind = WindowKind::from_id(kind)?;
                    s.main_windows().find(|w| w.kind == kind)?
                }
            };
            let (used, left) = used_and_left(window.used_percent);
            match field {
                "left" => Some(left.to_string()),
                "used" => Some(used.to_string()),
                "resets_in" => window.resets_at.filter(|at| *at > now).map(|at| duration(at - now)),
                // A reset that has passed is no coming reset.
                "resets_at" => window.resets_at.filter(|at| *at > now).map(|at| clock(at, now)),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::UsageError;
    use crate::model::{Account, Credits};
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
    }

    fn report(five: f64, weekly: f64, age_minutes: i64) -> StatusReport {
        let windows = vec![
            UsageWindow::main(WindowKind::FiveHour, five, Some(now() + Duration::minutes(131))),
            UsageWindow::main(WindowKind::Weekly, weekly, Some(now() + Duration::days(3))),
        ];
        let snapshot = UsageSnapshot {
            account: Account { email: Some("dev@example.com".into()), ..Default::default() },
            credits: Some(Credits { has_credits: true, balance: Some(4.5), ..Default::default() }),
            ..UsageSnapshot::plus_for_tests(windows, now() - Duration::minutes(age_minutes))
        };
        StatusReport { snapshot: Some(snapshot), credential: None, error: None, log_file: None, paces: Vec::new() }
    }

    fn failed() -> StatusReport {
        StatusReport {
            snapshot: None,
            credential: None,
            error: Some(UsageError::Network { host: "chatgpt.com".into(), cause: "timed out".into() }),
            log_file: None,
            paces: Vec::new(),
        }
    }

    #[test]
    fn waybar_gets_the_tightest_window_every_window_and_the_icons_level() {
        let settings = Settings::default();
        let normal = waybar(&report(42.0, 17.0, 0), &settings, now(), None);
        assert_eq!(normal["text"], "58%");
        assert_eq!(normal["percentage"], 58);
        assert_eq!(normal["class"], "ok");
        assert_eq!(normal["alt"], "5h");
        let tooltip = normal["tooltip"].as_str().unwrap();
        assert!(
            tooltip.starts_with("Codex · Plus · dev@example.com\n5-hour: 58% left (42% used) · resets "),
            "{tooltip}"
        );
        assert!(tooltip.contains("\nWeekly: 83% left (17% used) · resets "), "{tooltip}");

        let classes: Vec<Value> =
            [report(85.0, 17.0, 0), report(96.0, 17.0, 0), report(100.0, 17.0, 0), report(42.0, 17.0, 40), failed()]
                .iter()
                .map(|r| waybar(r, &settings, now(), None)["class"].clone())
                .collect();
        assert_eq!(classes, ["low", "critical", "blocked", "stale", "error"]);
        let error = waybar(&failed(), &settings, now(), None);
        assert_eq!((error["text"].as_str(), error["percentage"].is_null()), (Some("-"), true), "no invented number");
        assert!(error["tooltip"].as_str().unwrap().ends_with("\nOffline"));
        let mut kept = report(42.0, 17.0, 0);
        kept.error = failed().error;
        assert_eq!(waybar(&kept, &settings, now(), None)["class"], "stale", "numbers kept through a failure");
    }

    #[test]
    fn templates_fill_in_whole_percents_and_refuse_unknown_names() {
        let settings = Settings::default();
        let t = Template::parse("{5h.left}% · W {weekly.left}% · {tightest.kind} in {5h.resets_in} {{x}}").unwrap();
        assert_eq!(t.render(&report(42.4, 17.0, 0), &settings, now()), "58% · W 83% · 5h in 2 h 11 m {x}");
        let t = Template::parse("{plan} {account} {credits} {monthly.left} {class}").unwrap();
        assert_eq!(t.render(&report(42.0, 17.0, 0), &settings, now()), "Plus dev@example.com 4.50 - ok");
        assert_eq!(t.render(&failed(), &settings, now()), "- - - - error");
        let unknown = Template::parse("{5h.lft}").unwrap_err();
        assert!(
            unknown
                .to_string()
                .starts_with("The format names {5h.lft}, which Headroom does not know: use {5h.left}, {5h.used},"),
            "{unknown}"
        );
        assert_eq!(Template::parse("{5h.left").unwrap_err(), TemplateError::Unclosed);
    }
}
