//! What the windows may ask of the running tray, and the answers. Secrets never appear in a call
//! or an answer: a pasted token is stored by the window process itself (it tells the tray with
//! [`Call::CredentialsChanged`]), and the answers name a token only by its mask.

use headroom_core::login::vault::TokenInfo;
use headroom_core::settings::{FieldProblem, SettingsForm};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Window;

/// One request from a window. On the socket it is `{"id": 7, "call": "pause_alerts",
/// "until_reset": true}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    /// A window process starting, to show `open`: from now on this connection is pushed the
    /// dashboard's changes and the windows to open, answered `true`. When another window process
    /// is listening already, that one opens the window instead, and the answer is `false` (the
    /// newcomer ends: one window process, as one tray). The socket's server answers it.
    Watch {
        open: Window,
    },
    /// The dashboard's numbers now (they are pushed on every change as well).
    Dashboard,
    /// "Retry" and "Refresh": every account, now.
    Refresh,
    /// The settings as the settings window edits them.
    Settings,
    SaveSettings {
        form: Box<SettingsForm>,
        /// The form as the window last had it from the tray: what the user changed is what
        /// differs from it. Without it, the tray's settings now.
        #[serde(default)]
        base: Option<Box<SettingsForm>>,
    },
    /// Where credentials are looked for and what each place holds.
    Credentials,
    /// A token was stored or removed in the keychain by the window process: read logins again.
    CredentialsChanged,
    /// Removes the token pasted for `account` (a watched account's id; none: the shown one's).
    RemoveToken {
        #[serde(default)]
        account: Option<String>,
    },
    /// Whether the usage service accepts the token pasted for `account` (none: the shown one's).
    CheckToken {
        #[serde(default)]
        account: Option<String>,
    },
    AlertPause,
    ResetPauseLabel,
    PauseAlerts {
        until_reset: bool,
    },
    ResumeAlerts,
    /// "Export CSV" on a card: that account's whole history (the tray's account when none is
    /// named) into the Downloads folder; answers with the file's path.
    ExportHistory {
        #[serde(default)]
        account: Option<String>,
    },
    History {
        #[serde(default)]
        days: Option<u32>,
        #[serde(default)]
        account: Option<String>,
    },
    TokenUsage {
        #[serde(default)]
        days: Option<u32>,
        #[serde(default)]
        account: Option<String>,
    },
    Accounts,
    AddHome {
        path: String,
    },
    /// The account's id is `account`: `id` is the request's own (see [`crate::messages::Request`]).
    RemoveAccount {
        account: String,
    },
    /// Shows `account` in the tray icon; none: the default account again.
    PinAccount {
        #[serde(default)]
        account: Option<String>,
    },
    Hooks,
    RunTestHook {
        index: usize,
    },
    /// The user confirmed, in the dashboard, using the reset credit `credit` of `account` (a
    /// watched account's id). Sent again after a failure, it reuses that decision's request id.
    UseResetCredit {
        account: String,
        credit: String,
    },
    /// Open a window (a second launch, the desktop entry's action): the tray passes it on to the
    /// window process.
    Open {
        window: Window,
    },
}

/// What saving the settings window's form did: the settings now in force and, beside their
/// fields, the values that could not be used (those fields keep their previous values).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Serialize)]
pub struct SavedSettings {
    pub form: SettingsForm,
    pub problems: Vec<FieldProblem>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Serialize)]
pub struct Source {
    pub name: String,
    pub place: String,
    pub status: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Serialize)]
pub struct Credentials {
    /// Where the numbers come from now.
    pub in_use: Option<String>,
    pub sources: Vec<Source>,
    /// The pasted token, shown only as its mask and what it says about itself.
    pub pasted: Option<TokenInfo>,
    /// The numbers shown come from Codex's session logs (no login was usable).
    pub from_session_logs: bool,
    /// Every account, and where each one's numbers come from.
    pub accounts: Vec<AccountCredentials>,
}

/// One account in the Credentials section: where its numbers come from, and its pasted token.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Serialize)]
pub struct AccountCredentials {
    pub id: String,
    /// Its email with plan and workspace: "me@example.org · Plus · acct-personal".
    pub label: String,
    /// Its email, else its id.
    pub name: String,
    /// Its plan and workspace ("Plus · acct-personal").
    pub workspace: Option<String>,
    /// "Codex's login file (/home/dev/.codex/auth.json)".
    pub source: Option<String>,
    /// Why it has no source now, in one sentence.
    pub problem: Option<String>,
    /// The token pasted for it, as its mask and what it says of itself.
    pub pasted: Option<TokenInfo>,
    /// The tray icon shows it.
    pub shown: bool,
}

/// One account in the settings window's list: never a secret, only where it was found.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Serialize)]
pub struct AccountEntry {
    pub id: String,
    /// Its email, else its id.
    pub label: String,
    /// Its plan and workspace ("Plus · acct-personal"): one email may be in two workspaces.
    pub workspace: Option<String>,
    /// Each place its login was found: a home's path, a keychain entry, a variable.
    pub found_in: Vec<String>,
    pub is_default: bool,
    /// The tray icon shows it.
    pub shown: bool,
    /// Pinned by the user (the icon shows it whatever the default).
    pub pinned: bool,
    /// It has an added home or a pasted token that can be removed.
    pub removable: bool,
    /// `CODEX_HOME=… codex`, when it has a Codex home of its own.
    pub command: Option<String>,
}

/// One hook in the settings window's list: its events and command, as written in settings.toml.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Serialize)]
pub struct HookEntry {
    /// The event names it runs on ("threshold", "limit_reached", …).
    pub on: Vec<String>,
    pub run: String,
}

/// An answer, as JSON for the window (or a sentence saying what went wrong and what to do).
pub type Answer = Result<Value, String>;
