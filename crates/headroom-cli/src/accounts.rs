//! `headroom accounts [list|add PATH|remove ID-OR-PATH|pin ID|unpin]`: the accounts Headroom
//! watches, side by side. Adding a home saves its path in settings.toml (never a secret);
//! removing a pasted token removes its keychain entry.

use std::path::Path;

use headroom_core::accounts::changes::{self, AccountChangeError};
use headroom_core::accounts::roster::{Roster, WatchedAccount};
use headroom_core::environment::Environment;
use headroom_core::login::keychain::OsKeychain;
use headroom_core::settings::{self, Settings};

use crate::error::{CliError, Outcome};
use crate::output::say;

pub fn list(env: &Environment, settings: &Settings) -> Outcome {
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
    Ok(0)
}

/// Makes a change to settings.toml: read, changed and written in place under the file's lock,
/// so nothing else in it is lost and changes made at once all land.
fn change<T>(change: impl FnOnce(&mut Settings) -> Result<T, AccountChangeError>) -> Result<T, AccountChangeError> {
    let path = settings::default_path().ok_or(headroom_core::settings_edit::EditError::NoFolder)?;
    headroom_core::settings_edit::update(&path, change).map(|(value, _)| value)
}

fn refused(error: AccountChangeError) -> Outcome {
    Err(match error {
        AccountChangeError::Vault(_) | AccountChangeError::Settings(_) => CliError::failed(error),
        _ => CliError::refused(error),
    })
}

pub fn add(env: &Environment, path: &Path) -> Outcome {
    match change(|settings| changes::add_home(env, settings, &OsKeychain, path)) {
        Ok(added) if added.already => {
            say!("{} is watched already ({}).", added.path.display(), added.account);
            Ok(0)
        }
        Ok(added) => {
            say!("Added {} ({}). A running tray picks it up at once.", added.path.display(), added.account);
            Ok(0)
        }
        Err(error) => refused(error),
    }
}

pub fn remove(env: &Environment, name: &str, token: bool) -> Outcome {
    let what = if token { changes::Removal::PastedToken } else { changes::Removal::Watching };
    match change(|settings| changes::remove(env, settings, &OsKeychain, name, what)) {
        Ok(removed) => {
            say!("Removed {}.", removed.join(" and "));
            Ok(0)
        }
        Err(error) => refused(error),
    }
}

pub fn pin(env: &Environment, name: Option<&str>) -> Outcome {
    match change(|settings| changes::pin(env, settings, &OsKeychain, name)) {
        Ok(pinned) => {
            match pinned {
                Some(label) => say!("The icon shows {label} from now on."),
                None => say!("The icon shows the default account again."),
            }
            Ok(0)
        }
        Err(error) => refused(error),
    }
}

/// The account `--account NAME` names, or the default one; a name that names none (or several)
/// is refused.
pub fn chosen(env: &Environment, settings: &Settings, name: Option<&str>) -> Result<WatchedAccount, CliError> {
    let roster = Roster::find(env, settings, &OsKeychain);
    for problem in &roster.problems {
        tracing::warn!("{problem}");
    }
    match name {
        // A name that fits several accounts (an email in two workspaces, a workspace with two
        // people) is refused with the list, never settled by picking the first.
        Some(name) => roster.resolve(name, env).cloned().map_err(|e| CliError::refused(AccountChangeError::from(e))),
        None => Ok(roster.default_account().clone()),
    }
}
