//! `headroom usage daily|monthly|session`: tokens Codex used on this machine, from its session
//! logs (no network), per day, month or session, split by kind and model.

use crate::error::{CliError, Outcome};
use headroom_core::status::Context;
use headroom_core::tokens::ledger::Ledger;
use headroom_core::tokens::report::{parse_date, Filter, Row, Zone};
use headroom_core::tokens::usage::TokenCounts;
use headroom_core::tokens::{ledger, report};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Grouping {
    Daily,
    Monthly,
    Session,
}

pub struct Options {
    pub grouping: Grouping,
    pub json: bool,
    pub since: Option<String>,
    pub until: Option<String>,
    pub timezone: Option<String>,
}

fn filter(options: &Options) -> Result<Filter, String> {
    Ok(Filter {
        zone: options.timezone.as_deref().map(Zone::parse).transpose()?.unwrap_or(Zone::Local),
        since: options.since.as_deref().map(parse_date).transpose()?,
        until: options.until.as_deref().map(parse_date).transpose()?,
    })
}

pub fn run(ctx: &Context, options: &Options) -> Outcome {
    let filter = match filter(options) {
        Ok(filter) => filter,
        Err(message) => return Err(CliError::failed(format!("headroom usage: {message}."))),
    };
    let cache = ledger::default_cache_path(&ctx.env.codex_home);
    let tokens: Ledger = ledger::load(&ctx.env.codex_home, cache.as_deref());
    tracing::info!(
        files = tokens.stats.files,
        files_read = tokens.stats.files_read,
        bytes_read = tokens.stats.bytes_read,
        "session logs read"
    );
    let (json, rows, totals) = match options.grouping {
        Grouping::Daily => {
            let r = report::daily(&tokens, &filter);
            let rows = r.daily.iter().map(|d| (d.date.clone(), d.row.clone())).collect::<Vec<_>>();
            (serde_json::to_string_pretty(&r), rows, r.totals)
        }
        Grouping::Monthly => {
            let r = report::monthly(&tokens, &filter);
            let rows = r.monthly.iter().map(|m| (m.month.clone(), m.row.clone())).collect::<Vec<_>>();
            (serde_json::to_string_pretty(&r), rows, r.totals)
        }
        Grouping::Session => {
            let r = report::sessions(&tokens, &filter);
            let rows = r.sessions.iter().map(|s| (s.session_id.clone(), s.row.clone())).collect::<Vec<_>>();
            (serde_json::to_string_pretty(&r), rows, r.totals)
        }
    };
    let text = if options.json {
        format!("{}\n", json.unwrap_or_default())
    } else if tokens.stats.files == 0 {
        format!(
            "No Codex session logs in {}: token usage appears once Codex has run here.\n",
            ctx.env.codex_home.join("sessions").display()
        )
    } else {
        table(options.grouping, &rows, &totals)
    };
    Ok(crate::output::print(&text))
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn table(grouping: Grouping, rows: &[(String, Row)], totals: &TokenCounts) -> String {
    let first = match grouping {
        Grouping::Daily => "Date",
        Grouping::Monthly => "Month",
        Grouping::Session => "Session",
    };
    let width = rows.iter().map(|(k, _)| k.len()).chain([first.len(), 5]).max().unwrap_or(10);
    let line = |key: &str, c: &TokenCounts, models: &str| {
        let text = format!(
            "{key:<width$}  {:>13}  {:>13}  {:>11}  {:>11}  {:>13}  {models}",
            thousands(c.input_tokens),
            thousands(c.cached_input_tokens),
            thousands(c.output_tokens),
            thousands(c.reasoning_output_tokens),
            thousands(c.total_tokens),
        );
        format!("{}\n", text.trim_end())
    };
    let mut out = format!(
        "{first:<width$}  {:>13}  {:>13}  {:>11}  {:>11}  {:>13}  Models\n",
        "Input", "Cached input", "Output", "Reasoning", "Total"
    );
    for (key, row) in rows {
        out += &line(key, &row.counts, &row.models.keys().cloned().collect::<Vec<_>>().join(", "));
    }
    out += &line("Total", totals, "");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
