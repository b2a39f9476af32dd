//! `doctor`: every place Headroom looks, what it found there and why, without sending anything
//! over the network and without revealing a secret.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::environment::BaseUrl;
use crate::login::credentials::{DiscoverMode, Discovery};
use crate::login::keychain::{Keychain, KeychainError};
use crate::login::vault::PastedTokenSource;
use crate::model::{SourceKind, UsageSnapshot};
use crate::sources::session_log::{self, SearchStats};
use crate::status::Context;

#[derive(Debug, Clone)]
pub struct CaBundleCheck {
    pub variable: &'static str,
    pub path: PathBuf,
    /// How many certificates it holds, or why it cannot be used.
    pub result: Result<usize, String>,
}

#[derive(Debug, Clone)]
pub struct LogsCheck {
    pub dir: PathBuf,
    pub newest: Option<(PathBuf, DateTime<Utc>)>,
    pub stats: SearchStats,
    pub error: Option<String>,
}

/// The tray's last answer from the usage service, as saved in the data folder.
#[derive(Debug, Clone)]
pub struct LastAnswer {
    pub observed_at: DateTime<Utc>,
    /// The parts that could not be read (see [`unreadable_sentence`]).
    pub unreadable: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Diagnosis {
    pub codex_home: PathBuf,
    pub codex_home_exists: bool,
    pub config_path: PathBuf,
    pub config_exists: bool,
    pub config_error: Option<String>,
    pub credentials_store: String,
    pub base_url: BaseUrl,
    pub usage_url: String,
    pub ca_bundle: Option<CaBundleCheck>,
    /// Proxy variables in effect, with any user:password part masked.
    pub proxies: Vec<(String, String)>,
    pub keychain: Result<(), KeychainError>,
    pub discovery: Discovery,
    pub logs: LogsCheck,
    pub last_answer: Option<LastAnswer>,
}

impl Diagnosis {
    /// Whether any source can give numbers.
    pub fn has_source(&self) -> bool {
        self.discovery.credential().is_some() || self.logs.newest.is_some()
    }
}

pub fn diagnose(ctx: &Context, keychain: &dyn Keychain, pasted: Option<&dyn PastedTokenSource>) -> Diagnosis {
    let home = &ctx.env.codex_home;
    let config_path = crate::environment::config_path(home);
    let logs_dir = ctx.sessions_dir();
    let logs = match session_log::find_newest(&session_log::rollout_dirs(home)) {
        Ok((finding, stats)) => {
            LogsCheck { dir: logs_dir, newest: finding.map(|f| (f.path, f.snapshot.observed_at)), stats, error: None }
        }
        Err(e) => LogsCheck { dir: logs_dir, newest: None, stats: SearchStats::default(), error: Some(e.to_string()) },
    };
    Diagnosis {
        codex_home: home.clone(),
        codex_home_exists: home.is_dir(),
        config_exists: config_path.is_file(),
        config_path,
        config_error: ctx.config_error.as_ref().map(|e| e.to_string()),
        credentials_store: ctx.config.credentials_store.as_str().to_string(),
        usage_url: crate::text::mask_userinfo(&ctx.base_url.usage_url()),
        base_url: BaseUrl { url: crate::text::mask_userinfo(&ctx.base_url.url), ..ctx.base_url.clone() },
        ca_bundle: ctx.env.ca_bundle.as_ref().map(|(variable, path)| CaBundleCheck {
            variable,
            path: path.clone(),
            result: std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| e.to_string()))
                .and_then(
                    |certs| if certs.is_empty() { Err("no PEM certificates in it".into()) } else { Ok(certs.len()) },
                ),
        }),
        proxies: proxy_variables(),
        keychain: keychain_reachable(keychain),
        discovery: ctx.discover(keychain, pasted, DiscoverMode::All),
        logs,
        last_answer: crate::storage::data_dir()
            .and_then(|dir| {
                crate::storage::read_json::<UsageSnapshot>(&dir.join(crate::storage::LAST_SNAPSHOT)).ok().flatten()
            })
            .filter(|s| s.source == SourceKind::Api)
            .map(|s| LastAnswer { observed_at: s.observed_at, unreadable: s.unreadable }),
    }
}

/// One sentence for the parts of an answer that could not be read (each named with why), or
/// none when all could.
pub fn unreadable_sentence(places: &[String]) -> Option<String> {
    let (_, rest) = places.split_first()?;
    let (what, shown) = if rest.is_empty() { ("A part", "it is") } else { ("Parts", "they are") };
    Some(format!(
        "{what} of the usage service's answer could not be read, so {shown} not shown ({}): if this keeps happening, update Headroom.",
        places.join("; ")
    ))
}

/// Asks the keychain for an entry that does not exist: an answer of "none" means it is there.
pub fn keychain_reachable(keychain: &dyn Keychain) -> Result<(), KeychainError> {
    keychain.read("Headroom", "reachability-check").map(|_| ())
}

fn proxy_variables() -> Vec<(String, String)> {
    ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"]
        .iter()
        .filter_map(|name| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| (name.to_string(), crate::text::mask_userinfo(&v)))
        })
        .collect()
}
