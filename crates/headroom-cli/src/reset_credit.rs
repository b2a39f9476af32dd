//! `headroom reset-credit use [--id ID]`: spends one banked reset credit, on purpose only. It reads
//! the account first, offers a credit only while a limit blocks or nearly blocks, names the credit
//! and that it cannot be undone, waits for a typed "yes", sends one request (see
//! `headroom_core::sources::reset_credits::use_credit` for why a retry cannot spend twice), says
//! the outcome in one sentence and reads the numbers again.

use std::io::BufRead;

use crate::error::{CliError, Outcome};
use chrono::Utc;
use headroom_core::accounts::read::use_reset_credit;
use headroom_core::accounts::roster::WatchedAccount;
use headroom_core::environment::Environment;
use headroom_core::login::keychain::OsKeychain;
use headroom_core::model::AccountKey;
use headroom_core::present::reset_credit::{outcome_sentence, pick, question, worth_using};
use headroom_core::settings::Settings;
use headroom_core::sources::reset_credits::ConsumeOutcome;
use headroom_core::sources::shared_numbers::{MaxAge, SharedNumbers, DEFAULT_MAX_AGE};
use headroom_core::status::ReadOptions;
use headroom_core::SourcePreference;

/// The longest answer read from standard input.
const MAX_ANSWER: usize = 64;

pub fn use_one(env: &Environment, account: &WatchedAccount, settings: &Settings, id: Option<&str>) -> Outcome {
    let numbers = SharedNumbers::at_default(MaxAge::Default, DEFAULT_MAX_AGE);
    let options = ReadOptions { shared: numbers.as_ref(), ..ReadOptions::from(SourcePreference::Api) };
    let (answer, now) = crate::read_one(env, account, &options)?;
    let report = answer.report;
    let Some(snapshot) = report.snapshot.as_ref() else {
        let code = report.exit_code();
        let error = report.error.map(|e| e.to_string()).unwrap_or_else(|| "No numbers could be read.".into());
        let sentence = headroom_core::humanize::in_home(&error, account.codex_command().as_deref());
        return Err(CliError::WithCode { sentence, code });
    };
    worth_using(snapshot, settings).map_err(CliError::failed)?;
    let credit = pick(snapshot, id).map_err(CliError::failed)?.clone();
    let key = AccountKey::of(snapshot);
    eprintln!("{}", question(&credit, Some(account.label()), now));
    eprint!("Type yes to use it, anything else to keep it: ");
    if !said_yes() {
        return Err(CliError::failed("Nothing was used."));
    }
    let runtime = crate::runtime::single_threaded().map_err(CliError::failed)?;
    let outcome = runtime.block_on(use_reset_credit(account, env, &OsKeychain, key.as_str(), &credit.id, Utc::now()));
    match outcome {
        Ok(outcome) => {
            crate::output::say!("{}", outcome_sentence(&outcome, &credit, Utc::now()));
            if outcome.changed_limits() {
                // The numbers as they are now, read again (never an answer from before the use).
                let numbers = SharedNumbers::at_default(MaxAge::At(chrono::Duration::zero()), DEFAULT_MAX_AGE);
                let options = ReadOptions { shared: numbers.as_ref(), ..ReadOptions::from(SourcePreference::Api) };
                match crate::read_one(env, account, &options) {
                    Ok((answer, now)) if answer.report.snapshot.is_some() => {
                        crate::output::say!(
                            "\n{}",
                            crate::render::status_text(
                                &answer.report,
                                settings,
                                now,
                                account.codex_command().as_deref()
                            )
                            .trim_end()
                        );
                    }
                    Ok(_) => {}
                    // The credit was used; only the numbers after it could not be read.
                    Err(error) => eprintln!("{error}"),
                }
            }
            Ok(match outcome {
                ConsumeOutcome::Reset { .. } | ConsumeOutcome::AlreadyRedeemed => 0,
                _ => 1,
            })
        }
        Err(error) => Err(CliError::WithCode {
            sentence: headroom_core::humanize::in_home(&error.to_string(), account.codex_command().as_deref()),
            code: 4,
        }),
    }
}

/// A typed "yes" (or "y") on standard input; anything else, or nothing, is no.
fn said_yes() -> bool {
    use std::io::Read;
    let mut line = String::new();
    let read = std::io::stdin().lock().take(MAX_ANSWER as u64).read_line(&mut line);
    read.is_ok() && matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}
