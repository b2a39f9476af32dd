//! `headroom accounts [list|add PATH|remove ID-OR-PATH|pin ID|unpin]`: the accounts Headroom
//! watches, side by side. Adding a home saves its path in settings.toml (never a secret);
//! removing a pasted token removes its keychain entry.

use std::path::Path;

use headroom_core::accounts::changes::{self, AccountChangeError};
use headroom_core::accounts::roster::{Roster, WatchedAccount};
use headroom_core::environment::Environment;
use headroom_core::login::keychain::OsKeychain;
use headroom_core::settings::{self, Settings};

use crate::output::say;

pub fn list(env: &Environment, settings: &Settings) -> u8 {
    let roster = Roster::find(env, settings, &OsKeychain);
    let shown = roster.shown(settings.pinned_account.as_deref(), env).id.clone();
    for (i, account) in roster.accounts.iter().enumerate() {
        if i > 0 {
            say!("");
        }
        let mut marks = Vec::new();
        if account.default {
            marks.push("default");
        }
        if settings.pinned_account.is_some() && account.id == shown {
            marks.push("pinned: the icon shows it");
        }
        let marks = if marks.is_empty() { String::new() } else { format!(" ({})", marks.join(", ")) };
        // The email with its plan and workspace: one email may be in two workspaces.
        say!("{}{marks}", account.listing());
        if account.email.is_some() {
            say!("  {:<6}{}", "id", account.id);
        }
        for (j, place) in account.places.iter().enumerate() {
            say!("  {:<6}{}", if j == 0 { "found" } else { "" }, place.describe());
        }
        if let Some(command) = account.codex_command() {
            say!("  {:<6}{command}", "use");
        }
    }
    for problem in &roster.problems {
        eprintln!("{problem}");
    }
    0
}

/// Saves the changed settings, or says why not (nothing else changed then).
fn save(settings: &Settings) -> Result<(), String> {
    let path =
        settings::default_path().ok_or("No config folder is known for this user (is HOME set?): nothing was saved.")?;
    settings::save(&path, settings).map_err(|e| {
        format!(
            "The settings could not be saved in {} ({e}): check that the folder is writable and the disk not full.",
            path.display()
        )
    })
}

fn refused(error: AccountChangeError) -> u8 {
    eprintln!("{error}");
    match error {
        AccountChangeError::Vault(_) => 1,
        _ => 2,
    }
}

pub fn add(env: &Environment, mut settings: Settings, path: &Path) -> u8 {
    match changes::add_home(env, &mut settings, &OsKeychain, path) {
        Ok(added) if added.already => {
            say!("{} is watched already ({}).", added.path.display(), added.account);
            0
        }
        Ok(added) => match save(&settings) {
            Ok(()) => {
                say!(
                    "Added {} ({}). The tray app picks it up when it next starts.",
                    added.path.display(),
                    added.account
                );
                0
            }
            Err(message) => {
                eprintln!("{message}");
                1
            }
        },
        Err(error) => refused(error),
    }
}

pub fn remove(env: &Environment, mut settings: Settings, name: &str, token: bool) -> u8 {
    let what = if token { changes::Removal::PastedToken } else { changes::Removal::Watching };
    match changes::remove(env, &mut settings, &OsKeychain, name, what) {
        Ok(removed) => match save(&settings) {
            Ok(()) => {
                say!("Removed {}.", removed.join(" and "));
                0
            }
            Err(message) => {
                eprintln!("{message}");
                1
            }
        },
        Err(error) => refused(error),
    }
}

pub fn pin(env: &Environment, mut settings: Settings, name: Option<&str>) -> u8 {
    match changes::pin(env, &mut settings, &OsKeychain, name) {
        Ok(pinned) => match save(&settings) {
            Ok(()) => {
                match pinned {
                    Some(label) => say!("The icon shows {label} from now on."),
                    None => say!("The icon shows the default account again."),
                }
                0
            }
            Err(message) => {
                eprintln!("{message}");
                1
            }
        },
        Err(error) => refused(error),
    }
}

/// The account `--account NAME` names, or the default one; `Err` is the sentence to print.
pub fn chosen(env: &Environment, settings: &Settings, name: Option<&str>) -> Result<WatchedAccount, String> {
    let roster = Roster::find(env, settings, &OsKeychain);
    for problem in &roster.problems {
        tracing::warn!("{problem}");
    }
    match name {
        // A name that fits several accounts (an email in two workspaces, a workspace with two
        // people) is refused with the list, never settled by picking the first.
        Some(name) => roster.resolve(name, env).cloned().map_err(|e| AccountChangeError::from(e).to_string()),
        None => Ok(roster.default_account().clone()),
    }
}
