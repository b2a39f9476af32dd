//! Changing settings.toml without losing anything the user wrote: every change is a read, a
//! change and a write under one lock (`settings.toml.lock`), shared by the CLI and the tray, so
//! changes made at once all land; the file is edited in place (`toml_edit`): only the values that
//! changed are written, and comments, order, hooks and whatever Headroom does not understand (a
//! misspelt key, a hook with an unknown event) stay as they were. A file that does not parse is
//! never saved over: the change is refused with one sentence naming the line.
//!
//! A window that edits a copy of the settings read earlier sends what the user changed against
//! that copy: [`merge`] takes those fields and the file's for the rest, so a home added with
//! `headroom accounts add` meanwhile, or a hook written by hand, is kept.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use toml_edit::{value, Array, DocumentMut, InlineTable, Item, Table, Value};

use crate::settings::{parse, QuietHours, Settings, ShowAs};

/// Why a change to settings.toml was not saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("{} does not parse (line {line}: {message}), so Headroom will not save over it: fix that line (or remove the file to start from the defaults), then try again. Nothing was saved.", .path.display())]
    Unparsable { path: PathBuf, line: usize, message: String },
    #[error("The settings could not be saved in {} ({reason}): check that the folder is writable and the disk not full. Nothing was saved.", .path.display())]
    Io { path: PathBuf, reason: String },
    #[error("No config folder is known for this user (is HOME set?): nothing was saved.")]
    NoFolder,
}

/// A change refused, as its one sentence (for callers whose own errors are sentences).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

impl From<EditError> for Refused {
    fn from(e: EditError) -> Refused {
        Refused(e.to_string())
    }
}

/// Changes the settings in `path`: under the lock, reads the file as it is now, lets `change`
/// change its settings, and writes back in place only what changed. Returns `change`'s value and
/// the settings now in the file. A refused change (an `Err` from `change`) writes nothing.
pub fn update<T, E: From<EditError>>(
    path: &Path,
    change: impl FnOnce(&mut Settings) -> Result<T, E>,
) -> Result<(T, Settings), E> {
    let _lock = lock(path)?;
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(EditError::Io { path: path.to_path_buf(), reason: e.to_string() }.into()),
    };
    let mut document: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let line = e.span().map(|s| crate::text::line_at(&text, s.start)).unwrap_or(1);
        EditError::Unparsable { path: path.to_path_buf(), line, message: first_line(e.message()) }
    })?;
    let (before, _) = parse(&text);
    let mut after = before.clone();
    let value = change(&mut after)?;
    if after == before {
        return Ok((value, before));
    }
    write_changes(&mut document, &before, &after);
    // A new file opens with what it is (a comment alone would sit after the tables).
    let written = if text.trim().is_empty() { format!("{HEADER}{document}") } else { document.to_string() };
    crate::storage::write_atomically(path, written.as_bytes())
        .map_err(|e| EditError::Io { path: path.to_path_buf(), reason: e.to_string() })?;
    // What the file says now, read back as every reader reads it.
    let (now, _) = parse(&written);
    Ok((value, now))
}

/// The settings with `mine`'s fields where they differ from `base` (what the user changed) and
/// `theirs` (the file as it is now) for every other field.
pub fn merge(base: &Settings, mine: &Settings, theirs: &Settings) -> Settings {
    fn pick<T: PartialEq + Clone>(base: &T, mine: &T, theirs: &T) -> T {
        if mine != base {
            mine.clone()
        } else {
            theirs.clone()
        }
    }
    let mut thresholds = theirs.thresholds.clone();
    for (kind, values) in &mine.thresholds {
        if base.thresholds.get(kind) != Some(values) {
            thresholds.insert(*kind, values.clone());
        }
    }
    let (b, m, t) = (&base.toggles, &mine.toggles, &theirs.toggles);
    Settings {
        alerts_enabled: pick(&base.alerts_enabled, &mine.alerts_enabled, &theirs.alerts_enabled),
        thresholds,
        toggles: crate::settings::AlertToggles {
            threshold: pick(&b.threshold, &m.threshold, &t.threshold),
            limit_reached: pick(&b.limit_reached, &m.limit_reached, &t.limit_reached),
            available_again: pick(&b.available_again, &m.available_again, &t.available_again),
            token_expiring: pick(&b.token_expiring, &m.token_expiring, &t.token_expiring),
            credentials_rejected: pick(&b.credentials_rejected, &m.credentials_rejected, &t.credentials_rejected),
            pace: pick(&b.pace, &m.pace, &t.pace),
            credits_in_use: pick(&b.credits_in_use, &m.credits_in_use, &t.credits_in_use),
            reset_credit_expiring: pick(&b.reset_credit_expiring, &m.reset_credit_expiring, &t.reset_credit_expiring),
        },
        credits_low_below: pick(&base.credits_low_below, &mine.credits_low_below, &theirs.credits_low_below),
        quiet_hours: pick(&base.quiet_hours, &mine.quiet_hours, &theirs.quiet_hours),
        show_as: pick(&base.show_as, &mine.show_as, &theirs.show_as),
        tray_title: pick(&base.tray_title, &mine.tray_title, &theirs.tray_title),
        poll_interval_minutes: pick(
            &base.poll_interval_minutes,
            &mine.poll_interval_minutes,
            &theirs.poll_interval_minutes,
        ),
        codex_home: pick(&base.codex_home, &mine.codex_home, &theirs.codex_home),
        autostart: pick(&base.autostart, &mine.autostart, &theirs.autostart),
        fallback_automatic: pick(&base.fallback_automatic, &mine.fallback_automatic, &theirs.fallback_automatic),
        added_homes: pick(&base.added_homes, &mine.added_homes, &theirs.added_homes),
        pinned_account: pick(&base.pinned_account, &mine.pinned_account, &theirs.pinned_account),
        hooks: pick(&base.hooks, &mine.hooks, &theirs.hooks),
    }
}

/// Holds `settings.toml.lock` until dropped (every Headroom process takes it to change settings).
fn lock(path: &Path) -> Result<File, EditError> {
    let io = |e: std::io::Error| EditError::Io { path: path.to_path_buf(), reason: e.to_string() };
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(io)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(folder.join(format!("{name}.lock")))
        .map_err(io)?;
    file.lock().map_err(io)?;
    Ok(file)
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().trim_end_matches('.').to_string()
}

/// The first line of a settings file Headroom creates.
const HEADER: &str = "# Headroom settings. Secrets never go here: tokens live in the OS keychain.\n";

/// The table `name` of the document, made when it is not there (or is not a table).
fn table<'a>(document: &'a mut DocumentMut, name: &str) -> &'a mut Table {
    if !document.get(name).is_some_and(Item::is_table) {
        document.insert(name, Item::Table(Table::new()));
    }
    document[name].as_table_mut().expect("a table was just put there")
}

fn set(document: &mut DocumentMut, section: &str, key: &str, item: Option<Item>) {
    match item {
        Some(item) => {
            let table = table(document, section);
            // In place: a value keeps its comments and its place.
            match table.get_mut(key).and_then(Item::as_value_mut) {
                Some(existing) => {
                    let decor = existing.decor().clone();
                    if let Item::Value(mut new) = item {
                        *new.decor_mut() = decor;
                        *existing = new;
                    }
                }
                None => {
                    table.insert(key, item);
                }
            }
        }
        None => {
            if let Some(table) = document.get_mut(section).and_then(Item::as_table_mut) {
                table.remove(key);
            }
        }
    }
}

/// Writes into `document` each value that differs between `before` and `after`.
fn write_changes(document: &mut DocumentMut, before: &Settings, after: &Settings) {
    if after.alerts_enabled != before.alerts_enabled {
        set(document, "alerts", "enabled", Some(value(after.alerts_enabled)));
    }
    let (b, a) = (&before.toggles, &after.toggles);
    for (key, old, new) in [
        ("threshold", b.threshold, a.threshold),
        ("limit_reached", b.limit_reached, a.limit_reached),
        ("available_again", b.available_again, a.available_again),
        ("token_expiring", b.token_expiring, a.token_expiring),
        ("credentials_rejected", b.credentials_rejected, a.credentials_rejected),
        ("pace", b.pace, a.pace),
        ("credits_in_use", b.credits_in_use, a.credits_in_use),
        ("reset_credit_expiring", b.reset_credit_expiring, a.reset_credit_expiring),
    ] {
        if old != new {
            set(document, "alerts", key, Some(value(new)));
        }
    }
    if after.credits_low_below != before.credits_low_below {
        set(document, "alerts", "credits_low_below", after.credits_low_below.map(value));
    }
    if after.thresholds != before.thresholds {
        let mut inline = InlineTable::new();
        for (kind, values) in &after.thresholds {
            inline.insert(kind.id(), Value::Array(values.iter().map(|v| i64::from(*v)).collect::<Array>()));
        }
        set(document, "alerts", "thresholds", Some(value(inline)));
    }
    if after.quiet_hours != before.quiet_hours {
        set(
            document,
            "alerts",
            "quiet_hours",
            after.quiet_hours.map(|q: QuietHours| {
                let mut inline = InlineTable::new();
                inline.insert("start", q.start.format("%H:%M").to_string().into());
                inline.insert("end", q.end.format("%H:%M").to_string().into());
                value(inline)
            }),
        );
    }
    if after.show_as != before.show_as {
        set(document, "display", "show", Some(value(if after.show_as == ShowAs::Used { "used" } else { "left" })));
    }
    if after.tray_title != before.tray_title {
        set(document, "display", "tray_title", Some(value(after.tray_title)));
    }
    if after.poll_interval_minutes != before.poll_interval_minutes {
        set(document, "display", "poll_interval_minutes", Some(value(i64::from(after.poll_interval_minutes))));
    }
    if after.codex_home != before.codex_home {
        set(document, "general", "codex_home", after.codex_home.as_ref().map(|h| value(h.display().to_string())));
    }
    if after.autostart != before.autostart {
        set(document, "general", "autostart", Some(value(after.autostart)));
    }
    if after.fallback_automatic != before.fallback_automatic {
        set(document, "fallback", "automatic", Some(value(after.fallback_automatic)));
    }
    if after.added_homes != before.added_homes {
        let homes: Array = after.added_homes.iter().map(|h| h.display().to_string()).collect();
        set(document, "accounts", "homes", (!after.added_homes.is_empty()).then(|| value(homes)));
    }
    if after.pinned_account != before.pinned_account {
        set(document, "accounts", "pinned", after.pinned_account.as_deref().map(value));
    }
    if after.hooks != before.hooks {
        // Headroom never edits hooks itself; a change here replaces the list as a whole.
        let mut hooks = toml_edit::ArrayOfTables::new();
        for hook in &after.hooks {
            let mut t = Table::new();
            t.insert("on", value(hook.on.iter().map(|k| k.id()).collect::<Array>()));
            t.insert("run", value(hook.run.clone()));
            hooks.push(t);
        }
        document.insert("hooks", Item::ArrayOfTables(hooks));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WindowKind;

    const HAND_WRITTEN: &str = r#"# My Headroom settings — keep these notes!
[alerts]
enabled = true   # yes, alerts
thresholds = { "5h" = [70, 90], weekly = [80, 95] }
quiet_hours = { start = "22:00", end = "07:30" }
credits_low_below = 2.5
mystery_option = "kept"

[display]
poll_interval_minutes = "ten"  # a typo Headroom cannot read

[[hooks]]
on = ["threshold", "limit_reachd"]
run = "notify-send 'Codex' \"$HEADROOM_EVENT\""

[[hooks]]
on = ["limit_reached"]
run = "/home/me/bin/codex-paused"
"#;

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn a_change_writes_only_what_changed_and_keeps_everything_else_as_written() {
        let (_dir, path) = file(HAND_WRITTEN);
        let (_, now) = update::<_, EditError>(&path, |s| {
            s.added_homes.push(PathBuf::from("/home/me/.codex-work"));
            s.pinned_account = Some("acct-work/user-me".into());
            Ok(())
        })
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = HAND_WRITTEN.to_string()
            + "\n[accounts]\nhomes = [\"/home/me/.codex-work\"]\npinned = \"acct-work/user-me\"\n";
        assert_eq!(text, expected, "comments, order, a typo, a misspelt hook and an unknown key all kept");
        assert_eq!(now.added_homes, vec![PathBuf::from("/home/me/.codex-work")]);
        assert_eq!(now.thresholds[&WindowKind::FiveHour], vec![70, 90]);
        assert_eq!(now.hooks.len(), 1, "the misspelt hook is not read, but it is not deleted either");

        // A value changed in place keeps its comment.
        update::<_, EditError>(&path, |s| {
            s.alerts_enabled = false;
            Ok(())
        })
        .unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("enabled = false   # yes, alerts\n"));
    }

    #[test]
    fn a_file_that_does_not_parse_is_never_saved_over() {
        let broken = "[alerts]\nenabled = true\nthreshold = ture\n[display]\n";
        let (_dir, path) = file(broken);
        let error = update::<(), EditError>(&path, |s| {
            s.pinned_account = Some("x".into());
            Ok(())
        })
        .unwrap_err();
        match &error {
            EditError::Unparsable { line, .. } => assert_eq!(*line, 3, "{error}"),
            other => panic!("{other:?}"),
        }
        assert!(error.to_string().ends_with("then try again. Nothing was saved."), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), broken, "the user's file as they wrote it");
    }

    #[test]
    fn windows_paths_are_written_as_literal_strings() {
        let (_dir, path) = file("");
        update::<_, EditError>(&path, |s| {
            s.added_homes.push(PathBuf::from(r"C:\Users\dev\.codex-work"));
            Ok(())
        })
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(r"homes = ['C:\Users\dev\.codex-work']"), "{text}");
    }

    #[test]
    fn a_refused_change_writes_nothing_and_a_missing_file_starts_from_the_defaults() {
        let (_dir, path) = file(HAND_WRITTEN);
        let refused: Result<((), Settings), EditError> = update(&path, |s| {
            s.autostart = true;
            Err(EditError::NoFolder)
        });
        assert!(refused.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), HAND_WRITTEN);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config/headroom/settings.toml");
        update::<_, EditError>(&path, |s| {
            s.added_homes.push(PathBuf::from("/h/.codex-b"));
            Ok(())
        })
        .unwrap();
        let (read, problems) = crate::settings::load(&path);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(read.added_homes, vec![PathBuf::from("/h/.codex-b")]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(HEADER) && text[HEADER.len()..].trim_start().starts_with("[accounts]"), "{text}");
    }

    #[test]
    fn changes_made_at_once_all_land() {
        let (_dir, path) = file("");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    update::<_, EditError>(&path, |s| {
                        s.added_homes.push(PathBuf::from(format!("/h/.codex-{i}")));
                        Ok(())
                    })
                    .unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(crate::settings::load(&path).0.added_homes.len(), 8);
    }

    #[test]
    fn a_window_saves_what_the_user_changed_over_the_file_as_it_is_now() {
        let base = Settings::default();
        let mut mine = base.clone();
        mine.poll_interval_minutes = 10;
        let mut theirs = base.clone();
        theirs.added_homes.push(PathBuf::from("/h/.codex-work"));
        theirs.thresholds.insert(WindowKind::Weekly, vec![50]);
        let merged = merge(&base, &mine, &theirs);
        assert_eq!(merged.poll_interval_minutes, 10, "the user's change");
        assert_eq!(merged.added_homes, theirs.added_homes, "a home added meanwhile stays");
        assert_eq!(merged.thresholds[&WindowKind::Weekly], vec![50], "a threshold changed by hand stays");
    }
}
