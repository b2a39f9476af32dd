//! Reading every account: each with its own context (its home's config and session logs, its own
//! credential), all at once, so a slow or failing account never delays or hides the others.

use chrono::{DateTime, Utc};

use crate::accounts::roster::WatchedAccount;
use crate::environment::Environment;
use crate::error::UsageError;
use crate::login::keychain::Keychain;
use crate::login::pasted_tokens::PastedTokens;
use crate::login::vault::PastedTokenSource;
use crate::status::{read_and_record, ReadOptions, StatusReport};

/// One account's answer.
#[derive(Debug, Clone)]
pub struct AccountReport {
    pub account: WatchedAccount,
    pub report: StatusReport,
    /// History trouble, said once; never costs the numbers.
    pub history_notice: Option<String>,
}

/// Reads one account, recording its numbers in the history (see [`read_and_record`]).
pub async fn read_account(
    account: &WatchedAccount,
    env: &Environment,
    keychain: &dyn Keychain,
    options: &ReadOptions<'_>,
    now: DateTime<Utc>,
) -> AccountReport {
    if let Some(path) = account.gone_home() {
        let report = StatusReport {
            snapshot: None,
            credential: None,
            error: Some(UsageError::HomeGone { path: path.to_path_buf() }),
            log_file: None,
            paces: Vec::new(),
        };
        return AccountReport { account: account.clone(), report, history_notice: None };
    }
    let ctx = account.context(env);
    let tokens = PastedTokens::new(keychain);
    let pasted = account.pasted().map(|entry| tokens.source(entry.clone()));
    let (report, history_notice) =
        read_and_record(&ctx, keychain, pasted.as_ref().map(|p| p as &dyn PastedTokenSource), options, now).await;
    AccountReport { account: account.clone(), report, history_notice }
}

/// Reads the given accounts at once; the answers come back in the same order.
pub async fn read_accounts(
    accounts: &[WatchedAccount],
    env: &Environment,
    keychain: &dyn Keychain,
    options: &ReadOptions<'_>,
    now: DateTime<Utc>,
) -> Vec<AccountReport> {
    futures_util::future::join_all(accounts.iter().map(|account| read_account(account, env, keychain, options, now)))
        .await
}
