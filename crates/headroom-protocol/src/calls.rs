//! What the windows may ask of the running tray, and the answers. Secrets never appear in a call
//! or an answer: a pasted token is stored by the window process itself (it tells the tray with
//! [`Call::CredentialsChanged`]), and the answers name a token only by its mask.

use headroom_core::login::vault::TokenInfo;
use headroom_core::present::dashboard_view::DashboardView;
use headroom_core::present::history_view::HistoryView;
use headroom_core::settings::{FieldProblem, SettingsForm};
use headroom_core::tokens::report::DailyReport;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Window;

/// One request from a window. On the socket it is `{"id": 7, "call": "pause_alerts",
/// "until_reset": true}`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
        #[cfg_attr(feature = "ts", ts(optional))]
        base: Option<Box<SettingsForm>>,
    },
    /// Where credentials are looked for and what each place holds.
    Credentials,
    /// A token was stored or removed in the keychain by the window process: read logins again.
    CredentialsChanged,
    /// Removes the token pasted for `account` (a watched account's id; none: the shown one's).
    RemoveToken {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        account: Option<String>,
    },
    /// Whether the usage service accepts the token pasted for `account` (none: the shown one's).
    CheckToken {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
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
        #[cfg_attr(feature = "ts", ts(optional))]
        account: Option<String>,
    },
    History {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        days: Option<u32>,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        account: Option<String>,
    },
    TokenUsage {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        days: Option<u32>,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
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
        #[cfg_attr(feature = "ts", ts(optional))]
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

impl Call {
    /// Calls only the window process itself makes (watching the tray's pushes, opening a window,
    /// telling of a token it stored): its page may not make them.
    pub fn is_the_window_process_own(&self) -> bool {
        // Every call named: a new one is the page's only once someone says so here.
        match self {
            Call::Watch { .. } | Call::Open { .. } | Call::CredentialsChanged => true,
            Call::Dashboard
            | Call::Refresh
            | Call::Settings
            | Call::SaveSettings { .. }
            | Call::Credentials
            | Call::RemoveToken { .. }
            | Call::CheckToken { .. }
            | Call::AlertPause
            | Call::ResetPauseLabel
            | Call::PauseAlerts { .. }
            | Call::ResumeAlerts
            | Call::ExportHistory { .. }
            | Call::History { .. }
            | Call::TokenUsage { .. }
            | Call::Accounts
            | Call::AddHome { .. }
            | Call::RemoveAccount { .. }
            | Call::PinAccount { .. }
            | Call::Hooks
            | Call::RunTestHook { .. }
            | Call::UseResetCredit { .. } => false,
        }
    }
}

/// What saving the settings window's form did: the settings now in force and, beside their
/// fields, the values that could not be used (those fields keep their previous values).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedSettings {
    pub form: SettingsForm,
    pub problems: Vec<FieldProblem>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub name: String,
    pub place: String,
    pub status: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HookEntry {
    /// The event names it runs on ("threshold", "limit_reached", …).
    pub on: Vec<String>,
    pub run: String,
}

/// What the tray answers a call with: one variant for each shape of answer. On the socket it is
/// the value alone (`null`, `true`, a sentence, a view), as the web UI reads it: the window
/// process relays answers to its page without reading them ([`Relayed`]), and the page's
/// TypeScript types are generated from these same types.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Reply {
    /// Done; nothing to say (`null`).
    Done,
    /// `Watch`: whether this connection is now the one the tray's pushes go to.
    Watching(bool),
    /// What happened, in one sentence ("Added /home/me/.codex-work (acct-work)."), or a path.
    Sentence(String),
    /// `AlertPause`, `PauseAlerts`: until when alerts are paused (RFC 3339); `ResetPauseLabel`:
    /// what "until the limit resets" means now. `null` when there is none.
    Maybe(Option<String>),
    Dashboard(Box<DashboardView>),
    Settings(Box<SettingsForm>),
    Saved(Box<SavedSettings>),
    Credentials(Box<Credentials>),
    History(Box<HistoryView>),
    TokenUsage(Box<DailyReport>),
    Accounts(Vec<AccountEntry>),
    Hooks(Vec<HookEntry>),
}

/// Why a call did nothing: one sentence for the user (what happened and what to do next), and
/// its kind. Across the socket it is `{"kind": "refused", "sentence": "…"}`; the window process
/// hands the page the sentence alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "sentence", rename_all = "snake_case")]
pub enum CallError {
    /// What was asked cannot be done as asked: the account is no longer watched, the folder
    /// holds no login, the hook was removed. Asking again the same way will not help.
    Refused(String),
    /// It was tried and failed: the keychain, the disk, the usage service. Trying again may.
    Failed(String),
    /// The tray cannot be reached, or the two processes do not understand each other.
    Unreachable(String),
}

impl CallError {
    pub fn sentence(&self) -> &str {
        match self {
            CallError::Refused(s) | CallError::Failed(s) | CallError::Unreachable(s) => s,
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.sentence())
    }
}

impl std::error::Error for CallError {}

/// Read as written, or as a tray from before errors had kinds wrote it (a bare sentence: a tray
/// still running across an upgrade answers the new window process so).
impl<'de> Deserialize<'de> for CallError {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<CallError, D::Error> {
        #[derive(Deserialize)]
        #[serde(tag = "kind", content = "sentence", rename_all = "snake_case")]
        enum Typed {
            Refused(String),
            Failed(String),
            Unreachable(String),
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Typed(Typed),
            Sentence(String),
        }
        Ok(match Written::deserialize(deserializer)? {
            Written::Typed(Typed::Refused(s)) => CallError::Refused(s),
            Written::Typed(Typed::Failed(s)) => CallError::Failed(s),
            Written::Typed(Typed::Unreachable(s)) => CallError::Unreachable(s),
            Written::Sentence(s) => CallError::Failed(s),
        })
    }
}

/// The tray's answer to a call.
pub type Answer = Result<Reply, CallError>;

/// An answer as the window process receives it: the reply's JSON, passed on to the page.
pub type Relayed = Result<Value, CallError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_may_not_make_the_window_process_own_calls() {
        let own = [
            Call::Watch { open: Window::Dashboard },
            Call::Open { window: Window::Settings },
            Call::CredentialsChanged,
        ];
        assert!(own.iter().all(Call::is_the_window_process_own));
        let pages =
            [Call::Dashboard, Call::PauseAlerts { until_reset: false }, Call::RemoveAccount { account: "a".into() }];
        assert!(!pages.iter().any(Call::is_the_window_process_own));
    }

    #[test]
    fn a_reply_is_the_value_alone_and_an_error_says_its_kind_and_sentence() {
        let json = |reply: Reply| serde_json::to_string(&reply).unwrap();
        assert_eq!(json(Reply::Done), "null");
        assert_eq!(json(Reply::Watching(true)), "true");
        assert_eq!(json(Reply::Maybe(None)), "null");
        assert_eq!(json(Reply::Sentence("Removed acct-col.".into())), r#""Removed acct-col.""#);
        assert_eq!(
            json(Reply::Hooks(vec![HookEntry { on: vec!["threshold".into()], run: "true".into() }])),
            r#"[{"on":["threshold"],"run":"true"}]"#
        );
        let error = CallError::Failed("The keychain is locked: unlock it, then try again.".into());
        assert_eq!(
            serde_json::to_string(&error).unwrap(),
            r#"{"kind":"failed","sentence":"The keychain is locked: unlock it, then try again."}"#
        );
        assert_eq!(error.to_string(), "The keychain is locked: unlock it, then try again.");
        let read = |text: &str| serde_json::from_str::<CallError>(text).unwrap();
        assert_eq!(read(&serde_json::to_string(&error).unwrap()), error);
        let refused = CallError::Refused("That hook is no longer in settings.toml.".into());
        assert_eq!(read(&serde_json::to_string(&refused).unwrap()), refused);
        // A tray from before errors had kinds answers with the sentence alone.
        assert_eq!(
            read(r#""No token is stored: paste one first.""#),
            CallError::Failed("No token is stored: paste one first.".into())
        );
    }
}
