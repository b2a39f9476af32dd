//! `headroom doctor` as text. Offline: it looks, it does not ask the service.

use std::fmt::Write;

use chrono::Utc;
use headroom_core::accounts::read::numbers_source;
use headroom_core::accounts::roster::Roster;
use headroom_core::environment::BaseUrlOrigin;
use headroom_core::environment::Environment;
use headroom_core::humanize::{age, relative};
use headroom_core::login::credentials::ProbeOutcome;
use headroom_core::login::keychain::OsKeychain;
use headroom_core::login::pasted_tokens::PastedTokens;
use headroom_core::login::vault::PastedTokenSource;
use headroom_core::present::doctor::{diagnose, Diagnosis};
use headroom_core::present::words::probe_status;
use headroom_core::settings::Settings;
use headroom_core::Context;

pub fn run(ctx: &Context, env: &Environment, settings: &Settings) -> u8 {
    // Where each account's numbers come from: one account at a time, as the tray reads them.
    let roster = Roster::find(env, settings, &OsKeychain);
    // The credentials tried for the default account: a token pasted for another account is
    // that account's, listed below, never this one's.
    let tokens = PastedTokens::new(&OsKeychain);
    let pasted = roster.default_account().pasted().map(|entry| tokens.source(entry.clone()));
    let diagnosis = diagnose(ctx, &OsKeychain, pasted.as_ref().map(|p| p as &dyn PastedTokenSource));
    let accounts: Vec<(String, Result<String, String>)> = roster
        .accounts
        .iter()
        .map(|a| {
            let mark = if a.default { " (default)" } else { "" };
            (format!("{}{mark}", a.listing()), numbers_source(a, env, &OsKeychain))
        })
        .collect();
    let printed = crate::output::print(&render(&diagnosis, &accounts));
    match (printed, diagnosis.has_source()) {
        (0, true) => 0,
        (0, false) => 2,
        _ => 1,
    }
}

/// The report: the default account's places and credentials, then every account (its listing and
/// where its numbers come from, or why none), then the verdict.
pub fn render(d: &Diagnosis, accounts: &[(String, Result<String, String>)]) -> String {
    let now = Utc::now();
    let mut out = String::from("Headroom doctor\n\n");
    let mut row = |label: &str, value: String| {
        let _ = writeln!(out, "{label:<16}{value}");
    };
    row(
        "Codex folder",
        format!(
            "{}{}",
            d.codex_home.display(),
            if d.codex_home_exists { "" } else { " (missing: run `codex login` to create it)" }
        ),
    );
    row(
        "Codex config",
        match (&d.config_error, d.config_exists) {
            (Some(error), _) => error.clone(),
            (None, true) => format!("{}: login kept in \"{}\"", d.config_path.display(), d.credentials_store),
            (None, false) => format!("{} not found: Codex's defaults (login in auth.json)", d.config_path.display()),
        },
    );
    let origin = match d.base_url.origin {
        BaseUrlOrigin::Env => "from HEADROOM_CHATGPT_BASE_URL",
        BaseUrlOrigin::CodexConfig => "from chatgpt_base_url in config.toml",
        BaseUrlOrigin::Default => "default",
    };
    row("Usage endpoint", format!("{} ({origin})", d.usage_url));
    row(
        "CA bundle",
        match &d.ca_bundle {
            None => "system roots only (set CODEX_CA_CERTIFICATE to add a corporate CA)".into(),
            Some(ca) => match &ca.result {
                Ok(n) => {
                    format!("{} from {}: {n} certificate(s), added to the system roots", ca.path.display(), ca.variable)
                }
                Err(e) => format!(
                    "{} from {} cannot be used ({e}): fix the path or unset {}",
                    ca.path.display(),
                    ca.variable,
                    ca.variable
                ),
            },
        },
    );
    row(
        "Proxy",
        if d.proxies.is_empty() {
            "none".into()
        } else {
            d.proxies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
        },
    );
    row(
        "OS keychain",
        match &d.keychain {
            Ok(()) => "reachable".into(),
            Err(e) => format!("{e}: {}", e.remedy()),
        },
    );

    let _ = writeln!(out, "\nCredentials, in the order they are tried:");
    let winner = d.discovery.credential().map(|c| c.origin);
    for (i, probe) in d.discovery.probes.iter().enumerate() {
        let state = match &probe.outcome {
            ProbeOutcome::Found(c) => {
                let mut parts = vec!["found".to_string()];
                parts.extend(c.claims.email.clone());
                parts.extend(c.claims.plan.clone());
                parts.extend(c.account_id.as_ref().map(|a| format!("account {a}")));
                match c.claims.expires_at {
                    Some(at) if at <= now => {
                        parts.push(format!("EXPIRED {} ({})", age(at, now), expiry_fix(c.origin.is_codex_login())))
                    }
                    Some(at) => parts.push(format!("expires {}", relative(at, now))),
                    None => parts.push("expiry unknown".into()),
                }
                if winner == Some(c.origin) {
                    parts.push("IN USE".into());
                }
                parts.join(", ")
            }
            other => probe_status(other),
        };
        let _ = writeln!(out, "  {}. {}  [{}]", i + 1, probe.origin.describe(), probe.location);
        let _ = writeln!(out, "     {state}");
    }

    let _ = writeln!(out);
    let logs = &d.logs;
    let logs_line = match (&logs.error, &logs.newest) {
        (Some(e), _) => format!("{} cannot be read ({e})", logs.dir.display()),
        (None, Some((path, at))) => format!(
            "{}: {} file(s), newest numbers from {} in {}",
            logs.dir.display(),
            logs.stats.files_seen,
            age(*at, now),
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        ),
        (None, None) if logs.stats.files_seen > 0 => {
            format!("{}: {} file(s), none with usage numbers yet", logs.dir.display(), logs.stats.files_seen)
        }
        (None, None) => format!("{}: none yet (Codex writes them as you use it)", logs.dir.display()),
    };
    let _ = writeln!(out, "{:<16}{logs_line}", "Session logs");
    if let Some(last) = &d.last_answer {
        let state = headroom_core::present::doctor::unreadable_sentence(&last.unreadable)
            .unwrap_or_else(|| "every part of it could be read.".into());
        let _ = writeln!(out, "{:<16}the tray's, {}: {state}", "Last answer", age(last.observed_at, now));
    }

    let _ = writeln!(out, "\nAccounts, and where each one's numbers come from:");
    for (name, source) in accounts {
        match source {
            Ok(source) => _ = writeln!(out, "  {name}\n     numbers from {source}"),
            Err(why) => _ = writeln!(out, "  {name}\n     {why}"),
        }
    }

    let verdict = match (d.discovery.credential(), &logs.newest) {
        (Some(c), _) => format!("live numbers from the usage service, with {}.", c.origin.describe()),
        (None, Some(_)) => "numbers from Codex's session logs (no login to ask the service with).".into(),
        (None, None) => d.discovery.missing_error().to_string(),
    };
    let _ = writeln!(out, "\nVerdict: {verdict}");
    out
}

fn expiry_fix(codex_login: bool) -> &'static str {
    if codex_login {
        "run `codex` to refresh your login"
    } else {
        "replace the token"
    }
}
