//! `headroom status` as text.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use headroom_core::humanize::{self, age, bar, blocked_sentence, reset_phrase, used_and_left};
use headroom_core::present::words::{credits_text, no_windows, pool_credits};
use headroom_core::settings::Settings;
use headroom_core::text::capitalise;
use headroom_core::{LimitId, SourceKind, StatusReport, UsageSnapshot};

const BAR_WIDTH: usize = 20;

/// `command` is the account's `CODEX_HOME=… codex`, which advice to run Codex names.
pub fn status_text(report: &StatusReport, settings: &Settings, now: DateTime<Utc>, command: Option<&str>) -> String {
    let Some(snapshot) = &report.snapshot else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", humanize::heading(Some(snapshot)));
    let _ = writeln!(out);

    let titles: Vec<String> = snapshot.windows.iter().map(|w| w.title()).collect();
    let width = titles.iter().map(|t| t.chars().count()).max().unwrap_or(0);
    let mut previous_limit: Option<&LimitId> = None;
    for (i, (window, title)) in snapshot.windows.iter().zip(&titles).enumerate() {
        if previous_limit.is_some_and(|p| *p != window.limit) {
            let _ = writeln!(out);
        }
        previous_limit = Some(&window.limit);
        let (used, left) = used_and_left(window.used_percent);
        let credits = window.credits.and_then(pool_credits).map(|c| format!(" · {c}")).unwrap_or_default();
        let only = window.only_with().map(|o| format!(" · {o}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {title:<width$}  {}  {used:>3}% used · {left:>3}% left{only}{credits} · {}",
            bar(f64::from(used) / 100.0, BAR_WIDTH),
            reset_phrase(window.resets_at, window.reset_since_observed, now),
        );
        // The pace, once this cycle has enough samples to tell whether the window lasts.
        if let Some(pace) = report.paces.get(i).and_then(Option::as_ref).filter(|p| p.verdict.is_some()) {
            if !window.is_exhausted() {
                let _ = writeln!(
                    out,
                    "  {:<width$}  {}",
                    "",
                    capitalise(&headroom_core::alerts::pace::describe(pace, now))
                );
            }
        }
    }
    if snapshot.windows.is_empty() {
        let _ = writeln!(out, "  {}.", no_windows(snapshot));
    }

    let mut extras = Vec::new();
    if let Some(credits) = &snapshot.credits {
        let line = credits_text(credits).or_else(|| credits.has_credits.then(|| "available".into()));
        if let Some(mut text) = line {
            if let Some((low, high)) = credits.approx_local_messages.filter(|_| !credits.unlimited) {
                let _ = write!(text, " (about {low:.0}–{high:.0} local messages)");
            }
            extras.push(("Credits", text));
        }
    }
    let resets = snapshot.reset_credits.filter(|c| *c > 0);
    if !extras.is_empty() || resets.is_some() {
        let _ = writeln!(out);
        for (label, text) in extras {
            let _ = writeln!(out, "  {label:<width$}  {text}");
        }
        if let Some(count) = resets {
            let list = snapshot.reset_credit_list.as_ref();
            let _ = writeln!(out, "  {}", humanize::reset_credits_line(count, list, now));
            for credit in list.map(|l| l.credits.as_slice()).unwrap_or_default() {
                let _ = writeln!(out, "    {}", humanize::reset_credit_line(credit, now));
            }
            if headroom_core::present::reset_credit::worth_using(snapshot, settings).is_ok() {
                let _ = writeln!(out, "  Use one now: `headroom reset-credit use` (it asks first).");
            }
        }
    }

    let _ = writeln!(out);
    if let Some(sentence) = blocked_sentence(snapshot, now, true) {
        let _ = writeln!(out, "{sentence}.");
    }

    let _ = writeln!(out, "{}", provenance(report, snapshot, settings, now));
    if let Some(error) = &report.error {
        let _ = writeln!(out, "Live numbers unavailable: {}", humanize::in_home(&error.to_string(), command));
    }
    out
}

fn provenance(report: &StatusReport, snapshot: &UsageSnapshot, settings: &Settings, now: DateTime<Utc>) -> String {
    let mut text = match snapshot.source {
        SourceKind::Api => format!("Live numbers, updated {}", age(snapshot.observed_at, now)),
        SourceKind::SessionLog => {
            let file = report
                .log_file
                .as_ref()
                .and_then(|p| p.file_name())
                .map(|n| format!(" ({})", n.to_string_lossy()))
                .unwrap_or_default();
            format!("From Codex's session log{file}, as of {}", age(snapshot.observed_at, now))
        }
    };
    if settings.is_stale(snapshot, now) {
        text.push_str(" (stale)");
    }
    if snapshot.source == SourceKind::Api {
        if let Some(credential) = &report.credential {
            let _ = write!(text, " · login: {}", credential.origin.describe());
            if let Some(expires) = credential.claims.expires_at {
                let _ = write!(text, ", expires {}", humanize::relative(expires, now));
            }
        }
    }
    text.push('.');
    text
}
