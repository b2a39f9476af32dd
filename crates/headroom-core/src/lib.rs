//! Headroom's domain, without any GUI. The shells (the tray, the CLI) read numbers through this
//! crate, carry out what it decides and put its words on screen; they decide nothing themselves.
//!
//! # Where to look
//!
//! | Folder        | What it holds |
//! |---------------|---------------|
//! | [`sources`]   | where numbers come from: the live usage client and its body parser, Codex's session logs, Codex's app-server, the demo, the numbers shared between Headroom's processes |
//! | [`accounts`]  | several accounts side by side: which there are, reading them at once, each one's pace, adding, removing and pinning |
//! | [`login`]     | logins and secrets: finding a credential, JWT claims, the OS keychain, Headroom's vault and pasted tokens, Codex's login stores, what a paste is |
//! | [`alerts`]    | when Headroom speaks up: the alert engine, pace, pausing, the user's hooks on the same events |
//! | [`tokens`]    | local token usage from the session logs, its cache and its reports |
//! | [`present`]   | the words and views: the tray's and the dashboard's views, the chart, humanized numbers, the `status --json` contract, the status bars' formats, `guard`, `doctor` |
//! | [`history`]   | the SQLite history of observed usage |
//!
//! Beside them: the [`model`] every source is turned into, [`settings`] (and [`settings_edit`],
//! changing the file in place under a lock), the [`environment`]
//! read once at start, [`error`] (every failure with its sentence), [`storage`] (Headroom's own
//! files), [`user_folders`] (where the platform keeps them), [`poll`] (the polite schedule), [`fallback`] (switching Codex to an API key and back)
//! [`humanize`] (numbers and times as a person reads them, for every sentence) and [`text`] (small
//! helpers that know nothing of the domain).
//!
//! # The three paths
//!
//! - **Where a number comes from:** [`status::read_status`] picks a source (live, or the session
//!   logs) and asks it: [`sources::client`] → [`sources::usage_body`] → [`model::UsageSnapshot`],
//!   or [`sources::session_log`]; [`history::record_and_pace`] records it and gives each window
//!   its pace.
//! - **Where it is drawn:** [`present::tray_view`] (icon bars, title, menu lines),
//!   [`present::dashboard_view`] (the dashboard's data), [`humanize`] (the sentences
//!   every view shares); the icon itself is drawn by the `headroom-icon` crate.
//! - **Who decides:** the tray's [`engine::Engine`] (the schedule, pausing, the pin, new
//!   settings, the fallback switch); the shells carry out its effects.
//! - **Where an alert is decided:** [`session::Session::apply`] turns a reading into effects;
//!   the rules themselves are in [`alerts::engine`] (alert-rules.md, one alert per crossing).

pub mod accounts;
pub mod alerts;
pub mod engine;
pub mod environment;
pub mod error;
pub mod fallback;
pub mod history;
pub mod humanize;
pub(crate) mod json;
pub mod logging;
pub mod login;
pub mod model;
pub mod poll;
pub mod present;
pub mod session;
pub mod settings;
pub mod settings_edit;
pub mod sources;
pub mod status;
pub mod storage;
pub mod text;
pub mod tokens;
pub mod user_folders;

pub use error::{ErrorKind, UsageError};
pub use login::credentials::Credential;
pub use model::{CredentialOrigin, LimitId, SourceKind, UsageSnapshot, UsageWindow, WindowKind};
pub use status::{read_status, Context, SourcePreference, StatusReport};
