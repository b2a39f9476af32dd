//! `headroom status --watch`: one line each time the numbers change, for waybar's continuous
//! mode and `tail -f` style use.
//!
//! It asks the service on the tray's schedule (the poll interval in Settings), never faster,
//! and shares its answers as the tray does. Between its own asks it looks at the shared numbers
//! folder every two seconds (a `stat`, no request), so numbers the tray or another run got are
//! printed within moments of their arrival.

use std::time::{Duration as StdDuration, SystemTime};

use chrono::Utc;
use headroom_core::accounts::read::read_account;
use headroom_core::accounts::roster::WatchedAccount;
use headroom_core::environment::Environment;
use headroom_core::login::keychain::OsKeychain;
use headroom_core::poll::PollPlan;
use headroom_core::settings::Settings;
use headroom_core::sources::shared_numbers::{MaxAge, SharedNumbers};
use headroom_core::status::ReadOptions;
use headroom_core::{storage, SourcePreference};

use crate::error::{CliError, Outcome};
use crate::Output;

/// How often the shared folder is looked at between asks.
const LOOK: StdDuration = StdDuration::from_secs(2);

pub fn run(
    env: &Environment,
    account: &WatchedAccount,
    settings: &Settings,
    output: &Output,
    preference: SourcePreference,
) -> Outcome {
    let runtime = crate::runtime::single_threaded().map_err(CliError::failed)?;
    let interval = PollPlan::from_settings(settings).interval;
    // Its answers are promised for its own interval, as the tray's are.
    let numbers = SharedNumbers::at_default(MaxAge::Default, interval);
    let folder = storage::data_dir().map(|dir| dir.join(storage::SHARED_NUMBERS));
    let options = ReadOptions { shared: numbers.as_ref(), ..ReadOptions::from(preference) };
    let changed_at = || folder.as_ref().and_then(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok());
    let mut printed = String::new();
    let mut said = String::new();
    loop {
        let seen: Option<SystemTime> = changed_at();
        let now = Utc::now();
        let answer = runtime.block_on(read_account(account, env, &OsKeychain, &options, now));
        let line = output.render(&answer.report, account, settings, now, false);
        if line != printed {
            if crate::output::print(&line) != 0 {
                // The bar went away.
                return Ok(0);
            }
            printed = line;
        }
        // A failure is said once on stderr, not every turn.
        let trouble = answer.report.error.as_ref().map(|e| e.to_string()).unwrap_or_default();
        if trouble != said && !trouble.is_empty() {
            eprintln!("{trouble}");
        }
        said = trouble;
        let due = std::time::Instant::now() + interval.to_std().unwrap_or(StdDuration::from_secs(300));
        while std::time::Instant::now() < due && changed_at() == seen {
            std::thread::sleep(LOOK);
        }
    }
}
