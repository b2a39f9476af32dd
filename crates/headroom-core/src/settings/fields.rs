//! Every setting in settings.toml, each declared once: where it sits in the file, how its value
//! reads (checked by the one rule for it, shared with the settings window's form) and how it is
//! written. The reader ([`super::parse`]), the in-place writer and the merge of a window's changes
//! ([`crate::settings_edit`]) all go through [`FIELDS`]: adding a setting is a field of
//! [`Settings`], its default, and one entry here (and the form's field, if the window edits it).
//!
//! `[[hooks]]` is not here: a list of sections, read and written whole by its own code.

use std::path::PathBuf;

use chrono::NaiveTime;
use toml::{Table, Value};

use super::{add_home, credits_low_below, poll_interval, validate_thresholds, QuietHours, Settings, ShowAs};
use crate::model::WindowKind;

/// One setting: `[section] key = value`.
pub(crate) struct Field {
    pub section: &'static str,
    pub key: &'static str,
    /// Its value as the file writes it; `None` when unset (the key is left out).
    pub get: fn(&Settings) -> Option<Value>,
    /// Takes a value as the file has it (`None`: unset, the default), or says what it must be
    /// (then it keeps its default).
    pub set: fn(&mut Settings, Option<&Value>, &mut Problems),
}

/// What a file's values got wrong, one sentence each: "Settings: `display.show` must be …".
pub(crate) struct Problems<'a> {
    /// The value's name in the file (`alerts.thresholds`).
    pub name: String,
    pub said: &'a mut Vec<String>,
}

impl Problems<'_> {
    pub fn say(&mut self, what: &str) {
        self.say_of("", what);
    }

    /// A problem with a part of the value (`.5h`, `[2]`).
    pub fn say_of(&mut self, part: &str, what: &str) {
        self.said.push(format!("Settings: `{}{part}` {what}.", self.name));
    }

    fn boolean(&mut self, value: Option<&Value>, target: &mut bool) {
        match value.map(Value::as_bool) {
            Some(Some(b)) => *target = b,
            Some(None) => self.say(&format!("must be true or false; using {target}")),
            None => {}
        }
    }
}

/// A true-or-false setting at `$($path).+` of [`Settings`].
macro_rules! boolean {
    ($section:literal, $key:literal, $($path:ident).+) => {
        Field {
            section: $section,
            key: $key,
            get: |s| Some(Value::Boolean(s.$($path).+)),
            set: |s, value, problems| {
                s.$($path).+ = Settings::default().$($path).+;
                problems.boolean(value, &mut s.$($path).+);
            },
        }
    };
}

/// The file's settings, in the order a new file has them.
pub(crate) const FIELDS: &[Field] = &[
    boolean!("alerts", "enabled", alerts_enabled),
    boolean!("alerts", "threshold", toggles.threshold),
    boolean!("alerts", "limit_reached", toggles.limit_reached),
    boolean!("alerts", "available_again", toggles.available_again),
    boolean!("alerts", "token_expiring", toggles.token_expiring),
    boolean!("alerts", "credentials_rejected", toggles.credentials_rejected),
    boolean!("alerts", "pace", toggles.pace),
    boolean!("alerts", "credits_in_use", toggles.credits_in_use),
    boolean!("alerts", "reset_credit_expiring", toggles.reset_credit_expiring),
    Field {
        section: "alerts",
        key: "credits_low_below",
        get: |s| s.credits_low_below.map(Value::Float),
        set: |s, value, problems| {
            s.credits_low_below = None;
            let Some(value) = value else { return };
            match value.as_float().or(value.as_integer().map(|i| i as f64)).and_then(credits_low_below) {
                Some(credits) => s.credits_low_below = Some(credits),
                None => problems.say("must be a positive number of credits such as 5.0; the low-credit alert is off"),
            }
        },
    },
    Field {
        section: "alerts",
        key: "thresholds",
        get: |s| {
            let kinds = s.thresholds.iter().map(|(kind, values)| {
                (kind.id().to_string(), Value::Array(values.iter().map(|v| Value::Integer(i64::from(*v))).collect()))
            });
            Some(Value::Table(kinds.collect()))
        },
        set: |s, value, problems| {
            s.thresholds = Settings::default().thresholds;
            let Some(value) = value else { return };
            let Some(table) = value.as_table() else {
                problems.say("must be a table such as { \"5h\" = [80, 95], weekly = [80, 95] }; using 80 and 95");
                return;
            };
            for (name, list) in table {
                let part = format!(".{name}");
                let Some(kind) = WindowKind::from_id(name) else {
                    problems.say_of(&part, "is not a window kind (5h, weekly, monthly, other); it is ignored");
                    continue;
                };
                match validate_thresholds(list.as_array().map(|a| a.iter().map(Value::as_integer).collect())) {
                    Ok(values) => {
                        s.thresholds.insert(kind, values);
                    }
                    Err(why) => problems.say_of(&part, &format!("{why}; using 80 and 95")),
                }
            }
        },
    },
    Field {
        section: "alerts",
        key: "quiet_hours",
        get: |s| {
            s.quiet_hours.map(|q| {
                let time = |t: NaiveTime| Value::String(t.format("%H:%M").to_string());
                Value::Table(Table::from_iter([("start".to_string(), time(q.start)), ("end".to_string(), time(q.end))]))
            })
        },
        set: |s, value, problems| {
            s.quiet_hours = None;
            let Some(value) = value else { return };
            let time = |key: &str| {
                value.get(key).and_then(Value::as_str).and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
            };
            match (time("start"), time("end")) {
                (Some(start), Some(end)) if QuietHours::new(start, end).is_some() => {
                    s.quiet_hours = QuietHours::new(start, end)
                }
                _ => problems.say(
                    "must be { start = \"22:00\", end = \"08:00\" } with two different times; quiet hours are off",
                ),
            }
        },
    },
    Field {
        section: "display",
        key: "show",
        get: |s| Some(Value::String(s.show_as.id().into())),
        set: |s, value, problems| {
            s.show_as = ShowAs::default();
            match value.map(|v| v.as_str().and_then(ShowAs::from_id)) {
                Some(Some(show)) => s.show_as = show,
                Some(None) => problems.say("must be \"left\" or \"used\"; using \"left\""),
                None => {}
            }
        },
    },
    boolean!("display", "tray_title", tray_title),
    Field {
        section: "display",
        key: "poll_interval_minutes",
        get: |s| Some(Value::Integer(i64::from(s.poll_interval_minutes))),
        set: |s, value, problems| {
            s.poll_interval_minutes = Settings::default().poll_interval_minutes;
            match value.map(|v| v.as_integer().and_then(poll_interval)) {
                Some(Some(minutes)) => s.poll_interval_minutes = minutes,
                Some(None) => problems.say("must be a whole number of minutes from 1 to 60; using 5"),
                None => {}
            }
        },
    },
    Field {
        section: "general",
        key: "codex_home",
        get: |s| s.codex_home.as_ref().map(|home| Value::String(home.display().to_string())),
        set: |s, value, problems| {
            s.codex_home = None;
            match value.map(Value::as_str) {
                Some(Some("")) | None => {}
                Some(Some(path)) => s.codex_home = Some(PathBuf::from(path)),
                Some(None) => problems.say("must be a folder path in quotes; using CODEX_HOME or ~/.codex"),
            }
        },
    },
    boolean!("general", "autostart", autostart),
    boolean!("fallback", "automatic", fallback_automatic),
    Field {
        section: "accounts",
        key: "homes",
        // Left out when there are none.
        get: |s| {
            let homes = s.added_homes.iter().map(|h| Value::String(h.display().to_string()));
            (!s.added_homes.is_empty()).then(|| Value::Array(homes.collect()))
        },
        set: |s, value, problems| {
            s.added_homes.clear();
            let Some(value) = value else { return };
            let Some(list) = value.as_array() else {
                problems.say("must be a list of folder paths such as [\"~/.codex-work\"]; no added homes are watched");
                return;
            };
            for item in list {
                match item.as_str().map(str::trim) {
                    // A path named twice is one home.
                    Some(path) if !path.is_empty() => {
                        add_home(&mut s.added_homes, PathBuf::from(path));
                    }
                    _ => problems.say("must hold folder paths in quotes; the other homes still apply"),
                }
            }
        },
    },
    Field {
        section: "accounts",
        key: "pinned",
        get: |s| s.pinned_account.clone().map(Value::String),
        set: |s, value, problems| {
            s.pinned_account = None;
            match value.map(|v| v.as_str().map(str::trim)) {
                Some(Some("")) | None => {}
                Some(Some(id)) => s.pinned_account = Some(id.to_string()),
                Some(None) => {
                    problems.say("must be an account id or email in quotes; the icon shows the default account")
                }
            }
        },
    },
];

/// The setting at `[section] key`, if Headroom has one there.
pub(crate) fn find(section: &str, key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.section == section && f.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_somewhere_else_than_every_other() {
        let mut places: Vec<_> = FIELDS.iter().map(|f| (f.section, f.key)).collect();
        places.sort();
        places.dedup();
        assert_eq!(places.len(), FIELDS.len());
    }

    #[test]
    fn a_field_unset_is_its_default_and_a_value_read_back_is_the_value_written() {
        let mut changed = Settings { alerts_enabled: false, poll_interval_minutes: 9, ..Settings::default() };
        changed.pinned_account = Some("me@example.org".into());
        for field in FIELDS {
            let mut said = Vec::new();
            let mut problems = Problems { name: format!("{}.{}", field.section, field.key), said: &mut said };
            let mut read = Settings::default();
            (field.set)(&mut read, (field.get)(&changed).as_ref(), &mut problems);
            assert_eq!((field.get)(&read), (field.get)(&changed), "{}", problems.name);
            (field.set)(&mut read, None, &mut problems);
            assert_eq!((field.get)(&read), (field.get)(&Settings::default()), "{}", problems.name);
            assert!(said.is_empty(), "{said:?}");
        }
    }
}
