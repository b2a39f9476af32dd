//! Headroom's settings: a TOML file in the platform's config folder, never holding a secret.
//!
//! Reading is forgiving: a value that is invalid or unknown gets a clear message and its default,
//! and the rest of the file still applies. Nothing in a settings file can crash the app.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveTime};
use toml::{Table, Value};

use crate::alerts::hooks::{Hook, HookEventKind};
use crate::model::WindowKind;

pub const FILE_NAME: &str = "settings.toml";

/// What the tray and dashboard show for a window: how much is left, or how much is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ShowAs {
    #[default]
    Left,
    Used,
}

/// Which events may notify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertToggles {
    pub threshold: bool,
    pub limit_reached: bool,
    pub available_again: bool,
    pub token_expiring: bool,
    pub credentials_rejected: bool,
    pub pace: bool,
    /// A limit is reached and Codex goes on by spending the account's credits.
    pub credits_in_use: bool,
    /// A banked reset credit expires within 3 days (once per credit).
    pub reset_credit_expiring: bool,
}

impl Default for AlertToggles {
    fn default() -> Self {
        AlertToggles {
            threshold: true,
            limit_reached: true,
            available_again: true,
            token_expiring: true,
            credentials_rejected: true,
            pace: false,
            credits_in_use: true,
            reset_credit_expiring: true,
        }
    }
}

/// Local times between which alerts are held, then summarised once. May wrap midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    pub fn contains(&self, time: NaiveTime) -> bool {
        if self.start <= self.end {
            time >= self.start && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub alerts_enabled: bool,
    /// Used-% thresholds per window kind, ascending, each 1–100, at least one.
    pub thresholds: BTreeMap<WindowKind, Vec<u8>>,
    pub toggles: AlertToggles,
    /// Alert once when the credit balance falls below this; off when unset.
    pub credits_low_below: Option<f64>,
    pub quiet_hours: Option<QuietHours>,
    pub show_as: ShowAs,
    /// A short `58%` next to the tray icon, where the platform shows text.
    pub tray_title: bool,
    pub poll_interval_minutes: u32,
    pub codex_home: Option<PathBuf>,
    pub autostart: bool,
    /// Switch Codex to the fallback key (and back) without asking.
    pub fallback_automatic: bool,
    /// More Codex homes to watch (`[accounts] homes`), each with its own login: paths only.
    pub added_homes: Vec<PathBuf>,
    /// The account the icon shows (`[accounts] pinned`: an account id or email); the default
    /// account when unset.
    pub pinned_account: Option<String>,
    /// The user's commands run on alert events (`[[hooks]]`).
    pub hooks: Vec<Hook>,
}

pub const DEFAULT_THRESHOLDS: [u8; 2] = [80, 95];

impl Settings {
    /// Numbers older than this are stale: 15 minutes (as Codex's own `/status` says), or twice
    /// the poll interval when that is longer, since numbers that age between two polls are as
    /// fresh as Headroom was asked to keep them. One rule for the tray, the dashboard and the CLI.
    pub fn stale_after(&self) -> Duration {
        Duration::minutes(15).max(Duration::minutes(2 * i64::from(self.poll_interval_minutes)))
    }

    /// Whether `snapshot` is stale at `now` by [`Settings::stale_after`]: what the tray, the
    /// dashboard, the status bars and the CLI all ask.
    pub fn is_stale(&self, snapshot: &crate::model::UsageSnapshot, now: chrono::DateTime<chrono::Utc>) -> bool {
        snapshot.is_stale(self.stale_after(), now)
    }

    /// This process's environment, with the Codex folder these settings choose: how the tray,
    /// its windows and the CLI all find Codex.
    pub fn environment(&self) -> crate::environment::Environment {
        crate::environment::Environment::from_process().with_codex_home(self.codex_home.as_deref())
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            alerts_enabled: true,
            thresholds: WindowKind::ALL.iter().map(|k| (*k, DEFAULT_THRESHOLDS.to_vec())).collect(),
            toggles: AlertToggles::default(),
            credits_low_below: None,
            quiet_hours: None,
            show_as: ShowAs::Left,
            tray_title: true,
            poll_interval_minutes: 5,
            codex_home: None,
            autostart: false,
            fallback_automatic: false,
            added_homes: Vec::new(),
            pinned_account: None,
            hooks: Vec::new(),
        }
    }
}

impl Settings {
    pub fn thresholds_for(&self, kind: WindowKind) -> &[u8] {
        self.thresholds.get(&kind).map(Vec::as_slice).unwrap_or(&DEFAULT_THRESHOLDS)
    }
}

/// The settings file's path in the platform's config folder (`~/.config/headroom/settings.toml`
/// on Linux, `~/Library/Application Support/headroom/` on macOS, `%APPDATA%\headroom\` on Windows).
pub fn default_path() -> Option<PathBuf> {
    crate::user_folders::config_dir().map(|d| d.join("headroom").join(FILE_NAME))
}

/// Reads settings from `path`. A missing file is the defaults; every problem is a message and
/// the default for what it concerns.
pub fn load(path: &Path) -> (Settings, Vec<String>) {
    read(path).unwrap_or_else(|broken| (Settings::default(), vec![defaults_sentence(&broken)]))
}

/// The user's settings, as every one of Headroom's processes reads them at start: the file at
/// [`default_path`] by [`load`] (the defaults when no folder is known).
pub fn load_default() -> (Settings, Vec<String>) {
    default_path().map(|path| load(&path)).unwrap_or_default()
}

/// The sentence for a file [`read`] refused, where the defaults are used instead.
pub fn defaults_sentence(broken: &str) -> String {
    format!("{broken}; using the default settings.")
}

/// The sentence for a file [`read`] refused, where the settings in use are kept.
pub fn kept_sentence(broken: &str) -> String {
    format!("{broken}; the settings in use are kept until it is fixed.")
}

/// Reads settings from `path` as [`load`] does, except that a file that cannot be read or is
/// not TOML at all is an error (one clause, no full stop): nothing in it can be told, so a
/// running Headroom keeps the settings it has rather than fall back to the defaults.
pub fn read(path: &Path) -> Result<(Settings, Vec<String>), String> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_or_refuse(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Settings::default(), Vec::new())),
        Err(e) => Err(format!("{} could not be read ({e})", path.display())),
    }
}

/// Parses the settings text; see [`load`].
pub fn parse(text: &str) -> (Settings, Vec<String>) {
    parse_or_refuse(text).unwrap_or_else(|broken| (Settings::default(), vec![defaults_sentence(&broken)]))
}

/// Parses the settings text; see [`read`].
fn parse_or_refuse(text: &str) -> Result<(Settings, Vec<String>), String> {
    let mut settings = Settings::default();
    let mut problems = Vec::new();
    let table: Table = match text.parse() {
        Ok(table) => table,
        Err(e) => {
            let e: toml::de::Error = e;
            let line = e.span().map(|s| crate::text::line_at(text, s.start));
            return Err(match line {
                Some(line) => format!("The settings file is not valid TOML (line {line}: {})", e.message()),
                None => format!("The settings file is not valid TOML ({})", e.message()),
            });
        }
    };
    let mut reader = Reader { problems: &mut problems };
    for (section, value) in &table {
        if section == "hooks" {
            reader.hooks(value, &mut settings.hooks);
            continue;
        }
        let Some(values) = value.as_table() else {
            reader.problem(section, "is not a section");
            continue;
        };
        for (key, value) in values {
            let name = format!("{section}.{key}");
            match (section.as_str(), key.as_str()) {
                ("alerts", "enabled") => reader.boolean(&name, value, &mut settings.alerts_enabled),
                ("alerts", "threshold") => reader.boolean(&name, value, &mut settings.toggles.threshold),
                ("alerts", "limit_reached") => reader.boolean(&name, value, &mut settings.toggles.limit_reached),
                ("alerts", "available_again") => reader.boolean(&name, value, &mut settings.toggles.available_again),
                ("alerts", "token_expiring") => reader.boolean(&name, value, &mut settings.toggles.token_expiring),
                ("alerts", "credentials_rejected") => {
                    reader.boolean(&name, value, &mut settings.toggles.credentials_rejected)
                }
                ("alerts", "pace") => reader.boolean(&name, value, &mut settings.toggles.pace),
                ("alerts", "credits_in_use") => reader.boolean(&name, value, &mut settings.toggles.credits_in_use),
                ("alerts", "reset_credit_expiring") => {
                    reader.boolean(&name, value, &mut settings.toggles.reset_credit_expiring)
                }
                ("alerts", "credits_low_below") => match value.as_float().or(value.as_integer().map(|i| i as f64)) {
                    Some(v) if v.is_finite() && v > 0.0 => settings.credits_low_below = Some(v),
                    _ => reader.problem(
                        &name,
                        "must be a positive number of credits such as 5.0; the low-credit alert is off",
                    ),
                },
                ("alerts", "thresholds") => reader.thresholds(&name, value, &mut settings.thresholds),
                ("alerts", "quiet_hours") => reader.quiet_hours(&name, value, &mut settings.quiet_hours),
                ("display", "show") => match value.as_str() {
                    Some("left") => settings.show_as = ShowAs::Left,
                    Some("used") => settings.show_as = ShowAs::Used,
                    _ => reader.problem(&name, "must be \"left\" or \"used\"; using \"left\""),
                },
                ("display", "tray_title") => reader.boolean(&name, value, &mut settings.tray_title),
                ("display", "poll_interval_minutes") => match value.as_integer() {
                    Some(m @ 1..=60) => settings.poll_interval_minutes = m as u32,
                    _ => reader.problem(&name, "must be a whole number of minutes from 1 to 60; using 5"),
                },
                ("general", "codex_home") => match value.as_str() {
                    Some("") => settings.codex_home = None,
                    Some(path) => settings.codex_home = Some(PathBuf::from(path)),
                    None => reader.problem(&name, "must be a folder path in quotes; using CODEX_HOME or ~/.codex"),
                },
                ("general", "autostart") => reader.boolean(&name, value, &mut settings.autostart),
                ("fallback", "automatic") => reader.boolean(&name, value, &mut settings.fallback_automatic),
                ("accounts", "homes") => reader.homes(&name, value, &mut settings.added_homes),
                ("accounts", "pinned") => match value.as_str().map(str::trim) {
                    Some("") => settings.pinned_account = None,
                    Some(id) => settings.pinned_account = Some(id.to_string()),
                    None => reader
                        .problem(&name, "must be an account id or email in quotes; the icon shows the default account"),
                },
                _ => reader.problem(&name, "is not a setting Headroom knows; it is ignored"),
            }
        }
    }
    Ok((settings, problems))
}

struct Reader<'a> {
    problems: &'a mut Vec<String>,
}

impl Reader<'_> {
    fn problem(&mut self, name: &str, what: &str) {
        self.problems.push(format!("Settings: `{name}` {what}."));
    }

    /// `[[hooks]]`: each with `on` (event names) and `run` (a command line). A hook with a
    /// problem is left out and said; the others stay.
    fn hooks(&mut self, value: &toml::Value, hooks: &mut Vec<Hook>) {
        let Some(entries) = value.as_array() else {
            self.problem("hooks", "must be written as [[hooks]] sections, each with `on` and `run`; no hook runs");
            return;
        };
        let known = || HookEventKind::ALL.map(|k| format!("\"{}\"", k.id())).join(", ");
        for (n, entry) in entries.iter().enumerate() {
            let name = format!("hooks[{}]", n + 1);
            let Some(table) = entry.as_table() else {
                self.problem(&name, "must be a section with `on` and `run`; it is left out");
                continue;
            };
            let run = match table.get("run").and_then(toml::Value::as_str).map(str::trim) {
                Some(run) if !run.is_empty() => run.to_string(),
                _ => {
                    self.problem(&name, "needs `run`, the command line to run, in quotes; it is left out");
                    continue;
                }
            };
            let names: Option<Vec<&str>> = table
                .get("on")
                .and_then(toml::Value::as_array)
                .map(|on| on.iter().filter_map(toml::Value::as_str).collect());
            let on: Vec<HookEventKind> = names.iter().flatten().filter_map(|id| HookEventKind::from_id(id)).collect();
            match names {
                Some(names) if !on.is_empty() && on.len() == names.len() => hooks.push(Hook { on, run }),
                _ => self.problem(&name, &format!("needs `on`, a list of events from {}; it is left out", known())),
            }
            for key in table.keys().filter(|k| !["on", "run"].contains(&k.as_str())) {
                self.problem(&format!("{name}.{key}"), "is not a setting Headroom knows; it is ignored");
            }
        }
    }

    fn boolean(&mut self, name: &str, value: &Value, target: &mut bool) {
        match value.as_bool() {
            Some(b) => *target = b,
            None => self.problem(name, &format!("must be true or false; using {target}")),
        }
    }

    fn thresholds(&mut self, name: &str, value: &Value, target: &mut BTreeMap<WindowKind, Vec<u8>>) {
        let Some(table) = value.as_table() else {
            self.problem(name, "must be a table such as { \"5h\" = [80, 95], weekly = [80, 95] }; using 80 and 95");
            return;
        };
        for (kind_name, list) in table {
            let Some(kind) = WindowKind::from_id(kind_name) else {
                self.problem(
                    &format!("{name}.{kind_name}"),
                    "is not a window kind (5h, weekly, monthly, other); it is ignored",
                );
                continue;
            };
            match validate_thresholds(list.as_array().map(|a| a.iter().map(Value::as_integer).collect())) {
                Ok(values) => {
                    target.insert(kind, values);
                }
                Err(why) => self.problem(&format!("{name}.{kind_name}"), &format!("{why}; using 80 and 95")),
            }
        }
    }

    /// A list of folder paths; a path named twice is one home.
    fn homes(&mut self, name: &str, value: &Value, target: &mut Vec<PathBuf>) {
        let Some(list) = value.as_array() else {
            self.problem(
                name,
                "must be a list of folder paths such as [\"~/.codex-work\"]; no added homes are watched",
            );
            return;
        };
        for item in list {
            match item.as_str().map(str::trim) {
                Some(path) if !path.is_empty() => {
                    add_home(target, PathBuf::from(path));
                }
                _ => self.problem(name, "must hold folder paths in quotes; the other homes still apply"),
            }
        }
    }

    fn quiet_hours(&mut self, name: &str, value: &Value, target: &mut Option<QuietHours>) {
        let time =
            |key: &str| value.get(key).and_then(Value::as_str).and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok());
        match (time("start"), time("end")) {
            (Some(start), Some(end)) if start != end => *target = Some(QuietHours { start, end }),
            _ => self.problem(
                name,
                "must be { start = \"22:00\", end = \"08:00\" } with two different times; quiet hours are off",
            ),
        }
    }
}

fn yes() -> bool {
    true
}

/// Adds a home to the list unless it is there already (the same folder written differently,
/// with a trailing slash say, is the same home).
pub fn add_home(homes: &mut Vec<PathBuf>, home: PathBuf) -> bool {
    let same = |a: &Path, b: &Path| a.components().eq(b.components());
    if homes.iter().any(|h| same(h, &home)) {
        return false;
    }
    homes.push(home);
    true
}

/// Thresholds must be whole percentages from 1 to 100, at least one; duplicates are dropped.
pub fn validate_thresholds(values: Option<Vec<Option<i64>>>) -> Result<Vec<u8>, String> {
    let values = values.ok_or("must be a list of percentages")?;
    let mut out = Vec::new();
    for value in values {
        match value {
            Some(v @ 1..=100) => out.push(v as u8),
            _ => return Err("must hold whole percentages from 1 to 100".into()),
        }
    }
    out.sort_unstable();
    out.dedup();
    if out.is_empty() {
        return Err("must hold at least one percentage".into());
    }
    Ok(out)
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
            show_as: if s.show_as == ShowAs::Used { "used" } else { "left" }.into(),
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
                    (Some(start), Some(end)) if start != end => Some(QuietHours { start, end }),
                    (Some(_), Some(_)) => {
                        problem("quiet-start", "Quiet hours need two different times such as 22:00 and 08:00.".into());
                        current.quiet_hours
                    }
                    _ => current.quiet_hours,
                }
            }
        };
        let show_as = match self.show_as.as_str() {
            "left" => ShowAs::Left,
            "used" => ShowAs::Used,
            _ => {
                problem("show-as", "Show must be \"left\" or \"used\".".into());
                current.show_as
            }
        };
        let credits_low_below = match self.credits_low_below.trim() {
            "" => None,
            text => match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => Some(v),
                _ => {
                    problem(
                        "credits-low",
                        "The low-credit alert needs a positive number of credits such as 5, or nothing.".into(),
                    );
                    current.credits_low_below
                }
            },
        };
        let poll_interval_minutes = match self.poll_interval_minutes {
            Some(minutes) if (1..=60).contains(&minutes) => minutes as u32,
            _ => {
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

/// The settings as TOML, for saving.
pub fn to_toml(settings: &Settings) -> String {
    let mut out = String::new();
    out.push_str("# Headroom settings. Secrets never go here: tokens live in the OS keychain.\n\n[alerts]\n");
    out.push_str(&format!("enabled = {}\n", settings.alerts_enabled));
    let t = &settings.toggles;
    for (key, value) in [
        ("threshold", t.threshold),
        ("limit_reached", t.limit_reached),
        ("available_again", t.available_again),
        ("token_expiring", t.token_expiring),
        ("credentials_rejected", t.credentials_rejected),
        ("pace", t.pace),
        ("credits_in_use", t.credits_in_use),
        ("reset_credit_expiring", t.reset_credit_expiring),
    ] {
        out.push_str(&format!("{key} = {value}\n"));
    }
    if let Some(below) = settings.credits_low_below {
        out.push_str(&format!("credits_low_below = {}\n", Value::Float(below)));
    }
    let thresholds: Vec<String> = settings
        .thresholds
        .iter()
        .map(|(kind, values)| {
            let list: Vec<String> = values.iter().map(u8::to_string).collect();
            format!("\"{}\" = [{}]", kind.id(), list.join(", "))
        })
        .collect();
    out.push_str(&format!("thresholds = {{ {} }}\n", thresholds.join(", ")));
    if let Some(q) = settings.quiet_hours {
        out.push_str(&format!(
            "quiet_hours = {{ start = \"{}\", end = \"{}\" }}\n",
            q.start.format("%H:%M"),
            q.end.format("%H:%M")
        ));
    }
    out.push_str("\n[display]\n");
    out.push_str(&format!("show = \"{}\"\n", if settings.show_as == ShowAs::Used { "used" } else { "left" }));
    out.push_str(&format!("tray_title = {}\n", settings.tray_title));
    out.push_str(&format!("poll_interval_minutes = {}\n", settings.poll_interval_minutes));
    out.push_str("\n[general]\n");
    if let Some(home) = &settings.codex_home {
        out.push_str(&format!("codex_home = {}\n", Value::String(home.display().to_string())));
    }
    out.push_str(&format!("autostart = {}\n", settings.autostart));
    out.push_str("\n[fallback]\n");
    out.push_str(&format!("automatic = {}\n", settings.fallback_automatic));
    if !settings.added_homes.is_empty() || settings.pinned_account.is_some() {
        out.push_str("\n[accounts]\n");
        if !settings.added_homes.is_empty() {
            let homes: Vec<String> =
                settings.added_homes.iter().map(|h| Value::String(h.display().to_string()).to_string()).collect();
            out.push_str(&format!("homes = [{}]\n", homes.join(", ")));
        }
        if let Some(pinned) = &settings.pinned_account {
            out.push_str(&format!("pinned = {}\n", Value::String(pinned.clone())));
        }
    }
    for hook in &settings.hooks {
        let on: Vec<String> = hook.on.iter().map(|k| Value::String(k.id().into()).to_string()).collect();
        out.push_str(&format!("\n[[hooks]]\non = [{}]\nrun = {}\n", on.join(", "), Value::String(hook.run.clone())));
    }
    out
}

/// Writes the settings atomically (a temporary file beside it, then a rename), so a crash or a
/// full disk leaves the old file whole.
pub fn save(path: &Path, settings: &Settings) -> std::io::Result<()> {
    crate::storage::write_atomically(path, to_toml(settings).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_file_is_the_defaults() {
        assert_eq!(parse(""), (Settings::default(), vec![]));
        let (s, p) = load(Path::new("/nonexistent/settings.toml"));
        assert_eq!((s, p), (Settings::default(), vec![]));
        assert_eq!(Settings::default().thresholds_for(WindowKind::Weekly), &[80, 95]);
    }

    #[test]
    fn every_setting_round_trips() {
        let mut settings = Settings { alerts_enabled: false, ..Settings::default() };
        settings.toggles.pace = true;
        settings.toggles.available_again = false;
        settings.toggles.credits_in_use = false;
        settings.credits_low_below = Some(2.5);
        settings.thresholds.insert(WindowKind::FiveHour, vec![50, 90, 100]);
        settings.quiet_hours = Some(QuietHours {
            start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(7, 30, 0).unwrap(),
        });
        settings.show_as = ShowAs::Used;
        settings.tray_title = false;
        settings.poll_interval_minutes = 15;
        settings.codex_home = Some(PathBuf::from("/home/dev/.codex \"work\""));
        settings.autostart = true;
        settings.fallback_automatic = true;
        settings.added_homes = vec![PathBuf::from("/home/dev/.codex-work"), PathBuf::from("/srv/codex \"b\"")];
        settings.pinned_account = Some("work@example.com".into());
        settings.hooks = vec![
            Hook {
                on: vec![HookEventKind::Threshold, HookEventKind::LimitReached],
                run: "notify-send 'Codex' \"low\"".into(),
            },
            Hook { on: vec![HookEventKind::AvailableAgain], run: "/usr/local/bin/resume-queue".into() },
        ];
        let text = to_toml(&settings);
        assert_eq!(parse(&text), (settings, vec![]), "{text}");
    }

    #[test]
    fn hooks_with_a_problem_are_left_out_and_said_and_the_others_stay() {
        let (settings, problems) = parse(
            "[[hooks]]\non = [\"threshold\"]\nrun = \"notify-send hi\"\n\
             [[hooks]]\non = [\"thresold\"]\nrun = \"x\"\n\
             [[hooks]]\non = [\"limit_reached\"]\n\
             [[hooks]]\non = [\"login_rejected\"]\nrun = \"y\"\nwhen = 3\n",
        );
        assert_eq!(
            settings.hooks,
            vec![
                Hook { on: vec![HookEventKind::Threshold], run: "notify-send hi".into() },
                Hook { on: vec![HookEventKind::LoginRejected], run: "y".into() },
            ]
        );
        assert_eq!(
            problems,
            vec![
                "Settings: `hooks[2]` needs `on`, a list of events from \"threshold\", \"limit_reached\", \"available_again\", \"credits_in_use\", \"login_rejected\", \"login_expiring\"; it is left out.",
                "Settings: `hooks[3]` needs `run`, the command line to run, in quotes; it is left out.",
                "Settings: `hooks[4].when` is not a setting Headroom knows; it is ignored.",
            ]
        );
        let (_, problems) = parse("hooks = \"notify-send\"\n");
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn a_home_named_twice_is_one_home_and_bad_entries_are_said() {
        let (settings, problems) =
            parse("[accounts]\nhomes = [\"/a/work\", \"/a/work/\", \"/a//work\", 7, \"/b\"]\npinned = \"\"\n");
        assert_eq!(settings.added_homes, vec![PathBuf::from("/a/work"), PathBuf::from("/b")]);
        assert_eq!(settings.pinned_account, None);
        assert_eq!(
            problems,
            vec!["Settings: `accounts.homes` must hold folder paths in quotes; the other homes still apply."]
        );
        let (settings, problems) = parse("[accounts]\nhomes = \"/a\"\n");
        assert!(settings.added_homes.is_empty());
        assert_eq!(problems.len(), 1, "{problems:?}");
        // The settings window's form keeps the accounts, which it does not edit.
        let current = Settings {
            added_homes: vec![PathBuf::from("/a")],
            pinned_account: Some("acct-1".into()),
            ..Settings::default()
        };
        let (saved, _) = SettingsForm::from_settings(&Settings::default()).apply_to(&current);
        assert_eq!((saved.added_homes, saved.pinned_account), (current.added_homes, current.pinned_account));
    }

    #[test]
    fn invalid_and_unknown_values_get_messages_and_defaults_the_rest_applies() {
        let (settings, problems) = parse(
            r#"
            [alerts]
            thresholds = { "5h" = [0, 95], weekly = [], monthly = [70], fortnightly = [1] }
            enabled = "yes"
            quiet_hours = { start = "25:00", end = "08:00" }
            [display]
            poll_interval_minutes = 0
            show = "remaining"
            tray_title = false
            [general]
            colour = "blue"
            "#,
        );
        assert_eq!(settings.thresholds_for(WindowKind::FiveHour), &[80, 95]);
        assert_eq!(settings.thresholds_for(WindowKind::Weekly), &[80, 95]);
        assert_eq!(settings.thresholds_for(WindowKind::Monthly), &[70]);
        assert!(settings.alerts_enabled);
        assert_eq!(settings.quiet_hours, None);
        assert_eq!(settings.poll_interval_minutes, 5);
        assert_eq!(settings.show_as, ShowAs::Left);
        assert!(!settings.tray_title, "valid values beside invalid ones still apply");
        assert_eq!(
            problems,
            vec![
                "Settings: `alerts.enabled` must be true or false; using true.",
                "Settings: `alerts.quiet_hours` must be { start = \"22:00\", end = \"08:00\" } with two different times; quiet hours are off.",
                "Settings: `alerts.thresholds.5h` must hold whole percentages from 1 to 100; using 80 and 95.",
                "Settings: `alerts.thresholds.fortnightly` is not a window kind (5h, weekly, monthly, other); it is ignored.",
                "Settings: `alerts.thresholds.weekly` must hold at least one percentage; using 80 and 95.",
                "Settings: `display.poll_interval_minutes` must be a whole number of minutes from 1 to 60; using 5.",
                "Settings: `display.show` must be \"left\" or \"used\"; using \"left\".",
                "Settings: `general.colour` is not a setting Headroom knows; it is ignored.",
            ]
        );
    }

    #[test]
    fn broken_toml_is_one_message_and_the_defaults() {
        let (settings, problems) = parse("[alerts\nenabled = ");
        assert_eq!(settings, Settings::default());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("The settings file is not valid TOML"), "{}", problems[0]);
    }

    #[test]
    fn the_form_round_trips_and_is_validated_again() {
        let mut settings = Settings::default();
        settings.thresholds.insert(WindowKind::FiveHour, vec![70, 90]);
        settings.quiet_hours = Some(QuietHours {
            start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        });
        let form = SettingsForm::from_settings(&settings);
        assert_eq!(form.quiet_start, "22:00");
        assert_eq!(form.validate().unwrap(), settings);

        let mut bad = form.clone();
        bad.thresholds.insert("5h".into(), vec![0, 101]);
        bad.thresholds.insert("weekly".into(), vec![]);
        bad.poll_interval_minutes = Some(0);
        bad.quiet_start = "25:00".into();
        bad.show_as = "remaining".into();
        bad.credits_low_below = "lots".into();
        assert_eq!(
            bad.validate().unwrap_err(),
            vec![
                "5-hour thresholds must hold whole percentages from 1 to 100.",
                "Weekly thresholds must hold at least one percentage.",
                "25:00 is not a time of day: write it as HH:MM, such as 22:00.",
                "Show must be \"left\" or \"used\".",
                "The low-credit alert needs a positive number of credits such as 5, or nothing.",
                "The poll interval must be from 1 to 60 minutes.",
            ]
        );
        // Field by field: what is wrong keeps its value and is named; the rest applies.
        let mut current = settings.clone();
        current.poll_interval_minutes = 7;
        let mut mixed = form.clone();
        mixed.thresholds.insert("5h".into(), vec![80, 95, 200]);
        mixed.thresholds.insert("monthly".into(), vec![50, 90]);
        mixed.poll_interval_minutes = None;
        mixed.tray_title = false;
        let (applied, problems) = mixed.apply_to(&current);
        assert_eq!(
            problems.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(),
            vec!["thresholds-5h", "poll-interval"]
        );
        assert_eq!(applied.thresholds_for(WindowKind::FiveHour), &[70, 90], "kept");
        assert_eq!(applied.thresholds_for(WindowKind::Monthly), &[50, 90], "applied");
        assert_eq!(applied.poll_interval_minutes, 7, "kept");
        assert!(!applied.tray_title, "applied");
        // Quiet hours: each time is its own field, and only the wrong one is marked.
        let quiet = |start: &str, end: &str| {
            let mut form = form.clone();
            (form.quiet_start, form.quiet_end) = (start.into(), end.into());
            form.apply_to(&settings).1.into_iter().map(|p| (p.field, p.message)).collect::<Vec<_>>()
        };
        assert_eq!(
            quiet("22:00", "25:00"),
            vec![(
                "quiet-end".to_string(),
                "25:00 is not a time of day: write it as HH:MM, such as 22:00.".to_string()
            )]
        );
        assert_eq!(quiet("", "08:00")[0].0, "quiet-start");
        assert_eq!(quiet("08:00", "08:00")[0].1, "Quiet hours need two different times such as 22:00 and 08:00.");
        assert!(quiet("23:30", "06:00").is_empty());
        let mut low = form.clone();
        low.credits_low_below = " 4.5 ".into();
        assert_eq!(low.validate().unwrap().credits_low_below, Some(4.5));
    }

    #[test]
    fn quiet_hours_may_wrap_midnight() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let night = QuietHours { start: t(22, 0), end: t(7, 0) };
        assert!(
            night.contains(t(23, 0))
                && night.contains(t(3, 0))
                && !night.contains(t(7, 0))
                && !night.contains(t(12, 0))
        );
        let lunch = QuietHours { start: t(12, 0), end: t(13, 0) };
        assert!(lunch.contains(t(12, 30)) && !lunch.contains(t(13, 0)));
    }

    #[test]
    fn saving_is_atomic_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("headroom").join(FILE_NAME);
        let settings = Settings { poll_interval_minutes: 2, ..Settings::default() };
        save(&path, &settings).unwrap();
        assert_eq!(load(&path), (settings, vec![]));
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }
}
