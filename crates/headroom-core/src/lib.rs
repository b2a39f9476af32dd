//! Headroom's domain, without any GUI: the usage model, the sources of numbers (the live API,
//! Codex's login, Codex's session logs), credentials, and the words used to present them.

pub mod alert_pause;
pub mod alerts;
pub mod client;
pub mod codex_app_server;
pub mod codex_login;
pub mod codex_login_store;
pub mod codex_secrets;
pub mod credentials;
pub mod dashboard_view;
pub mod demo;
pub mod doctor;
pub mod environment;
pub mod error;
pub mod fallback;
pub mod history;
pub mod history_view;
pub mod humanize;
pub mod jwt;
pub mod keychain;
pub mod model;
pub mod pace;
pub mod paste;
pub mod poll;
pub mod report;
pub mod session;
pub mod session_log;
pub mod settings;
pub mod status;
pub mod storage;
pub mod text;
pub mod token_ledger;
pub mod token_report;
pub mod token_usage;
pub mod tray_view;
pub mod usage_body;
pub mod vault;

pub use credentials::Credential;
pub use error::{ErrorKind, UsageError};
pub use model::{CredentialOrigin, LimitId, SourceKind, UsageSnapshot, UsageWindow, WindowKind};
pub use status::{read_status, Context, SourcePreference, StatusReport};
