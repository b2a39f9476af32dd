//! The usage history, exported by `headroom history` (every `status` records into it, through
//! `headroom_core::status::read_and_record`).

use crate::error::{CliError, Outcome};
use chrono::{DateTime, Duration, Utc};
use headroom_core::accounts::roster::WatchedAccount;
use headroom_core::history::{self, History};

fn open() -> Result<History, String> {
    let path = history::default_path().ok_or("no data folder is known for this user (is HOME set?)")?;
    if !path.exists() {
        return Err(format!(
            "no usage history yet ({} does not exist): run `headroom status` or the tray app first",
            path.display()
        ));
    }
    History::open(&path).map_err(|e| e.to_string())
}

pub fn export(csv: bool, json: bool, days: Option<u32>, account: Option<&WatchedAccount>) -> Outcome {
    let history = match open() {
        Ok(history) => history,
        Err(message) => return Err(CliError::failed(format!("headroom history: {message}."))),
    };
    // However many days are asked for, never before the epoch (and never a time out of range).
    let since = days
        .and_then(|d| Utc::now().checked_sub_signed(Duration::try_days(i64::from(d))?))
        .map_or(DateTime::UNIX_EPOCH, |t| t.max(DateTime::UNIX_EPOCH));
    let samples = match history.since(since) {
        // Samples are kept under the account id, else the email: the account's id.
        Ok(samples) => match account {
            Some(account) => samples.into_iter().filter(|s| s.account.as_str() == account.id).collect(),
            None => samples,
        },
        Err(e) => {
            return Err(CliError::failed(format!(
                "headroom history: {e}; the file may be damaged, and the tray app sets a damaged one aside."
            )))
        }
    };
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if json {
        let rows: Vec<serde_json::Value> = samples
            .iter()
            .map(|s| {
                serde_json::json!({
                    "at": time(s.at), "account": s.account, "limit": s.limit, "window": s.window,
                    "used_percent": s.used_percent, "resets_at": s.resets_at.map(time), "source": s.source,
                })
            })
            .collect();
        Ok(crate::output::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({ "samples": rows })).unwrap_or_default()
        )))
    } else {
        // CSV is also the default: it opens in any spreadsheet.
        let _ = csv;
        Ok(crate::output::print(&history::to_csv(&samples)))
    }
}
