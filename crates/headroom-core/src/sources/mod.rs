//! Where numbers come from: the live usage endpoint ([`client`], its body read by
//! [`usage_body`]), Codex's own session logs ([`session_log`]), Codex's app-server (asked to
//! refresh its own login, [`codex_app_server`]), banked reset credits ([`reset_credits`]) and the
//! scripted [`demo`]; [`shared_numbers`]
//! lets every Headroom process on the machine answer from one request. Each turns what it
//! reads into `crate::model::UsageSnapshot`; choosing between them is `crate::status`.

pub mod client;
pub mod codex_app_server;
pub mod demo;
pub mod reset_credits;
pub mod session_log;
pub mod shared_numbers;
pub mod usage_body;
