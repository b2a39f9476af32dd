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

use crate::settings::fields::{Problems, FIELDS};
use crate::settings::{parse, Settings};

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
/// `theirs` (the file as it is now) for every other field; the thresholds window kind by window
/// kind.
pub fn merge(base: &Settings, mine: &Settings, theirs: &Settings) -> Settings {
    let mut merged = theirs.clone();
    let mut problems = Vec::new();
    for field in FIELDS.iter().filter(|f| f.key != "thresholds") {
        let wanted = (field.get)(mine);
        if wanted != (field.get)(base) {
            (field.set)(&mut merged, wanted.as_ref(), &mut Problems { name: field.key.into(), said: &mut problems });
        }
    }
    // `mine` holds checked settings: what `get` writes, `set` reads back as it was.
    debug_assert!(problems.is_empty(), "{problems:?}");
    for (kind, values) in &mine.thresholds {
        if base.thresholds.get(kind) != Some(values) {
            merged.thresholds.insert(*kind, values.clone());
        }
    }
    if mine.hooks != base.hooks {
        merged.hooks = mine.hooks.clone();
    }
    merged
}

/// A new settings file holding `settings`: what differs from the defaults, under its header.
pub fn new_file(settings: &Settings) -> String {
    let mut document = DocumentMut::new();
    write_changes(&mut document, &Settings::default(), settings);
    format!("{HEADER}{document}")
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
    for field in FIELDS {
        let now = (field.get)(after);
        if now != (field.get)(before) {
            set(document, field.section, field.key, now.as_ref().map(|v| value(edit_value(v))));
        }
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

/// A value as toml_edit writes it: tables inline (`{ start = "22:00", end = "08:00" }`).
fn edit_value(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => s.as_str().into(),
        toml::Value::Integer(i) => (*i).into(),
        toml::Value::Float(f) => (*f).into(),
        toml::Value::Boolean(b) => (*b).into(),
        toml::Value::Datetime(d) => d.to_string().into(),
        toml::Value::Array(items) => Value::Array(items.iter().map(edit_value).collect::<Array>()),
        toml::Value::Table(table) => {
            // In the order a person writes them: start before end, the shorter windows first.
            const ORDER: [&str; 6] = ["start", "end", "5h", "weekly", "monthly", "other"];
            let mut keys: Vec<&String> = table.keys().collect();
            keys.sort_by_key(|k| (ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()), k.as_str()));
            Value::InlineTable(keys.into_iter().map(|k| (k.clone(), edit_value(&table[k]))).collect::<InlineTable>())
        }
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
