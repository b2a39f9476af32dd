//! Headroom's settings: a TOML file in the platform's config folder, never holding a secret.
//!
//! Reading is forgiving: a value that is invalid or unknown gets a clear message and its default,
//! and the rest of the file still applies. Nothing in a settings file can crash the app.
//!
//! Each setting is declared once, in [`fields`]; each rule a value must keep (a poll interval
//! from 1 to 60 minutes, …) is one function here, used by the file's reader and by the settings
//! window's [`SettingsForm`] alike, each in its own words.

pub(crate) mod fields;
mod form;

pub use form::{FieldProblem, SettingsForm};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveTime};
use toml::Table;

use crate::alerts::hooks::{Hook, HookEventKind};
use crate::model::WindowKind;
use fields::Problems;

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

impl ShowAs {
    /// As settings.toml and the settings window write it.
    pub fn id(self) -> &'static str {
        match self {
            ShowAs::Left => "left",
            ShowAs::Used => "used",
        }
    }

    pub fn from_id(id: &str) -> Option<ShowAs> {
        [ShowAs::Left, ShowAs::Used].into_iter().find(|s| s.id() == id)
    }
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
    /// Quiet hours need two different times.
    pub fn new(start: NaiveTime, end: NaiveTime) -> Option<QuietHours> {
        (start != end).then_some(QuietHours { start, end })
    }

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
    for (section, value) in &table {
        if section == "hooks" {
            read_hooks(value, &mut settings.hooks, &mut problems);
            continue;
        }
        let Some(values) = value.as_table() else {
            problems.push(format!("Settings: `{section}` is not a section."));
            continue;
        };
        for (key, value) in values {
            let name = format!("{section}.{key}");
            match fields::find(section, key) {
                Some(field) => (field.set)(&mut settings, Some(value), &mut Problems { name, said: &mut problems }),
                None => problems.push(format!("Settings: `{name}` is not a setting Headroom knows; it is ignored.")),
            }
        }
    }
    Ok((settings, problems))
}

/// `[[hooks]]`: each with `on` (event names) and `run` (a command line). A hook with a problem
/// is left out and said; the others stay.
fn read_hooks(value: &toml::Value, hooks: &mut Vec<Hook>, said: &mut Vec<String>) {
    let mut problems = Problems { name: "hooks".into(), said };
    let Some(entries) = value.as_array() else {
        problems.say("must be written as [[hooks]] sections, each with `on` and `run`; no hook runs");
        return;
    };
    let known = || HookEventKind::ALL.map(|k| format!("\"{}\"", k.id())).join(", ");
    for (n, entry) in entries.iter().enumerate() {
        let part = format!("[{}]", n + 1);
        let Some(table) = entry.as_table() else {
            problems.say_of(&part, "must be a section with `on` and `run`; it is left out");
            continue;
        };
        let run = match table.get("run").and_then(toml::Value::as_str).map(str::trim) {
            Some(run) if !run.is_empty() => run.to_string(),
            _ => {
                problems.say_of(&part, "needs `run`, the command line to run, in quotes; it is left out");
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
            _ => problems.say_of(&part, &format!("needs `on`, a list of events from {}; it is left out", known())),
        }
        for key in table.keys().filter(|k| !["on", "run"].contains(&k.as_str())) {
            problems.say_of(&format!("{part}.{key}"), "is not a setting Headroom knows; it is ignored");
        }
    }
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

/// A poll interval is a whole number of minutes from 1 to 60.
pub fn poll_interval(minutes: i64) -> Option<u32> {
    (1..=60).contains(&minutes).then_some(minutes as u32)
}

/// The low-credit alert's level is a positive number of credits.
pub fn credits_low_below(credits: f64) -> Option<f64> {
    (credits.is_finite() && credits > 0.0).then_some(credits)
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
        let text = crate::settings_edit::new_file(&settings);
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
        crate::settings_edit::update(&path, |s| {
            *s = settings.clone();
            Ok::<_, crate::settings_edit::EditError>(())
        })
        .unwrap();
        assert_eq!(load(&path), (settings, vec![]));
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 2, "no temporary file left behind (the lock file stays): {leftovers:?}");
    }
}
